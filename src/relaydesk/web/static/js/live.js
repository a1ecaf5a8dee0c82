// The WebSocket: one connection, reconnects with backoff, reports frames on the bus.

import { session } from "./api.js";
import { emit } from "./state.js";

let socket = null;
let stopped = true;
let attempt = 0;
let timer = null;
let everReady = false;

function setIndicator(kind, text) {
  const el = document.getElementById("connection");
  if (!el) return;
  el.dataset.state = kind;
  el.textContent = text;
}

export function connect() {
  stopped = false;
  open();
}

function open() {
  const token = session.token();
  if (!token || stopped) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws?token=${encodeURIComponent(token)}`);
  socket = ws;
  setIndicator("connecting", attempt ? "Reconnecting…" : "Connecting…");
  ws.addEventListener("message", (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "ping") { ws.send(JSON.stringify({ type: "pong" })); return; }
    if (frame.type === "pong") return;
    if (frame.type === "ready") {
      attempt = 0;
      setIndicator("live", "Live");
      emit("ws:ready", { reconnect: everReady });
      everReady = true;
      return;
    }
    emit("ws:event", frame);
    emit(`ws:${frame.type}`, frame.data || {});
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    if (stopped) return;
    if (event.code === 4401) { emit("ws:unauthorized"); return; }
    setIndicator("offline", "Offline — reconnecting…");
    const delay = Math.min(15000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt += 1;
    timer = setTimeout(open, delay);
  });
}

export function disconnect() {
  stopped = true;
  everReady = false;
  attempt = 0;
  clearTimeout(timer);
  if (socket) { const s = socket; socket = null; s.close(1000, "logout"); }
}
