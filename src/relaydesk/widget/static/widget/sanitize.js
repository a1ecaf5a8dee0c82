// relaydesk chat widget: the HTML sanitizer (allow-list; builds fresh nodes, never re-parses strings).

import { safeUrl } from "./util.js";

const KEEP = new Set(
  ("a abbr b blockquote br caption code dd del div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins " +
    "kbd li mark ol p pre q s small span strong sub sup table tbody td tfoot th thead tr u ul")
    .split(" ")
);
const DROP = new Set(
  ("script style iframe frame frameset object embed applet noscript noembed template svg math " +
    "link meta base form input button textarea select option title head audio video source " +
    "track canvas portal dialog xmp plaintext")
    .split(" ")
);
const ATTRS = {
  a: ["href", "title"],
  img: ["src", "alt", "title", "width", "height"],
  td: ["colspan", "rowspan"],
  th: ["colspan", "rowspan", "scope"],
  ol: ["start"],
};

export function sanitizeHtml(html) {
  const doc = new DOMParser().parseFromString(String(html), "text/html");
  const out = document.createDocumentFragment();
  copyChildren(doc.body, out, 0);
  return out;
}

function copyChildren(src, dst, depth) {
  if (depth > 32) return;
  for (let child = src.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 3) {
      dst.appendChild(document.createTextNode(child.nodeValue));
      continue;
    }
    if (child.nodeType !== 1) continue; // comments, processing instructions
    const tag = child.nodeName.toLowerCase();
    if (DROP.has(tag)) continue;
    if (!KEEP.has(tag)) {
      copyChildren(child, dst, depth + 1); // unknown wrapper: keep its text
      continue;
    }
    const node = document.createElement(tag);
    for (const name of ATTRS[tag] || []) {
      const value = child.getAttribute(name);
      if (value === null) continue;
      if (name === "href" || name === "src") {
        const url = safeUrl(value, name === "src" ? "img" : "link");
        if (url) node.setAttribute(name, url);
      } else if (/^(width|height|colspan|rowspan|start)$/.test(name)) {
        if (/^\d{1,4}$/.test(value)) node.setAttribute(name, value);
      } else {
        node.setAttribute(name, value.slice(0, 500));
      }
    }
    if (tag === "a") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
    if (tag === "img") node.setAttribute("loading", "lazy");
    copyChildren(child, node, depth + 1);
    dst.appendChild(node);
  }
}
