// The knowledge base: the articles the LLM and built-in AI agents answer from — list, add,
// edit, delete, import Markdown/CSV files, and try a search as an AI agent would.

import { api, query, request } from "../api.js";
import { append, clear, h, safeUrl, toast } from "../dom.js";
import { confirmButton, enc, errorBox, field, showError } from "./forms.js";
import { render } from "./page.js";

function articleForm(existing, onDone) {
  const err = errorBox();
  const title = h("input", { id: "kb-title", name: "title", required: true, maxlength: 500, value: existing ? existing.title : "" });
  const body = h("textarea", { id: "kb-body", name: "body", rows: 10, required: true });
  body.value = existing ? existing.body : "";
  const url = h("input", { id: "kb-url", name: "url", type: "url", value: existing && existing.url ? existing.url : "", placeholder: "https://help.example.com/…" });
  const tags = h("input", { id: "kb-tags", name: "tags", value: existing ? existing.tags.join(", ") : "", placeholder: "billing, account" });
  const language = h("input", { id: "kb-language", name: "language", value: existing ? existing.language : "en", placeholder: "en" });
  const form = h("form", { class: "settings-form", id: "kb-form", "aria-labelledby": "kb-form-h" },
    h("h3", { id: "kb-form-h", text: existing ? `Edit “${existing.title}”` : "New article" }),
    field("Title", title), field("Body", body, "Plain text or Markdown, up to 200 KB."),
    h("div", { class: "grid" }, field("Link (optional)", url, "Where contacts can read the whole article."),
      field("Tags (optional)", tags, "Separated by commas."), field("Language", language, "Stems words for search, e.g. en, de, fr.")),
    err,
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "primary", text: existing ? "Save article" : "Add article" }), " ",
      h("button", { type: "button", class: "ghost", text: "Cancel", on: { click: () => onDone(null) } })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = {
      title: title.value.trim(),
      body: body.value,
      url: url.value.trim() || null,
      tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean),
      language: language.value.trim() || "en",
    };
    try {
      const saved = existing ? await api.patch(`/knowledge/articles/${enc(existing.id)}`, data) : await api.post("/knowledge/articles", data);
      toast(existing ? "Article saved" : "Article added");
      onDone(saved);
    } catch (ex) { showError(err, ex); }
  });
  return form;
}

function importForm() {
  const err = errorBox();
  const files = h("input", { id: "kb-files", name: "files", type: "file", multiple: true, accept: ".md,.markdown,.txt,.csv", required: true });
  const form = h("form", { class: "settings-form compact", id: "kb-import", "aria-labelledby": "kb-import-h" },
    h("h3", { id: "kb-import-h", text: "Import" }),
    field("Markdown or CSV files", files, "One article per Markdown file (title = its first # heading); a CSV needs a title,body[,url,tags] header. All or nothing."),
    err, h("button", { type: "submit", text: "Import files" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData();
    for (const f of files.files) data.append("files", f, f.name);
    try {
      const result = await request("POST", "/knowledge/import", data);
      toast(`${result.imported} article${result.imported === 1 ? "" : "s"} imported`);
      await render("knowledge");
    } catch (ex) { showError(err, ex); }
  });
  return form;
}

function searchForm() {
  const q = h("input", { id: "kb-search", name: "q", type: "search", placeholder: "How do I reset my password?", maxlength: 1000 });
  const results = h("ol", { id: "kb-results", class: "kb-results", "aria-live": "polite" });
  const err = errorBox();
  const form = h("form", { class: "settings-form compact", id: "kb-try", role: "search", "aria-labelledby": "kb-try-h" },
    h("h3", { id: "kb-try-h", text: "Try a search" }),
    h("p", { class: "muted", text: "What an AI agent finds for a question, best match first." }),
    field("Question", q), err, h("button", { type: "submit", text: "Search" }), results);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(results);
    if (!q.value.trim()) return;
    try {
      const found = await api.get(`/knowledge/search${query({ q: q.value.trim(), limit: 5 })}`);
      showError(err, null);
      if (!found.items.length) results.append(h("li", { class: "muted", text: "No article matches." }));
      for (const hit of found.items) {
        const link = safeUrl(hit.url);
        results.append(h("li", {},
          h("strong", { text: hit.title }), " ", h("span", { class: "muted", text: `score ${hit.score.toFixed(3)}` }),
          h("p", { text: hit.snippet }), link ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer", text: hit.url }) : null));
      }
    } catch (ex) { showError(err, ex); }
  });
  return form;
}

export async function knowledgeSection(root) {
  const page = await api.get("/knowledge/articles?limit=200");
  const formSlot = h("div", { id: "kb-form-slot" });
  const done = async (saved) => { if (saved) await render("knowledge"); else clear(formSlot); };
  const openForm = (existing) => { clear(formSlot).append(articleForm(existing, done)); formSlot.querySelector("input").focus(); };
  const rows = page.items.map((a) => h("tr", { dataset: { id: a.id } },
    h("th", { scope: "row", text: a.title }),
    h("td", { text: a.tags.join(", ") }),
    h("td", { text: a.language }),
    h("td", { text: new Date(a.updated_at).toLocaleString() }),
    h("td", { class: "row-actions" },
      h("button", { type: "button", class: "small", text: "Edit", "aria-label": `Edit ${a.title}`, on: { click: () => openForm(a) } }), " ",
      confirmButton("Delete", async () => { await api.del(`/knowledge/articles/${enc(a.id)}`); toast("Article deleted"); await render("knowledge"); }))));
  append(root, [h("h2", { text: "Knowledge base" }),
    h("p", { class: "muted", text: "Help articles your LLM AI agents search before they answer (and built-in bots with use_knowledge)." }),
    rows.length ? h("table", { class: "data", id: "kb-table" },
      h("thead", {}, h("tr", {}, ["Title", "Tags", "Language", "Updated", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows)) : h("p", { class: "muted", id: "kb-empty", text: "No articles yet: add one or import your help centre." }),
    page.next_cursor ? h("p", { class: "muted", text: "Showing the newest 200 articles." }) : null,
    h("button", { type: "button", class: "primary", id: "new-article", text: "Add an article", on: { click: () => openForm(null) } }),
    formSlot, h("div", { class: "grid" }, importForm(), searchForm())]);
}
