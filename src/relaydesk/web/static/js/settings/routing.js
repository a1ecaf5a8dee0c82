// The conversation rules: how people and AI agents get new conversations.

import { api } from "../api.js";
import { clear, h, toast } from "../dom.js";
import { AI_KINDS } from "../labels.js";
import { emit, state } from "../state.js";
import { closingFields } from "./closing.js";
import { errorBox, field, showError } from "./forms.js";
import { hoursFields } from "./hours.js";

function agentOptions(selected, { none = "None" } = {}) {
  return [h("option", { value: "", text: none }),
    ...[...state.agents.values()].map((a) => h("option", { value: a.id, text: `${a.name} <${a.email}>`, selected: a.id === selected }))];
}

function targetOptions(type, selected) {
  const source = type === "agent" ? state.agents : type === "team" ? state.teams : state.aiAgents;
  return [...source.values()].map((x) => h("option", { value: x.id, text: x.name, selected: x.id === selected }));
}

export async function routingSection(root) {
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
  const closing = closingFields(r);
  const hours = hoursFields(r.business_hours, { legend: "Business hours", toggle: "Use business hours", hint: "Off: always open. AI agents answer around the clock either way." });
  const outside = (value, label) => field(label, h("input", { type: "radio", name: "outside_hours", value, checked: (r.outside_hours || "assign") === value }));

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
    hours.node,
    h("fieldset", {}, h("legend", { text: "Outside business hours" }),
      outside("assign", "Assign by the rules as usual (with the away message)"),
      outside("queue", "Let conversations wait until the desk opens")),
    closing.node,
    err,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Save rules" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let businessHours;
    try { businessHours = hours.values(); } catch (ex) { showError(err, ex); return; }
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
      ...closing.values(),
      business_hours: businessHours,
      outside_hours: form.querySelector("input[name=outside_hours]:checked").value,
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
