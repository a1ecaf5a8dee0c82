"""Webhook AI agents end to end: a real server, the fake Kommunicate-format bot, HTTP only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ai_agents import e2e
from tests.fakes.webhook_bot import FakeWebhookBot
from tests.support import Api, Server, assert_error, wait_until

SECRET_VALUE = "s3cret-webhook-token-7f2c"
HEADERS = {"X-Bot-Token": SECRET_VALUE}


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's server (short retry budget), per backend."""
    yield from e2e.module_server(backend, tmp_path_factory.mktemp(f"webhook-e2e-{backend}"))


@pytest.fixture(scope="module")
def fake_bot() -> Iterator[FakeWebhookBot]:
    with FakeWebhookBot(required_headers=HEADERS) as bot:
        yield bot  # type: ignore[misc]


@pytest.fixture()
def bot(fake_bot: FakeWebhookBot) -> FakeWebhookBot:
    fake_bot.reset()
    return fake_bot


def webhook(api: Api, bot: FakeWebhookBot, **fields: Any) -> dict[str, Any]:
    return e2e.ai_agent(api, "webhook", {"url": bot.hook_url, "headers": HEADERS}, **fields)


def bodies(bot: FakeWebhookBot, conversation_id: str) -> list[dict[str, Any]]:
    return [b for b in bot.bodies() if b and b.get("groupId") == conversation_id]


def started(api: Api, bot: FakeWebhookBot, **contact: Any) -> dict[str, Any]:
    """A conversation routed to the bot; returns once the bot got its welcome."""
    conv = api.conversation(**contact)
    wait_until(lambda: bodies(bot, conv["id"]))
    return conv


def test_secrets_masked_kept_on_patch_and_never_logged(
    api: Api, bot: FakeWebhookBot, server: Server
) -> None:
    created = webhook(api, bot, name="Shop bot")
    assert created["config"]["headers"] == {"X-Bot-Token": "****"}
    assert created["config"]["url"] == bot.hook_url
    shown = api.ok(api.get(f"/api/v1/ai-agents/{created['id']}"))
    assert shown["config"]["headers"] == {"X-Bot-Token": "****"}
    listed = api.ok(api.get("/api/v1/ai-agents"))["items"]
    assert [a["config"]["headers"] for a in listed] == [{"X-Bot-Token": "****"}]

    patched = api.ok(
        api.patch(
            f"/api/v1/ai-agents/{created['id']}",
            {"config": {"url": bot.hook_url, "headers": {"X-Bot-Token": "****"}, "timeout_s": 5}},
        )
    )
    assert patched["config"] == {
        "url": bot.hook_url,
        "headers": {"X-Bot-Token": "****"},
        "timeout_s": 5,
    }
    # the stored value still works: the fake refuses calls without the exact header
    e2e.route_new_to(api, created["id"])
    bot.script(text="ping", reply=[{"message": "pong"}])
    conv = started(api, bot)
    api.say(conv["id"], "ping")
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == ["pong"]
    assert all(
        r["headers"]["x-bot-token"] == SECRET_VALUE
        for r in bot.logged("/bot")
        if r["body"]["groupId"] == conv["id"]
    )
    assert SECRET_VALUE not in server.log_path.read_text(errors="replace")  # type: ignore[union-attr]

    bad = api.post(
        "/api/v1/ai-agents",
        {"name": "x", "kind": "webhook", "config": {"url": "ftp://bot.example/hook"}},
    )
    err = assert_error(bad, 422, "invalid_config")
    assert "url" in err["message"]


def test_welcome_text_and_rich_replies_in_order_with_the_custom_bot_body(
    api: Api, bot: FakeWebhookBot
) -> None:
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    bot.script(event="WELCOME", reply=[{"message": "Welcome to the shop!"}])
    bot.script(text="show me", reply=[{"message": "Sure."}, *e2e.rich_payloads()])
    conv = api.conversation(
        "visitor-42",
        contact={"external_id": "visitor-42", "name": "Vi", "language": "pt-BR"},
        message={
            "text": "show me",
            "metadata": {"KM_CHAT_CONTEXT": {"plan": "pro", "cart": 3}, "source": "widget"},
        },
    )
    assert conv["assignee"] == {"type": "ai_agent", "id": agent["id"]}
    got = e2e.bot_messages(api, conv["id"], 5)
    assert [m["text"] for m in got[:2]] == ["Welcome to the shop!", "Sure."]
    e2e.check_rich(got[2:])
    sender = {"type": "ai_agent", "id": agent["id"], "name": agent["name"]}
    assert all(m["sender"] == sender for m in got)

    welcome, text = bodies(bot, conv["id"])
    assert welcome["eventName"] == "WELCOME"
    assert welcome["message"] == ""
    assert welcome["metadata"]["KM_CHAT_CONTEXT"]["kmUserLanguageCode"] == "pt-BR"
    contact_msg = next(m for m in api.messages(conv["id"]) if m["sender"]["type"] == "contact")
    assert "eventName" not in text
    assert isinstance(text.pop("createdAt"), int)
    assert text == {
        "botId": agent["id"],
        "key": contact_msg["id"],
        "from": "visitor-42",
        "message": "show me",
        "groupId": conv["id"],
        "contentType": 0,
        "applicationId": api.app_id,
        "applicationKey": api.app_id,
        "source": 1,
        "metadata": {
            "source": "widget",
            "KM_CHAT_CONTEXT": {
                "plan": "pro",
                "cart": 3,
                "kmUserLanguageCode": "pt-BR",
                "attachments": [],
            },
        },
    }


def test_media_is_sent_as_the_media_event_with_attachments(api: Api, bot: FakeWebhookBot) -> None:
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    bot.script(event="KOMMUNICATE_MEDIA_EVENT", reply=[{"message": "Got your file."}])
    conv = started(api, bot)
    e2e.send_media(api, conv["id"])
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == ["Got your file."]
    media = bodies(bot, conv["id"])[-1]
    assert media["eventName"] == "KOMMUNICATE_MEDIA_EVENT"
    assert media["message"] == ""
    assert media["metadata"]["KM_CHAT_CONTEXT"]["attachments"] == e2e.KM_ATTACHMENTS
    assert media["metadata"]["KM_CHAT_CONTEXT"]["kmUserLanguageCode"] == "en-US"  # the default


@pytest.mark.parametrize("form", e2e.HANDOFF_FORMS)
def test_handoff_forms(api: Api, bot: FakeWebhookBot, form: str) -> None:
    people = e2e.humans(api)
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    md = e2e.handoff_metadata(form, people)
    silent = form == "team"  # a payload with no text is not shown to the contact
    reply = [{"metadata": md}] if silent else [{"message": "Passing you on", "metadata": md}]
    bot.script(text="a human please", reply=reply)
    conv = started(api, bot)
    api.say(conv["id"], "a human please")
    e2e.check_handoff(api, conv["id"], form, people)
    shown = [m["text"] for m in api.messages(conv["id"]) if m["sender"]["id"] == agent["id"]]
    assert shown == ([] if silent else ["Passing you on"])
    # a human is assignee now: the bot no longer receives the contact's messages
    api.say(conv["id"], "hello?")
    time.sleep(0.3)
    assert [b.get("message") for b in bodies(bot, conv["id"])] == ["", "a human please"]


def test_handoff_to_a_builtin_ai_agent_with_an_event(api: Api, bot: FakeWebhookBot) -> None:
    billing = e2e.ai_agent(api, "builtin", e2e.BILLING_DOC)
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    bot.script(
        text="my invoice",
        reply=[
            {
                "message": "Let me get the billing bot",
                "metadata": {
                    "KM_ASSIGN_TO": billing["id"],
                    "event": {"name": "billing", "data": {"invoice": "I-7"}},
                },
            }
        ],
    )
    conv = started(api, bot)
    api.say(conv["id"], "my invoice")
    row = e2e.trail_until(api, conv["id"], "ai_handoff_ai_agent")
    assert row["from"] == {"type": "ai_agent", "id": agent["id"]}
    assert row["to"] == {"type": "ai_agent", "id": billing["id"]}
    got = e2e.bot_messages(api, conv["id"], 2)
    assert [(m["sender"]["id"], m["text"]) for m in got] == [
        (agent["id"], "Let me get the billing bot"),
        (billing["id"], "Billing bot here, about your invoice."),
    ]


def test_handoff_to_builtin_without_event_triggers_its_welcome(
    api: Api, bot: FakeWebhookBot
) -> None:
    builtin = e2e.ai_agent(
        api,
        "builtin",
        {
            "intents": [
                {
                    "name": "welcome",
                    "category": "welcome_event",
                    "content": [{"message": "Built-in bot: how can I help?"}],
                },
                {"name": "fallback", "category": "fallback_intent", "content": [{"message": "?"}]},
            ]
        },
    )
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    bot.script(text="other bot", reply=[{"metadata": {"KM_ASSIGN_TO": builtin["id"]}}])
    conv = started(api, bot)
    api.say(conv["id"], "other bot")
    e2e.trail_until(api, conv["id"], "ai_handoff_ai_agent")
    got = e2e.bot_messages(api, conv["id"], 1)
    assert [(m["sender"]["id"], m["text"]) for m in got] == [
        (builtin["id"], "Built-in bot: how can I help?")
    ]


def test_outage_past_the_retry_budget_hands_over_with_ai_error(
    api: Api, bot: FakeWebhookBot
) -> None:
    people = e2e.humans(api)
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    conv = started(api, bot)
    bot.fail_next(10, status=500)
    api.say(conv["id"], "anyone there?")
    row = e2e.trail_until(api, conv["id"], "ai_error")
    assert row["to"]["id"] in {people["ann"]["id"], people["ben"]["id"]}
    assert "HTTP 500" in (row["detail"] or ""), row
    # exactly the retry budget (RELAYDESK_TURN_MAX_ATTEMPTS=3) was spent on the message
    assert [b["message"] for b in bodies(bot, conv["id"])].count("anyone there?") == 3
    # the contact's message was kept; nothing from the bot was posted for it
    assert e2e.texts(api, conv["id"]) == [("contact", "anyone there?")]


def test_refused_call_fails_at_once_with_ai_error(api: Api, bot: FakeWebhookBot) -> None:
    e2e.humans(api)
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    conv = started(api, bot)
    bot.fail_next(1, status=404)
    api.say(conv["id"], "hello")
    row = e2e.trail_until(api, conv["id"], "ai_error")
    assert "HTTP 404" in (row["detail"] or ""), row
    assert [b["message"] for b in bodies(bot, conv["id"])].count("hello") == 1


@pytest.mark.parametrize(
    ("reply", "raw", "why"),
    [
        ([{"message": f"part {i}"} for i in range(25)], None, "25 messages"),
        ([{"message": "x" * 10_001}], None, "10001 characters"),
        ([{"message": "ok", "metadata": {"blob": "y" * 70_000}}], None, "metadata"),
        ([{"message": "nul \u0000 inside"}], None, "NUL"),
        (None, b'[{"message": "' + b"z" * (1024 * 1024 + 10) + b'"}]', "larger than"),
    ],
)
def test_an_oversized_bot_answer_is_a_bot_error_handed_over_at_once(
    api: Api, bot: FakeWebhookBot, reply: Any, raw: bytes | None, why: str
) -> None:
    """The message limits apply to bots: an answer over them is not posted (not in part
    either), not retried, and the conversation goes to the humans with the reason."""
    people = e2e.humans(api)
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    conv = started(api, bot)
    bot.script(text="tell me everything", reply=reply, raw_body=raw)
    api.say(conv["id"], "tell me everything")
    row = e2e.trail_until(api, conv["id"], "ai_error")
    assert row["to"]["id"] in {people["ann"]["id"], people["ben"]["id"]}
    assert why in (row["detail"] or ""), row
    assert [b["message"] for b in bodies(bot, conv["id"])].count("tell me everything") == 1
    assert e2e.texts(api, conv["id"]) == [("contact", "tell me everything")]


def test_a_masked_secret_does_not_follow_a_new_destination(api: Api, bot: FakeWebhookBot) -> None:
    """Sending "****" keeps a stored secret only while the URL stays: an admin who points
    the bot elsewhere must type the secret again, so no stored credential can be sent to a
    server of their choosing."""
    created = webhook(api, bot, name="Shop bot")
    elsewhere = "https://collector.example.net/kommunicate"
    masked = {"config": {"url": elsewhere, "headers": {"X-Bot-Token": "****"}}}
    error = assert_error(
        api.patch(f"/api/v1/ai-agents/{created['id']}", masked), 422, "secret_required"
    )
    assert error["details"] == {"field": "config.headers", "changed": "config.url"}
    assert api.ok(api.get(f"/api/v1/ai-agents/{created['id']}"))["config"]["url"] == bot.hook_url
    again = {"config": {"url": elsewhere, "headers": {"X-Bot-Token": "a-new-token-typed-in"}}}
    moved = api.ok(api.patch(f"/api/v1/ai-agents/{created['id']}", again))
    assert moved["config"] == {"url": elsewhere, "headers": {"X-Bot-Token": "****"}}


def test_a_429_with_retry_after_is_retried_no_sooner_than_asked(
    api: Api, bot: FakeWebhookBot
) -> None:
    """Throttled: the next try waits for the bot's Retry-After (2 s), not the short backoff
    this server uses (0.1 s), then the reply comes once."""
    e2e.humans(api)
    agent = webhook(api, bot)
    e2e.route_new_to(api, agent["id"])
    conv = started(api, bot)
    bot.script(text="slow down", reply=[{"message": "ok, now"}])
    bot.fail_next(1, status=429, retry_after=2)
    api.say(conv["id"], "slow down")
    replies = e2e.bot_messages(api, conv["id"], 1, timeout=15)
    assert [m["text"] for m in replies] == ["ok, now"]
    tries = [r for r in bot.logged("/bot") if (r["body"] or {}).get("message") == "slow down"]
    assert len(tries) == 2
    assert tries[1]["at"] - tries[0]["at"] >= 1.9
