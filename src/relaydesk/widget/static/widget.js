/*! relaydesk chat widget loader. Embedding and API: docs/widget.md */
// A classic script (sites embed <script async src=".../widget.js">) that loads the widget's
// ES modules from the widget/ folder next to it; widget/main.js starts the widget.
(function () {
  "use strict";
  if (window.relaydesk && window.relaydesk.__relaydesk) return;

  const script =
    document.currentScript ||
    Array.prototype.slice
      .call(document.getElementsByTagName("script"))
      .filter((s) => /\/widget\.js(\?|$)/.test(s.src || ""))
      .pop();
  // <script src=".../widget.js" data-app-id="app_…">: no inline script needed (strict CSP)
  const settings = window.relaydeskSettings || {};
  if (!settings.appId && script && script.dataset && script.dataset.appId) {
    settings.appId = script.dataset.appId;
  }
  window.relaydeskSettings = settings;
  const here =
    script && script.src
      ? script.src
      : String(settings.serverUrl || location.origin).replace(/\/+$/, "") + "/widget.js";

  // all of them at once rather than one import level after another (static/widget/*.js)
  const MODULES = [
    "main", "actions", "composer", "config", "conversation", "dom", "form", "hours", "http",
    "messages", "presence", "rating", "realtime", "sanitize", "send", "state", "status",
    "styles", "templates", "util", "view",
  ];
  for (const name of MODULES) {
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = new URL("widget/" + name + ".js", here).href;
    (document.head || document.documentElement).appendChild(link);
  }

  import(new URL("widget/main.js", here).href).catch((err) => {
    console.error("relaydesk widget could not load:", err);
  });
})();
