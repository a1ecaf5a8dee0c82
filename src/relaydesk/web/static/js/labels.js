// Plain-language labels: assignment reasons and details (routing.md), statuses, kinds.

/** Every reason code of routing.md → a sentence an agent understands. */
export const REASONS = {
  explicit: "Assigned when the conversation was created (chosen by the creator)",
  channel_rule: "Assigned by the channel rule for this channel",
  ai_routing: "Assigned automatically to an AI agent (AI routing)",
  round_robin: "Assigned automatically (round robin)",
  default_agent: "Assigned to the default agent (nobody was online)",
  queued: "Put in the waiting queue (nobody could take it)",
  notify_everybody: "Everybody was notified; assigned to the default agent until someone claims it",
  dequeued: "Taken from the waiting queue when an agent became available",
  ai_handoff: "The AI agent handed over to a human",
  ai_handoff_agent: "The AI agent handed over to a specific agent",
  ai_handoff_team: "The AI agent handed over to a team",
  ai_handoff_ai_agent: "The AI agent handed over to another AI agent",
  ai_hangup: "The AI agent gave up, so a human took over (automatic handoff)",
  ai_error: "The AI agent kept failing, so a human took over (automatic handoff)",
  takeover: "An agent took over from the AI agent",
  claim: "Claimed by an agent",
  manual: "Assigned by hand",
  agent_offline: "Reassigned because the previous agent went offline",
  reopened: "The contact wrote again, so the conversation was reopened",
};

/** Detail codes (docs/routing-engine.md) → a short explanation. Unknown details are shown as they are. */
export const DETAILS = {
  unknown_assignee: "the named assignee does not exist, so the rules decided",
  unknown_team: "the named team does not exist",
  participant: "back to the agent already in the conversation",
  round_robin: "by round robin",
  team_round_robin: "by round robin within the team",
  notify_everybody: "everybody was notified",
  no_agent_online: "no agent was online",
  all_agents_at_capacity: "every online agent was at capacity",
  team_has_no_eligible_member: "no team member was available",
  no_default_agent: "no default agent is set",
  explicit: "the rules chose an explicit assignee",
  channel_rule: "the rules applied the channel rule",
  ai_routing: "the rules chose an AI agent",
  default_agent: "the rules chose the default agent",
  queued: "the rules put it in the queue",
};

export function reasonText(reason) {
  return REASONS[reason] || `Assigned (${reason})`;
}

export function detailText(detail) {
  if (!detail) return "";
  return DETAILS[detail] || detail;
}

export const STATUS_LABELS = { open: "Open", waiting: "Waiting", resolved: "Resolved", spam: "Spam" };
export const AGENT_STATUS = { online: "Online", away: "Away", offline: "Offline" };

export const AI_KINDS = {
  lex_v2: "Amazon Lex V2",
  lex_v1: "Amazon Lex V1 (legacy)",
  dialogflow_es: "Dialogflow ES",
  dialogflow_cx: "Dialogflow CX",
  webhook: "Webhook bot",
  builtin: "Built-in bot",
  openai: "LLM (OpenAI-compatible)",
};
