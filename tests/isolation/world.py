"""One tenant's world for the isolation tests: an app with one of every kind of object.

Every object is made over HTTP by a *creator* named after the path parameter that names it
(``agent_id`` makes an agent, ``upload_id`` an upload and its file name, …), so the tests
can fill any route's path from a tenant and make fresh objects for the routes that delete
them. Every value a tenant makes (ids, names, texts, secrets, tokens) is remembered as a
marker, to be looked for where it must not appear.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.support import Api, new_app

#: the kinds of caller a tenant holds; "other_contact" is a second contact of the same app
KINDS = ("api_key", "admin", "agent", "contact", "other_contact")


@dataclass
class Tenant:
    """An app, a token of each kind, its objects, and every value it made."""

    tag: str  # "A" or "B"
    key: Api  # the app's API key
    hook_url: str  # where its webhook delivers
    unique: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    tokens: dict[str, Api] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # path parameter -> contact 1's object
    markers: dict[str, set[str]] = field(
        default_factory=lambda: {"app": set(), "contact": set(), "other_contact": set()}
    )

    def label(self, what: str) -> str:
        """A name no other tenant (or test) uses."""
        return f"{self.tag}-{what}-{self.unique}"

    def mark(self, *values: str | None, group: str = "app") -> None:
        self.markers[group].update(v for v in values if v)

    def all_markers(self) -> set[str]:
        return set().union(*self.markers.values())

    def make(self, param: str) -> dict[str, str]:
        """A fresh object for this path parameter (with its companion values)."""
        if param not in CREATORS:
            raise AssertionError(f"no creator for path parameter {param!r}: add one to CREATORS")
        return CREATORS[param](self)

    # --- the objects ---------------------------------------------------------------------

    def agent(self, role: str, *, login: bool = False) -> str:
        email = f"{self.label(role)}-{uuid.uuid4().hex[:4]}@example.com".lower()
        password = self.label("password")
        created = self.key.agent(
            email, name=self.label(f"{role} name"), password=password, role=role
        )
        self.mark(created["id"], created["name"], email, password)
        if login:
            session = self.key.ok(
                self.key.post("/api/v1/auth/login", {"email": email, "password": password})
            )
            self.tokens[role] = self.key.as_token(session["token"])
            self.mark(session["token"])
        return str(created["id"])

    def contact(self, group: str) -> tuple[Api, dict[str, str]]:
        external_id = self.label(f"{group}-{uuid.uuid4().hex[:4]}")
        body = {"app_id": self.key.app_id, "external_id": external_id}
        session = self.key.ok(httpx.post(f"{self.key.base_url}/api/v1/widget/session", json=body))
        contact_id = session["contact"]["id"]
        name, email = self.label(f"{group} name"), f"{external_id}@example.com".lower()
        self.key.ok(
            self.key.patch(f"/api/v1/contacts/{contact_id}", {"name": name, "email": email})
        )
        self.mark(contact_id, external_id, name, email, session["token"], group=group)
        return self.key.as_token(session["token"]), {
            "contact_id": contact_id,
            "external_id": external_id,
        }

    def conversation(self, group: str = "contact") -> dict[str, str]:
        """A conversation of the contact, with a message from each side and a read mark."""
        contact = self.tokens[group]
        title, text = self.label(f"{group} title"), self.label(f"{group} says")
        conv = contact.ok(contact.post("/api/v1/conversations", {"title": title}), 201)
        message = contact.say(conv["id"], text)
        reply = self.label(f"{group} reply")
        self.key.say(
            conv["id"], reply, sender="agent", sender_extra={"id": self.values["agent_id"]}
        )
        contact.ok(contact.post(f"/api/v1/conversations/{conv['id']}/read", {}))
        # resolved, rated, and reopened by the contact: it has a rating and is open again
        path = f"/api/v1/conversations/{conv['id']}"
        self.key.ok(self.key.patch(path, {"status": "resolved"}))
        comment = self.label(f"{group} rating")
        contact.ok(contact.post(f"{path}/rating", {"score": 4, "comment": comment}), 201)
        contact.say(conv["id"], self.label(f"{group} again"))
        self.mark(conv["id"], title, text, message["id"], reply, comment, group=group)
        return {"conversation_id": conv["id"], "message_id": message["id"]}

    def upload(self, group: str = "contact") -> dict[str, str]:
        contact = self.tokens[group]
        unique = uuid.uuid4().hex[:4]
        name, content = f"{self.label(group)}-{unique}.txt", self.label(f"file {unique}")
        files = {"file": (name, content.encode(), "text/plain")}
        created = contact.ok(contact.http.post("/api/v1/uploads", files=files), 201)
        self.mark(created["id"], name, content, created["url"], group=group)
        return {"upload_id": created["id"], "name": created["name"], "upload_url": created["url"]}


def _new_agent(t: Tenant) -> dict[str, str]:
    return {"agent_id": t.agent("agent")}


def _new_team(t: Tenant) -> dict[str, str]:
    body = {"name": t.label(f"team {uuid.uuid4().hex[:4]}"), "member_ids": [t.values["agent_id"]]}
    team = t.key.ok(t.key.post("/api/v1/teams", body), 201)
    t.mark(team["id"], team["name"])
    return {"team_id": team["id"]}


def _new_ai_agent(t: Tenant) -> dict[str, str]:
    bot_key = t.label(f"bot key {uuid.uuid4().hex[:4]}")
    body = {
        "name": t.label("bot"),
        "kind": "webhook",  # never assigned: it is never called
        "config": {
            "url": f"https://bot-{t.unique}.example.com/hook",
            "headers": {"X-Bot-Key": bot_key},
        },
    }
    bot = t.key.ok(t.key.post("/api/v1/ai-agents", body), 201)
    t.mark(bot["id"], bot["name"], bot_key)
    return {"ai_agent_id": bot["id"]}


def _new_webhook(t: Tenant) -> dict[str, str]:
    secret = t.label(f"webhook secret {uuid.uuid4().hex[:4]}")
    body = {"url": f"{t.hook_url}/{t.tag}", "events": ["*"], "secret": secret}
    hook = t.key.ok(t.key.post("/api/v1/webhooks", body), 201)
    t.mark(hook["id"], secret)
    return {"webhook_id": hook["id"]}


def _new_key(t: Tenant) -> dict[str, str]:
    key = t.key.ok(t.key.post("/api/v1/api-keys", {"name": t.label("second key")}), 201)
    t.mark(key["id"], key["key"], key["name"])
    return {"key_id": key["id"]}


def _new_article(t: Tenant) -> dict[str, str]:
    body = {"title": t.label("article"), "body": t.label("article body")}
    article = t.key.ok(t.key.post("/api/v1/knowledge/articles", body), 201)
    t.mark(article["id"], article["title"], article["body"])
    return {"article_id": article["id"]}


def _new_contact(t: Tenant) -> dict[str, str]:
    return t.contact("app")[1]


#: path parameter -> how to make that object in a tenant (companion values come along)
CREATORS: dict[str, Callable[[Tenant], dict[str, str]]] = {
    "agent_id": _new_agent,
    "team_id": _new_team,
    "ai_agent_id": _new_ai_agent,
    "webhook_id": _new_webhook,
    "key_id": _new_key,
    "contact_id": _new_contact,
    "conversation_id": lambda t: t.conversation(),
    "upload_id": lambda t: t.upload(),
    "article_id": _new_article,
}


def build_tenant(base_url: str, tag: str, hook_url: str) -> Tenant:
    """An app with an admin, an agent, two contacts with a conversation and an upload each,
    a team, an AI agent with a secret header, a webhook, a second API key, a knowledge
    article and a verification secret."""
    t = Tenant(tag=tag, key=new_app(base_url, name=f"app {tag}"), hook_url=hook_url)
    t.mark(t.key.app_id, t.key.token)
    secret = t.label("verification secret")
    t.key.ok(t.key.patch("/api/v1/app", {"verification_secret": secret}))
    t.mark(secret)
    t.tokens["api_key"] = t.key
    t.agent("admin", login=True)
    t.values["agent_id"] = t.agent("agent", login=True)
    for group in ("contact", "other_contact"):
        t.tokens[group], contact = t.contact(group)
        if group == "contact":
            t.values.update(contact)
    t.values.update(_new_team(t), **_new_ai_agent(t), **_new_webhook(t), **_new_key(t))
    t.values.update(_new_article(t))
    t.values.update(t.conversation(), **t.upload())
    t.conversation("other_contact")
    t.values["other_contact_upload_url"] = t.upload("other_contact")["upload_url"]
    return t
