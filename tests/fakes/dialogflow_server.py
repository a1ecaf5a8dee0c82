"""A local fake of Google's OAuth2 token endpoint and the Dialogflow ES/CX REST API.

In-process (tests)::

    with FakeDialogflow() as fake:
        key = fake.service_account("my-proj")          # JSON key whose token_uri is the fake
        fake.script_es(text="hi", response={...})        # canned answers, keyed by text / event
        fake.fail_next(2, status=500); fake.slow_next(1, 3.0); fake.revoke_tokens()
        fake.fail_next(1, status=429, retry_after=2); fake.garble_next(1)  # a 200 not JSON
        fake.refuse_connections(); fake.accept_connections()  # the port closed, then open
        fake.requests                                     # the request log

Standalone: ``python -m tests.fakes.dialogflow_server --port 8911 --write-key key.json``.
Control endpoints (cross-process): ``POST /_fake/service-account {project_id}`` (returns a key),
``POST /_fake/keys {client_email, public_key_pem, project_id}``,
``POST /_fake/agents {es_project | cx_agent}``,
``POST /_fake/script {api: es|cx, text | event, response}``,
``POST /_fake/faults {status, count} | {delay, count} | {revoke_tokens: true} | {disable_key}``,
``GET /_fake/requests``, ``POST /_fake/reset``.

The token endpoint verifies the JWT assertion's RS256 signature with the registered public
key (and its ``aud``, ``exp`` and scope); the API paths accept only tokens it issued.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# --- the wire examples (shared/reference/wire, checked against the Dialogflow protos) -------

WIRE_ES_RESPONSE: dict[str, Any] = {
    "responseId": "4f1c2a9e-8b7d-4a53-9f51-2c4e0b6b1d3a-e15c53b8",
    "queryResult": {
        "queryText": "Where is my order 1001?",
        "action": "order.status",
        "parameters": {"order_id": "1001"},
        "allRequiredParamsPresent": True,
        "fulfillmentText": "Order 1001 shipped yesterday.",
        "fulfillmentMessages": [
            {"text": {"text": ["Order 1001 shipped yesterday."]}},
            {
                "quickReplies": {
                    "title": "Anything else?",
                    "quickReplies": ["Track it", "Talk to a human"],
                }
            },
            {
                "card": {
                    "title": "Order 1001",
                    "subtitle": "Shipped",
                    "imageUri": "https://example.com/o.png",
                    "buttons": [{"text": "Track", "postback": "https://example.com/t/1001"}],
                }
            },
            {"payload": {"richContent": [[{"type": "chips", "options": [{"text": "Returns"}]}]]}},
        ],
        "outputContexts": [
            {
                "name": "projects/my-proj/agent/sessions/conv-7f3a9c/contexts/order-followup",
                "lifespanCount": 2,
                "parameters": {"order_id": "1001", "order_id.original": "1001"},
            }
        ],
        "intent": {
            "name": "projects/my-proj/agent/intents/8b1f0c1e-0000-4000-8000-000000000000",
            "displayName": "order.status",
        },
        "intentDetectionConfidence": 0.87,
        "languageCode": "en-us",
    },
}

WIRE_ES_FALLBACK: dict[str, Any] = {
    "responseId": "resp-2",
    "queryResult": {
        "queryText": "asdfgh",
        "action": "input.unknown",
        "parameters": {},
        "allRequiredParamsPresent": True,
        "fulfillmentText": "Sorry, could you say that again?",
        "fulfillmentMessages": [{"text": {"text": ["Sorry, could you say that again?"]}}],
        "intent": {
            "name": "projects/my-proj/agent/intents/1c2d3e4f-0000-4000-8000-000000000000",
            "displayName": "Default Fallback Intent",
            "isFallback": True,
        },
        "intentDetectionConfidence": 1,
        "languageCode": "en",
    },
}

WIRE_CX_RESPONSE: dict[str, Any] = {
    "responseId": "cx-resp-1",
    "queryResult": {
        "text": "Where is my order 1001?",
        "languageCode": "en",
        "parameters": {"order_id": "1001"},
        "responseMessages": [
            {"text": {"text": ["Order 1001 shipped yesterday."]}},
            {"payload": {"richContent": [[{"type": "chips", "options": [{"text": "Returns"}]}]]}},
            {"liveAgentHandoff": {"metadata": {"queue": "billing"}}},
        ],
        "currentPage": {
            "name": "projects/my-proj/locations/global/agents/a1/flows/"
            "00000000-0000-0000-0000-000000000000/pages/END_SESSION",
            "displayName": "End Session",
        },
        "intentDetectionConfidence": 0.9,
        "match": {
            "intent": {
                "name": "projects/my-proj/locations/global/agents/a1/intents/i1",
                "displayName": "order.status",
            },
            "parameters": {"order_id": "1001"},
            "resolvedInput": "Where is my order 1001?",
            "matchType": "INTENT",
            "confidence": 0.9,
        },
    },
}

CX_NO_MATCH: dict[str, Any] = {
    "responseId": "cx-nomatch",
    "queryResult": {
        "responseMessages": [{"text": {"text": ["Sorry, I didn't get that."]}}],
        "match": {"matchType": "NO_MATCH", "confidence": 0.3},
    },
}

ES_WELCOME: dict[str, Any] = {
    "responseId": "resp-welcome",
    "queryResult": {
        "action": "input.welcome",
        "fulfillmentText": "Hi! How can I help?",
        "fulfillmentMessages": [{"text": {"text": ["Hi! How can I help?"]}}],
        "intent": {"displayName": "Default Welcome Intent"},
    },
}

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"

_KEY_CACHE: list[rsa.RSAPrivateKey] = []


def throwaway_rsa_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key generated once per process (keys are slow to make)."""
    if not _KEY_CACHE:
        _KEY_CACHE.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEY_CACHE[0]


def _b64url_decode(part: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- a small threaded fake-server base, reused by webhook_bot ------------------------------


class FakeHTTPServer:
    """A threaded HTTP server on 127.0.0.1 with a request log, faults and a control API."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.lock = threading.RLock()
        self.requests: list[dict[str, Any]] = []
        self._faults: list[dict[str, Any]] = []
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeHTTPServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the current thread (standalone use)."""
        self._httpd.serve_forever()

    # faults ---------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500, retry_after: int | None = None) -> None:
        """The next ``count`` API calls answer HTTP ``status`` (with ``Retry-After``)."""
        with self.lock:
            fault: dict[str, Any] = {"status": status, "count": count}
            if retry_after is not None:
                fault["retry_after"] = retry_after
            self._faults.append(fault)

    def garble_next(self, count: int, body: bytes = b'{"truncated": ') -> None:
        """The next ``count`` API calls answer 200 with ``body`` (not what the API sends)."""
        with self.lock:
            self._faults.append({"raw": body, "count": count})

    def refuse_connections(self) -> None:
        """Close the listening socket: connecting is refused until accept_connections()."""
        self.stop()

    def accept_connections(self) -> None:
        """Listen again, on the same port."""
        host, port = self._httpd.server_address[:2]
        self._httpd = ThreadingHTTPServer((str(host), int(port)), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self.start()

    def slow_next(self, count: int, delay: float) -> None:
        """The next ``count`` API calls wait ``delay`` seconds before answering."""
        with self.lock:
            self._faults.append({"delay": delay, "count": count})

    def take_fault(self) -> dict[str, Any] | None:
        """Consume one unit of the oldest pending fault."""
        with self.lock:
            while self._faults and self._faults[0]["count"] <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            self._faults[0]["count"] -= 1
            return dict(self._faults[0])

    def clear(self) -> None:
        """Forget requests and faults."""
        with self.lock:
            self.requests.clear()
            self._faults.clear()

    def log(self, entry: dict[str, Any]) -> None:
        """Append to the request log."""
        with self.lock:
            self.requests.append(entry)

    def logged(self, path_contains: str = "") -> list[dict[str, Any]]:
        """A snapshot of the logged requests whose path contains ``path_contains``."""
        with self.lock:
            return [copy.deepcopy(r) for r in self.requests if path_contains in r["path"]]

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """Common ``/_fake/*`` endpoints; subclasses extend."""
        if path == "/_fake/requests" and method == "GET":
            return 200, self.logged()
        if path == "/_fake/faults" and method == "POST":
            if "status" in body:
                self.fail_next(int(body.get("count", 1)), int(body["status"]))
            elif "delay" in body:
                self.slow_next(int(body.get("count", 1)), float(body["delay"]))
            else:
                return 400, {"error": "unknown fault"}
            return 200, {"ok": True}
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return 200, {"ok": True}
        return 404, {"error": f"no control endpoint {method} {path}"}

    def reset(self) -> None:
        """Back to the initial state (subclasses add theirs)."""
        self.clear()

    def route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Answer one non-control request: (status, JSON body or bytes, extra headers)."""
        raise NotImplementedError


class _Handler(BaseHTTPRequestHandler):
    """Dispatches to the owning FakeHTTPServer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""

    def _serve(self) -> None:
        fake: FakeHTTPServer = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        extra: dict[str, str] = {}
        if path.startswith("/_fake/"):
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            status, payload = fake.control(self.command, path, body)
        else:
            try:
                status, payload, extra = fake.route(self.command, path, headers, raw)
            except Exception as exc:  # a bug in the fake: answer 500 visibly
                status, payload = 599, {"error": f"fake crashed: {exc!r}"}
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", extra.pop("Content-Type", "application/json"))
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    do_GET = do_POST = do_DELETE = do_PUT = _serve


# --- the Dialogflow fake ------------------------------------------------------------------------

_ES_DETECT = re.compile(
    r"^/v2/projects/(?P<p>[^/]+)/agent(?:/environments/(?P<env>[^/]+)/users/-)?"
    r"/sessions/(?P<s>[^/:]+):detectIntent$"
)
_ES_AGENT = re.compile(r"^/v2/projects/(?P<p>[^/]+)/agent$")
_CX_AGENT = re.compile(r"^/v3/(?P<a>projects/(?P<p>[^/]+)/locations/[^/]+/agents/[^/]+)$")
_CX_DETECT = re.compile(
    r"^/v3/(?P<a>projects/(?P<p>[^/]+)/locations/[^/]+/agents/[^/]+)"
    r"(?:/environments/(?P<env>[^/]+))?/sessions/(?P<s>[^/:]+):detectIntent$"
)


def _gerror(code: int, status: str, message: str) -> dict[str, Any]:
    """A Google API error body."""
    return {"error": {"code": code, "message": message, "status": status}}


class FakeDialogflow(FakeHTTPServer):
    """Token endpoint + Dialogflow ES/CX detectIntent and agent GETs."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._keys: dict[str, dict[str, Any]] = {}  # client_email -> {public_key, project_id}
        self._disabled: set[str] = set()
        self._tokens: dict[str, str] = {}  # token -> client_email
        self.es_projects: set[str] = set()
        self.cx_agents: set[str] = set()
        self._scripts: dict[tuple[str, str], dict[str, Any]] = {}
        self.tokens_issued = 0
        self.issued_tokens: list[str] = []  # every access token handed out, in order
        self._default_scripts()

    def _default_scripts(self) -> None:
        """The wire examples as the default answers."""
        self._scripts = {
            ("es", "Where is my order 1001?"): WIRE_ES_RESPONSE,
            ("es", "event:WELCOME"): ES_WELCOME,
            ("cx", "Where is my order 1001?"): WIRE_CX_RESPONSE,
        }

    @property
    def token_uri(self) -> str:
        """The fake OAuth2 token endpoint."""
        return f"{self.url}/token"

    # setup ------------------------------------------------------------------------------------

    def register_key(self, client_email: str, public_key: Any, project_id: str) -> None:
        """Accept JWT assertions signed by ``public_key`` for ``client_email``."""
        with self.lock:
            self._keys[client_email] = {"public_key": public_key, "project_id": project_id}
            self._disabled.discard(client_email)

    def service_account(
        self,
        project_id: str = "my-proj",
        *,
        with_es_agent: bool = True,
        cx_agent: str | None = None,
    ) -> dict[str, Any]:
        """A service-account JSON key for ``project_id`` whose token_uri is this fake."""
        key = throwaway_rsa_key()
        email = f"relaydesk-{secrets.token_hex(4)}@{project_id}.iam.gserviceaccount.com"
        self.register_key(email, key.public_key(), project_id)
        if with_es_agent:
            self.es_projects.add(project_id)
        if cx_agent:
            self.cx_agents.add(cx_agent)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "universe_domain": "googleapis.com",
        }

    def script_es(
        self, *, response: dict[str, Any], text: str | None = None, event: str | None = None
    ) -> None:
        """Answer ES detectIntent for this text (or event name) with ``response``."""
        self._script("es", response, text, event)

    def script_cx(
        self, *, response: dict[str, Any], text: str | None = None, event: str | None = None
    ) -> None:
        """Answer CX detectIntent for this text (or event name) with ``response``."""
        self._script("cx", response, text, event)

    def _script(
        self, api: str, response: dict[str, Any], text: str | None, event: str | None
    ) -> None:
        key = f"event:{event}" if event is not None else (text or "")
        with self.lock:
            self._scripts[(api, key)] = response

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (401)."""
        with self.lock:
            self._tokens.clear()

    def disable_key(self, client_email: str) -> None:
        """The token endpoint refuses this service account (deleted/disabled key)."""
        with self.lock:
            self._disabled.add(client_email)
            self._tokens = {t: e for t, e in self._tokens.items() if e != client_email}

    def reset(self) -> None:
        """Default scripts, no faults, empty log (keys and agents are kept)."""
        super().reset()
        with self.lock:
            self._default_scripts()

    def detect_bodies(self, api: str = "") -> list[dict[str, Any]]:
        """Bodies of the detectIntent requests received (``api``: "v2", "v3" or both)."""
        return [
            r["body"]
            for r in self.logged(":detectIntent")
            if not api or r["path"].startswith(f"/{api}/")
        ]

    # control ----------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """Dialogflow-specific control endpoints, then the common ones."""
        if method == "POST" and path == "/_fake/service-account":
            return 200, self.service_account(
                body.get("project_id", "my-proj"), cx_agent=body.get("cx_agent")
            )
        if method == "POST" and path == "/_fake/keys":
            pub = serialization.load_pem_public_key(body["public_key_pem"].encode())
            self.register_key(body["client_email"], pub, body.get("project_id", "my-proj"))
            return 200, {"ok": True}
        if method == "POST" and path == "/_fake/agents":
            with self.lock:
                if body.get("es_project"):
                    self.es_projects.add(body["es_project"])
                if body.get("cx_agent"):
                    self.cx_agents.add(body["cx_agent"])
            return 200, {"ok": True}
        if method == "POST" and path == "/_fake/script":
            self._script(
                body.get("api", "es"), body["response"], body.get("text"), body.get("event")
            )
            return 200, {"ok": True}
        if method == "POST" and path == "/_fake/faults":
            if body.get("revoke_tokens"):
                self.revoke_tokens()
                return 200, {"ok": True}
            if body.get("disable_key"):
                self.disable_key(body["disable_key"])
                return 200, {"ok": True}
        return super().control(method, path, body)

    # serving ----------------------------------------------------------------------------------

    def route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Token endpoint and Dialogflow paths."""
        if path == "/token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            self.log({"method": method, "path": path, "headers": headers, "body": form})
            status, answer = self._issue_token(form)
            return status, answer, {}
        body: Any
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        entry = {"method": method, "path": path, "headers": headers, "body": body}
        self.log({**entry, "at": time.time()})
        fault = self.take_fault()
        if fault and "delay" in fault:
            time.sleep(fault["delay"])
        elif fault and "raw" in fault:
            return 200, fault["raw"], {}
        elif fault and "status" in fault:
            code = fault["status"]
            status_name = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(code, "INTERNAL")
            extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            return code, _gerror(code, status_name, "injected fault"), extra
        email = self._bearer_owner(headers.get("authorization", ""))
        if email is None:
            return (
                401,
                _gerror(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials.",
                ),
                {},
            )
        owner_project = self._keys[email]["project_id"]
        for pattern, api in (
            (_ES_DETECT, "es"),
            (_ES_AGENT, "es"),
            (_CX_DETECT, "cx"),
            (_CX_AGENT, "cx"),
        ):
            m = pattern.match(path)
            if not m:
                continue
            project = m.group("p")
            if project != owner_project:
                return (
                    403,
                    _gerror(403, "PERMISSION_DENIED", f"Permission denied on project {project}"),
                    {},
                )
            exists = project in self.es_projects if api == "es" else m.group("a") in self.cx_agents
            if not exists:
                return 404, _gerror(404, "NOT_FOUND", f"No agent found for {path}"), {}
            if path.endswith(":detectIntent"):
                if method != "POST" or not isinstance(body, dict) or "queryInput" not in body:
                    return 400, _gerror(400, "INVALID_ARGUMENT", "queryInput is required"), {}
                return 200, self._answer(api, body), {}
            if method != "GET":
                return 405, _gerror(405, "METHOD_NOT_ALLOWED", method), {}
            if api == "es":
                return (
                    200,
                    {
                        "parent": f"projects/{project}",
                        "displayName": "fake agent",
                        "defaultLanguageCode": "en",
                    },
                    {},
                )
            return (
                200,
                {"name": m.group("a"), "displayName": "fake cx agent", "defaultLanguageCode": "en"},
                {},
            )
        return 404, _gerror(404, "NOT_FOUND", f"no route {method} {path}"), {}

    def _answer(self, api: str, body: dict[str, Any]) -> dict[str, Any]:
        """The scripted answer for a detectIntent body."""
        qi = body["queryInput"]
        if api == "es":
            key = (
                qi["text"]["text"]
                if "text" in qi
                else f"event:{(qi.get('event') or {}).get('name')}"
            )
        else:
            key = (
                qi["text"]["text"]
                if "text" in qi
                else f"event:{(qi.get('event') or {}).get('event')}"
            )
        with self.lock:
            scripted = self._scripts.get((api, key))
        if scripted is not None:
            return copy.deepcopy(scripted)
        if api == "es":
            fallback = copy.deepcopy(WIRE_ES_FALLBACK)
            fallback["queryResult"]["queryText"] = key
            return fallback
        return copy.deepcopy(CX_NO_MATCH)

    def _bearer_owner(self, authorization: str) -> str | None:
        """The service account a bearer token was issued to, if still valid."""
        if not authorization.startswith("Bearer "):
            return None
        with self.lock:
            return self._tokens.get(authorization[7:])

    def _issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Verify a JWT-bearer grant and issue an access token."""

        def bad(desc: str) -> tuple[int, dict[str, Any]]:
            return 400, {"error": "invalid_grant", "error_description": desc}

        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type", "error_description": "bad grant_type"}
        parts = form.get("assertion", "").split(".")
        if len(parts) != 3:
            return bad("Invalid JWT: malformed assertion.")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except ValueError:
            return bad("Invalid JWT: undecodable.")
        if header.get("alg") != "RS256":
            return bad("Invalid JWT: alg must be RS256.")
        email = claims.get("iss", "")
        with self.lock:
            entry = self._keys.get(email)
            disabled = email in self._disabled
        if entry is None or disabled:
            return bad("Invalid JWT Signature.")
        try:
            entry["public_key"].verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return bad("Invalid JWT Signature.")
        now = time.time()
        # google-auth always puts Google's token endpoint in aud, whatever the token_uri
        if claims.get("aud") not in (self.token_uri, GOOGLE_TOKEN_AUDIENCE):
            return bad("Invalid JWT: aud must be the token endpoint.")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now:
            return bad(
                "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
            )
        if "https://www.googleapis.com/auth/cloud-platform" not in str(claims.get("scope", "")):
            return 400, {
                "error": "invalid_scope",
                "error_description": "cloud-platform scope needed",
            }
        token = f"ya29.fake-{uuid.uuid4().hex}"
        with self.lock:
            self._tokens[token] = email
            self.tokens_issued += 1
            self.issued_tokens.append(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


def main(argv: list[str] | None = None, ready: Callable[[str], None] | None = None) -> None:
    """Run the fake standalone."""
    ap = argparse.ArgumentParser(description="Fake Google OAuth2 + Dialogflow ES/CX server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument(
        "--project", default="my-proj", help="project of the key written by --write-key"
    )
    ap.add_argument("--cx-agent", default=None, help="a CX agent name to serve")
    ap.add_argument("--write-key", default=None, help="write a service-account JSON key here")
    args = ap.parse_args(argv)
    fake = FakeDialogflow(args.host, args.port)
    if args.cx_agent:
        fake.cx_agents.add(args.cx_agent)
    if args.write_key:
        with open(args.write_key, "w", encoding="utf-8") as fh:
            json.dump(fake.service_account(args.project, cx_agent=args.cx_agent), fh, indent=2)
    print(f"fake dialogflow listening on {fake.url}", flush=True)
    if ready:
        ready(fake.url)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()


if __name__ == "__main__":
    main()
