// Rich messages (Kommunicate metadata: contentType "300", templateId, payload), rendered read-only.
// Everything from a message is untrusted: text goes through text nodes, links must be http(s).

import { h, safeImageUrl, safeUrl, str } from "./dom.js";

const TEMPLATE_NAMES = {
  3: "Buttons", 6: "Quick replies", 7: "List", 9: "Images", 10: "Cards",
  11: "Buttons", 12: "Form", 13: "Buttons",
};

function asList(payload) {
  if (Array.isArray(payload)) return payload;
  if (typeof payload === "string") {
    try { const parsed = JSON.parse(payload); return Array.isArray(parsed) ? parsed : [parsed]; } catch { return []; }
  }
  return payload && typeof payload === "object" ? [payload] : [];
}

function asObject(payload) {
  if (typeof payload === "string") { try { return JSON.parse(payload) || {}; } catch { return {}; } }
  return payload && typeof payload === "object" && !Array.isArray(payload) ? payload : {};
}

/** A link (if the URL is http/https) or an inert chip: what the contact can tap. */
function linkOrChip(label, url, hint) {
  const href = safeUrl(url);
  if (href) return h("a", { class: "rich-button link", href, target: "_blank", rel: "noopener noreferrer nofollow", title: `${href} (opens in a new tab)`, text: label || href });
  return h("span", { class: "rich-button", title: hint || "", text: label || "…" });
}

function button(item) {
  const label = str(item.name || item.title || item.label);
  const action = item.action && typeof item.action === "object" ? item.action : {};
  const type = str(item.type || action.type).toLowerCase();
  const payload = action.payload && typeof action.payload === "object" ? action.payload : {};
  const url = item.url || action.url || payload.url;
  if (type === "link" || (url && type !== "submit")) return linkOrChip(label, url);
  if (type === "submit") return h("span", { class: "rich-button submit", title: "Submit button (the contact sends a form)", text: label });
  const reply = str(item.message || payload.message || action.text || payload.title || label);
  return h("span", { class: "rich-button quick", title: reply && reply !== label ? `Sends: ${reply}` : "Quick reply", text: label || reply });
}

function buttons(items) {
  return h("div", { class: "rich-buttons", role: "group", "aria-label": "Buttons the contact sees" }, asList(items).map(button));
}

function image(src, alt, cls = "rich-image") {
  const url = safeImageUrl(src);
  if (!url) return null;
  return h("img", { class: cls, src: url, alt: alt || "", loading: "lazy", referrerpolicy: "no-referrer" });
}

function cards(payload) {
  const list = asList(payload);
  return h("div", { class: list.length > 1 ? "rich-carousel" : "rich-cards", role: list.length > 1 ? "list" : null, "aria-label": list.length > 1 ? `Carousel of ${list.length} cards` : null },
    list.map((card) => {
      const c = asObject(card);
      const header = asObject(c.header);
      return h("article", { class: "rich-card", role: list.length > 1 ? "listitem" : null },
        image(header.imgSrc, str(c.title)),
        header.overlayText ? h("p", { class: "overlay", text: str(header.overlayText) }) : null,
        c.title ? h("h4", { text: str(c.title) }) : null,
        c.titleExt ? h("p", { class: "muted", text: str(c.titleExt) }) : null,
        c.subtitle ? h("p", { text: str(c.subtitle) }) : null,
        c.description ? h("p", { class: "muted", text: str(c.description) }) : null,
        Array.isArray(c.buttons) && c.buttons.length ? buttons(c.buttons) : null);
    }));
}

function listTemplate(payload) {
  const p = asObject(Array.isArray(payload) ? payload[0] : payload);
  const elements = Array.isArray(p.elements) ? p.elements : [];
  return h("div", { class: "rich-list" },
    image(p.headerImgSrc, "", "rich-list-header-img"),
    p.headerText ? h("h4", { text: str(p.headerText) }) : null,
    h("ul", {}, elements.map((el) => {
      const e = asObject(el);
      const action = asObject(e.action);
      const body = [image(e.imgSrc, ""), h("span", { class: "rich-list-text" },
        h("strong", { text: str(e.title) }),
        e.description ? h("span", { class: "muted", text: str(e.description) }) : null)];
      const href = action.type === "link" || action.url ? safeUrl(action.url) : null;
      return h("li", {}, href ? h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, body) : body);
    })),
    Array.isArray(p.buttons) && p.buttons.length ? buttons(p.buttons) : null);
}

function images(payload) {
  return h("div", { class: "rich-images" }, asList(payload).map((item) => {
    const it = asObject(item);
    return h("figure", {}, image(it.url, str(it.caption) || "Image"), it.caption ? h("figcaption", { text: str(it.caption) }) : null);
  }));
}

function formField(field, index) {
  const f = asObject(field);
  const type = str(f.type).toLowerCase();
  const data = asObject(f.data);
  const id = `rf-${Math.random().toString(36).slice(2)}-${index}`;
  const label = str(data.label || data.title || data.name || f.label || type);
  if (type === "hidden") return null;
  if (type === "submit") return h("span", { class: "rich-button submit", text: str(data.name || f.name || data.label || "Submit") });
  if (type === "radio" || type === "checkbox") {
    const options = Array.isArray(data.options) ? data.options : [];
    return h("fieldset", { class: "rich-choice", disabled: true }, h("legend", { text: label }),
      options.map((o, i) => {
        const opt = asObject(o);
        const oid = `${id}-${i}`;
        return h("div", { class: "choice" },
          h("input", { id: oid, type, disabled: true, checked: Boolean(opt.selected) }),
          h("label", { for: oid, text: str(opt.label || opt.value) }));
      }));
  }
  if (type === "dropdown" || type === "select") {
    const options = Array.isArray(data.options) ? data.options : [];
    return h("div", { class: "field compact" }, h("label", { for: id, text: label }),
      h("select", { id, disabled: true }, options.map((o) => h("option", { text: str(asObject(o).label || asObject(o).value) }))));
  }
  if (type === "textarea") {
    return h("div", { class: "field compact" }, h("label", { for: id, text: label }),
      h("textarea", { id, disabled: true, rows: 2, placeholder: str(data.placeholder) }));
  }
  const inputType = ["text", "password", "email", "number", "date", "time", "datetime-local", "tel"].includes(type) ? type : "text";
  return h("div", { class: "field compact" }, h("label", { for: id, text: label }),
    h("input", { id, type: inputType, disabled: true, placeholder: str(data.placeholder) }));
}

function form(payload) {
  return h("div", { class: "rich-form", role: "group", "aria-label": "Form the contact fills in (read-only here)" },
    asList(payload).map(formField));
}

function richBlock(meta) {
  const id = String(meta.templateId);
  const payload = meta.payload;
  switch (id) {
    case "3": case "6": case "11": case "13": return buttons(payload);
    case "7": return listTemplate(payload);
    case "9": return images(payload);
    case "10": return cards(payload);
    case "12": return form(payload);
    default: return h("p", { class: "muted small", text: `Rich message (template ${id}) — not shown here.` });
  }
}

export function isRich(meta) {
  return Boolean(meta && typeof meta === "object" && String(meta.contentType) === "300" && meta.templateId !== undefined);
}

/** "512 bytes", "12 KB", "3.4 MB" (empty for a missing or odd size). */
export function fileSize(size) {
  const n = Number(size);
  if (!Number.isFinite(n) || n <= 0) return "";
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.ceil(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The content of one message: text, rich block, attachments, location. */
export function messageBody(message) {
  const meta = message.metadata && typeof message.metadata === "object" ? message.metadata : {};
  const parts = [];
  if (message.text) parts.push(h("p", { class: "msg-text", text: message.text }));
  if (isRich(meta)) {
    parts.push(h("div", { class: "rich", dataset: { template: String(meta.templateId) } },
      h("span", { class: "rich-kind", text: TEMPLATE_NAMES[meta.templateId] || "Rich message" }),
      richBlock(meta)));
  }
  const handoff = ["KM_ASSIGN_TO", "KM_ASSIGN_TEAM"].filter((k) => k in meta);
  if (handoff.length) parts.push(h("p", { class: "msg-note", text: "Handoff request: " + handoff.map((k) => `${k} = ${str(meta[k]) || "(the human rules)"}`).join(", ") }));
  if (meta.actionRequest === "resolveConversation") parts.push(h("p", { class: "msg-note", text: "Asked to resolve the conversation" }));
  for (const att of Array.isArray(message.attachments) ? message.attachments : []) {
    const a = asObject(att);
    const href = safeUrl(a.url);
    const isImage = /^image\/(png|jpeg|gif|webp|bmp|avif)$/.test(str(a.mime_type)); // never SVG
    parts.push(h("div", { class: "attachment" },
      isImage && href ? image(a.url, str(a.name) || "Image attachment") : null,
      href ? h("a", { href, target: "_blank", rel: "noopener noreferrer", text: `📎 ${str(a.name) || "attachment"}` }) : h("span", { text: `📎 ${str(a.name) || "attachment"}` }),
      fileSize(a.size) ? h("span", { class: "attachment-size muted small", text: ` ${fileSize(a.size)}` }) : null));
  }
  const loc = message.location;
  if (loc && typeof loc === "object" && Number.isFinite(Number(loc.lat)) && Number.isFinite(Number(loc.lon))) {
    const lat = Number(loc.lat), lon = Number(loc.lon);
    parts.push(h("p", { class: "attachment" }, h("a", {
      href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`,
      target: "_blank", rel: "noopener noreferrer", text: `📍 Location ${lat.toFixed(5)}, ${lon.toFixed(5)}`,
    })));
  }
  if (!parts.length) parts.push(h("p", { class: "muted small", text: "(no content)" }));
  return parts;
}
