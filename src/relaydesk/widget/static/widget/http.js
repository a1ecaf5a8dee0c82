// relaydesk chat widget: HTTP requests to the server and the visitor's session.

import { APP_ID, BASE, KEY, settings } from "./config.js";
import { S } from "./state.js";
import { store } from "./util.js";

class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || "HTTP " + status);
    this.status = status;
    this.code = err.code || "http_" + status;
  }
}

export async function request(method, path, body, retried) {
  const headers = {};
  if (S.token) headers.Authorization = "Bearer " + S.token;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(BASE + path, { method, headers, body: payload });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (response.status === 401 && !retried && path !== "/api/v1/widget/session") {
    await startSession(); // the token expired: a new one, then once more
    return request(method, path, body, true);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** The site's user id, or this device's anonymous visitor id (assigned by the server on
 * the first visit, so nobody can guess it); null before the first visit. */
function visitorId() {
  const user = settings.user || {};
  if (user.externalId || user.userId) return String(user.externalId || user.userId);
  return store.get(KEY + "visitor") || null;
}

export async function startSession() {
  const user = settings.user || {};
  const body = { app_id: APP_ID };
  const known = visitorId();
  if (known) body.external_id = known;
  if (user.name) body.name = String(user.name);
  if (user.email) body.email = String(user.email);
  if (user.language || settings.language) body.language = String(user.language || settings.language);
  if (user.userHash) body.user_hash = String(user.userHash);
  S.token = null;
  const data = await request("POST", "/api/v1/widget/session", body);
  S.token = data.token;
  S.contact = data.contact;
  if (!known) store.set(KEY + "visitor", data.contact.external_id);
  return data;
}
