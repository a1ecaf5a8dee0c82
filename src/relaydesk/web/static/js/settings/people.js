// People: the agents and the teams they belong to.

import { api } from "../api.js";
import { h, toast } from "../dom.js";
import { AGENT_STATUS } from "../labels.js";
import { loadDirectory, state } from "../state.js";
import { confirmButton, enc, errorBox, field, showError } from "./forms.js";
import { hoursFields } from "./hours.js";
import { render } from "./page.js";

// --- agents -------------------------------------------------------------------------------

export async function agentsSection(root) {
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

export async function teamsSection(root) {
  await loadDirectory();
  root.append(h("h2", { text: "Teams" }));
  for (const t of state.teams.values()) {
    const name = h("input", { value: t.name, required: true });
    const members = memberPicker(t.member_ids, "Members");
    const hours = hoursFields(t.business_hours, { legend: "Team hours", toggle: `Own business hours for ${t.name}`, hint: "Off: the app's hours." });
    const form = h("form", { class: "settings-form team-card", "aria-label": `Team ${t.name}` },
      field("Team name", name), members, hours.node,
      h("div", { class: "form-actions" }, h("button", { type: "submit", text: "Save team" }), " ",
        confirmButton("Delete team", async () => { await api.del(`/teams/${enc(t.id)}`); toast(`Team ${t.name} deleted`); await render("teams"); })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const body = { name: name.value.trim(), member_ids: pickedMembers(members), business_hours: hours.values() };
        await api.patch(`/teams/${enc(t.id)}`, body); toast("Team saved"); await loadDirectory();
      } catch (ex) { toast(ex.describe ? ex.describe() : ex.message, { kind: "error" }); }
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
