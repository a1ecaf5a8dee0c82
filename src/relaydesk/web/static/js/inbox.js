// The inbox: views (mine, unassigned, AI agents, all), filters, unread markers, live updates.

import { api, query } from "./api.js";
import { $, clear, h, timeEl, toast } from "./dom.js";
import { STATUS_LABELS } from "./labels.js";
import { isUnread, on, refName, state, teamName } from "./state.js";

const PAGE = 50;
const snippets = new Map(); // conversation id → last message text seen live
let cursor = null;
let loadSeq = 0;

export const VIEWS = {
  mine: "Mine",
  unassigned: "Unassigned",
  ai: "AI agents",
  all: "All",
};

function baseParams() {
  const f = state.filters;
  return { channel: f.channel.trim().toLowerCase(), team_id: f.team, q: f.q.trim(), limit: PAGE };
}

/** The API queries behind the current view (the unassigned view needs two). */
function queries() {
  const f = state.filters;
  const base = baseParams();
  switch (state.view) {
    case "mine": return [{ ...base, status: f.status, assignee_type: "agent", assignee_id: state.me.id }];
    case "ai": return [{ ...base, status: f.status, assignee_type: "ai_agent" }];
    case "unassigned":
      if (f.status) return [{ ...base, status: f.status, assignee_type: "none" }];
      return [{ ...base, status: "waiting", assignee_type: "none" }, { ...base, status: "open", assignee_type: "none" }];
    default: return [{ ...base, status: f.status }];
  }
}

/** Whether a conversation belongs in the current view with the current filters. */
export function matches(conv) {
  const f = state.filters;
  if (f.status && conv.status !== f.status) return false;
  if (f.channel && conv.channel !== f.channel.trim().toLowerCase()) return false;
  if (f.team && conv.team_id !== f.team) return false;
  // a search hit by message text is only known to the server: keep what it listed, and add
  // live conversations whose contact or title visibly match
  if (f.q.trim() && !state.conversations.has(conv.id) && !visiblyMatches(conv, f.q.trim())) return false;
  const a = conv.assignee;
  switch (state.view) {
    case "mine": return Boolean(a && a.type === "agent" && a.id === state.me.id);
    case "ai": return Boolean(a && a.type === "ai_agent");
    case "unassigned": return !a && (conv.status === "open" || conv.status === "waiting");
    default: return true;
  }
}

function visiblyMatches(conv, q) {
  const needle = q.toLowerCase();
  const c = conv.contact || {};
  return [c.name, c.email, c.external_id, conv.title].some((v) => typeof v === "string" && v.toLowerCase().includes(needle));
}

function sortKey(conv) { return conv.last_message_at || conv.updated_at || conv.created_at || ""; }

export async function loadList({ more = false } = {}) {
  const seq = ++loadSeq;
  const list = $("#conversation-list");
  list.setAttribute("aria-busy", "true");
  if (!more) { state.conversations = new Map(); cursor = null; }
  try {
    const qs = queries();
    const pages = await Promise.all(qs.map((q) => api.get(`/conversations${query({ ...q, cursor: more ? cursor : null })}`)));
    if (seq !== loadSeq) return;
    cursor = qs.length === 1 ? pages[0].next_cursor : null;
    for (const page of pages) for (const conv of page.items) if (matches(conv)) state.conversations.set(conv.id, conv);
    renderList();
  } catch (err) {
    if (seq === loadSeq) toast(`Could not load conversations: ${err.message}`, { kind: "error" });
  } finally {
    if (seq === loadSeq) list.setAttribute("aria-busy", "false");
  }
}

function item(conv) {
  const unread = isUnread(conv) && conv.id !== state.currentId;
  const contact = conv.contact || {};
  const name = contact.name || contact.email || contact.external_id || "Visitor";
  const snippet = snippets.get(conv.id) || conv.title || "";
  const assignee = conv.assignee ? refName(conv.assignee) : conv.status === "waiting" ? "Waiting in queue" : "Unassigned";
  const link = h("a", {
    href: `#/inbox/${state.view}/${encodeURIComponent(conv.id)}`,
    class: "conv-link",
    "aria-current": conv.id === state.currentId ? "page" : null,
  },
  h("span", { class: "conv-top" },
    unread ? h("span", { class: "unread-dot", title: "Unread" }, h("span", { class: "visually-hidden", text: "Unread: " })) : null,
    h("span", { class: "conv-name", text: name }),
    timeEl(sortKey(conv))),
  snippet ? h("span", { class: "conv-snippet", text: snippet }) : null,
  h("span", { class: "conv-meta" },
    h("span", { class: `badge status-${conv.status}`, text: STATUS_LABELS[conv.status] || conv.status }),
    h("span", { class: "badge channel", text: conv.channel }),
    conv.team_id ? h("span", { class: "badge team", text: teamName(conv.team_id) }) : null,
    h("span", { class: `conv-assignee ${conv.assignee ? conv.assignee.type : "none"}`, text: assignee })));
  return h("li", { class: `conv-item${unread ? " unread" : ""}`, dataset: { id: conv.id } }, link);
}

export function renderList() {
  const list = clear($("#conversation-list"));
  const convs = [...state.conversations.values()].sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
  for (const conv of convs) list.append(item(conv));
  $("#list-empty").hidden = convs.length > 0;
  $("#list-more").hidden = !cursor;
  const unread = convs.filter((c) => isUnread(c) && c.id !== state.currentId).length;
  document.title = unread ? `(${unread}) relaydesk` : "relaydesk";
}

/** A conversation as it is now (from an event or a fetch): add, update or drop it from the list. */
export function upsert(conv) {
  if (!conv || !conv.id) return;
  const known = state.conversations.get(conv.id);
  const merged = known ? { ...known, ...conv } : conv;
  if (known && known.last_message_at && !conv.last_message_at) merged.last_message_at = known.last_message_at;
  if (matches(merged)) state.conversations.set(conv.id, merged);
  else state.conversations.delete(conv.id);
  renderList();
}

function onConversationEvent(data) {
  const conv = data && data.conversation && typeof data.conversation === "object" ? data.conversation : data;
  upsert(conv);
}

async function onMessage(message) {
  const id = message.conversation_id;
  if (!id) return;
  if (message.text) snippets.set(id, message.text);
  const known = state.conversations.get(id);
  if (known) {
    upsert({ ...known, last_message_at: message.created_at });
    return;
  }
  try { upsert(await api.get(`/conversations/${encodeURIComponent(id)}`)); } catch { /* not visible */ }
}

export function initInbox() {
  on("ws:conversation.created", onConversationEvent);
  on("ws:conversation.updated", onConversationEvent);
  on("ws:conversation.assigned", onConversationEvent);
  on("ws:message.created", onMessage);
  on("directory", renderList);
  on("ws:ready", ({ reconnect }) => { if (reconnect) loadList(); });
  const form = $("#filters");
  form.addEventListener("submit", (e) => e.preventDefault());
  const apply = () => {
    state.filters = {
      status: $("#filter-status").value,
      channel: $("#filter-channel").value,
      team: $("#filter-team").value,
      q: $("#filter-q").value,
    };
    loadList();
  };
  let searchTimer = null;
  form.addEventListener("change", apply);
  $("#filter-q").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(apply, 300); // search as the agent types, once they pause
  });
  $("#list-more").addEventListener("click", () => loadList({ more: true }));
}

export function fillTeamFilter() {
  const select = $("#filter-team");
  const current = select.value;
  clear(select).append(h("option", { value: "", text: "Any" }));
  for (const t of state.teams.values()) select.append(h("option", { value: t.id, text: t.name }));
  select.value = state.teams.has(current) ? current : "";
}

export function setView(view) {
  const changed = state.view !== view;
  state.view = VIEWS[view] ? view : "mine";
  for (const a of document.querySelectorAll("[data-view]")) {
    if (a.dataset.view === state.view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  return changed;
}
