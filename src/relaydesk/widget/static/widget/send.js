// relaydesk chat widget: sending a message as the visitor (pending row, retry on failure).

import { L } from "./config.js";
import { ensureConversation } from "./conversation.js";
import { el } from "./dom.js";
import { request } from "./http.js";
import { addMessage } from "./messages.js";
import { S } from "./state.js";
import { isObject, randomId } from "./util.js";
import { list, scrollDown, showNotice } from "./view.js";

export function pendingRow(clientId, text) {
  const row = el("div", "rd-row rd-me rd-pending");
  row.dataset.clientId = clientId;
  row.appendChild(el("div", "rd-bubble", text));
  list.appendChild(row);
  scrollDown(true);
  return row;
}

export async function sendMessage(body) {
  body = body || {};
  const clientId = "w-" + randomId();
  const preview =
    body.text ||
    (body.attachments && body.attachments.length ? body.attachments[0].name : "") ||
    (body.location ? L.location : "");
  const row = preview ? pendingRow(clientId, preview) : null;
  try {
    await ensureConversation();
    const md = Object.assign({}, isObject(body.metadata) ? body.metadata : {});
    if (Object.keys(S.ctx).length) {
      md.KM_CHAT_CONTEXT = Object.assign({}, S.ctx, isObject(md.KM_CHAT_CONTEXT) ? md.KM_CHAT_CONTEXT : {});
    }
    const payload = { client_message_id: clientId };
    if (body.text) payload.text = String(body.text);
    if (Object.keys(md).length) payload.metadata = md;
    if (body.attachments) payload.attachments = body.attachments;
    if (body.location) payload.location = body.location;
    const message = await request("POST", "/api/v1/conversations/" + S.conv.id + "/messages", payload);
    addMessage(message);
    if (row && row.isConnected) row.remove();
    return message;
  } catch (err) {
    if (row) {
      row.classList.remove("rd-pending");
      row.classList.add("rd-failed");
      row.title = L.failed;
      row.addEventListener("click", () => {
        row.remove();
        sendMessage(body);
      }, { once: true });
    }
    showNotice(err && err.message ? err.message : L.failed, true);
    throw err;
  }
}
