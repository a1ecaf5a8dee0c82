// relaydesk chat widget: what rich messages' buttons do (links, replies, submits).

import { el } from "./dom.js";
import { asList, isObject, safeUrl } from "./util.js";

// Replies go out through sendMessage (send.js), which itself renders messages with these
// templates: main.js hands it in, so that the modules import each other in one direction only.
export let sendMessage = null;

export function useSender(send) {
  sendMessage = send;
}

/** One shape for the many Kommunicate button/action spellings. */
export function normAction(item, md) {
  item = isObject(item) ? item : {};
  const action = isObject(item.action) ? item.action : {};
  const p = isObject(action.payload) ? action.payload : {};
  const type = String(item.type || action.type || "").toLowerCase().replace(/[_-]/g, "");
  const label = item.name || item.title || item.label || p.title || action.text || p.message || "";
  const url = item.url || action.url || p.url;
  if (type === "link" || (!type && url)) {
    return { kind: "link", label, url, newTab: item.openLinkInNewTab !== false && p.openLinkInNewTab !== false };
  }
  if (type === "submit") {
    return {
      kind: "submit",
      label,
      message: item.replyText || p.text || p.message || action.text || label,
      formData: item.formData || p.formData || (md && md.formData),
      formAction: item.formAction || p.formAction || (md && md.formAction),
      requestType: item.requestType || p.requestType || (md && md.requestType),
      replyMetadata: item.replyMetadata || p.replyMetadata,
    };
  }
  return {
    kind: "reply",
    label,
    message: item.message || p.message || action.text || item.text || label,
    replyMetadata: item.replyMetadata || p.replyMetadata || action.replyMetadata,
  };
}

export function postExternal(formAction, requestType, data) {
  const url = safeUrl(formAction, "url");
  if (!url || requestType === "postBackToBotPlatform") return;
  const json = String(requestType || "").toLowerCase() === "json";
  const init = json
    ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data || {}) }
    : { method: "POST", mode: "no-cors", body: new URLSearchParams(data || {}) };
  fetch(url, init).catch(() => {});
}

export function actionButton(act, solid) {
  const label = String(act.label || act.message || "").trim() || "…";
  if (act.kind === "link") {
    const href = safeUrl(act.url, "link");
    const a = el("a", "rd-btn rd-link-btn" + (solid ? " rd-solid" : ""), label + " ↗");
    if (href) a.href = href;
    if (act.newTab !== false) {
      a.target = "_blank";
    }
    a.rel = "noopener noreferrer";
    return a;
  }
  const b = el("button", "rd-btn " + (act.kind === "submit" ? "rd-submit-btn" : "rd-reply-btn") + (solid ? " rd-solid" : ""), label);
  b.type = "button";
  b.addEventListener("click", () => {
    if (act.kind === "submit") {
      postExternal(act.formAction, act.requestType, act.formData);
      const md = Object.assign({}, act.replyMetadata || {});
      if (act.formData) md.formData = act.formData;
      sendMessage({ text: String(act.message || label), metadata: md });
    } else {
      sendMessage({ text: String(act.message || label), metadata: act.replyMetadata });
    }
  });
  return b;
}

/** A template's own row of buttons (cards, lists) at the end of parent, when it has any. */
export function appendButtons(parent, items, cls, md) {
  const buttons = asList(items);
  if (buttons.length) {
    const bb = el("div", cls);
    for (const b of buttons) bb.appendChild(actionButton(normAction(b, md)));
    parent.appendChild(bb);
  }
}
