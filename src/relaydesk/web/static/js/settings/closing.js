// The conversation rules' last part: resolving idle conversations and asking for a rating.

import { h } from "../dom.js";
import { field } from "./forms.js";

/** The "When a conversation ends" fieldset for the routing form, and its values. */
export function closingFields(r) {
  const auto = r.auto_resolve || null;
  const autoOn = h("input", { type: "checkbox", name: "auto_resolve_on", checked: !!auto });
  const minutes = h("input", {
    type: "number", name: "auto_resolve_minutes", min: 1, max: 525600, step: 1,
    value: auto ? Math.max(1, Math.round(auto.idle_seconds / 60)) : 60,
  });
  const bye = h("textarea", { name: "auto_resolve_message", rows: 2, maxlength: 2000 });
  bye.value = (auto && auto.message) || "";
  const csatOn = h("input", { type: "checkbox", name: "csat_on", checked: !!(r.csat && r.csat.enabled) });
  const question = h("input", { name: "csat_question", maxlength: 2000, placeholder: "How would you rate this conversation?" });
  question.value = (r.csat && r.csat.question) || "";
  const sync = () => {
    minutes.disabled = bye.disabled = !autoOn.checked;
    question.disabled = !csatOn.checked;
  };
  autoOn.addEventListener("change", sync);
  csatOn.addEventListener("change", sync);
  sync();
  const node = h("fieldset", {}, h("legend", { text: "When a conversation ends" }),
    field("Resolve answered conversations that go quiet", autoOn, "Only when the contact was answered; a contact waiting for a reply is never closed on."),
    field("Quiet for (minutes)", minutes),
    field("Message before resolving", bye, "Posted to the contact first. Empty: none."),
    field("Ask the contact for a rating when resolved", csatOn, "The widget shows 1–5 stars and a comment box."),
    field("Rating question", question));
  const shown = minutes.value;
  // seconds set through the API (90) stay as they are unless the minutes are changed
  const seconds = () => (auto && minutes.value === shown ? auto.idle_seconds : Math.max(1, Math.round(Number(minutes.value) || 60)) * 60);
  const values = () => ({
    auto_resolve: autoOn.checked ? { idle_seconds: seconds(), message: bye.value.trim() || null } : null,
    csat: csatOn.checked ? { enabled: true, question: question.value.trim() || null } : null,
  });
  return { node, values };
}
