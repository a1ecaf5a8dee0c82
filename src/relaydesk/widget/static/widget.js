/*! relaydesk chat widget — one dependency-free script. Embedding and API: docs/widget.md */
(function () {
  "use strict";
  if (window.relaydesk && window.relaydesk.__relaydesk) return;

  const settings = window.relaydeskSettings || {};
  const script =
    document.currentScript ||
    Array.prototype.slice
      .call(document.getElementsByTagName("script"))
      .filter((s) => /\/widget\.js(\?|$)/.test(s.src || ""))
      .pop();
  const BASE = String(
    settings.serverUrl ||
      (script && script.src ? script.src.replace(/\/widget\.js(\?.*)?$/, "") : location.origin)
  ).replace(/\/+$/, "");
  const APP_ID = String(settings.appId || "");
  const L = Object.assign(
    {
      title: "Chat with us",
      placeholder: "Write a message…",
      send: "Send",
      human: "Talk to a human",
      bot: "AI assistant",
      agent: "Agent",
      waiting: "Waiting for an agent…",
      queue: "Waiting for an agent — you are number {n} in the queue.",
      resolved: "This conversation is resolved. Write to start again.",
      typing: "{who} is typing…",
      seen: "Seen",
      reconnecting: "Reconnecting…",
      uploading: "Uploading {name}…",
      tooLarge: "That file is too large.",
      badType: "That type of file is not accepted.",
      noLocation: "Your location is not available.",
      location: "Shared location",
      submitted: "Submitted",
      required: "This field is required.",
      invalid: "Please check this value.",
      failed: "Not sent. Tap to retry.",
      attach: "Attach a file",
      shareLocation: "Share your location",
      close: "Close",
      open: "Open chat",
    },
    settings.labels || {}
  );

  // --- small helpers ----------------------------------------------------------------------

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function randomId() {
    const bytes = new Uint8Array(12);
    (window.crypto || {}).getRandomValues
      ? window.crypto.getRandomValues(bytes)
      : bytes.forEach((_, i) => (bytes[i] = Math.floor(Math.random() * 256)));
    return Array.prototype.map.call(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const memoryStore = {};
  const store = {
    get(key) {
      try {
        return window.localStorage.getItem(key);
      } catch (e) {
        return memoryStore[key] || null;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch (e) {
        memoryStore[key] = value;
      }
    },
    remove(key) {
      try {
        window.localStorage.removeItem(key);
      } catch (e) {
        delete memoryStore[key];
      }
    },
  };
  const KEY = "relaydesk:" + APP_ID + ":";

  /** An absolute URL if it uses an allowed scheme, else null. */
  function safeUrl(value, kind) {
    if (value === undefined || value === null || value === "") return null;
    const raw = String(value).trim();
    if (kind === "img" && /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]+$/i.test(raw)) {
      return raw;
    }
    let url;
    try {
      url = new URL(raw, location.href);
    } catch (e) {
      return null;
    }
    const allowed =
      kind === "link" ? ["http:", "https:", "mailto:", "tel:"] : ["http:", "https:"];
    return allowed.indexOf(url.protocol) >= 0 ? url.href : null;
  }

  function isObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }

  function asList(v) {
    if (Array.isArray(v)) return v;
    if (typeof v === "string") {
      try {
        const parsed = JSON.parse(v);
        return Array.isArray(parsed) ? parsed : isObject(parsed) ? [parsed] : [];
      } catch (e) {
        return [];
      }
    }
    return isObject(v) ? [v] : [];
  }

  function humanSize(n) {
    if (!(n >= 0)) return "";
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  // --- the HTML sanitizer (allow-list; builds fresh nodes, never re-parses strings) ---------

  const KEEP = new Set(
    ("a abbr b blockquote br caption code dd del div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins " +
      "kbd li mark ol p pre q s small span strong sub sup table tbody td tfoot th thead tr u ul")
      .split(" ")
  );
  const DROP = new Set(
    ("script style iframe frame frameset object embed applet noscript noembed template svg math " +
      "link meta base form input button textarea select option title head audio video source " +
      "track canvas portal dialog xmp plaintext")
      .split(" ")
  );
  const ATTRS = {
    a: ["href", "title"],
    img: ["src", "alt", "title", "width", "height"],
    td: ["colspan", "rowspan"],
    th: ["colspan", "rowspan", "scope"],
    ol: ["start"],
  };

  function sanitizeHtml(html) {
    const doc = new DOMParser().parseFromString(String(html), "text/html");
    const out = document.createDocumentFragment();
    copyChildren(doc.body, out, 0);
    return out;
  }

  function copyChildren(src, dst, depth) {
    if (depth > 32) return;
    for (let child = src.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 3) {
        dst.appendChild(document.createTextNode(child.nodeValue));
        continue;
      }
      if (child.nodeType !== 1) continue; // comments, processing instructions
      const tag = child.nodeName.toLowerCase();
      if (DROP.has(tag)) continue;
      if (!KEEP.has(tag)) {
        copyChildren(child, dst, depth + 1); // unknown wrapper: keep its text
        continue;
      }
      const node = document.createElement(tag);
      for (const name of ATTRS[tag] || []) {
        const value = child.getAttribute(name);
        if (value === null) continue;
        if (name === "href" || name === "src") {
          const url = safeUrl(value, name === "src" ? "img" : "link");
          if (url) node.setAttribute(name, url);
        } else if (/^(width|height|colspan|rowspan|start)$/.test(name)) {
          if (/^\d{1,4}$/.test(value)) node.setAttribute(name, value);
        } else {
          node.setAttribute(name, value.slice(0, 500));
        }
      }
      if (tag === "a") {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
      if (tag === "img") node.setAttribute("loading", "lazy");
      copyChildren(child, node, depth + 1);
      dst.appendChild(node);
    }
  }

  // --- state ------------------------------------------------------------------------------

  const S = {
    token: null,
    contact: null,
    conv: null,
    convPromise: null,
    seen: new Set(),
    lastId: null,
    isOpen: false,
    ws: null,
    wsRetry: 0,
    wsTimer: null,
    stopped: false,
    ctx: {},
    unread: 0,
    seenUpTo: null, // the newest message id an agent has read
    readSent: null, // the newest message id this visitor's read mark covers
    readTimer: null,
    lastTypingSent: 0,
    typingTimer: null,
    queueTimer: null,
    forms: {},
    submittedForms: new Set(),
  };
  try {
    S.ctx = JSON.parse(store.get(KEY + "context") || "{}") || {};
  } catch (e) {
    S.ctx = {};
  }

  // --- HTTP -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || "HTTP " + status);
      this.status = status;
      this.code = err.code || "http_" + status;
    }
  }

  async function request(method, path, body, retried) {
    const headers = {};
    if (S.token) headers.Authorization = "Bearer " + S.token;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(BASE + path, { method, headers, body: payload });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (response.status === 401 && !retried && path !== "/api/v1/widget/session") {
      await startSession(); // the token expired: a new one, then once more
      return request(method, path, body, true);
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function visitorId() {
    const user = settings.user || {};
    if (user.externalId || user.userId) return String(user.externalId || user.userId);
    let id = store.get(KEY + "visitor");
    if (!id) {
      id = "visitor-" + randomId();
      store.set(KEY + "visitor", id);
    }
    return id;
  }

  async function startSession() {
    const user = settings.user || {};
    const body = { app_id: APP_ID, external_id: visitorId() };
    if (user.name) body.name = String(user.name);
    if (user.email) body.email = String(user.email);
    if (user.language || settings.language) body.language = String(user.language || settings.language);
    if (user.userHash) body.user_hash = String(user.userHash);
    S.token = null;
    const data = await request("POST", "/api/v1/widget/session", body);
    S.token = data.token;
    S.contact = data.contact;
    return data;
  }

  // --- UI ---------------------------------------------------------------------------------

  const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
.rd-root { --rd-primary: ${/^#[0-9a-f]{3,8}$/i.test(settings.primaryColor || "") ? settings.primaryColor : "#4f46e5"};
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1f2937; letter-spacing: normal; }
button, input, textarea, select { font: inherit; color: inherit; letter-spacing: normal; }
.rd-launcher { position: fixed; right: 20px; bottom: 20px; width: 58px; height: 58px; border-radius: 50%;
  border: 0; background: var(--rd-primary); color: #fff; cursor: pointer; z-index: 2147483000;
  box-shadow: 0 6px 20px rgba(0,0,0,.22); display: flex; align-items: center; justify-content: center; }
.rd-launcher svg { width: 28px; height: 28px; fill: currentColor; }
.rd-badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; border-radius: 10px;
  background: #ef4444; color: #fff; font-size: 12px; line-height: 20px; text-align: center; padding: 0 5px; }
.rd-badge[hidden] { display: none; }
.rd-panel { position: fixed; right: 20px; bottom: 92px; width: 380px; height: min(640px, calc(100vh - 112px));
  background: #fff; border-radius: 16px; box-shadow: 0 12px 40px rgba(0,0,0,.25); z-index: 2147483000;
  display: flex; flex-direction: column; overflow: hidden; }
.rd-panel[hidden] { display: none; }
@media (max-width: 480px) { .rd-panel { right: 0; bottom: 0; width: 100vw; height: 100vh; border-radius: 0; } }
.rd-header { background: var(--rd-primary); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 8px; }
.rd-heading { flex: 1; min-width: 0; }
.rd-title { font-weight: 600; font-size: 15px; }
.rd-subtitle { font-size: 12px; opacity: .85; }
.rd-human { background: rgba(255,255,255,.18); color: #fff; border: 1px solid rgba(255,255,255,.5);
  border-radius: 999px; padding: 4px 10px; cursor: pointer; font-size: 12px; white-space: nowrap; }
.rd-human[hidden] { display: none; }
.rd-close { background: transparent; border: 0; color: #fff; font-size: 22px; cursor: pointer; line-height: 1; padding: 0 4px; }
.rd-notice { background: #fef3c7; color: #92400e; font-size: 12.5px; padding: 7px 14px; }
.rd-notice.rd-error { background: #fee2e2; color: #991b1b; }
.rd-notice[hidden] { display: none; }
.rd-messages { flex: 1; overflow-y: auto; padding: 14px; background: #f8fafc; display: flex; flex-direction: column; gap: 6px; }
.rd-row { display: flex; flex-direction: column; max-width: 100%; }
.rd-row.rd-me { align-items: flex-end; }
.rd-row.rd-them { align-items: flex-start; }
.rd-row.rd-system { align-items: center; }
.rd-who { font-size: 11px; color: #6b7280; margin: 6px 4px 2px; }
.rd-bubble { max-width: 82%; padding: 8px 12px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere; }
.rd-me .rd-bubble { background: var(--rd-primary); color: #fff; border-bottom-right-radius: 4px; }
.rd-them .rd-bubble { background: #fff; border: 1px solid #e5e7eb; border-bottom-left-radius: 4px; }
.rd-system .rd-bubble { background: #eef2ff; color: #3730a3; font-size: 13px; text-align: center; max-width: 92%; }
.rd-bubble.rd-html { white-space: normal; }
.rd-bubble.rd-html > :first-child { margin-top: 0; }
.rd-bubble.rd-html > :last-child { margin-bottom: 0; }
.rd-bubble.rd-html img { max-width: 100%; height: auto; }
.rd-bubble.rd-html table { border-collapse: collapse; }
.rd-bubble.rd-html td, .rd-bubble.rd-html th { border: 1px solid #e5e7eb; padding: 2px 6px; }
.rd-me .rd-bubble a { color: #fff; }
.rd-pending { opacity: .6; }
.rd-failed .rd-bubble { background: #fecaca; color: #7f1d1d; cursor: pointer; }
.rd-rich { margin-top: 4px; max-width: 92%; display: flex; flex-wrap: wrap; gap: 6px; }
.rd-btn { display: inline-flex; align-items: center; gap: 4px; border: 1px solid var(--rd-primary); color: var(--rd-primary);
  background: #fff; border-radius: 999px; padding: 5px 12px; cursor: pointer; text-decoration: none; font-size: 13px; }
.rd-btn:hover { background: var(--rd-primary); color: #fff; }
.rd-btn.rd-solid { background: var(--rd-primary); color: #fff; }
.rd-btn[disabled] { opacity: .5; cursor: default; }
.rd-carousel { display: flex; gap: 10px; overflow-x: auto; max-width: 100%; padding-bottom: 6px; scroll-snap-type: x mandatory; flex-wrap: nowrap; }
.rd-card { flex: 0 0 230px; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden; scroll-snap-align: start; display: flex; flex-direction: column; }
.rd-card-img { position: relative; height: 130px; background: #e5e7eb; }
.rd-card-img img { width: 100%; height: 100%; object-fit: cover; display: block; }
.rd-overlay { position: absolute; left: 8px; bottom: 8px; background: rgba(0,0,0,.65); color: #fff; border-radius: 6px; padding: 2px 8px; font-size: 12px; }
.rd-card-body { padding: 10px 12px; flex: 1; }
.rd-card-title { font-weight: 600; display: flex; justify-content: space-between; gap: 6px; }
.rd-card-sub { color: #4b5563; font-size: 13px; }
.rd-card-desc { color: #6b7280; font-size: 12.5px; margin-top: 4px; }
.rd-card-buttons { display: flex; flex-direction: column; border-top: 1px solid #e5e7eb; }
.rd-card-buttons .rd-btn { border: 0; border-radius: 0; justify-content: center; padding: 8px; }
.rd-card-buttons .rd-btn + .rd-btn { border-top: 1px solid #e5e7eb; }
.rd-list { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden; width: 290px; }
.rd-list-header img { width: 100%; height: 110px; object-fit: cover; display: block; }
.rd-list-title { font-weight: 600; padding: 8px 12px; border-bottom: 1px solid #e5e7eb; }
.rd-list-item { display: flex; gap: 10px; padding: 8px 12px; border-bottom: 1px solid #f1f5f9; cursor: default; text-align: left; width: 100%; background: #fff; border-left: 0; border-right: 0; border-top: 0; }
.rd-list-item.rd-clickable { cursor: pointer; }
.rd-list-item.rd-clickable:hover { background: #f8fafc; }
.rd-list-item img { width: 44px; height: 44px; border-radius: 8px; object-fit: cover; flex: none; }
.rd-list-text { min-width: 0; }
.rd-list-item-title { font-weight: 600; font-size: 13.5px; }
.rd-list-item-desc { color: #6b7280; font-size: 12.5px; }
.rd-list-buttons { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 12px; }
.rd-figure { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden; max-width: 260px; }
.rd-figure img, .rd-figure video { display: block; width: 100%; max-height: 240px; object-fit: cover; background: #111; }
.rd-figure iframe { display: block; width: 260px; height: 150px; border: 0; }
.rd-figure figcaption { padding: 6px 10px; font-size: 12.5px; color: #4b5563; }
.rd-form { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 12px; width: 290px; display: flex; flex-direction: column; gap: 8px; }
.rd-form fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.rd-field { display: flex; flex-direction: column; gap: 3px; }
.rd-label { font-size: 12.5px; font-weight: 600; color: #374151; }
.rd-input { border: 1px solid #d1d5db; border-radius: 8px; padding: 6px 8px; background: #fff; width: 100%; }
.rd-input:focus { outline: 2px solid var(--rd-primary); outline-offset: -1px; }
.rd-option { display: flex; align-items: center; gap: 6px; font-size: 13px; }
.rd-field-error { color: #b91c1c; font-size: 12px; }
.rd-field-error:empty { display: none; }
.rd-invalid .rd-input { border-color: #dc2626; }
.rd-file { display: inline-flex; gap: 6px; align-items: center; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 8px 12px; color: #1f2937; text-decoration: none; max-width: 82%; }
.rd-attachment-img { max-width: 220px; max-height: 220px; border-radius: 12px; display: block; border: 1px solid #e5e7eb; }
.rd-location { display: inline-flex; gap: 6px; align-items: center; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 8px 12px; color: #1f2937; text-decoration: none; }
.rd-seen { font-size: 11px; color: #6b7280; text-align: right; margin-top: 2px; }
.rd-typing { font-size: 12px; color: #6b7280; padding: 0 16px 4px; background: #f8fafc; min-height: 18px; }
.rd-composer { display: flex; align-items: flex-end; gap: 6px; border-top: 1px solid #e5e7eb; padding: 8px; background: #fff; }
.rd-icon { background: transparent; border: 0; cursor: pointer; padding: 6px; border-radius: 8px; color: #6b7280; line-height: 0; }
.rd-icon:hover { background: #f3f4f6; }
.rd-icon svg { width: 20px; height: 20px; fill: currentColor; }
.rd-input-text { flex: 1; resize: none; border: 1px solid #e5e7eb; border-radius: 12px; padding: 8px 10px; max-height: 120px; min-height: 38px; outline: none; }
.rd-input-text:focus { border-color: var(--rd-primary); }
.rd-send { background: var(--rd-primary); color: #fff; border: 0; border-radius: 12px; padding: 8px 14px; cursor: pointer; font-weight: 600; }
`;

  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
    close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z",
    clip: "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z",
    pin: "M12 2a7 7 0 0 0-7 7c0 5.25 7 13 7 13s7-7.75 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z",
  };

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  const host = document.createElement("div");
  host.id = "relaydesk-widget";
  const shadow = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = STYLES;
  const root = el("div", "rd-root");
  shadow.appendChild(style);
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
  panel.append(header, notice, list, typingLine, composer);
  root.append(panel, launcher);

  function mount() {
    if (!host.isConnected) document.body.appendChild(host);
  }

  let noticeTimer = null;
  let standing = ""; // the conversation-state notice that errors temporarily replace

  function showNotice(text, isError) {
    clearTimeout(noticeTimer);
    notice.textContent = text || "";
    notice.classList.toggle("rd-error", !!isError);
    notice.hidden = !text;
    if (isError) noticeTimer = setTimeout(() => showNotice(standing, false), 6000);
  }

  function setStanding(text) {
    standing = text || "";
    if (!notice.classList.contains("rd-error") || notice.hidden) showNotice(standing, false);
  }

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function scrollDown(force) {
    if (force || nearBottom()) list.scrollTop = list.scrollHeight;
  }

  // --- rich messages ----------------------------------------------------------------------

  /** One shape for the many Kommunicate button/action spellings. */
  function normAction(item, md) {
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

  function postExternal(formAction, requestType, data) {
    const url = safeUrl(formAction, "url");
    if (!url || requestType === "postBackToBotPlatform") return;
    const json = String(requestType || "").toLowerCase() === "json";
    const init = json
      ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data || {}) }
      : { method: "POST", mode: "no-cors", body: new URLSearchParams(data || {}) };
    fetch(url, init).catch(() => {});
  }

  function actionButton(act, solid) {
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
  function appendButtons(parent, items, cls, md) {
    const buttons = asList(items);
    if (buttons.length) {
      const bb = el("div", cls);
      for (const b of buttons) bb.appendChild(actionButton(normAction(b, md)));
      parent.appendChild(bb);
    }
  }

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

  const INPUT_TYPES = ["text", "password", "email", "number", "tel", "url", "date", "time", "datetime-local"];

  function renderForm(payload, md, message) {
    const box = el("div", "rd-rich");
    const form = el("form", "rd-form");
    form.noValidate = true;
    const fieldset = el("fieldset");
    form.appendChild(fieldset);
    const fields = [];
    let submit = null;
    asList(payload).forEach((item, i) => {
      const type = String(item.type || "text").toLowerCase();
      const d = isObject(item.data) ? item.data : item;
      if (type === "submit") {
        submit = d;
        return;
      }
      const name = String(d.name || d.label || d.title || "field" + i);
      if (type === "hidden") {
        fields.push({ name, type, value: () => (d.value === undefined ? "" : d.value) });
        return;
      }
      const wrap = el("div", "rd-field");
      const id = "rd-" + randomId();
      const label = el("label", "rd-label", d.label || d.title || name);
      wrap.appendChild(label);
      const error = el("div", "rd-field-error", "");
      const validation = isObject(d.validation) ? d.validation : {};
      const field = { name, type, wrap, error, validation, required: !!(d.required || validation.required) };
      if (type === "radio" || type === "checkbox") {
        const group = el("div", "rd-options");
        const options = asList(d.options).map((o) => {
          const row = el("label", "rd-option");
          const box = el("input");
          box.type = type;
          box.name = id;
          box.value = o.value === undefined ? o.label : o.value;
          if (o.selected) box.checked = true;
          row.append(box, document.createTextNode(String(o.label === undefined ? o.value : o.label)));
          group.appendChild(row);
          return box;
        });
        wrap.appendChild(group);
        field.value = () =>
          type === "radio"
            ? (options.find((o) => o.checked) || { value: "" }).value
            : options.filter((o) => o.checked).map((o) => o.value);
      } else {
        let control;
        if (type === "dropdown" || type === "select") {
          control = el("select", "rd-input");
          for (const o of asList(d.options)) {
            const opt = el("option", "", o.label === undefined ? o.value : o.label);
            opt.value = o.value === undefined ? "" : String(o.value);
            if (o.selected) opt.selected = true;
            if (o.disabled) opt.disabled = true;
            control.appendChild(opt);
          }
        } else if (type === "textarea") {
          control = el("textarea", "rd-input");
          control.rows = 3;
        } else {
          control = el("input", "rd-input");
          control.type = INPUT_TYPES.indexOf(type) >= 0 ? type : "text";
        }
        control.id = id;
        control.name = name;
        if (d.placeholder) control.placeholder = String(d.placeholder);
        if (d.value !== undefined && control.tagName !== "SELECT") control.value = String(d.value);
        label.htmlFor = id;
        wrap.appendChild(control);
        field.control = control;
        field.value = () => control.value;
        control.addEventListener("input", () => {
          error.textContent = "";
          wrap.classList.remove("rd-invalid");
        });
      }
      wrap.appendChild(error);
      fieldset.appendChild(wrap);
      fields.push(field);
    });
    const submitData = submit || {};
    const action = isObject(submitData.action) ? submitData.action : {};
    const button = el("button", "rd-btn rd-solid rd-form-submit", submitData.name || submitData.label || "Submit");
    button.type = "submit";
    fieldset.appendChild(button);

    function validate(field) {
      if (!field.wrap) return true;
      const value = field.value();
      const empty = Array.isArray(value) ? value.length === 0 : String(value).trim() === "";
      let problem = "";
      if (empty && (field.required || ((field.type === "dropdown" || field.type === "select") && field.validation.errorText))) {
        problem = field.validation.errorText || L.required;
      } else if (!empty && field.validation.regex) {
        let re = null;
        try {
          re = new RegExp(field.validation.regex);
        } catch (e) {
          re = null;
        }
        if (re && !re.test(String(value))) problem = field.validation.errorText || L.invalid;
      } else if (!empty && field.control && field.control.type === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value))) {
        problem = field.validation.errorText || L.invalid;
      } else if (!empty && field.control && !field.control.checkValidity()) {
        problem = field.validation.errorText || L.invalid;
      }
      field.error.textContent = problem;
      field.wrap.classList.toggle("rd-invalid", !!problem);
      return !problem;
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (form.classList.contains("rd-submitted")) return;
      const ok = fields.map(validate).every(Boolean);
      if (!ok) return;
      const data = {};
      const lines = [];
      for (const f of fields) {
        data[f.name] = f.value();
        if (f.wrap && f.type !== "password") {
          const v = Array.isArray(data[f.name]) ? data[f.name].join(", ") : data[f.name];
          if (String(v) !== "") lines.push(f.name + ": " + v);
        }
      }
      postExternal(action.formAction, action.requestType, data);
      const text = action.message || submitData.message || lines.join("\n") || L.submitted;
      markFormSubmitted(message.id);
      sendMessage({ text: String(text), metadata: { formData: data, formMessageId: message.id } });
    });
    box.appendChild(form);
    S.forms[message.id] = { form, fieldset, button };
    if (S.submittedForms.has(message.id)) markFormSubmitted(message.id);
    return box;
  }

  function markFormSubmitted(id) {
    S.submittedForms.add(id);
    const f = S.forms[id];
    if (!f) return;
    f.fieldset.disabled = true;
    f.form.classList.add("rd-submitted");
    f.button.textContent = L.submitted;
  }

  function renderTemplate(md, message) {
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
    if (!shown) return null;
    return row;
  }

  function addMessage(m) {
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

  // --- conversation -----------------------------------------------------------------------

  function updateConversation(c) {
    if (!isObject(c) || !S.conv || (c.id && c.id !== S.conv.id)) return;
    Object.assign(S.conv, c);
    const assignee = S.conv.assignee;
    const kind = assignee && assignee.type;
    subtitle.textContent = kind === "ai_agent" ? L.bot : kind === "agent" ? L.agent : "";
    humanBtn.hidden = kind !== "ai_agent" || S.conv.status === "resolved";
    clearTimeout(S.queueTimer);
    if (S.conv.status === "waiting") {
      setStanding(L.waiting);
      refreshQueue();
    } else if (S.conv.status === "resolved") {
      setStanding(L.resolved);
    } else {
      setStanding("");
    }
  }

  async function refreshQueue() {
    if (!S.conv || S.conv.status !== "waiting") return;
    try {
      const q = await request("GET", "/api/v1/conversations/" + S.conv.id + "/queue");
      if (q && q.status === "waiting") {
        setStanding(q.position ? L.queue.replace("{n}", q.position) : L.waiting);
      }
    } catch (e) {
      /* keep "waiting for an agent" */
    }
    clearTimeout(S.queueTimer);
    S.queueTimer = setTimeout(refreshQueue, 15000);
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

  function ensureConversation() {
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

  let catchingUp = null;

  function catchUp() {
    if (!S.conv) return Promise.resolve();
    if (catchingUp) return catchingUp.then(() => catchUp());
    const id = S.conv.id;
    catchingUp = (async () => {
      for (let page = 0; page < 20; page++) {
        const q = "?limit=200" + (S.lastId ? "&after=" + encodeURIComponent(S.lastId) : "");
        const data = await request("GET", "/api/v1/conversations/" + id + "/messages" + q);
        const items = (data && data.items) || [];
        items.forEach(addMessage);
        if (items.length < 200) break;
      }
      updateConversation(await request("GET", "/api/v1/conversations/" + id));
      const reads = await request("GET", "/api/v1/conversations/" + id + "/reads");
      ((reads && reads.items) || [])
        .filter((r) => r.reader && r.reader.type !== "contact")
        .forEach((r) => showSeen(r.message_id));
      scheduleRead();
    })()
      .catch(() => {})
      .finally(() => {
        catchingUp = null;
      });
    return catchingUp;
  }

  // --- real time --------------------------------------------------------------------------

  function connect() {
    if (S.ws || S.stopped || !S.token || !S.conv) return;
    clearTimeout(S.wsTimer);
    const url = BASE.replace(/^http/, "ws") + "/api/v1/ws?token=" + encodeURIComponent(S.token);
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    S.ws = ws;
    ws.onmessage = (ev) => {
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      onFrame(frame || {});
    };
    ws.onclose = (ev) => {
      if (S.ws === ws) S.ws = null;
      if (S.stopped) return;
      if (ev.code === 4401) {
        startSession().then(() => connect(), () => scheduleReconnect());
        return;
      }
      if (S.isOpen && S.conv) setStanding(L.reconnecting);
      scheduleReconnect();
    };
    ws.onerror = () => {};
  }

  function scheduleReconnect() {
    clearTimeout(S.wsTimer);
    const delay = Math.min(15000, 500 * Math.pow(2, S.wsRetry++)) + Math.random() * 300;
    S.wsTimer = setTimeout(connect, delay);
  }

  function onFrame(frame) {
    const data = isObject(frame.data) ? frame.data : {};
    switch (frame.type) {
      case "ready":
        S.wsRetry = 0;
        if (standing === L.reconnecting) setStanding("");
        catchUp();
        break;
      case "message.created":
        if (S.conv && data.conversation_id === S.conv.id) addMessage(data);
        break;
      case "typing":
        if (S.conv && data.conversation_id === S.conv.id && (data.sender || {}).type !== "contact") {
          showTyping((data.sender || {}).type);
        }
        break;
      case "conversation.read":
        if (S.conv && data.conversation_id === S.conv.id && (data.reader || {}).type !== "contact") {
          showSeen(data.message_id);
        }
        break;
      case "conversation.updated":
      case "conversation.assigned":
      case "conversation.created":
        if (S.conv && data.id === S.conv.id) updateConversation(data);
        break;
      default:
        break;
    }
  }

  // --- read receipts: the contact's own mark goes up; "Seen" shows how far an agent read

  function scheduleRead() {
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

  function showSeen(messageId) {
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

  function showTyping(kind) {
    typingLine.textContent = L.typing.replace("{who}", kind === "ai_agent" ? L.bot : L.agent);
    clearTimeout(S.typingTimer);
    S.typingTimer = setTimeout(hideTyping, 6000);
  }

  function hideTyping() {
    clearTimeout(S.typingTimer);
    typingLine.textContent = "";
  }

  // --- sending ----------------------------------------------------------------------------

  function pendingRow(clientId, text) {
    const row = el("div", "rd-row rd-me rd-pending");
    row.dataset.clientId = clientId;
    row.appendChild(el("div", "rd-bubble", text));
    list.appendChild(row);
    scrollDown(true);
    return row;
  }

  async function sendMessage(body) {
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

  composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "";
    sendMessage({ text }).catch(() => {});
  });

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      composer.requestSubmit ? composer.requestSubmit() : sendBtn.click();
    }
  });

  input.addEventListener("input", () => {
    input.style.height = "";
    input.style.height = Math.min(120, input.scrollHeight) + "px";
    const now = Date.now();
    if (S.conv && input.value && now - S.lastTypingSent > 3000) {
      S.lastTypingSent = now;
      request("POST", "/api/v1/conversations/" + S.conv.id + "/typing").catch(() => {});
    }
  });

  attachBtn.addEventListener("click", () => fileInput.click());

  fileInput.addEventListener("change", async () => {
    const files = Array.prototype.slice.call(fileInput.files || []);
    fileInput.value = "";
    for (const file of files) {
      const clientId = "u-" + randomId();
      const row = pendingRow(clientId, L.uploading.replace("{name}", file.name));
      try {
        await ready;
        const form = new FormData();
        form.append("file", file, file.name);
        const up = await request("POST", "/api/v1/uploads", form);
        row.remove();
        await sendMessage({
          attachments: [{ url: up.url, name: up.name, size: up.size, mime_type: up.mime_type }],
        });
      } catch (err) {
        row.remove();
        const status = err && err.status;
        showNotice(status === 413 ? L.tooLarge : status === 415 ? L.badType : (err && err.message) || L.failed, true);
      }
    }
  });

  locationBtn.addEventListener("click", () => {
    if (!navigator.geolocation) {
      showNotice(L.noLocation, true);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const location = { lat: pos.coords.latitude, lon: pos.coords.longitude };
        sendMessage({ location }).catch(() => {});
      },
      () => showNotice(L.noLocation, true),
      { timeout: 15000, maximumAge: 60000 }
    );
  });

  humanBtn.addEventListener("click", async () => {
    if (!S.conv) return;
    humanBtn.disabled = true;
    try {
      const res = await request("POST", "/api/v1/conversations/" + S.conv.id + "/handoff");
      updateConversation(res.conversation);
      if (res.queue_position) setStanding(L.queue.replace("{n}", res.queue_position));
    } catch (err) {
      showNotice((err && err.message) || L.failed, true);
    } finally {
      humanBtn.disabled = false;
    }
  });

  // --- open / close and the public API ----------------------------------------------------

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
    setTimeout(() => input.focus(), 0);
  }

  function close() {
    S.isOpen = false;
    panel.hidden = true;
    launcher.setAttribute("aria-label", L.open);
    launcher.replaceChildren(icon("chat"), badge);
  }

  launcher.addEventListener("click", () => (S.isOpen ? close() : open()));
  document.addEventListener("visibilitychange", scheduleRead);
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
  window.relaydesk = api;

  const ready = (async () => {
    if (!APP_ID) throw new Error("relaydesk: window.relaydeskSettings.appId is missing");
    await startSession();
    await findConversation();
  })();

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

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
