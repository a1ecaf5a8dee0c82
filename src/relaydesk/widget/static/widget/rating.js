// relaydesk chat widget: the satisfaction rating asked for when a conversation is resolved
// (a system message with metadata type "csat_request"): 1–5 stars and a comment.

import { L } from "./config.js";
import { el } from "./dom.js";
import { request } from "./http.js";
import { S } from "./state.js";
import { list } from "./view.js";

export function renderRating() {
  // only the latest request can be answered: it rates the latest resolution
  for (const older of list.querySelectorAll(".rd-rating")) older.remove();
  const box = el("form", "rd-rating");
  const stars = el("div", "rd-stars");
  stars.setAttribute("role", "radiogroup");
  let score = 0;
  const buttons = [1, 2, 3, 4, 5].map((n) => {
    const b = el("button", "rd-star", "★");
    b.type = "button";
    b.dataset.score = String(n);
    b.setAttribute("role", "radio");
    b.setAttribute("aria-label", L.rate.replace("{n}", String(n)));
    b.addEventListener("click", () => {
      score = n;
      buttons.forEach((o, i) => {
        o.classList.toggle("rd-on", i < n);
        o.setAttribute("aria-checked", String(i === n - 1));
      });
      send.disabled = false;
    });
    stars.appendChild(b);
    return b;
  });
  const comment = el("textarea", "rd-rating-comment");
  comment.placeholder = L.rateComment;
  comment.maxLength = 2000;
  comment.rows = 2;
  const send = el("button", "rd-rating-send", L.rateSend);
  send.type = "submit";
  send.disabled = true;
  box.append(stars, comment, send);
  box.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!score || !S.conv) return;
    send.disabled = true;
    const body = { score };
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      await request("POST", "/api/v1/conversations/" + encodeURIComponent(S.conv.id) + "/rating", body);
      box.replaceChildren(el("div", "rd-rated", L.rated));
    } catch (e) {
      send.disabled = false; // e.g. reopened meanwhile: the visitor may try again
      send.title = (e && e.message) || L.failed;
    }
  });
  return box;
}
