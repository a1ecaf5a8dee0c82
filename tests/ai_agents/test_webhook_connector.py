"""The webhook connector driven through real httpx against the fake Kommunicate-format bot."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from relaydesk import outbound
from relaydesk.ai_agents.base import (
    ConfigInvalid,
    ContactInfo,
    PermanentError,
    TransientError,
    Turn,
    TurnResult,
    actions_from_messages,
)
from relaydesk.ai_agents.registry import connector_class
from relaydesk.ai_agents.webhook import WebhookConfig, WebhookConnector, parse_response
from tests.fakes.webhook_bot import FakeWebhookBot

T = TypeVar("T")
SECRET = {"X-Bot-Token": "s3cret"}


@pytest.fixture(autouse=True, scope="module")
def _fakes_are_allowed() -> Iterator[None]:
    """The connector runs in this process: allow its loopback fake, as a server's
    RELAYDESK_OUTBOUND_ALLOW_HOSTS would."""
    outbound.configure("127.0.0.1")
    yield
    outbound.configure("")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeWebhookBot]:
    """One fake bot per module requiring ``X-Bot-Token``."""
    with FakeWebhookBot(required_headers=SECRET) as bot:
        yield bot  # type: ignore[misc]


@pytest.fixture()
def bot(server: FakeWebhookBot) -> FakeWebhookBot:
    """The fake bot in its default state."""
    server.reset()
    return server


def turn(kind: str = "text", **kw: Any) -> Turn:
    """A turn with sensible defaults."""
    base: dict[str, Any] = {
        "kind": kind,
        "app_id": "app-1",
        "conversation_id": "conv-42",
        "ai_agent_id": "ai-1",
        "language": "en-US",
        "contact": ContactInfo(id="ct-1", external_id="visitor-9"),
        "message_id": "msg-1",
    }
    base.update(kw)
    return Turn(**base)


def run(bot: FakeWebhookBot, fn: Callable[[WebhookConnector], Awaitable[T]], **cfg: Any) -> T:
    """Run ``fn`` with a connector configured for the fake bot."""
    cfg.setdefault("url", bot.hook_url)
    cfg.setdefault("headers", SECRET)

    async def go() -> T:
        conn = WebhookConnector(WebhookConfig(**cfg), ai_agent_id="ai-1", default_language="en-US")
        try:
            return await fn(conn)
        finally:
            await conn.aclose()

    return asyncio.run(go())


def handle(bot: FakeWebhookBot, t: Turn, **cfg: Any) -> TurnResult:
    """One turn."""
    return run(bot, lambda c: c.handle(t), **cfg)


def test_registered_with_secret_headers() -> None:
    assert connector_class("webhook") is WebhookConnector
    assert WebhookConnector.secret_fields == ("headers",)
    assert WebhookConfig(url="https://bot.example/hook").timeout_s == 30


def test_text_request_body(bot: FakeWebhookBot) -> None:
    before = int(time.time() * 1000)
    result = handle(
        bot,
        turn(
            text="hello",
            language="pt-BR",
            metadata={"source": "widget"},
            chat_context={"plan": "pro"},
        ),
    )
    assert [m.text for m in result.messages] == ["You said: hello"]
    [call] = bot.logged("/bot")
    assert call["headers"]["x-bot-token"] == "s3cret"
    assert call["headers"]["content-type"] == "application/json"
    body = call["body"]
    created = body.pop("createdAt")
    assert before <= created <= int(time.time() * 1000)
    assert body == {
        "botId": "ai-1",
        "key": "msg-1",
        "from": "visitor-9",
        "message": "hello",
        "groupId": "conv-42",
        "contentType": 0,
        "applicationId": "app-1",
        "applicationKey": "app-1",
        "source": 1,
        "metadata": {
            "source": "widget",
            "KM_CHAT_CONTEXT": {"plan": "pro", "kmUserLanguageCode": "pt-BR", "attachments": []},
        },
    }


def test_welcome_event_and_media_bodies(bot: FakeWebhookBot) -> None:
    bot.script(event="WELCOME", reply=[{"message": "Welcome!"}])

    async def go(c: WebhookConnector) -> list[TurnResult]:
        return [
            await c.handle(turn("welcome", message_id=None)),
            await c.handle(turn("event", event_name="billing", event_data={"invoice": "I-1"})),
            await c.handle(
                turn(
                    "media",
                    attachments=[
                        {
                            "url": "https://cdn/f.pdf",
                            "name": "f.pdf",
                            "size": 9,
                            "mime_type": "application/pdf",
                        }
                    ],
                    location={"lat": 1.5, "lon": 2.5},
                )
            ),
        ]

    welcome, _, _ = run(bot, go)
    assert [m.text for m in welcome.messages] == ["Welcome!"]
    w, e, m = bot.bodies()
    assert w["eventName"] == "WELCOME" and w["message"] == "" and w["key"]
    assert "eventData" not in w
    assert e["eventName"] == "billing" and e["eventData"] == {"invoice": "I-1"}
    assert m["eventName"] == "KOMMUNICATE_MEDIA_EVENT"
    assert m["metadata"]["KM_CHAT_CONTEXT"]["attachments"] == [
        {
            "type": "application/pdf",
            "payload": {"url": "https://cdn/f.pdf", "name": "f.pdf", "size": 9},
        },
        {"type": "location", "payload": {"lat": 1.5, "lon": 2.5}},
    ]
    assert "eventName" not in handle_body(bot, turn(text="plain"))


def handle_body(bot: FakeWebhookBot, t: Turn) -> dict[str, Any]:
    """The body the bot received for one turn."""
    handle(bot, t)
    return bot.bodies()[-1]


def test_reply_mapping_custom_payloads(bot: FakeWebhookBot) -> None:
    rich = {
        "contentType": "300",
        "templateId": "6",
        "payload": [{"title": "Yes", "message": "yes"}],
    }
    bot.script(
        text="menu",
        reply=[
            {"message": "Pick one", "metadata": rich},
            {"message": "for facebook", "platform": "facebook"},
            {
                "message": json.dumps(
                    {
                        "platform": "kommunicate",
                        "message": "wrapped",
                        "metadata": {"KM_ASSIGN_TEAM": "t-1"},
                    }
                )
            },
            {"message": "{not json"},
            "a bare string",
            {"message": "", "metadata": {}},
            {"metadata": {"KM_ASSIGN_TO": ""}},
        ],
    )
    result = handle(bot, turn(text="menu"))
    texts = [m.text for m in result.messages]
    assert texts == ["Pick one", "wrapped", "{not json", "a bare string", None]
    assert result.messages[0].metadata == rich
    assert result.messages[1].metadata == {"KM_ASSIGN_TEAM": "t-1"}
    assert not result.messages[-1].visible
    handoff = actions_from_messages(result.messages).handoff
    assert handoff is not None and handoff.assign_to == "" and handoff.team_id is None


@pytest.mark.parametrize(
    "metadata",
    [
        {"KM_ASSIGN_TO": "agent@x.io"},
        {"KM_ASSIGN_TEAM": "sales"},
        {"actionRequest": "resolveConversation"},
    ],
)
def test_reply_action_keys(bot: FakeWebhookBot, metadata: dict[str, Any]) -> None:
    bot.script(text="go", reply=[{"message": "ok", "metadata": metadata}])
    result = handle(bot, turn(text="go"))
    actions = actions_from_messages(result.messages)
    if "actionRequest" in metadata:
        assert actions.resolve and actions.handoff is None
    else:
        assert actions.handoff is not None
        assert (actions.handoff.assign_to, actions.handoff.team_id) == (
            metadata.get("KM_ASSIGN_TO"),
            metadata.get("KM_ASSIGN_TEAM"),
        )


def test_empty_array_is_no_messages(bot: FakeWebhookBot) -> None:
    bot.script(text="quiet", reply=[])
    assert handle(bot, turn(text="quiet")).messages == []


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_are_transient(bot: FakeWebhookBot, status: int) -> None:
    bot.fail_next(1, status)
    with pytest.raises(TransientError, match=str(status)):
        handle(bot, turn(text="x"))
    assert handle(bot, turn(text="x")).messages  # next call succeeds


def test_wrong_header_is_permanent(bot: FakeWebhookBot) -> None:
    with pytest.raises(PermanentError, match="401"):
        handle(bot, turn(text="x"), headers={"X-Bot-Token": "wrong"})


def test_not_found_is_permanent(bot: FakeWebhookBot) -> None:
    with pytest.raises(PermanentError, match="404"):
        handle(bot, turn(text="x"), url=bot.url + "/nope")


@pytest.mark.parametrize(
    "raw_or_reply",
    [
        b"not json",
        {"message": "an object, not an array"},
        [1, 2],
        [{"message": "x", "metadata": "no"}],
    ],
)
def test_bad_bodies_are_transient_failures(bot: FakeWebhookBot, raw_or_reply: Any) -> None:
    if isinstance(raw_or_reply, bytes):
        bot.script(text="bad", raw_body=raw_or_reply)
    else:
        bot.script(text="bad", reply=raw_or_reply)
    with pytest.raises(TransientError, match="not a message array"):
        handle(bot, turn(text="bad"))


def test_timeout_is_transient(bot: FakeWebhookBot) -> None:
    bot.slow_next(1, 1.5)
    with pytest.raises(TransientError, match="timed out"):
        handle(bot, turn(text="x"), timeout_s=0.3)


def test_unreachable_is_transient(bot: FakeWebhookBot) -> None:
    with pytest.raises(TransientError, match="unreachable"):
        handle(bot, turn(text="x"), url="http://127.0.0.1:9/bot")


def test_config_validation() -> None:
    for url in ("ftp://bot/x", "/relative", "bot.example.com/hook", "https://"):
        with pytest.raises(ValueError, match="absolute"):
            WebhookConfig(url=url)
    with pytest.raises(ValueError, match="header name"):
        WebhookConfig(url="https://b/x", headers={"Bad Header": "v"})
    with pytest.raises(ValueError, match="line break"):
        WebhookConfig(url="https://b/x", headers={"X-A": "v\r\nX-Evil: 1"})
    with pytest.raises(ValueError, match="extra"):
        WebhookConfig.model_validate({"url": "https://b/x", "secret": "x"})
    assert "s3cret" not in repr(WebhookConfig(url="https://b/x", headers=SECRET))


def test_validate_needs_no_network() -> None:
    async def go() -> None:
        conn = WebhookConnector(
            WebhookConfig(url="http://127.0.0.1:9/unreachable"),
            ai_agent_id="a",
            default_language="en",
        )
        await conn.validate()  # no call is made: the URL shape is all that is checked
        conn.cfg = WebhookConfig.model_construct(url="nope", headers={}, timeout_s=30)
        with pytest.raises(ConfigInvalid):
            await conn.validate()

    asyncio.run(go())


def test_parse_response_rejects_non_arrays() -> None:
    with pytest.raises(ValueError):
        parse_response({"message": "x"})
    assert parse_response(["hi"])[0].text == "hi"


def test_fake_control_endpoints(bot: FakeWebhookBot) -> None:
    import httpx

    with httpx.Client(base_url=bot.url) as http:
        http.post("/_fake/script", json={"text": "ctl", "reply": [{"message": "from control"}]})
        http.post("/_fake/faults", json={"status": 500, "count": 1})
        with pytest.raises(TransientError):
            handle(bot, turn(text="ctl"))
        assert handle(bot, turn(text="ctl")).messages[0].text == "from control"
        assert len(http.get("/_fake/requests").json()) == 2
        http.post("/_fake/reset")
        assert http.get("/_fake/requests").json() == []
