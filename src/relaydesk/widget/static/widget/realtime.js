// relaydesk chat widget: the WebSocket (live events, reconnect with backoff) and the catch-up
// over HTTP after every (re)connect.

import { BASE, L } from "./config.js";
import { request, startSession } from "./http.js";
import { addMessage } from "./messages.js";
import { scheduleRead, showSeen, showTyping } from "./presence.js";
import { S } from "./state.js";
import { updateConversation } from "./status.js";
import { isObject } from "./util.js";
import { setStanding, standing } from "./view.js";

let catchingUp = null;

export function catchUp() {
  if (!S.conv) return Promise.resolve();
  if (catchingUp) return catchingUp.then(() => catchUp());
  const id = S.conv.id;
  catchingUp = (async () => {
    for (let page = 0; page < 20; page++) {
      const q = "?limit=200" + (S.lastId ? "&after=" + encodeURIComponent(S.lastId) : "");
      const data = await request("GET", "/api/v1/conversations/" + id + "/messages" + q);
      const items = (data && data.items) || [];
      items.forEach(addMessage);
      if (items.length < 200) break;
    }
    updateConversation(await request("GET", "/api/v1/conversations/" + id));
    const reads = await request("GET", "/api/v1/conversations/" + id + "/reads");
    ((reads && reads.items) || [])
      .filter((r) => r.reader && r.reader.type !== "contact")
      .forEach((r) => showSeen(r.message_id));
    scheduleRead();
  })()
    .catch(() => {})
    .finally(() => {
      catchingUp = null;
    });
  return catchingUp;
}

// --- real time --------------------------------------------------------------------------

export function connect() {
  if (S.ws || S.stopped || !S.token || !S.conv) return;
  clearTimeout(S.wsTimer);
  const url = BASE.replace(/^http/, "ws") + "/api/v1/ws?token=" + encodeURIComponent(S.token);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    scheduleReconnect();
    return;
  }
  S.ws = ws;
  ws.onmessage = (ev) => {
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    onFrame(frame || {});
  };
  ws.onclose = (ev) => {
    if (S.ws === ws) S.ws = null;
    if (S.stopped) return;
    if (ev.code === 4401) {
      startSession().then(() => connect(), () => scheduleReconnect());
      return;
    }
    if (S.isOpen && S.conv) setStanding(L.reconnecting);
    scheduleReconnect();
  };
  ws.onerror = () => {};
}

function scheduleReconnect() {
  clearTimeout(S.wsTimer);
  const delay = Math.min(15000, 500 * Math.pow(2, S.wsRetry++)) + Math.random() * 300;
  S.wsTimer = setTimeout(connect, delay);
}

function onFrame(frame) {
  const data = isObject(frame.data) ? frame.data : {};
  switch (frame.type) {
    case "ready":
      S.wsRetry = 0;
      if (standing === L.reconnecting) setStanding("");
      catchUp();
      break;
    case "message.created":
      if (S.conv && data.conversation_id === S.conv.id) addMessage(data);
      break;
    case "typing":
      if (S.conv && data.conversation_id === S.conv.id && (data.sender || {}).type !== "contact") {
        showTyping((data.sender || {}).type);
      }
      break;
    case "conversation.read":
      if (S.conv && data.conversation_id === S.conv.id && (data.reader || {}).type !== "contact") {
        showSeen(data.message_id);
      }
      break;
    case "conversation.updated":
    case "conversation.assigned":
    case "conversation.created":
      if (S.conv && data.id === S.conv.id) updateConversation(data);
      break;
    default:
      break;
  }
}
