// Admin settings: conversation rules, agents, teams, AI agents, API keys, webhooks, the app.
// Each section lives in settings/; this module registers them with the settings page.

import { aiAgentsSection } from "./settings/ai-agents.js";
import { appSection } from "./settings/app-settings.js";
import { apiKeysSection, webhooksSection } from "./settings/integrations.js";
import { knowledgeSection } from "./settings/knowledge.js";
import { registerSections } from "./settings/page.js";
import { agentsSection, teamsSection } from "./settings/people.js";
import { routingSection } from "./settings/routing.js";

export { SECTIONS, render } from "./settings/page.js";

registerSections({
  routing: routingSection,
  agents: agentsSection,
  teams: teamsSection,
  "ai-agents": aiAgentsSection,
  knowledge: knowledgeSection,
  "api-keys": apiKeysSection,
  webhooks: webhooksSection,
  app: appSection,
});
