"""The provider-side secret kinds: AI agents of every kind, outbound webhooks, signed links.

Each creates one object with fresh secrets (the fakes are told to accept exactly those), is
refused once with another secret, and gives its bot the faults to be driven through: a
transient one it recovers from and a permanent one that hands the conversation over, so the
error paths (messages, trail details, logs) are scanned too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.security.kinds import CX_AGENT, Bot, Fault, World
from tests.support import assert_error

LOG_AND_DB = frozenset({"log", "db"})


def _lex_config(w: World, key_id: str, secret: str, **bot: str) -> dict[str, Any]:
    return {
        "access_key_id": key_id,
        "secret_access_key": secret,
        "region": "us-east-1",
        "endpoint_url": w.lex.url,
        "connect_timeout_s": 1,
        "read_timeout_s": 5,
        **bot,
    }


def _lex(w: World, kind: str, **bot: str) -> None:
    key_id = f"AKIASCAN{secrets.token_hex(6).upper()}"
    secret = w.secret(f"{kind} secret access key")
    w.lex.credentials[key_id] = secret
    wrong = w.secret(f"refused {kind} secret access key")
    refused = w.ai_agent(kind, _lex_config(w, key_id, wrong, **bot), status=422)
    assert refused["error"]["code"] == "provider_rejected"
    made = w.ai_agent(kind, _lex_config(w, key_id, secret, **bot))

    def refuse_echoing_the_key() -> None:  # a provider that quotes what it was sent
        message = f"The security token {secret} included in the request is invalid."
        w.lex.fail_next(
            1, status=403, error_type="UnrecognizedClientException", message=message, only="runtime"
        )

    w.bots.append(
        Bot(
            made,
            "lex",
            [
                Fault(  # one HTTP call per attempt (no botocore retries): 2 of the 3 fail
                    "Lex 500s, then answers",
                    lambda: w.lex.fail_next(
                        2, status=500, error_type="InternalServerException", only="runtime"
                    ),
                    "reply",
                ),
                Fault("AWS refuses the credentials", refuse_echoing_the_key, "ai_error"),
            ],
        )
    )


def lex_v2(w: World) -> None:
    _lex(w, "lex_v2", bot_name="SupportBot", bot_alias="prod")


def lex_v1(w: World) -> None:
    _lex(w, "lex_v1", bot_name="SupportBotLegacy", bot_alias="prod")


def _service_account(w: World, name: str, **kw: Any) -> dict[str, Any]:
    """A service-account key whose private key (and key id) are registered secrets."""
    key = w.google.service_account("scan-proj", **kw)
    w.secret(f"{name} private key", key["private_key"])
    w.secret(f"{name} private key id", key["private_key_id"])
    return key


def _dialogflow(w: World, kind: str, config: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    refused = _service_account(w, f"refused {kind}", cx_agent=CX_AGENT)
    w.google.disable_key(refused["client_email"])
    answer = w.ai_agent(kind, config(refused), status=422)
    assert answer["error"]["code"] == "provider_rejected"
    key = _service_account(w, kind, cx_agent=CX_AGENT)
    made = w.ai_agent(kind, config(key))
    faults = [
        Fault("Dialogflow 503s, then answers", lambda: w.google.fail_next(1, 503), "reply"),
        Fault("the access token is revoked", w.google.revoke_tokens, "reply"),
        Fault("the key is disabled", lambda: w.google.disable_key(key["client_email"]), "ai_error"),
    ]
    w.bots.append(Bot(made, "google", faults))
    w.later["Dialogflow access tokens"] = lambda: _access_tokens(w)


def _access_tokens(w: World) -> None:
    for token in w.google.issued_tokens:
        w.secret("Dialogflow access token", token)


def dialogflow_es(w: World) -> None:
    _dialogflow(
        w, "dialogflow_es", lambda key: {"service_account": key, "api_endpoint": w.google.url}
    )


def dialogflow_cx(w: World) -> None:
    _dialogflow(
        w,
        "dialogflow_cx",
        lambda key: {"service_account": key, "agent": CX_AGENT, "api_endpoint": w.google.url},
    )


def webhook_bot(w: World) -> None:
    token, bearer = w.secret("webhook bot header"), w.secret("webhook bot bearer")
    headers = {"X-Bot-Token": token, "Authorization": f"Bearer {bearer}"}
    w.bot.required_headers = {k.lower(): v for k, v in headers.items()}
    w.bot.script(event="WELCOME", reply=[{"message": "Welcome from the webhook bot"}])
    broken = {"X-Bot-Token": f"line\nbreak-{w.secret('refused webhook bot header')}"}
    assert_error(
        w.api.post(
            "/api/v1/ai-agents",
            {"name": "x", "kind": "webhook", "config": {"url": w.bot.hook_url, "headers": broken}},
        ),
        422,
    )
    made = w.ai_agent("webhook", {"url": w.bot.hook_url, "headers": headers})
    # the masked headers cannot follow the bot to another URL
    moved = {"url": f"{w.bot.hook_url}/elsewhere", "headers": made["config"]["headers"]}
    assert_error(
        w.api.patch(f"/api/v1/ai-agents/{made['id']}", {"config": moved}), 422, "secret_required"
    )
    faults = [
        Fault("the bot 500s, then answers", lambda: w.bot.fail_next(1, status=500), "reply"),
        Fault("the bot answers 401", lambda: w.bot.fail_next(1, status=401), "ai_error"),
    ]
    w.bots.append(Bot(made, "webhook bot", faults))


def openai_model(w: World) -> None:
    """An LLM AI agent: its API key goes to the model server only, as the bearer."""
    key = w.secret("model server API key")
    w.llm.api_key = key
    refused = w.secret("refused model server API key")
    config = {"base_url": w.llm.base_url, "model": "gpt-test"}
    assert_error(
        w.api.post(
            "/api/v1/ai-agents",
            {"name": "x", "kind": "openai", "config": {**config, "api_key": refused}},
        ),
        422,
    )
    made = w.ai_agent("openai", {**config, "api_key": key})
    moved = {**config, "base_url": f"{w.llm.base_url}/elsewhere", "api_key": "****"}
    assert_error(
        w.api.patch(f"/api/v1/ai-agents/{made['id']}", {"config": moved}), 422, "secret_required"
    )
    faults = [
        Fault(
            "the model server 500s, then answers", lambda: w.llm.fail_next(1, status=500), "reply"
        ),
        Fault("the model server answers 401", lambda: w.llm.fail_next(1, status=401), "ai_error"),
    ]
    w.bots.append(Bot(made, "model server", faults, opening="hello model"))


def knowledge_article(w: World) -> None:
    """An article (no secret in it) for the routes that read one."""
    body = {"title": "Scanned article", "body": "Nothing secret here."}
    w.ids["article_id"] = w.api.ok(w.api.post("/api/v1/knowledge/articles", body), 201)["id"]


def outbound_webhooks(w: World) -> None:
    """A receiver that takes every event, and one that always fails (delivery errors)."""
    w.failing.fail_first = 10**6
    for name, receiver in (("ok", w.receiver), ("failing", w.failing)):
        secret = w.secret(f"{name} webhook signing secret")
        body = {"url": f"{receiver.url}/hook", "events": ["*"], "secret": secret}
        hook = w.api.ok(w.api.post("/api/v1/webhooks", body), 201)
        w.ids.setdefault("webhook_id", hook["id"])
        w.ids[f"{name}_webhook"] = hook["id"]
    short = w.secret("refused webhook secret", f"short-{secrets.token_hex(4)}")  # < 16 chars
    refused = {"url": f"{w.receiver.url}/hook", "events": ["*"], "secret": short}
    assert_error(w.api.post("/api/v1/webhooks", refused), 422)


def signed_links(w: World) -> None:
    """An upload's link signature may be shown to the app, never logged or stored."""
    contact = w.client(w.tokens["contact"])
    sent = contact.http.post("/api/v1/uploads", files={"file": ("note.txt", b"hi", "text/plain")})
    upload = contact.ok(sent, 201)
    link = urlsplit(upload["url"])
    w.secret("upload link signature", str(parse_qs(link.query)["sig"][0]), LOG_AND_DB)
    w.ids["upload_id"], w.ids["name"] = upload["id"], "note.txt"
    assert w.client(None).get(f"{link.path}?{link.query}").status_code == 200
    by_token = w.client(None).get(link.path, params={"token": w.tokens["contact"]})
    assert by_token.status_code == 200


KINDS: list[Callable[[World], None]] = [
    lex_v2,
    lex_v1,
    dialogflow_es,
    dialogflow_cx,
    webhook_bot,
    openai_model,
    knowledge_article,
    outbound_webhooks,
    signed_links,
]
