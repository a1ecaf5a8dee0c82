// relaydesk chat widget: open / close, the public API (window.relaydesk) and the start.
// Loaded by /widget.js; embedding and API: docs/widget.md

import { useSender } from "./actions.js";
import "./composer.js";
import { KEY, L, settings } from "./config.js";
import { begin, ensureConversation, ready } from "./conversation.js";
import { icon } from "./dom.js";
import { checkHours } from "./hours.js";
import { request } from "./http.js";
import { scheduleRead } from "./presence.js";
import { sendMessage } from "./send.js";
import { S } from "./state.js";
import { isObject, store } from "./util.js";
import { badge, closeBtn, host, input, launcher, mount, panel, scrollDown, showNotice } from "./view.js";

useSender(sendMessage); // the rich messages' buttons and forms answer through it

function open() {
  mount();
  S.isOpen = true;
  panel.hidden = false;
  launcher.setAttribute("aria-label", L.close);
  launcher.replaceChildren(icon("close"), badge);
  S.unread = 0;
  badge.hidden = true;
  scrollDown(true);
  scheduleRead();
  ensureConversation().catch((err) => showNotice((err && err.message) || L.failed, true));
  checkHours();
  setTimeout(() => input.focus(), 0);
}

function close() {
  S.isOpen = false;
  panel.hidden = true;
  launcher.setAttribute("aria-label", L.open);
  launcher.replaceChildren(icon("chat"), badge);
}

launcher.addEventListener("click", () => (S.isOpen ? close() : open()));
closeBtn.addEventListener("click", close);

async function patchContact(fields) {
  await ready;
  const contact = await request("PATCH", "/api/v1/contacts/" + S.contact.id, fields);
  S.contact = contact;
  return contact;
}

const api = {
  __relaydesk: true,
  open,
  close,
  toggle: () => (S.isOpen ? close() : open()),
  isOpen: () => S.isOpen,
  /** Change the visitor's name and/or email. */
  updateUser(fields) {
    fields = isObject(fields) ? fields : {};
    const body = {};
    for (const k of ["name", "email"]) if (fields[k] !== undefined) body[k] = fields[k];
    return patchContact(body);
  },
  /** Set the visitor's language (a BCP 47 tag); it is passed to the AI agent. */
  updateUserLanguage(tag) {
    return patchContact({ language: String(tag) });
  },
  /** Merge keys into the chat context sent with every message (metadata KM_CHAT_CONTEXT). */
  updateChatContext(ctx) {
    if (isObject(ctx)) {
      S.ctx = Object.assign({}, S.ctx, ctx);
      store.set(KEY + "context", JSON.stringify(S.ctx));
    }
    return Object.assign({}, S.ctx);
  },
  getChatContext: () => Object.assign({}, S.ctx),
  /** Send a text message as the visitor. */
  sendMessage(text, metadata) {
    return sendMessage({ text, metadata });
  },
  /** Forget the anonymous visitor on this device (a new visitor on the next page load). */
  logout() {
    S.stopped = true;
    if (S.ws) S.ws.close();
    store.remove(KEY + "visitor");
    store.remove(KEY + "context");
    host.remove();
  },
  get conversationId() {
    return S.conv ? S.conv.id : null;
  },
  get contact() {
    return S.contact ? Object.assign({}, S.contact) : null;
  },
};

function start() {
  mount();
  ready.then(
    () => {
      if (typeof settings.onInit === "function") {
        try {
          settings.onInit(api);
        } catch (e) {
          console.error("relaydesk onInit failed", e);
        }
      }
      if (settings.openOnLoad) open();
    },
    (err) => {
      console.error("relaydesk widget could not start:", err);
      showNotice((err && err.message) || String(err), true);
    }
  );
}

// loaded a second time (e.g. from another server's URL): the first widget stays
if (!(window.relaydesk && window.relaydesk.__relaydesk)) {
  document.addEventListener("visibilitychange", scheduleRead);
  window.relaydesk = api;
  begin();
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
}
