// What each kind of AI agent asks for: its configuration fields, their inputs, reading them back.

import { h } from "../dom.js";
import { MASK, field } from "./forms.js";

const LEX_COMMON = [
  { key: "access_key_id", label: "Access key id", required: true, autocomplete: "off" },
  { key: "secret_access_key", label: "Secret access key", secret: true, required: true },
  { key: "bot_name", label: "Bot name", required: true },
  { key: "bot_alias", label: "Bot alias", required: true, hint: "The alias name, e.g. prod or TestBotAlias." },
  { key: "region", label: "Region", required: true, placeholder: "us-east-1" },
];

/** The configuration fields each kind asks for (ai-agents.md). */
export const KIND_FIELDS = {
  lex_v2: [...LEX_COMMON,
    { key: "locale", label: "Default locale", placeholder: "en_US", hint: "Used when the contact's language is not enabled on the alias." },
    { key: "endpoint_url", label: "Advanced: endpoint URL", advanced: true, type: "url", hint: "A private (VPC) endpoint; leave empty for AWS." }],
  lex_v1: [...LEX_COMMON,
    { key: "endpoint_url", label: "Advanced: endpoint URL", advanced: true, type: "url", hint: "A compatible endpoint; leave empty for AWS." }],
  dialogflow_es: [
    { key: "service_account", label: "Service account key (JSON)", secret: true, json: true, textarea: true, required: true },
    { key: "environment", label: "Environment", hint: "Optional; empty for the draft agent." },
    { key: "api_endpoint", label: "Advanced: API endpoint", advanced: true, type: "url", placeholder: "https://dialogflow.googleapis.com" }],
  dialogflow_cx: [
    { key: "service_account", label: "Service account key (JSON)", secret: true, json: true, textarea: true, required: true },
    { key: "agent", label: "Agent", required: true, placeholder: "projects/P/locations/L/agents/A" },
    { key: "api_endpoint", label: "Advanced: API endpoint", advanced: true, type: "url" }],
  webhook: [
    { key: "url", label: "Bot URL", type: "url", required: true },
    { key: "headers", label: "Headers (one “Name: value” per line)", headers: true, textarea: true, hint: "Values are secret: shown as **** and kept unless you retype them." },
    { key: "timeout_s", label: "Timeout (seconds)", type: "number", placeholder: "30" }],
  builtin: [
    { key: "document", label: "Kompose document (JSON)", whole: true, json: true, textarea: true, required: true, rows: 12,
      hint: "intents with categories welcome_event, intent, small_talk, fallback_intent; optional handoff_after_fallbacks; \"use_knowledge\": true answers unmatched questions from the knowledge base." }],
  openai: [
    { key: "base_url", label: "Model server URL", type: "url", placeholder: "https://api.openai.com/v1",
      hint: "Any OpenAI-compatible server: OpenAI, Azure OpenAI, vLLM, Ollama (http://localhost:11434/v1), llama.cpp (http://localhost:8080/v1)." },
    { key: "api_key", label: "API key", secret: true, hint: "Leave empty for servers without keys (Ollama, llama.cpp)." },
    { key: "model", label: "Model", required: true, placeholder: "gpt-4o-mini" },
    { key: "system_prompt", label: "System prompt", textarea: true, rows: 5, hint: "Who the assistant is and how it answers; the knowledge-base and handoff instructions are added." },
    { key: "welcome_message", label: "Welcome message", hint: "Posted when a conversation starts (no model call); empty: none." },
    { key: "use_knowledge", label: "Answer from the knowledge base (the search_knowledge tool)", checkbox: true, default: true },
    { key: "temperature", label: "Temperature", type: "number", advanced: true, placeholder: "server default" },
    { key: "max_tokens", label: "Max tokens per answer", type: "number", advanced: true },
    { key: "history_messages", label: "Messages of history sent", type: "number", advanced: true, placeholder: "20" },
    { key: "timeout_s", label: "Timeout (seconds)", type: "number", advanced: true, placeholder: "60" }],
};

export const BUILTIN_EXAMPLE = {
  intents: [
    { name: "welcome", category: "welcome_event", content: [{ message: "Hello! How can I help?" }] },
    { name: "human", category: "intent", trainingPhrases: ["talk to a human"], content: [{ message: "Connecting you", metadata: { KM_ASSIGN_TO: "" } }] },
    { name: "fallback", category: "fallback_intent", content: [{ message: "Sorry, I did not get that." }] },
  ],
  languageCodes: ["en"],
  handoff_after_fallbacks: 2,
};

export function configInput(spec, value, editing) {
  const id = `ai-${spec.key}`;
  let input;
  if (spec.checkbox) {
    input = h("input", { id, name: spec.key, type: "checkbox", checked: value === undefined || value === null ? Boolean(spec.default) : Boolean(value) });
    return field(spec.label, input, spec.hint);
  }
  if (spec.textarea) {
    input = h("textarea", { id, name: spec.key, rows: spec.rows || 5, spellcheck: "false", class: "mono" });
  } else {
    input = h("input", { id, name: spec.key, type: spec.secret ? "password" : spec.type || "text", autocomplete: spec.secret ? "new-password" : "off", placeholder: spec.placeholder || null, step: spec.type === "number" ? "any" : null });
  }
  if (spec.secret) {
    input.placeholder = editing ? `${MASK} (unchanged — type to replace)` : spec.placeholder || "";
    input.required = Boolean(spec.required && !editing);
  } else {
    input.required = Boolean(spec.required);
    if (spec.headers && value && typeof value === "object") input.value = Object.entries(value).map(([k, v]) => `${k}: ${v}`).join("\n");
    else if (spec.json && value !== undefined) input.value = JSON.stringify(value, null, 2);
    else if (value !== undefined && value !== null) input.value = String(value);
  }
  return field(spec.label + (spec.required && !(spec.secret && editing) ? "" : " (optional)"), input, spec.hint);
}

export function readConfig(form, kind, previous, editing) {
  const config = { ...(previous || {}) };
  const problems = [];
  for (const spec of KIND_FIELDS[kind] || []) {
    const input = form.querySelector(`[name="${spec.key}"]`);
    if (spec.checkbox) { config[spec.key] = input.checked; continue; }
    const raw = input.value.trim();
    if (spec.whole) {
      try {
        const doc = JSON.parse(raw);
        if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("not an object");
        return { config: doc, problems };
      } catch { problems.push(`${spec.label}: not valid JSON`); continue; }
    }
    if (spec.secret && !raw) {
      if (editing) config[spec.key] = MASK;
      else if (spec.required) problems.push(`${spec.label} is required`);
      continue;
    }
    if (!raw) { delete config[spec.key]; continue; }
    if (spec.json) {
      try { config[spec.key] = JSON.parse(raw); } catch { problems.push(`${spec.label}: not valid JSON`); }
    } else if (spec.headers) {
      const headers = {};
      for (const line of raw.split("\n")) {
        const i = line.indexOf(":");
        if (!line.trim()) continue;
        if (i < 1) { problems.push(`Header line “${line.trim()}” needs “Name: value”`); continue; }
        headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
      }
      config[spec.key] = headers;
    } else if (spec.type === "number") {
      config[spec.key] = Number(raw);
    } else {
      config[spec.key] = raw;
    }
  }
  return { config, problems };
}
