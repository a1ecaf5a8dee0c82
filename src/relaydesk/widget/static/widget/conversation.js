// relaydesk chat widget: the session at start, the visitor's conversation (resumed or created).

import { APP_ID } from "./config.js";
import { request, startSession } from "./http.js";
import { catchUp, connect } from "./realtime.js";
import { S } from "./state.js";
import { updateConversation } from "./status.js";

export let ready = null; // the session, then the visitor's conversation if there is one

/** Start the session (once, from main.js). */
export function begin() {
  ready = (async () => {
    if (!APP_ID) throw new Error("relaydesk: window.relaydeskSettings.appId is missing");
    await startSession();
    await findConversation();
  })();
  return ready;
}

async function findConversation() {
  const data = await request("GET", "/api/v1/conversations?limit=1");
  const items = (data && data.items) || [];
  if (items.length) setConversation(items[0]);
}

function setConversation(c) {
  S.conv = { id: c.id };
  updateConversation(c);
  connect();
  catchUp();
}

export function ensureConversation() {
  if (S.conv) return Promise.resolve(S.conv);
  if (!S.convPromise) {
    S.convPromise = ready
      .then(() => {
        if (S.conv) return S.conv;
        const body = {};
        if (Object.keys(S.ctx).length) body.metadata = { KM_CHAT_CONTEXT: S.ctx };
        return request("POST", "/api/v1/conversations", body).then((c) => {
          setConversation(c);
          return S.conv;
        });
      })
      .finally(() => {
        S.convPromise = null;
      });
  }
  return S.convPromise;
}
