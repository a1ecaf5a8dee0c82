// relaydesk chat widget: the form template (templateId 12): fields, validation, submitting.

import { postExternal, sendMessage } from "./actions.js";
import { L } from "./config.js";
import { el } from "./dom.js";
import { S } from "./state.js";
import { asList, isObject, randomId } from "./util.js";

const INPUT_TYPES = ["text", "password", "email", "number", "tel", "url", "date", "time", "datetime-local"];

export function renderForm(payload, md, message) {
  const box = el("div", "rd-rich");
  const form = el("form", "rd-form");
  form.noValidate = true;
  const fieldset = el("fieldset");
  form.appendChild(fieldset);
  const fields = [];
  let submit = null;
  asList(payload).forEach((item, i) => {
    const type = String(item.type || "text").toLowerCase();
    const d = isObject(item.data) ? item.data : item;
    if (type === "submit") {
      submit = d;
      return;
    }
    const name = String(d.name || d.label || d.title || "field" + i);
    if (type === "hidden") {
      fields.push({ name, type, value: () => (d.value === undefined ? "" : d.value) });
      return;
    }
    const wrap = el("div", "rd-field");
    const id = "rd-" + randomId();
    const label = el("label", "rd-label", d.label || d.title || name);
    wrap.appendChild(label);
    const error = el("div", "rd-field-error", "");
    const validation = isObject(d.validation) ? d.validation : {};
    const field = { name, type, wrap, error, validation, required: !!(d.required || validation.required) };
    if (type === "radio" || type === "checkbox") {
      const group = el("div", "rd-options");
      const options = asList(d.options).map((o) => {
        const row = el("label", "rd-option");
        const box = el("input");
        box.type = type;
        box.name = id;
        box.value = o.value === undefined ? o.label : o.value;
        if (o.selected) box.checked = true;
        row.append(box, document.createTextNode(String(o.label === undefined ? o.value : o.label)));
        group.appendChild(row);
        return box;
      });
      wrap.appendChild(group);
      field.value = () =>
        type === "radio"
          ? (options.find((o) => o.checked) || { value: "" }).value
          : options.filter((o) => o.checked).map((o) => o.value);
    } else {
      let control;
      if (type === "dropdown" || type === "select") {
        control = el("select", "rd-input");
        for (const o of asList(d.options)) {
          const opt = el("option", "", o.label === undefined ? o.value : o.label);
          opt.value = o.value === undefined ? "" : String(o.value);
          if (o.selected) opt.selected = true;
          if (o.disabled) opt.disabled = true;
          control.appendChild(opt);
        }
      } else if (type === "textarea") {
        control = el("textarea", "rd-input");
        control.rows = 3;
      } else {
        control = el("input", "rd-input");
        control.type = INPUT_TYPES.indexOf(type) >= 0 ? type : "text";
      }
      control.id = id;
      control.name = name;
      if (d.placeholder) control.placeholder = String(d.placeholder);
      if (d.value !== undefined && control.tagName !== "SELECT") control.value = String(d.value);
      label.htmlFor = id;
      wrap.appendChild(control);
      field.control = control;
      field.value = () => control.value;
      control.addEventListener("input", () => {
        error.textContent = "";
        wrap.classList.remove("rd-invalid");
      });
    }
    wrap.appendChild(error);
    fieldset.appendChild(wrap);
    fields.push(field);
  });
  const submitData = submit || {};
  const action = isObject(submitData.action) ? submitData.action : {};
  const button = el("button", "rd-btn rd-solid rd-form-submit", submitData.name || submitData.label || "Submit");
  button.type = "submit";
  fieldset.appendChild(button);

  function validate(field) {
    if (!field.wrap) return true;
    const value = field.value();
    const empty = Array.isArray(value) ? value.length === 0 : String(value).trim() === "";
    let problem = "";
    if (empty && (field.required || ((field.type === "dropdown" || field.type === "select") && field.validation.errorText))) {
      problem = field.validation.errorText || L.required;
    } else if (!empty && field.validation.regex) {
      let re = null;
      try {
        re = new RegExp(field.validation.regex);
      } catch (e) {
        re = null;
      }
      if (re && !re.test(String(value))) problem = field.validation.errorText || L.invalid;
    } else if (!empty && field.control && field.control.type === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value))) {
      problem = field.validation.errorText || L.invalid;
    } else if (!empty && field.control && !field.control.checkValidity()) {
      problem = field.validation.errorText || L.invalid;
    }
    field.error.textContent = problem;
    field.wrap.classList.toggle("rd-invalid", !!problem);
    return !problem;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (form.classList.contains("rd-submitted")) return;
    const ok = fields.map(validate).every(Boolean);
    if (!ok) return;
    const data = {};
    const lines = [];
    for (const f of fields) {
      data[f.name] = f.value();
      if (f.wrap && f.type !== "password") {
        const v = Array.isArray(data[f.name]) ? data[f.name].join(", ") : data[f.name];
        if (String(v) !== "") lines.push(f.name + ": " + v);
      }
    }
    postExternal(action.formAction, action.requestType, data);
    const text = action.message || submitData.message || lines.join("\n") || L.submitted;
    markFormSubmitted(message.id);
    sendMessage({ text: String(text), metadata: { formData: data, formMessageId: message.id } });
  });
  box.appendChild(form);
  S.forms[message.id] = { form, fieldset, button };
  if (S.submittedForms.has(message.id)) markFormSubmitted(message.id);
  return box;
}

export function markFormSubmitted(id) {
  S.submittedForms.add(id);
  const f = S.forms[id];
  if (!f) return;
  f.fieldset.disabled = true;
  f.form.classList.add("rd-submitted");
  f.button.textContent = L.submitted;
}
