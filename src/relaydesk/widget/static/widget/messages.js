// relaydesk chat widget: one message as a row (text, HTML, attachments, location, template)
// and its place in the message list.

import { L } from "./config.js";
import { el, icon } from "./dom.js";
import { markFormSubmitted } from "./form.js";
import { renderRating } from "./rating.js";
import { hideTyping, scheduleRead, showSeen } from "./presence.js";
import { sanitizeHtml } from "./sanitize.js";
import { S } from "./state.js";
import { renderTemplate } from "./templates.js";
import { humanSize, isObject, safeUrl } from "./util.js";
import { badge, list, nearBottom, scrollDown } from "./view.js";

function renderAttachment(att) {
  const url = safeUrl(att.url, "url");
  if (!url) return null;
  const mime = String(att.mime_type || "");
  if (/^image\//.test(mime) && mime !== "image/svg+xml") {
    const a = el("a", "rd-attachment");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    const img = el("img", "rd-attachment-img");
    img.src = url;
    img.alt = String(att.name || "");
    a.appendChild(img);
    return a;
  }
  if (/^(video|audio)\//.test(mime)) {
    const media = el(mime[0] === "v" ? "video" : "audio", "rd-attachment-media");
    media.controls = true;
    media.preload = "metadata";
    media.src = url;
    const fig = el("figure", "rd-figure");
    fig.appendChild(media);
    fig.appendChild(el("figcaption", "", att.name || ""));
    return fig;
  }
  const a = el("a", "rd-file rd-attachment");
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.appendChild(icon("clip"));
  a.appendChild(el("span", "", (att.name || "file") + (att.size ? " (" + humanSize(att.size) + ")" : "")));
  return a;
}

function renderLocation(loc) {
  const lat = Number(loc.lat);
  const lon = Number(loc.lon);
  if (!isFinite(lat) || !isFinite(lon)) return null;
  const a = el("a", "rd-location");
  a.href = "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=16/" + lat + "/" + lon;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.appendChild(icon("pin"));
  a.appendChild(el("span", "", L.location + " (" + lat.toFixed(5) + ", " + lon.toFixed(5) + ")"));
  return a;
}

function senderClass(type) {
  return type === "contact" ? "rd-me" : type === "system" ? "rd-system" : "rd-them";
}

function renderMessage(m) {
  const md = isObject(m.metadata) ? m.metadata : {};
  const type = (m.sender && m.sender.type) || "system";
  const row = el("div", "rd-row " + senderClass(type));
  row.dataset.id = m.id || "";
  row.dataset.sender = type;
  let shown = false;
  if (m.text) {
    const html = md.messageType === "html" || String(md.contentType) === "3";
    const bubble = el("div", "rd-bubble" + (html && type !== "contact" ? " rd-html" : ""));
    if (html && type !== "contact") bubble.appendChild(sanitizeHtml(m.text));
    else bubble.textContent = m.text;
    bubble.title = m.created_at ? new Date(m.created_at).toLocaleString() : "";
    row.appendChild(bubble);
    shown = true;
  }
  for (const att of Array.isArray(m.attachments) ? m.attachments : []) {
    const node = isObject(att) ? renderAttachment(att) : null;
    if (node) {
      row.appendChild(node);
      shown = true;
    }
  }
  if (isObject(m.location)) {
    const node = renderLocation(m.location);
    if (node) {
      row.appendChild(node);
      shown = true;
    }
  }
  if (String(md.contentType) === "300" && md.templateId !== undefined && type !== "contact") {
    const node = renderTemplate(md, m);
    if (node) {
      row.appendChild(node);
      shown = true;
    }
  }
  if (type === "system" && md.type === "csat_request") {
    row.appendChild(renderRating());
    shown = true;
  }
  if (!shown) return null;
  return row;
}

export function addMessage(m) {
  if (!isObject(m) || !m.id || S.seen.has(m.id)) return;
  if (S.conv && m.conversation_id && m.conversation_id !== S.conv.id) return;
  S.seen.add(m.id);
  if (!S.lastId || m.id > S.lastId) S.lastId = m.id;
  if (m.client_message_id) {
    const pending = list.querySelector('[data-client-id="' + CSS.escape(m.client_message_id) + '"]');
    if (pending) pending.remove();
  }
  const md = isObject(m.metadata) ? m.metadata : {};
  if (m.sender && m.sender.type === "contact" && md.formMessageId) markFormSubmitted(String(md.formMessageId));
  const row = renderMessage(m);
  if (!row) return;
  const stick = nearBottom();
  // keep server order (ids sort by time) even when live and catch-up deliveries interleave
  let next = null;
  for (let r = list.lastElementChild; r; r = r.previousElementSibling) {
    if (r.dataset.clientId) {
      next = r;
      continue;
    }
    if (r.dataset.id && r.dataset.id > m.id) next = r;
    else break;
  }
  const type = row.dataset.sender;
  // who wrote it: the sender's name as it was when sent, else the generic label
  const who = (m.sender && m.sender.name) || (type === "ai_agent" ? L.bot : L.agent);
  row.dataset.who = who;
  const prev = next ? next.previousElementSibling : list.lastElementChild;
  const prevWho = prev && !prev.dataset.clientId ? prev.dataset.who : null;
  if (type !== "contact" && type !== "system" && prevWho !== who) {
    row.insertBefore(el("div", "rd-who", who), row.firstChild);
  }
  list.insertBefore(row, next);
  scrollDown(stick || (m.sender && m.sender.type === "contact"));
  if (m.sender && m.sender.type === "contact") showSeen(S.seenUpTo);
  if (m.sender && m.sender.type !== "contact") {
    scheduleRead();
    hideTyping();
    if (!S.isOpen) {
      S.unread += 1;
      badge.textContent = String(S.unread);
      badge.hidden = false;
    }
  }
}
