// Integrations: API keys for servers, and webhooks that receive events.

import { api } from "../api.js";
import { $, h, str, timeEl, toast } from "../dom.js";
import { confirmButton, enc, errorBox, field, showError } from "./forms.js";
import { render } from "./page.js";

// --- API keys -----------------------------------------------------------------------------

export async function apiKeysSection(root) {
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

export async function webhooksSection(root) {
  let hooks = [];
  let unavailable = null;
  let eventTypes = [];
  try {
    hooks = (await api.get("/webhooks")).items || [];
    eventTypes = (await api.get("/webhooks/event-types")).items || [];
  } catch (ex) { unavailable = ex; }
  const url = h("input", { name: "url", type: "url", required: true, placeholder: "https://example.com/relaydesk-events" });
  const secret = h("input", { name: "secret", type: "password", required: true, autocomplete: "new-password", minlength: 16 });
  const events = h("fieldset", { class: "events" }, h("legend", { text: "Events" }),
    eventTypes.map((ev) => field(ev, h("input", { type: "checkbox", name: "events", value: ev, checked: ev !== "agent.status" }))));
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
