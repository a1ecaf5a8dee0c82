// relaydesk chat widget: the composer: text (Enter sends, the visitor's typing), uploads, location.

import { L } from "./config.js";
import { ready } from "./conversation.js";
import { request } from "./http.js";
import { pendingRow, sendMessage } from "./send.js";
import { S } from "./state.js";
import { randomId } from "./util.js";
import { attachBtn, composer, fileInput, input, locationBtn, sendBtn, showNotice } from "./view.js";

composer.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  input.style.height = "";
  sendMessage({ text }).catch(() => {});
});

input.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    composer.requestSubmit ? composer.requestSubmit() : sendBtn.click();
  }
});

input.addEventListener("input", () => {
  input.style.height = "";
  input.style.height = Math.min(120, input.scrollHeight) + "px";
  const now = Date.now();
  if (S.conv && input.value && now - S.lastTypingSent > 3000) {
    S.lastTypingSent = now;
    request("POST", "/api/v1/conversations/" + S.conv.id + "/typing").catch(() => {});
  }
});

attachBtn.addEventListener("click", () => fileInput.click());

fileInput.addEventListener("change", async () => {
  const files = Array.prototype.slice.call(fileInput.files || []);
  fileInput.value = "";
  for (const file of files) {
    const clientId = "u-" + randomId();
    const row = pendingRow(clientId, L.uploading.replace("{name}", file.name));
    try {
      await ready;
      const form = new FormData();
      form.append("file", file, file.name);
      const up = await request("POST", "/api/v1/uploads", form);
      row.remove();
      await sendMessage({
        attachments: [{ url: up.url, name: up.name, size: up.size, mime_type: up.mime_type }],
      });
    } catch (err) {
      row.remove();
      const status = err && err.status;
      showNotice(status === 413 ? L.tooLarge : status === 415 ? L.badType : (err && err.message) || L.failed, true);
    }
  }
});

locationBtn.addEventListener("click", () => {
  if (!navigator.geolocation) {
    showNotice(L.noLocation, true);
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const location = { lat: pos.coords.latitude, lon: pos.coords.longitude };
      sendMessage({ location }).catch(() => {});
    },
    () => showNotice(L.noLocation, true),
    { timeout: 15000, maximumAge: 60000 }
  );
});
