// The JSON API client: bearer token from session/local storage, error envelope → ApiError.
// Bodies are JSON, or multipart for uploads (a FormData body).

const KEY = "relaydesk.session";

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `Request failed (${status})`);
    this.status = status;
    this.code = err.code || "error";
    this.details = err.details;
  }

  /** The message plus field details, for a person. */
  describe() {
    const d = this.details;
    if (Array.isArray(d) && d.length) {
      const parts = d.map((x) => (typeof x === "string" ? x : x && x.msg ? `${(x.loc || []).filter((p) => p !== "body").join(".")}: ${x.msg}` : JSON.stringify(x)));
      if (parts.join("; ") !== this.message.replace(/\.$/, "")) return `${this.message} (${parts.join("; ")})`;
    }
    return this.message;
  }
}

export const session = {
  load() {
    for (const store of [sessionStorage, localStorage]) {
      try {
        const raw = store.getItem(KEY);
        if (raw) return JSON.parse(raw);
      } catch { /* unreadable: ignore */ }
    }
    return null;
  },
  save(data, remember) {
    (remember ? localStorage : sessionStorage).setItem(KEY, JSON.stringify(data));
    (remember ? sessionStorage : localStorage).removeItem(KEY);
  },
  update(agent) {
    for (const store of [sessionStorage, localStorage]) {
      const raw = store.getItem(KEY);
      if (raw) store.setItem(KEY, JSON.stringify({ ...JSON.parse(raw), agent }));
    }
  },
  clear() {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
  },
  token() {
    const s = this.load();
    return s ? s.token : null;
  },
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  const isForm = body instanceof FormData;
  if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined || isForm ? body : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  let data = null;
  if (response.status !== 204) {
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  }
  if (!response.ok) {
    if (response.status === 401 && token && path !== "/auth/login") onUnauthorized();
    throw new ApiError(response.status, data);
  }
  return data;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  put: (path, body) => request("PUT", path, body),
  patch: (path, body) => request("PATCH", path, body),
  del: (path) => request("DELETE", path),
  /** multipart upload of one file (field `file`); the browser sets the boundary */
  upload: (path, file) => { const form = new FormData(); form.append("file", file, file.name); return request("POST", path, form); },
};

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}
