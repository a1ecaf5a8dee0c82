// relaydesk chat widget: small helpers (ids, storage, URLs, values).

export function randomId() {
  const bytes = new Uint8Array(12);
  (window.crypto || {}).getRandomValues
    ? window.crypto.getRandomValues(bytes)
    : bytes.forEach((_, i) => (bytes[i] = Math.floor(Math.random() * 256)));
  return Array.prototype.map.call(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const memoryStore = {};
export const store = {
  get(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return memoryStore[key] || null;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      memoryStore[key] = value;
    }
  },
  remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (e) {
      delete memoryStore[key];
    }
  },
};

/** An absolute URL if it uses an allowed scheme, else null. */
export function safeUrl(value, kind) {
  if (value === undefined || value === null || value === "") return null;
  const raw = String(value).trim();
  if (kind === "img" && /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]+$/i.test(raw)) {
    return raw;
  }
  let url;
  try {
    url = new URL(raw, location.href);
  } catch (e) {
    return null;
  }
  const allowed =
    kind === "link" ? ["http:", "https:", "mailto:", "tel:"] : ["http:", "https:"];
  return allowed.indexOf(url.protocol) >= 0 ? url.href : null;
}

export function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function asList(v) {
  if (Array.isArray(v)) return v;
  if (typeof v === "string") {
    try {
      const parsed = JSON.parse(v);
      return Array.isArray(parsed) ? parsed : isObject(parsed) ? [parsed] : [];
    } catch (e) {
      return [];
    }
  }
  return isObject(v) ? [v] : [];
}

export function humanSize(n) {
  if (!(n >= 0)) return "";
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}
