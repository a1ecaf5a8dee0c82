// Business hours in the settings: a timezone, each day's opening times, holidays.

import { h } from "../dom.js";
import { field } from "./forms.js";

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];
const SPAN = /^([01]\d|2[0-3]):([0-5]\d)\s*-\s*(([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

function zones() {
  try { return Intl.supportedValuesOf("timeZone"); } catch { return ["UTC"]; }
}

function dayText(weekly, day) {
  return weekly.filter((w) => w.day === day).map((w) => `${w.open}-${w.close}`).join(", ");
}

function parseDay(text, day, name) {
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((span) => {
    const m = SPAN.exec(span);
    if (!m) throw new Error(`${name}: write opening times like 09:00-17:00 (several: 09:00-12:00, 13:00-17:00)`);
    const [open, close] = span.split("-").map((x) => x.trim());
    return { day, open, close };
  });
}

/** The hours fieldset and its value (null when off; throws on times it cannot read). */
export function hoursFields(current, { legend, toggle, hint }) {
  const on = h("input", { type: "checkbox", checked: !!current });
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const zone = (current && current.timezone) || here;
  const known = zones();
  if (!known.includes(zone)) known.unshift(zone); // an alias (US/Eastern) stays as it is
  const tz = h("select", {}, known.map((z) => h("option", { value: z, text: z, selected: z === zone })));
  const weekly = (current && current.weekly) || [];
  const days = DAYS.map(([day, name]) => {
    const input = h("input", { value: dayText(weekly, day), placeholder: "closed", "aria-label": `${name} (${legend})` });
    return { day, name, input };
  });
  const holidays = h("input", { value: ((current && current.holidays) || []).join(", "), placeholder: "2026-12-25, 2026-12-26" });
  const parts = h("div", { class: "hours-days" },
    field("Timezone", tz), ...days.map((d) => field(d.name, d.input)),
    field("Holidays (closed all day)", holidays, "Dates as YYYY-MM-DD, separated by commas."));
  const sync = () => { parts.hidden = !on.checked; };
  on.addEventListener("change", sync);
  sync();
  const node = h("fieldset", {}, h("legend", { text: legend }), field(toggle, on, hint), parts);
  const values = () => {
    if (!on.checked) return null;
    return {
      timezone: tz.value,
      weekly: days.flatMap((d) => parseDay(d.input.value, d.day, d.name)),
      holidays: holidays.value.split(",").map((s) => s.trim()).filter(Boolean),
    };
  };
  return { node, values };
}
