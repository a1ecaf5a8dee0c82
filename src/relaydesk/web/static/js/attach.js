// Dashboard: attaching files to a reply (upload, then send them as a message).

import { api } from "./api.js";
import { h, toast } from "./dom.js";

const enc = encodeURIComponent;

/**
 * "Attach file": a real (visually hidden) file input, its label styled as a button.
 * `conversationId()` names the open conversation; `onSent(message)` shows what was sent.
 */
export function attachControl(conversationId, onSent) {
  const input = h("input", { type: "file", id: "reply-file", name: "file", class: "visually-hidden attach-input", "aria-describedby": "attach-status" });
  const status = h("span", { id: "attach-status", class: "attach-status muted small", role: "status", "aria-live": "polite" });
  input.addEventListener("change", async () => {
    const files = [...input.files];
    const id = conversationId();
    if (!files.length || !id) return;
    input.disabled = true;
    try {
      for (const file of files) await attach(id, file, status, onSent);
    } finally {
      input.value = "";
      input.disabled = false;
      status.textContent = "";
      input.focus();
    }
  });
  return h("span", { class: "attach" }, input,
    h("label", { for: "reply-file", class: "button attach-label", title: "Attach a file to send to the contact", text: "Attach file" }), status);
}

async function attach(conversationId, file, status, onSent) {
  status.textContent = `Uploading ${file.name}…`;
  let uploaded;
  try {
    uploaded = await api.upload("/uploads", file);
  } catch (err) {
    const why = err.status ? err.message : "the upload did not reach the server (is the file too large?)";
    toast(`Could not attach ${file.name}: ${why}`, { kind: "error", timeout: 10000 });
    return;
  }
  status.textContent = `Sending ${uploaded.name}…`;
  try {
    const { url, name, size, mime_type } = uploaded;
    const msg = await api.post(`/conversations/${enc(conversationId)}/messages`, {
      attachments: [{ url, name, size, mime_type }], client_message_id: crypto.randomUUID(),
    });
    onSent(msg);
  } catch (err) {
    toast(`Not sent: ${err.message}`, { kind: "error" });
  }
}
