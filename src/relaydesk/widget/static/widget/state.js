// relaydesk chat widget: the widget's state.

import { KEY } from "./config.js";
import { store } from "./util.js";

export const S = {
  token: null,
  contact: null,
  conv: null,
  convPromise: null,
  seen: new Set(),
  lastId: null,
  isOpen: false,
  ws: null,
  wsRetry: 0,
  wsTimer: null,
  stopped: false,
  ctx: {},
  unread: 0,
  seenUpTo: null, // the newest message id an agent has read
  readSent: null, // the newest message id this visitor's read mark covers
  readTimer: null,
  lastTypingSent: 0,
  typingTimer: null,
  queueTimer: null,
  forms: {},
  submittedForms: new Set(),
};
try {
  S.ctx = JSON.parse(store.get(KEY + "context") || "{}") || {};
} catch (e) {
  S.ctx = {};
}
