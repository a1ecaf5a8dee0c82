// The AI agents: their list, and the form (one per kind) to add or edit one.

import { api } from "../api.js";
import { clear, h, toast } from "../dom.js";
import { AI_KINDS } from "../labels.js";
import { loadDirectory, state } from "../state.js";
import { BUILTIN_EXAMPLE, KIND_FIELDS, configInput, readConfig } from "./ai-config.js";
import { confirmButton, enc, errorBox, field, showError } from "./forms.js";
import { render } from "./page.js";

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

export async function aiAgentsSection(root) {
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
