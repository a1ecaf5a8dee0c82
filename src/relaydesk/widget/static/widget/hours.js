// relaydesk chat widget: outside business hours, say when people are back (in the
// visitor's own time); the desk's hours come from GET /api/v1/business-hours/status.

import { L } from "./config.js";
import { ready } from "./conversation.js";
import { request } from "./http.js";
import { away } from "./view.js";

let checked = 0;

/** Show or hide the "we're away" line; at most once a minute. */
export async function checkHours() {
  if (Date.now() - checked < 60000) return;
  checked = Date.now();
  try {
    await ready;
    const status = await request("GET", "/api/v1/business-hours/status");
    away.hidden = !status || status.open !== false;
    if (!away.hidden) {
      const when = status.next_open_at ? new Date(status.next_open_at) : null;
      away.textContent = when
        ? L.away.replace("{when}", when.toLocaleString([], { weekday: "long", hour: "2-digit", minute: "2-digit" }))
        : L.awayNoTime;
    }
  } catch (e) {
    checked = 0; // try again on the next open
  }
}
