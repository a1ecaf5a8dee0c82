// Shared state of the signed-in dashboard and a tiny event bus between its parts.

import { api } from "./api.js";

export const state = {
  me: null,
  agents: new Map(),
  teams: new Map(),
  aiAgents: new Map(),
  routing: null,
  view: "mine",
  filters: { status: "", channel: "", team: "", q: "" },
  conversations: new Map(),
  currentId: null,
};

export const bus = new EventTarget();
export function emit(type, detail) { bus.dispatchEvent(new CustomEvent(type, { detail })); }
export function on(type, fn) { bus.addEventListener(type, (e) => fn(e.detail)); }

export const isAdmin = () => Boolean(state.me && state.me.role === "admin");

/** Load agents, teams, AI agents and the routing rules (what names and buttons depend on). */
export async function loadDirectory() {
  const [agents, teams, aiAgents, routing] = await Promise.all([
    api.get("/agents").catch(() => ({ items: [] })),
    api.get("/teams").catch(() => ({ items: [] })),
    api.get("/ai-agents").catch(() => ({ items: [] })),
    api.get("/routing").catch(() => null),
  ]);
  state.agents = new Map(agents.items.map((a) => [a.id, a]));
  state.teams = new Map(teams.items.map((t) => [t.id, t]));
  state.aiAgents = new Map(aiAgents.items.map((a) => [a.id, a]));
  state.routing = routing;
  emit("directory");
}

export function refName(ref) {
  if (!ref) return "Nobody";
  if (ref.type === "agent") {
    const a = state.agents.get(ref.id);
    if (state.me && ref.id === state.me.id) return `${(a && a.name) || state.me.name} (you)`;
    return a ? a.name : ref.name || "An agent";
  }
  if (ref.type === "ai_agent") {
    const a = state.aiAgents.get(ref.id);
    const name = a ? a.name : ref.name;
    return name ? `${name} (AI agent)` : "An AI agent";
  }
  if (ref.type === "team") {
    const t = state.teams.get(ref.id);
    return t ? `team ${t.name}` : "a team";
  }
  if (ref.type === "api_key") return "the API";
  if (ref.type === "contact") return "the contact";
  if (ref.type === "system") return "the system";
  return ref.type;
}

export function teamName(id) {
  const t = id && state.teams.get(id);
  return t ? t.name : id ? "a team" : "";
}

// --- unread markers: the newest message time seen per conversation, kept per agent ---------

function seenKey() { return `relaydesk.seen.${state.me ? state.me.id : "anon"}`; }
function loadSeen() {
  try { return JSON.parse(localStorage.getItem(seenKey()) || "{}"); } catch { return {}; }
}
let seen = null;

export function isUnread(conv) {
  seen = seen || loadSeen();
  const last = conv.last_message_at;
  return Boolean(last) && (!seen[conv.id] || seen[conv.id] < last);
}

export function markSeen(conv) {
  seen = seen || loadSeen();
  const last = conv.last_message_at || conv.updated_at;
  if (!last || (seen[conv.id] && seen[conv.id] >= last)) return;
  seen[conv.id] = last;
  const keys = Object.keys(seen);
  if (keys.length > 2000) for (const k of keys.slice(0, keys.length - 2000)) delete seen[k];
  try { localStorage.setItem(seenKey(), JSON.stringify(seen)); } catch { /* full: ignore */ }
}

export function resetSeenCache() { seen = null; }
