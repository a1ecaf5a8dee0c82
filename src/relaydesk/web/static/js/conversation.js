// The conversation view: messages (rich ones rendered), details, assignment trail, reply and actions.

import { api } from "./api.js";
import { $, clear, h, timeEl, toast } from "./dom.js";
import { STATUS_LABELS, detailText, reasonText } from "./labels.js";
import { messageBody } from "./rich.js";
import { markSeen, on, refName, state, teamName } from "./state.js";
import { renderList, upsert } from "./inbox.js";
import { attachControl } from "./attach.js";

let conv = null;
let messages = [];
let trail = [];
let rating = null; // the latest resolution's rating, or null
let loadSeq = 0;
const ids = new Set();

/** How long "… is typing" stays up without a new typing event from the contact. */
const TYPING_SHOW_MS = 4000;
/** At most one POST …/typing per conversation in this interval while the agent types. */
const TYPING_SEND_MS = 2000;
let typingTimer = null;
let typingUntil = 0;
let typingSent = { id: null, at: 0 };

const pane = () => $("#conversation-pane");
const enc = encodeURIComponent;

export function showEmpty() {
  conv = null;
  stopTyping();
  state.currentId = null;
  document.body.dataset.pane = "list";
  clear(pane()).append(h("div", { class: "empty-state" },
    h("h2", { text: "No conversation selected" }),
    h("p", { class: "muted", text: "Pick a conversation from the inbox. New ones appear there as they arrive." })));
}

export async function openConversation(id) {
  const seq = ++loadSeq;
  state.currentId = id;
  document.body.dataset.pane = "conversation";
  if (!conv || conv.id !== id) clear(pane()).append(h("p", { class: "muted pad", role: "status", text: "Loading conversation…" }));
  try {
    const [c, m, t, r] = await Promise.all([
      api.get(`/conversations/${enc(id)}`),
      api.get(`/conversations/${enc(id)}/messages?limit=500`),
      api.get(`/conversations/${enc(id)}/assignments`),
      api.get(`/conversations/${enc(id)}/rating`).catch(() => null), // 404: not rated
    ]);
    if (seq !== loadSeq) return;
    if (!conv || conv.id !== c.id) stopTyping();
    conv = c;
    messages = m.items;
    trail = t.items;
    rating = r;
    ids.clear();
    for (const msg of messages) ids.add(msg.id);
    render();
    markSeen(conv);
    markRead();
    renderList();
  } catch (err) {
    if (seq !== loadSeq) return;
    clear(pane()).append(h("div", { class: "empty-state", role: "alert" },
      h("h2", { text: "This conversation could not be opened" }), h("p", { text: err.message })));
  }
}

function contactName() {
  return (conv.contact && (conv.contact.name || conv.contact.external_id)) || "Contact";
}

function senderLabel(msg) {
  const s = msg.sender || {};
  if (s.type === "contact") return contactName();
  if (s.type === "system") return "relaydesk";
  return refName(s);
}

function messageItem(msg) {
  const type = (msg.sender && msg.sender.type) || "system";
  const mine = type === "agent" && msg.sender.id === state.me.id;
  return h("li", { class: `msg from-${type}${mine ? " mine" : ""}`, dataset: { id: msg.id } },
    h("div", { class: "msg-head" }, h("span", { class: "msg-sender", text: senderLabel(msg) }), timeEl(msg.created_at)),
    h("div", { class: "msg-body" }, messageBody(msg)));
}

function actionButtons() {
  const out = [];
  const a = conv.assignee;
  const me = state.me.id;
  if (a && a.type === "ai_agent") {
    out.push(h("button", { type: "button", class: "primary", dataset: { action: "takeover" }, text: "Take over from AI agent", on: { click: takeover } }));
  }
  const notifyMode = state.routing && state.routing.human_routing === "notify_everybody";
  if (notifyMode && (conv.status === "open" || conv.status === "waiting") && !(a && a.type === "agent" && a.id === me) && !(a && a.type === "ai_agent")) {
    out.push(h("button", { type: "button", class: "primary", dataset: { action: "claim" }, text: "Claim", on: { click: claim } }));
  }
  if (conv.status === "resolved" || conv.status === "spam") {
    out.push(h("button", { type: "button", dataset: { action: "reopen" }, text: "Reopen", on: { click: () => setStatus("open") } }));
  } else {
    out.push(h("button", { type: "button", dataset: { action: "resolve" }, text: "Resolve", on: { click: () => setStatus("resolved") } }));
  }
  return out;
}

function assignForm() {
  const select = h("select", { id: "assign-target", name: "target" },
    h("option", { value: "", text: "Choose…" }),
    h("optgroup", { label: "Agents" }, [...state.agents.values()].map((a) => h("option", { value: `agent:${a.id}`, text: `${a.name} (${a.status})` }))),
    state.teams.size ? h("optgroup", { label: "Teams" }, [...state.teams.values()].map((t) => h("option", { value: `team:${t.id}`, text: t.name }))) : null,
    state.aiAgents.size ? h("optgroup", { label: "AI agents" }, [...state.aiAgents.values()].map((a) => h("option", { value: `ai_agent:${a.id}`, text: a.name }))) : null,
    h("option", { value: "rules:", text: "Run the conversation rules again" }));
  const form = h("form", { class: "assign-form", "aria-label": "Assign conversation" },
    h("label", { for: "assign-target", text: "Assign to" }), select,
    h("button", { type: "submit", text: "Assign" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!select.value) { select.focus(); return; }
    const [type, id] = select.value.split(":");
    await act(`/conversations/${enc(conv.id)}/assign`, { assign_to: id ? { type, id } : { type } }, "Assigned");
  });
  return form;
}

function details() {
  const c = conv.contact || {};
  const row = (label, value) => (value ? [h("dt", { text: label }), h("dd", { text: value })] : null);
  return h("aside", { class: "details", "aria-label": "Conversation details" },
    h("section", { "aria-labelledby": "contact-h" },
      h("h3", { id: "contact-h", text: "Contact" }),
      h("dl", {},
        row("Name", c.name || "—"), row("Email", c.email), row("External id", c.external_id),
        row("Language", c.language || "not set"))),
    h("section", { "aria-labelledby": "conv-h" },
      h("h3", { id: "conv-h", text: "Conversation" }),
      h("dl", {},
        row("Status", STATUS_LABELS[conv.status] || conv.status), row("Channel", conv.channel),
        row("Assignee", conv.assignee ? refName(conv.assignee) : conv.status === "waiting" ? "Nobody yet (waiting in queue)" : "Nobody"),
        row("Team", conv.team_id ? teamName(conv.team_id) : null),
        row("Participants", (conv.participants || []).map(refName).join(", ")),
        row("Started", new Date(conv.created_at).toLocaleString()),
        row("Rating", rating ? ratingText(rating) : null))),
    assignForm(),
    h("section", { "aria-labelledby": "trail-h", class: "trail" },
      h("h3", { id: "trail-h", text: "Assignment history" }),
      trail.length ? h("ol", { id: "trail" }, trail.map(trailItem)) : h("p", { class: "muted", text: "No assignments yet." })));
}

function ratingText(r) {
  const stars = "★".repeat(r.score) + "☆".repeat(5 - r.score);
  return `${stars} ${r.score}/5${r.comment ? ` — “${r.comment}”` : ""}`;
}

function trailItem(entry) {
  const detail = detailText(entry.detail);
  const to = entry.to ? refName(entry.to) : entry.reason === "queued" || conv.status === "waiting" ? "the waiting queue" : "nobody";
  const by = entry.actor && entry.actor.type !== "system" && !["round_robin", "ai_routing", "queued", "dequeued", "default_agent"].includes(entry.reason) ? ` by ${refName(entry.actor)}` : "";
  return h("li", { dataset: { reason: entry.reason } },
    h("p", { class: "trail-reason", text: reasonText(entry.reason) + (detail ? ` — ${detail}` : "") }),
    h("p", { class: "muted small" },
      entry.from ? `${refName(entry.from)} → ${to}` : `→ ${to}`,
      entry.team_id ? ` (team ${teamName(entry.team_id)})` : "", by, " · ", timeEl(entry.at, false)));
}

function replyForm() {
  const ta = h("textarea", { id: "reply-text", name: "text", rows: 3, placeholder: "Write a reply… (Enter sends, Shift+Enter for a new line)", required: true, maxlength: 10000 });
  const form = h("form", { class: "reply", id: "reply-form", "aria-label": "Reply" },
    h("label", { for: "reply-text", class: "visually-hidden", text: "Reply to the contact" }), ta,
    attachControl(() => (conv ? conv.id : null), addMessage),
    h("button", { type: "submit", class: "primary", text: "Send" }));
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  ta.addEventListener("input", () => { if (ta.value.trim()) sendTyping(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = ta.value.trim();
    if (!text) return;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const msg = await api.post(`/conversations/${enc(conv.id)}/messages`, { text, client_message_id: crypto.randomUUID() });
      ta.value = "";
      addMessage(msg);
    } catch (err) {
      toast(`Not sent: ${err.message}`, { kind: "error" });
    } finally {
      button.disabled = false;
      ta.focus();
    }
  });
  return form;
}

function render() {
  const c = conv.contact || {};
  const title = conv.title || c.name || c.email || c.external_id || "Conversation";
  const head = h("header", { class: "conv-header" },
    h("a", { href: `#/inbox/${state.view}`, class: "back ghost small", text: "← Inbox" }),
    h("div", { class: "conv-title" },
      h("h2", { id: "conv-title", text: title }),
      h("p", { class: "muted small" },
        h("span", { class: `badge status-${conv.status}`, id: "conv-status", text: STATUS_LABELS[conv.status] || conv.status }), " ",
        h("span", { class: "badge channel", text: conv.channel }), " ",
        h("span", { id: "conv-assignee", text: conv.assignee ? `Assigned to ${refName(conv.assignee)}` : conv.status === "waiting" ? "Waiting in queue" : "Unassigned" }),
        c.language ? ` · language ${c.language}` : "")),
    h("div", { class: "conv-actions", role: "toolbar", "aria-label": "Conversation actions" }, actionButtons()));
  const list = h("ol", { class: "messages", id: "messages", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Messages" }, messages.map(messageItem));
  const main = h("section", { class: "conv-main", "aria-labelledby": "conv-title" }, list, typingIndicator(), replyForm());
  clear(pane()).append(h("div", { class: "conversation" }, head, h("div", { class: "conv-body" }, main, details())));
  list.scrollTop = list.scrollHeight;
  showTyping();
}

function addMessage(msg) {
  if (!conv || msg.conversation_id !== conv.id || ids.has(msg.id)) return;
  ids.add(msg.id);
  messages.push(msg);
  if (msg.sender && msg.sender.type === "contact") stopTyping();
  const list = $("#messages");
  if (!list) return;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  list.append(messageItem(msg));
  if (nearBottom || (msg.sender && msg.sender.id === state.me.id)) list.scrollTop = list.scrollHeight;
  conv.last_message_at = msg.created_at;
  if (document.visibilityState === "visible") {
    markSeen(conv);
    markRead();
  }
}

// The server-side read mark: the contact's widget shows "Seen" once an agent has read.
let readTimer = null;
let readSent = null;

function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    if (!conv || document.visibilityState !== "visible" || !messages.length) return;
    const last = messages[messages.length - 1].id;
    const key = `${conv.id}:${last}`;
    if (readSent === key) return;
    api.post(`/conversations/${enc(conv.id)}/read`, { message_id: last }).then(() => { readSent = key; }, () => {});
  }, 500);
}

async function refreshMeta() {
  if (!conv) return;
  const id = conv.id;
  try {
    const [c, t] = await Promise.all([api.get(`/conversations/${enc(id)}`), api.get(`/conversations/${enc(id)}/assignments`)]);
    if (!conv || conv.id !== id) return;
    conv = { ...c, last_message_at: c.last_message_at || conv.last_message_at };
    trail = t.items;
    rerenderMeta();
  } catch { /* gone: keep what is shown */ }
}

// --- typing ---------------------------------------------------------------------------------

/** Tell the contact the agent is typing: at most once per TYPING_SEND_MS per conversation. */
function sendTyping() {
  if (!conv) return;
  const now = Date.now();
  if (typingSent.id === conv.id && now - typingSent.at < TYPING_SEND_MS) return;
  typingSent = { id: conv.id, at: now };
  api.post(`/conversations/${enc(conv.id)}/typing`).catch(() => { /* best effort */ });
}

function typingIndicator() {
  return h("p", { id: "typing", class: "typing muted small", role: "status", "aria-live": "polite" });
}

function showTyping() {
  const el = $("#typing");
  if (!el || !conv) return;
  const active = Date.now() < typingUntil;
  el.textContent = active ? `${contactName()} is typing…` : "";
  el.dataset.active = active ? "true" : "false";
}

function onTyping(data) {
  const sender = (data && data.sender) || {};
  if (!conv || data.conversation_id !== conv.id || sender.type !== "contact") return;
  if (conv.contact && conv.contact.id && sender.id && sender.id !== conv.contact.id) return;
  typingUntil = Date.now() + TYPING_SHOW_MS;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { typingUntil = 0; showTyping(); }, TYPING_SHOW_MS);
  showTyping();
}

function stopTyping() {
  clearTimeout(typingTimer);
  typingUntil = 0;
  showTyping();
}

/** Re-render header and details, keeping the message list and the reply draft. */
function rerenderMeta() {
  const draft = $("#reply-text") ? $("#reply-text").value : "";
  const focused = document.activeElement && document.activeElement.id;
  const list = $("#messages");
  const scroll = list ? list.scrollTop : 0;
  render();
  if ($("#reply-text")) $("#reply-text").value = draft;
  if ($("#messages")) $("#messages").scrollTop = scroll || $("#messages").scrollHeight;
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
}

async function act(path, body, done) {
  try {
    const updated = await api.post(path, body);
    conv = { ...conv, ...updated };
    upsert(updated);
    toast(done);
    await refreshMeta();
  } catch (err) {
    toast(err.describe ? err.describe() : err.message, { kind: "error" });
  }
}

async function takeover() { await act(`/conversations/${enc(conv.id)}/takeover`, {}, "You took over the conversation"); }
async function claim() { await act(`/conversations/${enc(conv.id)}/claim`, {}, "Conversation claimed"); }

/** Claim a conversation that may not be on screen (from a notification). */
export async function claimById(id) {
  try {
    const updated = await api.post(`/conversations/${enc(id)}/claim`, {});
    upsert(updated);
    toast("Conversation claimed");
    if (conv && conv.id === id) await refreshMeta();
    return true;
  } catch (err) {
    toast(err.describe ? err.describe() : err.message, { kind: "error" });
    return false;
  }
}

async function setStatus(status) {
  try {
    const updated = await api.patch(`/conversations/${enc(conv.id)}`, { status });
    conv = { ...conv, ...updated };
    upsert(updated);
    toast(status === "resolved" ? "Conversation resolved" : "Conversation reopened");
    await refreshMeta();
  } catch (err) {
    toast(err.message, { kind: "error" });
  }
}

export function initConversation() {
  on("ws:message.created", (msg) => addMessage(msg));
  on("ws:typing", onTyping);
  const onConv = (data) => {
    const c = data && data.conversation ? data.conversation : data;
    if (conv && c && c.id === conv.id) refreshMeta();
  };
  on("ws:conversation.updated", onConv);
  on("ws:conversation.assigned", onConv);
  on("ws:conversation.rated", (data) => {
    if (conv && data && data.conversation_id === conv.id) { rating = data; rerenderMeta(); }
  });
  on("directory", () => { if (conv) rerenderMeta(); });
  on("ws:ready", async ({ reconnect }) => {
    if (!reconnect || !conv) return;
    const last = messages.length ? messages[messages.length - 1].id : null;
    try {
      const more = await api.get(`/conversations/${enc(conv.id)}/messages${last ? `?after=${enc(last)}` : ""}`);
      for (const m of more.items) addMessage(m);
    } catch { /* try again on the next reconnect */ }
    refreshMeta();
  });
  document.addEventListener("visibilitychange", () => { if (conv && document.visibilityState === "visible") { markSeen(conv); markRead(); renderList(); } });
}
