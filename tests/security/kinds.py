"""Every kind of secret-bearing object, made through the API with fresh secret values.

Each entry of :data:`PRINCIPALS` and :data:`KINDS` creates its objects on the app of a
:class:`World`, registers the secret values it used (and the wrong ones it was refused with:
a rejected secret is a secret too), and arms the provider faults its bots are driven
through. The scan test then exercises everything and searches for all of them.

LLM kinds (an ``api_key`` next to a ``base_url``) and channel kinds (bot tokens, app
secrets) do not exist yet: when they land, add an entry here that creates one of each with a
fresh secret, and its faults; nothing else in the test needs to change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.dialogflow_server import FakeDialogflow
from tests.fakes.lex_server import FakeLex
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.security.scan import EVERYWHERE, Recorder, Secret
from tests.support import ADMIN_TOKEN, SECRET_KEY, Api, Server, assert_error
from tests.webhooks.receiver import Receiver

METRICS_TOKEN = "metrics-token-for-the-secret-scan-5d1e"
CX_AGENT = "projects/scan-proj/locations/global/agents/scan1"


@dataclass
class Fault:
    """A provider failure to drive a bot through: arm it, then one conversation's outcome."""

    name: str
    arm: Callable[[], None]
    outcome: str  # "reply" (retried until it worked) or "ai_error" (handed to the humans)


@dataclass
class Bot:
    """An AI agent to drive, its faults, and the fake it shares with others."""

    ai_agent: dict[str, Any]
    fake: str
    faults: list[Fault] = field(default_factory=list)
    #: the contact's first message, for bots whose welcome calls nobody (an LLM's)
    opening: str | None = None


@dataclass
class World:
    """The server, its fakes, the app under test and everything made so far."""

    server: Server
    rec: Recorder
    lex: FakeLex
    google: FakeDialogflow
    bot: FakeWebhookBot
    receiver: Receiver
    failing: Receiver
    llm: FakeOpenAI
    secrets: list[Secret] = field(default_factory=list)
    #: secrets known only at the end (what a provider handed out), by what they are
    later: dict[str, Callable[[], None]] = field(default_factory=dict)
    bots: list[Bot] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # path parameter name → an id
    tokens: dict[str, str] = field(default_factory=dict)  # principal → token
    api: Api = field(init=False)

    def secret(
        self, name: str, value: str | None = None, banned: frozenset[str] = EVERYWHERE
    ) -> str:
        """Register a secret value (a fresh random one unless given); returns it."""
        value = value or f"{name.replace(' ', '-')}-{secrets.token_urlsafe(18)}"
        self.secrets.append(Secret(name, value, banned))
        return value

    def issued(self, name: str, value: str) -> str:
        """A secret the last answer handed out: it alone may show it."""
        self.secrets.append(Secret(name, value))
        self.rec.seen[-1].allowed = frozenset({value})
        return value

    def client(self, token: str | None) -> Api:
        """A client of the app whose every answer is recorded."""
        api = Api(self.server.url, token)
        api.app_id = self.ids.get("app_id", "")
        self.rec.hook(api.http)
        return api

    def ai_agent(self, kind: str, config: dict[str, Any], status: int = 201) -> Any:
        body = {"name": f"{kind} bot", "kind": kind, "config": config}
        return self.api.ok(self.api.post("/api/v1/ai-agents", body), status)


# --- principals: API keys, passwords and session tokens ----------------------------------


def server_settings(w: World) -> None:
    """The operator's own secrets (environment of the server)."""
    w.secret("operator token", ADMIN_TOKEN)
    w.secret("secret key", SECRET_KEY)
    w.secret("metrics token", METRICS_TOKEN)


def api_keys(w: World) -> None:
    """The app's API key (handed out once, when made), and a second one, revoked."""
    made = w.client(ADMIN_TOKEN).post("/api/v1/apps", {"name": "secret scan"})
    w.ids["app_id"] = made.json()["id"]
    w.tokens["api_key"] = w.issued("api key", made.json()["api_key"])
    w.api = w.client(w.tokens["api_key"])
    second = w.api.ok(w.api.post("/api/v1/api-keys", {"name": "second"}), 201)
    extra = w.client(w.issued("second api key", second["key"]))
    assert extra.get("/api/v1/app").status_code == 200
    w.api.ok(w.api.delete(f"/api/v1/api-keys/{second['id']}"), 204)
    assert_error(extra.get("/api/v1/app"), 401)


def passwords(w: World) -> None:
    """An admin's password, changed (ending the old session); wrong and refused ones; a
    session logged out."""
    first, second, wrong = (
        w.secret("password"),
        w.secret("new password"),
        w.secret("wrong password"),
    )
    email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    admin = w.api.agent(email, name="Ada", role="admin", status="online", password=first)
    w.ids["agent_id"] = admin["id"]
    w.api.agent(name="Human", status="online")
    old = _login(w, email, first, "session token")
    w.api.ok(w.api.patch(f"/api/v1/agents/{admin['id']}", {"password": second}))
    assert_error(w.api.post("/api/v1/auth/login", {"email": email, "password": first}), 401)
    assert_error(w.api.post("/api/v1/auth/login", {"email": email, "password": wrong}), 401)
    assert_error(w.client(old).get("/api/v1/agents/me"), 401)  # the new password ended it
    w.tokens["admin"] = _login(w, email, second, "second session token")
    spare = _login(w, email, second, "third session token")
    w.client(spare).ok(w.client(spare).post("/api/v1/auth/logout"), 204)
    assert_error(w.client(spare).get("/api/v1/agents/me"), 401)
    too_long = w.secret("refused password", "x" * 190 + secrets.token_hex(8))
    refused = w.api.post(
        "/api/v1/agents", {"email": "b@example.com", "name": "B", "password": too_long}
    )
    assert_error(refused, 422)


def _login(w: World, email: str, password: str, name: str) -> str:
    answer = w.api.post("/api/v1/auth/login", {"email": email, "password": password})
    return w.issued(name, str(w.api.ok(answer)["token"]))


def identity_verification(w: World) -> None:
    """The HMAC secret of widget identity verification, and a contact's session token."""
    secret = w.secret("verification secret")
    w.api.ok(w.api.patch("/api/v1/app", {"verification_secret": secret}))
    external_id = uuid.uuid4().hex
    good = hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()
    body = {"app_id": w.api.app_id, "external_id": external_id, "name": "Cleo"}
    assert_error(w.api.post("/api/v1/widget/session", {**body, "user_hash": "0" * 64}), 401)
    opened = w.api.ok(w.api.post("/api/v1/widget/session", {**body, "user_hash": good}))
    w.tokens["contact"] = w.issued("contact token", opened["token"])
    w.ids["contact_id"] = opened["contact"]["id"]


PRINCIPALS: list[Callable[[World], None]] = [
    server_settings,
    api_keys,
    passwords,
    identity_verification,
]
