// The dashboard's entry point: sign-in, the hash router, status switch, live notifications.

import { api, session, setUnauthorizedHandler } from "./api.js";
import { $, $$, toast } from "./dom.js";
import { claimById, initConversation, openConversation, showEmpty } from "./conversation.js";
import { fillTeamFilter, initInbox, loadList, setView } from "./inbox.js";
import { AGENT_STATUS } from "./labels.js";
import { connect, disconnect } from "./live.js";
import { render as renderSettings } from "./settings.js";
import { emit, isAdmin, loadDirectory, on, resetSeenCache, state } from "./state.js";

let listLoaded = false;
let started = false;

function screen(name) {
  document.body.dataset.screen = name;
  $("#login-screen").hidden = name !== "login";
  $("#app-screen").hidden = name === "login" || name === "loading";
}

// --- sign in / out ------------------------------------------------------------------------

function showLogin(message) {
  screen("login");
  const err = $("#login-error");
  err.hidden = !message;
  err.textContent = message || "";
  $("#login-email").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const err = $("#login-error");
  const button = form.querySelector("button[type=submit]");
  const email = $("#login-email").value.trim();
  const password = $("#login-password").value;
  if (!email || !password) { err.hidden = false; err.textContent = "Enter your email and password."; return; }
  button.disabled = true;
  try {
    const data = await api.post("/auth/login", { email, password });
    session.save({ token: data.token, agent: data.agent }, $("#login-remember").checked);
    $("#login-password").value = "";
    err.hidden = true;
    await startApp();
  } catch (ex) {
    err.hidden = false;
    err.textContent = ex.status === 401 ? "Wrong email or password." : ex.describe ? ex.describe() : ex.message;
  } finally {
    button.disabled = false;
  }
}

async function logout({ call = true, message = "" } = {}) {
  const token = session.token();
  disconnect();
  if (call && token) { try { await api.post("/auth/logout"); } catch { /* already invalid */ } }
  session.clear();
  started = false;
  listLoaded = false;
  state.me = null;
  state.currentId = null;
  resetSeenCache();
  if (location.hash) history.replaceState(null, "", location.pathname);
  showLogin(message);
}

// --- the signed-in app --------------------------------------------------------------------

function showMyStatus() {
  const status = state.me.status;
  $("#my-status").value = status;
  $("#my-status-dot").className = `status-dot ${status}`;
  $("#my-name").textContent = state.me.name;
  $("#my-name").title = `${state.me.email} · ${state.me.role}`;
}

async function startApp() {
  const saved = session.load();
  if (!saved) { showLogin(); return; }
  state.me = saved.agent;
  try {
    state.me = await api.get("/agents/me");
    session.update(state.me);
  } catch (ex) {
    if (ex.status === 401 || ex.status === 403) { await logout({ call: false, message: "Your session has ended. Please sign in again." }); return; }
  }
  started = true;
  resetSeenCache();
  screen("inbox");
  showMyStatus();
  for (const el of $$("[data-admin-only]")) el.hidden = !isAdmin();
  updateNotifyButton();
  await loadDirectory();
  fillTeamFilter();
  connect();
  listLoaded = false;
  if (!location.hash || location.hash === "#") location.replace("#/inbox/mine");
  await route();
}

async function route() {
  if (!started) return;
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  for (const a of $$("[data-nav]")) {
    if (a.dataset.nav === (parts[0] === "settings" ? "settings" : "inbox")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (parts[0] === "settings") {
    if (!isAdmin()) { location.replace("#/inbox/mine"); return; }
    screen("settings");
    $("#settings-pane").hidden = false;
    $("#conversation-pane").hidden = true;
    await renderSettings(parts[1] || "routing");
    $("#main").focus({ preventScroll: true });
    return;
  }
  if (parts[0] !== "inbox") { location.replace("#/inbox/mine"); return; }
  screen("inbox");
  $("#settings-pane").hidden = true;
  $("#conversation-pane").hidden = false;
  const changed = setView(parts[1] || "mine");
  if (changed || !listLoaded) { listLoaded = true; await loadList(); }
  const id = parts[2];
  if (id) {
    const switching = state.currentId !== id;
    await openConversation(id);
    if (switching) $("#main").focus({ preventScroll: true });
  } else {
    showEmpty();
  }
}

async function onStatusChange(event) {
  const select = event.currentTarget;
  const wanted = select.value;
  const before = state.me.status;
  try {
    state.me = await api.put("/agents/me/status", { status: wanted });
    session.update(state.me);
    showMyStatus();
    toast(`You are ${AGENT_STATUS[wanted].toLowerCase()}`);
  } catch (ex) {
    select.value = before;
    toast(`Could not change your status: ${ex.message}`, { kind: "error" });
  }
}

// --- notifications ------------------------------------------------------------------------

function updateNotifyButton() {
  const b = $("#notify-permission");
  b.hidden = !("Notification" in window) || Notification.permission !== "default";
}

function onNotify(data) {
  const conv = data && data.conversation ? data.conversation : data;
  if (!conv || !conv.id) return;
  if (conv.assignee && conv.assignee.type === "agent" && conv.assignee.id === state.me.id) return;
  const contact = conv.contact || {};
  const who = contact.name || contact.email || contact.external_id || "a visitor";
  const text = `New conversation from ${who} on ${conv.channel} — anyone can claim it.`;
  const open = () => { location.hash = `#/inbox/${state.view}/${encodeURIComponent(conv.id)}`; };
  toast(text, {
    kind: "notify",
    timeout: 20000,
    actions: [["Open", open], ["Claim", async () => { if (await claimById(conv.id)) open(); }]],
  });
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      const n = new Notification("relaydesk: new conversation", { body: text, tag: `conv-${conv.id}` });
      n.addEventListener("click", () => { window.focus(); open(); n.close(); });
    } catch { /* some browsers only allow notifications from a service worker */ }
  }
}

function onAgentStatus(agent) {
  if (!agent || !agent.id) return;
  state.agents.set(agent.id, { ...(state.agents.get(agent.id) || {}), ...agent });
  if (state.me && agent.id === state.me.id) {
    state.me = { ...state.me, ...agent };
    session.update(state.me);
    showMyStatus();
  }
  emit("directory");
}

// --- wiring -------------------------------------------------------------------------------

function init() {
  setUnauthorizedHandler(() => logout({ call: false, message: "Your session has ended. Please sign in again." }));
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", () => logout());
  $("#my-status").addEventListener("change", onStatusChange);
  $("#notify-permission").addEventListener("click", async () => {
    try { await Notification.requestPermission(); } finally { updateNotifyButton(); }
  });
  initInbox();
  initConversation();
  on("ws:conversation.notify", onNotify);
  on("ws:agent.status", onAgentStatus);
  on("ws:unauthorized", () => logout({ call: false, message: "Your session has ended. Please sign in again." }));
  on("directory", fillTeamFilter);
  on("ws:message.created", (msg) => {
    // a contact writing into a conversation that is not on screen: a quiet toast when it is mine
    const conv = state.conversations.get(msg.conversation_id);
    if (!conv || msg.conversation_id === state.currentId || !msg.sender || msg.sender.type !== "contact") return;
    if (conv.assignee && conv.assignee.type === "agent" && conv.assignee.id === state.me.id) {
      const c = conv.contact || {};
      toast(`New message from ${c.name || c.email || c.external_id || "a contact"}`, { timeout: 4000 });
    }
  });
  window.addEventListener("hashchange", route);
  if (session.load()) startApp(); else showLogin();
}

init();
