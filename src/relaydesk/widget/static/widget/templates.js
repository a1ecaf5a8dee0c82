// relaydesk chat widget: the rich message templates (Kommunicate's templateId and payload).

import { actionButton, appendButtons, normAction, sendMessage } from "./actions.js";
import { el } from "./dom.js";
import { renderForm } from "./form.js";
import { asList, isObject, safeUrl } from "./util.js";

function renderButtons(payload, md) {
  const box = el("div", "rd-rich rd-buttons");
  for (const item of asList(payload)) box.appendChild(actionButton(normAction(item, md)));
  return box;
}

function renderReplies(payload) {
  const box = el("div", "rd-rich rd-replies");
  for (const item of asList(payload)) {
    const act = normAction(Object.assign({ type: "quickReply" }, item));
    box.appendChild(actionButton(act));
  }
  return box;
}

function renderImages(payload) {
  const box = el("div", "rd-rich rd-images");
  for (const item of asList(payload)) {
    const src = safeUrl(item.url || item.imgSrc, "img");
    if (!src) continue;
    const fig = el("figure", "rd-figure");
    const a = el("a");
    a.href = src;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    const img = el("img");
    img.src = src;
    img.alt = String(item.caption || item.altText || "");
    a.appendChild(img);
    fig.appendChild(a);
    if (item.caption) fig.appendChild(el("figcaption", "", item.caption));
    box.appendChild(fig);
  }
  return box;
}

function renderCards(payload, md) {
  const box = el("div", "rd-rich rd-carousel");
  for (const card of asList(payload)) {
    const c = el("div", "rd-card");
    const hdr = isObject(card.header) ? card.header : {};
    const src = safeUrl(hdr.imgSrc || card.imgSrc, "img");
    if (src || hdr.overlayText) {
      const imgBox = el("div", "rd-card-img");
      if (src) {
        const img = el("img");
        img.src = src;
        img.alt = String(card.title || "");
        imgBox.appendChild(img);
      }
      if (hdr.overlayText) imgBox.appendChild(el("span", "rd-overlay", hdr.overlayText));
      c.appendChild(imgBox);
    }
    const body = el("div", "rd-card-body");
    const t = el("div", "rd-card-title");
    t.appendChild(el("span", "", card.title || ""));
    if (card.titleExt) t.appendChild(el("span", "rd-card-ext", card.titleExt));
    body.appendChild(t);
    if (card.subtitle) body.appendChild(el("div", "rd-card-sub", card.subtitle));
    if (card.description) body.appendChild(el("div", "rd-card-desc", card.description));
    c.appendChild(body);
    appendButtons(c, card.buttons, "rd-card-buttons", md);
    box.appendChild(c);
  }
  return box;
}

function renderList(payload, md) {
  const data = isObject(payload) ? payload : asList(payload)[0] || {};
  const box = el("div", "rd-rich");
  const card = el("div", "rd-list");
  const headSrc = safeUrl(data.headerImgSrc, "img");
  if (headSrc) {
    const h = el("div", "rd-list-header");
    const img = el("img");
    img.src = headSrc;
    img.alt = "";
    h.appendChild(img);
    card.appendChild(h);
  }
  if (data.headerText) card.appendChild(el("div", "rd-list-title", data.headerText));
  for (const item of asList(data.elements)) {
    const act = item.action ? normAction({ action: item.action, title: item.title }, md) : null;
    const row = el(act ? "button" : "div", "rd-list-item" + (act ? " rd-clickable" : ""));
    if (act) {
      row.type = "button";
      row.addEventListener("click", () => {
        if (act.kind === "link") {
          const href = safeUrl(act.url, "link");
          if (href) window.open(href, "_blank", "noopener");
        } else {
          sendMessage({ text: String(act.message || item.title || ""), metadata: act.replyMetadata });
        }
      });
    }
    const src = safeUrl(item.imgSrc, "img");
    if (src) {
      const img = el("img");
      img.src = src;
      img.alt = "";
      row.appendChild(img);
    }
    const text = el("div", "rd-list-text");
    text.appendChild(el("div", "rd-list-item-title", item.title || ""));
    if (item.description) text.appendChild(el("div", "rd-list-item-desc", item.description));
    row.appendChild(text);
    card.appendChild(row);
  }
  appendButtons(card, data.buttons, "rd-list-buttons", md);
  box.appendChild(card);
  return box;
}

function renderVideos(payload) {
  const box = el("div", "rd-rich rd-videos");
  for (const item of asList(payload)) {
    const url = safeUrl(item.url, "url");
    if (!url) continue;
    const fig = el("figure", "rd-figure");
    const yt = /^https:\/\/(www\.)?(youtube\.com|youtube-nocookie\.com)\/embed\/[\w-]+/.test(url);
    if (String(item.source || "").toLowerCase() === "youtube" && yt) {
      const frame = el("iframe");
      frame.src = url;
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation");
      frame.setAttribute("allow", "encrypted-media; picture-in-picture");
      frame.setAttribute("allowfullscreen", "");
      frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      frame.title = String(item.caption || "video");
      fig.appendChild(frame);
    } else if (String(item.source || "").toLowerCase() === "youtube") {
      const a = el("a", "rd-btn", (item.caption || "Watch the video") + " ↗");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      fig.appendChild(a);
    } else {
      const v = el("video");
      v.controls = true;
      v.preload = "metadata";
      v.src = url;
      fig.appendChild(v);
    }
    if (item.caption) fig.appendChild(el("figcaption", "", item.caption));
    box.appendChild(fig);
  }
  return box;
}

export function renderTemplate(md, message) {
  const id = String(md.templateId);
  const payload = md.payload;
  let node = null;
  if (id === "3" || id === "11" || id === "13") node = renderButtons(payload, md);
  else if (id === "6") node = renderReplies(payload);
  else if (id === "7") node = renderList(payload, md);
  else if (id === "9") node = renderImages(payload);
  else if (id === "10") node = renderCards(payload, md);
  else if (id === "12") node = renderForm(payload, md, message);
  else if (id === "14") node = renderVideos(payload);
  if (node) {
    node.classList.add("rd-t" + id);
    node.dataset.template = id;
  }
  return node;
}
