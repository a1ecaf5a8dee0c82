// The app: its name, the widget's identity verification and the websites it may run on.

import { api } from "../api.js";
import { $, h, toast } from "../dom.js";
import { MASK, errorBox, field, showError } from "./forms.js";
import { render } from "./page.js";

export async function appSection(root) {
  const app = await api.get("/app");
  const err = errorBox();
  const appId = h("input", { id: "app-id", readOnly: true, value: app.id, class: "mono" });
  const name = h("input", { id: "app-name", name: "name", required: true, maxlength: 200, value: app.name, autocomplete: "off" });
  const requireHash = h("input", { id: "app-require-hash", type: "checkbox", name: "require_user_hash", checked: app.require_user_hash });
  // write-only: the server never returns the secret, and the field never holds the stored one
  const secret = h("input", { id: "app-secret", name: "verification_secret", type: "password", autocomplete: "new-password", spellcheck: "false", minlength: 16, maxlength: 200, value: "",
    placeholder: app.require_user_hash ? `${MASK} (set — type to replace)` : "at least 16 characters" });
  const origins = h("textarea", { id: "app-origins", name: "allowed_origins", rows: 3, spellcheck: "false", class: "mono",
    placeholder: "https://www.example.com", value: (app.allowed_origins || []).join("\n") });
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
    h("fieldset", {}, h("legend", { text: "Websites" }),
      field("Websites allowed to run the chat widget", origins, "One origin per line (https://shop.example.com, no path). Empty: any website may embed the widget.")),
    err,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: "Save app settings" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const list = origins.value.split(/[\s,]+/).map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
    const body = { name: name.value.trim(), require_user_hash: requireHash.checked, allowed_origins: list.length ? list : null };
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
