// The settings page: its sections, the navigation between them, and the section shown.

import { $, clear, h } from "../dom.js";
import { loadDirectory, state } from "../state.js";

export const SECTIONS = {
  routing: "Conversation rules",
  agents: "Agents",
  teams: "Teams",
  "ai-agents": "AI agents",
  knowledge: "Knowledge base",
  "api-keys": "API keys",
  webhooks: "Webhooks",
  app: "App",
};

/** Each section's renderer, registered by settings.js (the sections import render from here). */
const RENDERERS = {};

export function registerSections(renderers) {
  Object.assign(RENDERERS, renderers);
}

export async function render(section) {
  const pane = $("#settings-pane");
  if (!SECTIONS[section]) section = "routing";
  const nav = h("nav", { class: "settings-nav", "aria-label": "Settings" },
    Object.entries(SECTIONS).map(([key, label]) => h("a", { href: `#/settings/${key}`, "aria-current": key === section ? "page" : null, text: label })));
  const body = h("div", { class: "settings-body" });
  clear(pane).append(h("div", { class: "settings" }, nav, body));
  try {
    if (!state.agents.size || section === "routing") await loadDirectory();
    await RENDERERS[section](body);
  } catch (ex) {
    body.append(h("p", { class: "error", role: "alert", text: `Could not load ${SECTIONS[section]}: ${ex.message}` }));
  }
}
