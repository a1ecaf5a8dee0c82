// Admin settings: conversation rules, agents, teams, AI agents, API keys, webhooks, the app.

import { api } from "./api.js";
import { $, clear, h, str, timeEl, toast } from "./dom.js";
import { AGENT_STATUS, AI_KINDS, WEBHOOK_EVENTS } from "./labels.js";
import { emit, loadDirectory, state } from "./state.js";

const MASK = "****";
const enc = encodeURIComponent;

export const SECTIONS = {
  routing: "Conversation rules",
  agents: "Agents",
  teams: "Teams",
  "ai-agents": "AI agents",
  "api-keys": "API keys",
  webhooks: "Webhooks",
  app: "App",
};

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** A labelled field; the input gets an id when it has none. */
function field(label, input, hint) {
  if (!input.id) input.id = nextId("f");
  const hintEl = hint ? h("p", { class: "hint", id: `${input.id}-hint`, text: hint }) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  const isCheck = input.type === "checkbox" || input.type === "radio";
  return h("div", { class: `field${isCheck ? " checkbox" : ""}` },
    isCheck ? [input, h("label", { for: input.id, text: label })] : [h("label", { for: input.id, text: label }), input],
    hintEl);
}

function errorBox() { return h("p", { class: "error", role: "alert", hidden: true }); }
function showError(box, err) {
  box.textContent = err ? (err.describe ? err.describe() : err.message) : "";
  box.hidden = !err;
}

/** A delete button that asks once more ("Click again to confirm") instead of a dialog. */
function confirmButton(label, action, confirmLabel = "Click again to confirm") {
  let armed = false;
  let timer = null;
  const b = h("button", { type: "button", class: "danger small", text: label });
  b.addEventListener("click", async () => {
    if (!armed) {
      armed = true;
      b.textContent = confirmLabel;
      timer = setTimeout(() => { armed = false; b.textContent = label; }, 5000);
      return;
    }
    clearTimeout(timer);
    b.disabled = true;
    try { await action(); } catch (err) { toast(err.describe ? err.describe() : err.message, { kind: "error" }); b.disabled = false; }
  });
  return b;
}

function agentOptions(selected, { none = "None" } = {}) {
  return [h("option", { value: "", text: none }),
    ...[...state.agents.values()].map((a) => h("option", { value: a.id, text: `${a.name} <${a.email}>`, selected: a.id === selected }))];
}

function targetOptions(type, selected) {
  const source = type === "agent" ? state.agents : type === "team" ? state.teams : state.aiAgents;
  return [...source.values()].map((x) => h("option", { value: x.id, text: x.name, selected: x.id === selected }));
}

// --- conversation rules -------------------------------------------------------------------

async function routingSection(root) {
  const r = await api.get("/routing");
  state.routing = r;
  const err = errorBox();
  const mode = (value, label, hint) => {
    const input = h("input", { type: "radio", name: "human_routing", value, checked: r.human_routing === value });
    return field(label, input, hint);
  };
  const defaultAgent = h("select", { name: "default_agent_id" }, agentOptions(r.default_agent_id));
  const aiEnabled = h("input", { type: "checkbox", name: "ai_enabled", checked: r.ai_routing.enabled });
  const aiPicker = h("fieldset", { class: "ai-picker" }, h("legend", { text: "AI agents that take new conversations" }),
    state.aiAgents.size
      ? [...state.aiAgents.values()].map((a) => field(`${a.name} (${AI_KINDS[a.kind] || a.kind})`,
        h("input", { type: "checkbox", name: "ai_agent_ids", value: a.id, checked: r.ai_routing.ai_agent_ids.includes(a.id) })))
      : h("p", { class: "muted", text: "No AI agents yet — add one under AI agents." }));
  const syncPicker = () => { aiPicker.disabled = !aiEnabled.checked; };
  aiEnabled.addEventListener("change", syncPicker);
  syncPicker();

  const rules = h("tbody");
  const addRule = (rule = { channel: "", assign_to: { type: "team", id: "" } }) => {
    const channel = h("input", { name: "rule_channel", value: rule.channel, list: "channel-list", required: true, "aria-label": "Channel", placeholder: "whatsapp" });
    const type = h("select", { name: "rule_type", "aria-label": "Assign to (kind)" },
      ["agent", "team", "ai_agent"].map((t) => h("option", { value: t, text: { agent: "Agent", team: "Team", ai_agent: "AI agent" }[t], selected: rule.assign_to.type === t })));
    const target = h("select", { name: "rule_target", "aria-label": "Assign to", required: true });
    const fillTargets = (sel) => { clear(target).append(...targetOptions(type.value, sel)); };
    fillTargets(rule.assign_to.id);
    type.addEventListener("change", () => fillTargets(null));
    const row = h("tr", {}, h("td", {}, channel), h("td", {}, type), h("td", {}, target),
      h("td", {}, h("button", { type: "button", class: "ghost small", text: "Remove", "aria-label": "Remove this rule", on: { click: () => row.remove() } })));
    rules.append(row);
    return row;
  };
  r.channel_rules.forEach(addRule);

  const welcome = h("textarea", { name: "welcome_message", rows: 2, maxlength: 2000 });
  welcome.value = r.welcome_message || "";
  const away = h("textarea", { name: "away_message", rows: 2, maxlength: 2000 });
  away.value = r.away_message || "";
  const reassign = h("input", { type: "checkbox", name: "reassign_on_offline", checked: r.reassign_on_offline });

  const form = h("form", { id: "routing-form", class: "settings-form", "aria-labelledby": "routing-h" },
    h("h2", { id: "routing-h", text: "Conversation rules" }),
    h("p", { class: "muted", text: "Who gets a new conversation: an explicit assignee first, then the channel rules, then AI agents (if on), then your people." }),
    h("fieldset", {}, h("legend", { text: "When a conversation goes to people" }),
      mode("automatic", "Automatic assignment (round robin)", "Conversations go to online agents in turn, respecting their capacity."),
      mode("notify_everybody", "Notify everybody", "The default agent gets it and every agent is notified; anyone can claim it.")),
    field("Default agent", defaultAgent, "Gets conversations when nobody is online (automatic) or until someone claims them (notify everybody)."),
    h("fieldset", {}, h("legend", { text: "AI agents" }),
      field("Assign new conversations to AI agents", aiEnabled, "Several selected AI agents take turns."),
      aiPicker),
    h("fieldset", {}, h("legend", { text: "Channel rules" }),
      h("table", { class: "rules" }, h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Channel" }), h("th", { scope: "col", colspan: 2, text: "Assign to" }), h("th", { scope: "col" }, h("span", { class: "visually-hidden", text: "Actions" })))), rules),
      h("button", { type: "button", class: "ghost small", text: "Add a channel rule", on: { click: () => addRule().querySelector("input").focus() } })),
    field("Welcome message", welcome, "Sent when a human agent who is online gets a new conversation. Empty: none."),
    field("Away message", away, "Sent when the assignee is away or offline, or the conversation waits. Empty: none."),
    field("Reassign an agent's open conversations when they go offline", reassign),
    err,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Save rules" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      human_routing: form.querySelector("input[name=human_routing]:checked").value,
      default_agent_id: defaultAgent.value || null,
      ai_routing: {
        enabled: aiEnabled.checked,
        ai_agent_ids: [...form.querySelectorAll("input[name=ai_agent_ids]:checked")].map((i) => i.value),
      },
      channel_rules: [...rules.rows].map((row) => ({
        channel: row.querySelector("[name=rule_channel]").value.trim().toLowerCase(),
        assign_to: { type: row.querySelector("[name=rule_type]").value, id: row.querySelector("[name=rule_target]").value },
      })).filter((x) => x.channel),
      welcome_message: welcome.value.trim() || null,
      away_message: away.value.trim() || null,
      reassign_on_offline: reassign.checked,
    };
    try {
      state.routing = await api.put("/routing", body);
      showError(err, null);
      toast("Conversation rules saved");
      emit("directory");
    } catch (ex) {
      showError(err, ex);
    }
  });
  root.append(form);
}

// --- agents -------------------------------------------------------------------------------

async function agentsSection(root) {
  await loadDirectory();
  const err = errorBox();
  const rows = [...state.agents.values()].map((a) => {
    const role = h("select", { "aria-label": `Role of ${a.name}` }, ["agent", "admin"].map((x) => h("option", { value: x, text: x === "admin" ? "Admin" : "Agent", selected: a.role === x })));
    const cap = h("input", { type: "number", min: 1, max: 10000, value: a.max_concurrent ?? "", placeholder: "unlimited", "aria-label": `Capacity of ${a.name}`, class: "narrow" });
    const save = h("button", { type: "button", class: "small", text: "Save" });
    save.addEventListener("click", async () => {
      try {
        await api.patch(`/agents/${enc(a.id)}`, { role: role.value, max_concurrent: cap.value ? Number(cap.value) : null });
        toast(`${a.name} updated`);
        await loadDirectory();
      } catch (ex) { toast(ex.describe(), { kind: "error" }); }
    });
    const del = a.id === state.me.id ? h("span", { class: "muted small", text: "(you)" })
      : confirmButton("Delete", async () => { await api.del(`/agents/${enc(a.id)}`); toast(`${a.name} deleted`); await render("agents"); });
    return h("tr", { dataset: { id: a.id } },
      h("th", { scope: "row" }, h("span", { text: a.name }), h("br"), h("span", { class: "muted small", text: a.email })),
      h("td", {}, h("span", { class: `status-dot ${a.status}`, "aria-hidden": "true" }), " ", AGENT_STATUS[a.status] || a.status),
      h("td", {}, role), h("td", {}, cap), h("td", { class: "row-actions" }, save, " ", del));
  });
  const name = h("input", { name: "name", required: true, autocomplete: "off" });
  const email = h("input", { name: "email", type: "email", required: true, autocomplete: "off" });
  const password = h("input", { name: "password", type: "password", minlength: 8, autocomplete: "new-password" });
  const role = h("select", { name: "role" }, h("option", { value: "agent", text: "Agent" }), h("option", { value: "admin", text: "Admin" }));
  const cap = h("input", { name: "max_concurrent", type: "number", min: 1, max: 10000, placeholder: "unlimited" });
  const form = h("form", { class: "settings-form inline-form", id: "invite-form", "aria-labelledby": "invite-h" },
    h("h3", { id: "invite-h", text: "Invite an agent" }),
    h("div", { class: "grid" }, field("Name", name), field("Email", email),
      field("Password", password, "At least 8 characters; they use it to sign in."), field("Role", role),
      field("Capacity (open conversations)", cap, "Empty means unlimited.")),
    err, h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Invite agent" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body = { name: name.value.trim(), email: email.value.trim(), role: role.value, max_concurrent: cap.value ? Number(cap.value) : null };
      if (password.value) body.password = password.value;
      await api.post("/agents", body);
      toast(`${body.name} invited`);
      await render("agents");
    } catch (ex) { showError(err, ex); }
  });
  root.append(h("h2", { text: "Agents" }),
    h("table", { class: "data", id: "agents-table" },
      h("thead", {}, h("tr", {}, ["Agent", "Status", "Role", "Capacity", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows)),
    form);
}

// --- teams --------------------------------------------------------------------------------

function memberPicker(selected, label) {
  return h("fieldset", { class: "members" }, h("legend", { text: label }),
    [...state.agents.values()].map((a) => field(a.name, h("input", { type: "checkbox", value: a.id, checked: selected.includes(a.id) }))));
}
const pickedMembers = (fs) => [...fs.querySelectorAll("input:checked")].map((i) => i.value);

async function teamsSection(root) {
  await loadDirectory();
  root.append(h("h2", { text: "Teams" }));
  for (const t of state.teams.values()) {
    const name = h("input", { value: t.name, required: true });
    const members = memberPicker(t.member_ids, "Members");
    const form = h("form", { class: "settings-form team-card", "aria-label": `Team ${t.name}` },
      field("Team name", name), members,
      h("div", { class: "form-actions" }, h("button", { type: "submit", text: "Save team" }), " ",
        confirmButton("Delete team", async () => { await api.del(`/teams/${enc(t.id)}`); toast(`Team ${t.name} deleted`); await render("teams"); })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api.patch(`/teams/${enc(t.id)}`, { name: name.value.trim(), member_ids: pickedMembers(members) }); toast("Team saved"); await loadDirectory(); } catch (ex) { toast(ex.describe(), { kind: "error" }); }
    });
    root.append(form);
  }
  if (!state.teams.size) root.append(h("p", { class: "muted", text: "No teams yet." }));
  const name = h("input", { name: "name", required: true });
  const members = memberPicker([], "Members");
  const err = errorBox();
  const form = h("form", { class: "settings-form", id: "team-form", "aria-labelledby": "team-h" },
    h("h3", { id: "team-h", text: "New team" }), field("Team name", name), members, err,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Create team" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await api.post("/teams", { name: name.value.trim(), member_ids: pickedMembers(members) }); toast("Team created"); await render("teams"); } catch (ex) { showError(err, ex); }
  });
  root.append(form);
}

// --- AI agents ----------------------------------------------------------------------------

const LEX_COMMON = [
  { key: "access_key_id", label: "Access key id", required: true, autocomplete: "off" },
  { key: "secret_access_key", label: "Secret access key", secret: true, required: true },
  { key: "bot_name", label: "Bot name", required: true },
  { key: "bot_alias", label: "Bot alias", required: true, hint: "The alias name, e.g. prod or TestBotAlias." },
  { key: "region", label: "Region", required: true, placeholder: "us-east-1" },
];

/** The configuration fields each kind asks for (ai-agents.md). */
const KIND_FIELDS = {
  lex_v2: [...LEX_COMMON,
    { key: "locale", label: "Default locale", placeholder: "en_US", hint: "Used when the contact's language is not enabled on the alias." },
    { key: "endpoint_url", label: "Advanced: endpoint URL", advanced: true, type: "url", hint: "A private (VPC) endpoint; leave empty for AWS." }],
  lex_v1: [...LEX_COMMON,
    { key: "endpoint_url", label: "Advanced: endpoint URL", advanced: true, type: "url", hint: "A compatible endpoint; leave empty for AWS." }],
  dialogflow_es: [
    { key: "service_account", label: "Service account key (JSON)", secret: true, json: true, textarea: true, required: true },
    { key: "environment", label: "Environment", hint: "Optional; empty for the draft agent." },
    { key: "api_endpoint", label: "Advanced: API endpoint", advanced: true, type: "url", placeholder: "https://dialogflow.googleapis.com" }],
  dialogflow_cx: [
    { key: "service_account", label: "Service account key (JSON)", secret: true, json: true, textarea: true, required: true },
    { key: "agent", label: "Agent", required: true, placeholder: "projects/P/locations/L/agents/A" },
    { key: "api_endpoint", label: "Advanced: API endpoint", advanced: true, type: "url" }],
  webhook: [
    { key: "url", label: "Bot URL", type: "url", required: true },
    { key: "headers", label: "Headers (one “Name: value” per line)", headers: true, textarea: true, hint: "Values are secret: shown as **** and kept unless you retype them." },
    { key: "timeout_s", label: "Timeout (seconds)", type: "number", placeholder: "30" }],
  builtin: [
    { key: "document", label: "Kompose document (JSON)", whole: true, json: true, textarea: true, required: true, rows: 12,
      hint: "intents with categories welcome_event, intent, small_talk, fallback_intent; optional handoff_after_fallbacks." }],
};

const BUILTIN_EXAMPLE = {
  intents: [
    { name: "welcome", category: "welcome_event", content: [{ message: "Hello! How can I help?" }] },
    { name: "human", category: "intent", trainingPhrases: ["talk to a human"], content: [{ message: "Connecting you", metadata: { KM_ASSIGN_TO: "" } }] },
    { name: "fallback", category: "fallback_intent", content: [{ message: "Sorry, I did not get that." }] },
  ],
  languageCodes: ["en"],
  handoff_after_fallbacks: 2,
};

function configInput(spec, value, editing) {
  const id = `ai-${spec.key}`;
  let input;
  if (spec.textarea) {
    input = h("textarea", { id, name: spec.key, rows: spec.rows || 5, spellcheck: "false", class: "mono" });
  } else {
    input = h("input", { id, name: spec.key, type: spec.secret ? "password" : spec.type || "text", autocomplete: spec.secret ? "new-password" : "off", placeholder: spec.placeholder || null, step: spec.type === "number" ? "any" : null });
  }
  if (spec.secret) {
    input.placeholder = editing ? `${MASK} (unchanged — type to replace)` : spec.placeholder || "";
    input.required = Boolean(spec.required && !editing);
  } else {
    input.required = Boolean(spec.required);
    if (spec.headers && value && typeof value === "object") input.value = Object.entries(value).map(([k, v]) => `${k}: ${v}`).join("\n");
    else if (spec.json && value !== undefined) input.value = JSON.stringify(value, null, 2);
    else if (value !== undefined && value !== null) input.value = String(value);
  }
  return field(spec.label + (spec.required && !(spec.secret && editing) ? "" : " (optional)"), input, spec.hint);
}

function readConfig(form, kind, previous, editing) {
  const config = { ...(previous || {}) };
  const problems = [];
  for (const spec of KIND_FIELDS[kind] || []) {
    const input = form.querySelector(`[name="${spec.key}"]`);
    const raw = input.value.trim();
    if (spec.whole) {
      try {
        const doc = JSON.parse(raw);
        if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("not an object");
        return { config: doc, problems };
      } catch { problems.push(`${spec.label}: not valid JSON`); continue; }
    }
    if (spec.secret && !raw) {
      if (editing) config[spec.key] = MASK;
      else if (spec.required) problems.push(`${spec.label} is required`);
      continue;
    }
    if (!raw) { delete config[spec.key]; continue; }
    if (spec.json) {
      try { config[spec.key] = JSON.parse(raw); } catch { problems.push(`${spec.label}: not valid JSON`); }
    } else if (spec.headers) {
      const headers = {};
      for (const line of raw.split("\n")) {
        const i = line.indexOf(":");
        if (!line.trim()) continue;
        if (i < 1) { problems.push(`Header line “${line.trim()}” needs “Name: value”`); continue; }
        headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      config[spec.key] = headers;
    } else if (spec.type === "number") {
      config[spec.key] = Number(raw);
    } else {
      config[spec.key] = raw;
    }
  }
  return { config, problems };
}

function aiAgentForm(existing, onDone) {
  const editing = Boolean(existing);
  const err = errorBox();
  const kind = h("select", { id: "ai-kind", name: "kind", disabled: editing },
    Object.entries(AI_KINDS).map(([k, label]) => h("option", { value: k, text: label, selected: existing ? existing.kind === k : k === "lex_v2" })));
  const name = h("input", { id: "ai-name", name: "name", required: true, value: existing ? existing.name : "" });
  const language = h("input", { id: "ai-language", name: "language", value: existing ? existing.language : "en-US", placeholder: "en-US", required: true });
  const autoHandoff = h("input", { id: "ai-auto-handoff", type: "checkbox", name: "auto_handoff", checked: existing ? existing.auto_handoff : true });
  const routing = state.routing || { ai_routing: { enabled: false, ai_agent_ids: [] } };
  const handlesAll = h("input", { id: "ai-handle-all", type: "checkbox", name: "handle_all",
    checked: Boolean(existing && routing.ai_routing.enabled && routing.ai_routing.ai_agent_ids.includes(existing.id)) });
  const kindFields = h("div", { class: "kind-fields" });
  const advanced = h("details", { class: "advanced" }, h("summary", { text: "Advanced" }));
  const fillKind = () => {
    clear(kindFields);
    clear(advanced).append(h("summary", { text: "Advanced" }));
    const config = existing ? existing.config : kind.value === "builtin" ? null : {};
    let hasAdvanced = false;
    for (const spec of KIND_FIELDS[kind.value] || []) {
      let value = config ? config[spec.key] : undefined;
      if (spec.whole) value = config || BUILTIN_EXAMPLE;
      const el = configInput(spec, value, editing);
      if (spec.advanced) { advanced.append(el); hasAdvanced = true; if (value) advanced.open = true; } else kindFields.append(el);
    }
    advanced.hidden = !hasAdvanced;
  };
  kind.addEventListener("change", fillKind);
  fillKind();
  const title = editing ? `Edit ${existing.name}` : "New AI agent";
  const form = h("form", { class: "settings-form", id: "ai-agent-form", "aria-labelledby": "ai-form-h" },
    h("h3", { id: "ai-form-h", text: title }),
    h("div", { class: "grid" }, field("Kind", kind), field("Display name", name, "Shown to agents and in the assignment history."),
      field("Language", language, "BCP 47 tag used when the contact has none, e.g. en-US.")),
    kindFields, advanced,
    field("Hand over to a human automatically when the AI agent gives up or fails (auto handoff)", autoHandoff),
    field("Let this AI agent handle all new conversations", handlesAll, "Turns on “Assign new conversations to AI agents” with this AI agent."),
    err,
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "primary", text: editing ? "Save AI agent" : "Create AI agent" }), " ",
      h("button", { type: "button", class: "ghost", text: "Cancel", on: { click: () => onDone(null) } })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { config, problems } = readConfig(form, kind.value, existing && existing.config, editing);
    if (problems.length) { showError(err, new Error(problems.join("; "))); return; }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    submit.textContent = editing ? "Saving…" : "Checking the configuration…";
    try {
      const body = { name: name.value.trim(), config, auto_handoff: autoHandoff.checked, language: language.value.trim() };
      const saved = editing ? await api.patch(`/ai-agents/${enc(existing.id)}`, body) : await api.post("/ai-agents", { ...body, kind: kind.value });
      await applyHandleAll(saved.id, handlesAll.checked);
      showError(err, null);
      toast(editing ? `${saved.name} saved` : `${saved.name} created`);
      onDone(saved);
    } catch (ex) {
      showError(err, ex);
    } finally {
      submit.disabled = false;
      submit.textContent = editing ? "Save AI agent" : "Create AI agent";
    }
  });
  return form;
}

async function applyHandleAll(id, wanted) {
  const r = await api.get("/routing");
  const ids = r.ai_routing.ai_agent_ids;
  const has = r.ai_routing.enabled && ids.includes(id);
  if (wanted === has) { state.routing = r; return; }
  const next = wanted ? { enabled: true, ai_agent_ids: [id] } : { enabled: ids.filter((x) => x !== id).length > 0 && r.ai_routing.enabled, ai_agent_ids: ids.filter((x) => x !== id) };
  state.routing = await api.put("/routing", { ...r, ai_routing: next });
}

async function aiAgentsSection(root) {
  await loadDirectory();
  const formSlot = h("div", { id: "ai-form-slot" });
  const done = async (saved) => { if (saved) await render("ai-agents"); else clear(formSlot); };
  const openForm = (existing) => { clear(formSlot).append(aiAgentForm(existing, done)); formSlot.querySelector("input, select:not([disabled])").focus(); };
  const r = state.routing || { ai_routing: { enabled: false, ai_agent_ids: [] } };
  const rows = [...state.aiAgents.values()].map((a) => h("tr", { dataset: { id: a.id } },
    h("th", { scope: "row", text: a.name }),
    h("td", { text: AI_KINDS[a.kind] || a.kind }),
    h("td", { text: a.language }),
    h("td", { text: a.auto_handoff ? "On" : "Off" }),
    h("td", { text: r.ai_routing.enabled && r.ai_routing.ai_agent_ids.includes(a.id) ? "Takes new conversations" : "" }),
    h("td", { class: "row-actions" },
      h("button", { type: "button", class: "small", text: "Edit", "aria-label": `Edit ${a.name}`, on: { click: () => openForm(a) } }), " ",
      confirmButton("Delete", async () => { await api.del(`/ai-agents/${enc(a.id)}`); toast(`${a.name} deleted`); await render("ai-agents"); }))));
  root.append(h("h2", { text: "AI agents" }),
    h("p", { class: "muted", text: "Bots that answer first and hand over to people. Secrets are stored encrypted and never shown again." }),
    rows.length ? h("table", { class: "data", id: "ai-agents-table" },
      h("thead", {}, h("tr", {}, ["Name", "Kind", "Language", "Auto handoff", "Routing", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows)) : h("p", { class: "muted", text: "No AI agents yet." }),
    h("button", { type: "button", class: "primary", id: "new-ai-agent", text: "Add an AI agent", on: { click: () => openForm(null) } }),
    formSlot);
}

// --- API keys -----------------------------------------------------------------------------

async function apiKeysSection(root) {
  const keys = (await api.get("/api-keys")).items;
  const name = h("input", { name: "name", required: true, value: "" , placeholder: "e.g. CRM integration" });
  const err = errorBox();
  const reveal = h("div", { class: "reveal", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "settings-form inline-form", id: "api-key-form", "aria-labelledby": "key-h" },
    h("h3", { id: "key-h", text: "New API key" }), field("Name", name), err,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Create API key" })), reveal);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const created = await api.post("/api-keys", { name: name.value.trim() || "default" });
      await render("api-keys");
      const slot = $("#api-key-form .reveal");
      const input = h("input", { id: "new-key", readOnly: true, value: created.key, class: "mono", "aria-describedby": "new-key-hint" });
      const copy = h("button", { type: "button", class: "small", text: "Copy" });
      copy.addEventListener("click", async () => {
        try { await navigator.clipboard.writeText(created.key); copy.textContent = "Copied"; } catch { input.select(); }
      });
      slot.append(h("label", { for: "new-key", text: `Key “${created.name}”` }), h("div", { class: "copy-row" }, input, copy),
        h("p", { id: "new-key-hint", class: "hint warn", text: "Copy it now: it is shown only once." }));
      input.focus();
      input.select();
    } catch (ex) { showError(err, ex); }
  });
  root.append(h("h2", { text: "API keys" }),
    h("p", { class: "muted", text: "Server-to-server access to this app's whole API. Treat keys like passwords." }),
    keys.length ? h("table", { class: "data", id: "api-keys-table" },
      h("thead", {}, h("tr", {}, ["Name", "Key starts with", "Created", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, keys.map((k) => h("tr", { dataset: { id: k.id } },
        h("th", { scope: "row", text: k.name }), h("td", { class: "mono", text: `${k.prefix}…` }), h("td", {}, timeEl(k.created_at, false)),
        h("td", { class: "row-actions" }, confirmButton("Revoke", async () => { await api.del(`/api-keys/${enc(k.id)}`); toast(`Key ${k.name} revoked`); await render("api-keys"); })))))) : h("p", { class: "muted", text: "No API keys." }),
    form);
}

// --- webhooks -----------------------------------------------------------------------------

async function webhooksSection(root) {
  let hooks = [];
  let unavailable = null;
  try { hooks = (await api.get("/webhooks")).items || []; } catch (ex) { unavailable = ex; }
  const url = h("input", { name: "url", type: "url", required: true, placeholder: "https://example.com/relaydesk-events" });
  const secret = h("input", { name: "secret", type: "password", required: true, autocomplete: "new-password", minlength: 8 });
  const events = h("fieldset", { class: "events" }, h("legend", { text: "Events" }),
    WEBHOOK_EVENTS.map((ev) => field(ev, h("input", { type: "checkbox", name: "events", value: ev, checked: ev !== "agent.status" }))));
  const err = errorBox();
  const form = h("form", { class: "settings-form", id: "webhook-form", "aria-labelledby": "hook-h" },
    h("h3", { id: "hook-h", text: "New webhook" }),
    field("URL", url), field("Signing secret", secret, "Deliveries carry X-Relaydesk-Signature: an HMAC-SHA256 under this secret."),
    events, err, h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Add webhook" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = [...events.querySelectorAll("input:checked")].map((i) => i.value);
    if (!chosen.length) { showError(err, new Error("Choose at least one event.")); return; }
    try { await api.post("/webhooks", { url: url.value.trim(), secret: secret.value, events: chosen }); toast("Webhook added"); await render("webhooks"); } catch (ex) { showError(err, ex); }
  });
  root.append(h("h2", { text: "Webhooks" }),
    h("p", { class: "muted", text: "relaydesk POSTs events to your URL and retries until it answers 2xx." }),
    unavailable ? h("p", { class: "error", text: `Webhooks are not available: ${unavailable.message}` }) : null,
    hooks.length ? h("table", { class: "data", id: "webhooks-table" },
      h("thead", {}, h("tr", {}, ["URL", "Events", "Created", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, hooks.map((w) => h("tr", { dataset: { id: w.id } },
        h("th", { scope: "row", class: "mono wrap", text: str(w.url) }),
        h("td", { text: (w.events || []).join(", ") }),
        h("td", {}, w.created_at ? timeEl(w.created_at, false) : ""),
        h("td", { class: "row-actions" }, confirmButton("Delete", async () => { await api.del(`/webhooks/${enc(w.id)}`); toast("Webhook deleted"); await render("webhooks"); })))))) : unavailable ? null : h("p", { class: "muted", text: "No webhooks." }),
    form);
}

// --- the app: name and widget identity verification -------------------------------------

async function appSection(root) {
  const app = await api.get("/app");
  const err = errorBox();
  const appId = h("input", { id: "app-id", readOnly: true, value: app.id, class: "mono" });
  const name = h("input", { id: "app-name", name: "name", required: true, maxlength: 200, value: app.name, autocomplete: "off" });
  const requireHash = h("input", { id: "app-require-hash", type: "checkbox", name: "require_user_hash", checked: app.require_user_hash });
  // write-only: the server never returns the secret, and the field never holds the stored one
  const secret = h("input", { id: "app-secret", name: "verification_secret", type: "password", autocomplete: "new-password", spellcheck: "false", minlength: 16, maxlength: 200, value: "",
    placeholder: app.require_user_hash ? `${MASK} (set — type to replace)` : "at least 16 characters" });
  const explain = h("div", { class: "explain", id: "user-hash-explain" },
    h("p", {}, "With identity verification on, the chat widget must send ", h("code", { text: "user_hash" }),
      " with each visitor: the hex HMAC-SHA256 of the visitor's ", h("code", { text: "external_id" }),
      " under this secret. Compute it on your own server (never in the browser); widget sessions without a matching hash are refused, so nobody can chat as another visitor."),
    h("pre", { class: "mono" }, h("code", { text: 'user_hash = hmac.new(secret.encode(), external_id.encode(), "sha256").hexdigest()' })));
  const form = h("form", { id: "app-form", class: "settings-form", "aria-labelledby": "app-h" },
    h("h2", { id: "app-h", text: "App" }),
    field("App id", appId, "Public: the chat widget sends it when it starts a session."),
    field("App name", name),
    h("fieldset", {}, h("legend", { text: "Identity verification" }),
      explain,
      field("Require user_hash (identity verification)", requireHash, "Needs a verification secret: one saved before or typed below."),
      field("Verification secret", secret, "Write-only: it is stored encrypted and never shown again. Leave empty to keep the current one.")),
    err,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Save app settings" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), require_user_hash: requireHash.checked };
    if (secret.value) body.verification_secret = secret.value;
    if (!body.name) { showError(err, new Error("The app needs a name.")); name.focus(); return; }
    if (secret.value && secret.value.length < 16) { showError(err, new Error("The verification secret needs at least 16 characters.")); secret.focus(); return; }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const saved = await api.patch("/app", body);
      secret.value = "";
      showError(err, null);
      toast(saved.require_user_hash ? "App settings saved — identity verification is on" : "App settings saved");
      await render("app");
      $("#app-form button[type=submit]").focus();
    } catch (ex) {
      showError(err, ex);
    } finally {
      submit.disabled = false;
    }
  });
  root.append(form);
}

// --- the settings page --------------------------------------------------------------------

const RENDERERS = {
  routing: routingSection,
  agents: agentsSection,
  teams: teamsSection,
  "ai-agents": aiAgentsSection,
  "api-keys": apiKeysSection,
  webhooks: webhooksSection,
  app: appSection,
};

export async function render(section) {
  const pane = $("#settings-pane");
  if (!SECTIONS[section]) section = "routing";
  const nav = h("nav", { class: "settings-nav", "aria-label": "Settings" },
    Object.entries(SECTIONS).map(([key, label]) => h("a", { href: `#/settings/${key}`, "aria-current": key === section ? "page" : null, text: label })));
  const body = h("div", { class: "settings-body" });
  clear(pane).append(h("div", { class: "settings" }, nav, body));
  try {
    if (!state.agents.size || section === "routing") await loadDirectory();
    await RENDERERS[section](body);
  } catch (ex) {
    body.append(h("p", { class: "error", role: "alert", text: `Could not load ${SECTIONS[section]}: ${ex.message}` }));
  }
}
