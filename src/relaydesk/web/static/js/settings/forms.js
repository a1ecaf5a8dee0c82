// Shared pieces of the settings forms: labelled fields, error boxes, confirm-twice buttons.

import { h, toast } from "../dom.js";

export const MASK = "****";
export const enc = encodeURIComponent;

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** A labelled field; the input gets an id when it has none. */
export function field(label, input, hint) {
  if (!input.id) input.id = nextId("f");
  const hintEl = hint ? h("p", { class: "hint", id: `${input.id}-hint`, text: hint }) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  const isCheck = input.type === "checkbox" || input.type === "radio";
  return h("div", { class: `field${isCheck ? " checkbox" : ""}` },
    isCheck ? [input, h("label", { for: input.id, text: label })] : [h("label", { for: input.id, text: label }), input],
    hintEl);
}

export function errorBox() { return h("p", { class: "error", role: "alert", hidden: true }); }
export function showError(box, err) {
  box.textContent = err ? (err.describe ? err.describe() : err.message) : "";
  box.hidden = !err;
}

/** A delete button that asks once more ("Click again to confirm") instead of a dialog. */
export function confirmButton(label, action, confirmLabel = "Click again to confirm") {
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
