// relaydesk chat widget: the shell (Shadow DOM host, launcher, window, composer's elements),
// the notice line and the message list's scrolling.

import { L, settings } from "./config.js";
import { el, icon } from "./dom.js";
import { STYLES } from "./styles.js";

const host = document.createElement("div");
host.id = "relaydesk-widget";
const shadow = host.attachShadow({ mode: "open" });
const root = el("div", "rd-root");
// a constructed stylesheet is not an inline <style>: pages whose CSP has no
// style-src 'unsafe-inline' still show the widget as designed
if (typeof CSSStyleSheet === "function" && "adoptedStyleSheets" in shadow) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLES);
  shadow.adoptedStyleSheets = [sheet];
} else {
  const style = document.createElement("style");
  style.textContent = STYLES;
  shadow.appendChild(style);
}
shadow.appendChild(root);

const launcher = el("button", "rd-launcher");
launcher.type = "button";
launcher.setAttribute("aria-label", L.open);
launcher.appendChild(icon("chat"));
const badge = el("span", "rd-badge");
badge.hidden = true;
launcher.appendChild(badge);

const panel = el("div", "rd-panel");
panel.hidden = true;
panel.setAttribute("role", "dialog");
panel.setAttribute("aria-label", settings.title || L.title);
const header = el("div", "rd-header");
const heading = el("div", "rd-heading");
const title = el("div", "rd-title", settings.title || L.title);
const subtitle = el("div", "rd-subtitle", "");
heading.append(title, subtitle);
const humanBtn = el("button", "rd-human", L.human);
humanBtn.type = "button";
humanBtn.hidden = true;
const closeBtn = el("button", "rd-close", "×");
closeBtn.type = "button";
closeBtn.setAttribute("aria-label", L.close);
header.append(heading, humanBtn, closeBtn);
const notice = el("div", "rd-notice");
notice.hidden = true;
notice.setAttribute("role", "status");
const away = el("div", "rd-away"); // outside business hours: when people are back
away.hidden = true;
away.setAttribute("role", "status");
const list = el("div", "rd-messages");
list.setAttribute("aria-live", "polite");
const typingLine = el("div", "rd-typing", "");
const composer = el("form", "rd-composer");
const attachBtn = el("button", "rd-icon rd-attach");
attachBtn.type = "button";
attachBtn.title = L.attach;
attachBtn.setAttribute("aria-label", L.attach);
attachBtn.appendChild(icon("clip"));
const locationBtn = el("button", "rd-icon rd-share-location");
locationBtn.type = "button";
locationBtn.title = L.shareLocation;
locationBtn.setAttribute("aria-label", L.shareLocation);
locationBtn.appendChild(icon("pin"));
const input = el("textarea", "rd-input-text");
input.rows = 1;
input.placeholder = L.placeholder;
input.setAttribute("aria-label", L.placeholder);
const sendBtn = el("button", "rd-send", L.send);
sendBtn.type = "submit";
const fileInput = el("input", "rd-file-input");
fileInput.type = "file";
fileInput.hidden = true;
composer.append(attachBtn, locationBtn, input, sendBtn, fileInput);
panel.append(header, away, notice, list, typingLine, composer);
root.append(panel, launcher);

export function mount() {
  if (!host.isConnected) document.body.appendChild(host);
}

let noticeTimer = null;
export let standing = ""; // the conversation-state notice that errors temporarily replace

export function showNotice(text, isError) {
  clearTimeout(noticeTimer);
  notice.textContent = text || "";
  notice.classList.toggle("rd-error", !!isError);
  notice.hidden = !text;
  if (isError) noticeTimer = setTimeout(() => showNotice(standing, false), 6000);
}

export function setStanding(text) {
  standing = text || "";
  if (!notice.classList.contains("rd-error") || notice.hidden) showNotice(standing, false);
}

export function nearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

export function scrollDown(force) {
  if (force || nearBottom()) list.scrollTop = list.scrollHeight;
}

export {
  away,
  host,
  launcher,
  badge,
  panel,
  subtitle,
  humanBtn,
  closeBtn,
  list,
  typingLine,
  composer,
  attachBtn,
  locationBtn,
  input,
  sendBtn,
  fileInput,
};
