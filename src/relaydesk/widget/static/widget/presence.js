// relaydesk chat widget: what each side has read and the agent's typing line.

import { L } from "./config.js";
import { el } from "./dom.js";
import { request } from "./http.js";
import { S } from "./state.js";
import { list, typingLine } from "./view.js";

// --- read receipts: the contact's own mark goes up; "Seen" shows how far an agent read

export function scheduleRead() {
  clearTimeout(S.readTimer);
  S.readTimer = setTimeout(sendRead, 400);
}

function sendRead() {
  if (!S.isOpen || !S.conv || !S.lastId || S.readSent === S.lastId) return;
  if (document.visibilityState === "hidden") return;
  const upTo = S.lastId;
  request("POST", "/api/v1/conversations/" + S.conv.id + "/read", { message_id: upTo })
    .then(() => {
      S.readSent = upTo;
    })
    .catch(() => {});
}

export function showSeen(messageId) {
  if (!messageId) return;
  if (!S.seenUpTo || messageId > S.seenUpTo) S.seenUpTo = messageId;
  const old = list.querySelector(".rd-seen");
  if (old) old.remove();
  for (let r = list.lastElementChild; r; r = r.previousElementSibling) {
    if (r.dataset.sender === "contact" && r.dataset.id && r.dataset.id <= S.seenUpTo) {
      r.appendChild(el("div", "rd-seen", L.seen));
      return;
    }
  }
}

export function showTyping(kind) {
  typingLine.textContent = L.typing.replace("{who}", kind === "ai_agent" ? L.bot : L.agent);
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(hideTyping, 6000);
}

export function hideTyping() {
  clearTimeout(S.typingTimer);
  typingLine.textContent = "";
}
