// relaydesk chat widget: the page's settings, the server, the UI strings.

export const settings = window.relaydeskSettings || {};
// this module is <server>/widget/config.js, next to the loader <server>/widget.js
export const BASE = String(settings.serverUrl || new URL("..", import.meta.url).href).replace(/\/+$/, "");
export const APP_ID = String(settings.appId || "");
export const L = Object.assign(
  {
    title: "Chat with us",
    placeholder: "Write a message…",
    send: "Send",
    human: "Talk to a human",
    bot: "AI assistant",
    agent: "Agent",
    waiting: "Waiting for an agent…",
    queue: "Waiting for an agent — you are number {n} in the queue.",
    resolved: "This conversation is resolved. Write to start again.",
    typing: "{who} is typing…",
    seen: "Seen",
    reconnecting: "Reconnecting…",
    uploading: "Uploading {name}…",
    tooLarge: "That file is too large.",
    badType: "That type of file is not accepted.",
    noLocation: "Your location is not available.",
    location: "Shared location",
    submitted: "Submitted",
    required: "This field is required.",
    invalid: "Please check this value.",
    failed: "Not sent. Tap to retry.",
    attach: "Attach a file",
    shareLocation: "Share your location",
    close: "Close",
    open: "Open chat",
    rate: "{n} of 5",
    rateComment: "Anything to add? (optional)",
    rateSend: "Send rating",
    rated: "Thanks for your rating!",
    away: "We're away right now. We'll be back {when}.",
    awayNoTime: "We're away right now.",
  },
  settings.labels || {}
);
export const KEY = "relaydesk:" + APP_ID + ":";
