"""Dialogflow ES/CX connectors driven through real httpx + google-auth against the local fake."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from relaydesk.ai_agents.base import (
    ConfigInvalid,
    ContactInfo,
    PermanentError,
    TransientError,
    Turn,
    TurnResult,
    actions_from_messages,
)
from relaydesk.ai_agents.dialogflow import (
    DialogflowCXConfig,
    DialogflowCXConnector,
    DialogflowESConfig,
    DialogflowESConnector,
    session_id,
)
from relaydesk.ai_agents.registry import connector_class
from tests.fakes.dialogflow_server import (
    WIRE_CX_RESPONSE,
    WIRE_ES_FALLBACK,
    WIRE_ES_RESPONSE,
    FakeDialogflow,
)

T = TypeVar("T")
CX_AGENT = "projects/my-proj/locations/global/agents/a1"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDialogflow]:
    """One fake Google per module, reset before each test."""
    with FakeDialogflow() as server:
        yield server  # type: ignore[misc]


@pytest.fixture()
def df(fake: FakeDialogflow) -> FakeDialogflow:
    """The fake in its default state."""
    fake.reset()
    return fake


@pytest.fixture()
def key(df: FakeDialogflow) -> dict[str, Any]:
    """A fresh service-account key trusted by the fake (project my-proj, ES + CX agents)."""
    return df.service_account("my-proj", cx_agent=CX_AGENT)


def turn(kind: str = "text", **kw: Any) -> Turn:
    """A turn with sensible defaults."""
    base: dict[str, Any] = {
        "kind": kind,
        "app_id": "app-1",
        "conversation_id": "conv-42",
        "ai_agent_id": "ai-1",
        "language": "en-US",
        "contact": ContactInfo(id="ct-1", external_id="visitor-9", name="Ana", email="a@x.io"),
        "message_id": "msg-1",
    }
    base.update(kw)
    return Turn(**base)


def with_es(
    key: dict[str, Any], url: str, fn: Callable[[DialogflowESConnector], Awaitable[T]], **cfg: Any
) -> T:
    """Run ``fn`` with an ES connector, then close it."""

    async def go() -> T:
        conn = DialogflowESConnector(
            DialogflowESConfig(service_account=key, api_endpoint=url, **cfg),
            ai_agent_id="ai-1",
            default_language="en-US",
        )
        try:
            return await fn(conn)
        finally:
            await conn.aclose()

    return asyncio.run(go())


def with_cx(
    key: dict[str, Any], url: str, fn: Callable[[DialogflowCXConnector], Awaitable[T]], **cfg: Any
) -> T:
    """Run ``fn`` with a CX connector, then close it."""

    async def go() -> T:
        conn = DialogflowCXConnector(
            DialogflowCXConfig(
                service_account=key, api_endpoint=url, agent=cfg.pop("agent", CX_AGENT), **cfg
            ),
            ai_agent_id="ai-1",
            default_language="en-US",
        )
        try:
            return await fn(conn)
        finally:
            await conn.aclose()

    return asyncio.run(go())


def es_turn(key: dict[str, Any], df: FakeDialogflow, t: Turn, **cfg: Any) -> TurnResult:
    """One ES turn."""
    return with_es(key, df.url, lambda c: c.handle(t), **cfg)


def es_reply(messages: list[dict[str, Any]], **qr: Any) -> dict[str, Any]:
    """An ES detectIntent response with these fulfillment messages."""
    return {"responseId": "r", "queryResult": {"fulfillmentMessages": messages, **qr}}


# --- registry and config ------------------------------------------------------------------------


def test_kinds_registered_with_secret_fields() -> None:
    assert connector_class("dialogflow_es") is DialogflowESConnector
    assert connector_class("dialogflow_cx") is DialogflowCXConnector
    assert DialogflowESConnector.secret_fields == ("service_account",)
    assert DialogflowCXConnector.secret_fields == ("service_account",)


def test_config_rejects_extra_fields_and_bad_keys(key: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="extra"):
        DialogflowESConfig.model_validate({"service_account": key, "project": "x"})
    broken = {k: v for k, v in key.items() if k != "private_key"}
    with pytest.raises(ValueError, match="private_key"):
        DialogflowESConfig(service_account=broken)
    with pytest.raises(ValueError, match="project_id"):
        DialogflowESConfig(service_account={k: v for k, v in key.items() if k != "project_id"})
    with pytest.raises(ValueError, match="projects/P/locations/L/agents/A"):
        DialogflowCXConfig(service_account=key, agent="my-agent")
    assert "PRIVATE KEY" not in repr(DialogflowESConfig(service_account=key))


def test_cx_default_endpoint_from_location(key: dict[str, Any]) -> None:
    glob = DialogflowCXConfig(service_account=key, agent=CX_AGENT)
    assert glob.endpoint == "https://dialogflow.googleapis.com"
    eu = DialogflowCXConfig(service_account=key, agent="projects/p/locations/europe-west1/agents/a")
    assert eu.endpoint == "https://europe-west1-dialogflow.googleapis.com"


def test_session_id_is_stable_and_short() -> None:
    sid = session_id("conv-42")
    assert sid == session_id("conv-42") != session_id("conv-43")
    assert len(sid) <= 36
    assert len(session_id("x" * 500)) <= 36


# --- ES requests --------------------------------------------------------------------------------


def test_es_text_request_shape_and_token(df: FakeDialogflow, key: dict[str, Any]) -> None:
    es_turn(
        key,
        df,
        turn(text="Where is my order 1001?", language="de-DE", chat_context={"plan": "pro"}),
    )
    token_calls = df.logged("/token")
    assert len(token_calls) == 1
    assert token_calls[0]["body"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    [call] = df.logged(":detectIntent")
    assert (
        call["path"] == f"/v2/projects/my-proj/agent/sessions/{session_id('conv-42')}:detectIntent"
    )
    assert call["headers"]["authorization"].startswith("Bearer ya29.fake-")
    body = call["body"]
    assert body["queryInput"] == {
        "text": {"text": "Where is my order 1001?", "languageCode": "de-DE"}
    }
    payload = body["queryParams"]["payload"]
    assert payload["conversationId"] == "conv-42"
    assert payload["contact"] == {
        "id": "ct-1",
        "externalId": "visitor-9",
        "name": "Ana",
        "email": "a@x.io",
    }
    assert payload["KM_CHAT_CONTEXT"] == {"plan": "pro"}
    assert "attachments" not in payload


def test_es_welcome_event_and_environment_path(df: FakeDialogflow, key: dict[str, Any]) -> None:
    result = es_turn(key, df, turn("welcome", message_id=None), environment="production")
    [call] = df.logged(":detectIntent")
    assert call["path"] == (
        "/v2/projects/my-proj/agent/environments/production/users/-/sessions/"
        f"{session_id('conv-42')}:detectIntent"
    )
    assert call["body"]["queryInput"] == {"event": {"name": "WELCOME", "languageCode": "en-US"}}
    assert [m.text for m in result.messages] == ["Hi! How can I help?"]


def test_es_named_event_with_parameters(df: FakeDialogflow, key: dict[str, Any]) -> None:
    es_turn(
        key,
        df,
        turn("event", event_name="order_help", event_data={"firstName": "Ana"}, language="fr"),
    )
    [body] = df.detect_bodies("v2")
    assert body["queryInput"] == {
        "event": {"name": "order_help", "parameters": {"firstName": "Ana"}, "languageCode": "fr"}
    }


def test_es_media_event_with_attachments_and_location(
    df: FakeDialogflow, key: dict[str, Any]
) -> None:
    attachment = {
        "url": "https://cdn/x.png",
        "name": "x.png",
        "size": 1234,
        "mime_type": "image/png",
    }
    es_turn(key, df, turn("media", attachments=[attachment], location={"lat": 52.5, "lon": 13.4}))
    [body] = df.detect_bodies("v2")
    assert body["queryInput"] == {
        "event": {"name": "KOMMUNICATE_MEDIA_EVENT", "languageCode": "en-US"}
    }
    assert body["queryParams"]["payload"]["attachments"] == [
        {
            "type": "image/png",
            "payload": {"url": "https://cdn/x.png", "name": "x.png", "size": 1234},
        },
        {"type": "location", "payload": {"lat": 52.5, "lon": 13.4}},
    ]


def test_es_language_defaults(df: FakeDialogflow, key: dict[str, Any]) -> None:
    es_turn(key, df, turn(text="hola", language=""), language="es")
    assert df.detect_bodies("v2")[0]["queryInput"]["text"]["languageCode"] == "es"


def test_es_token_cached_across_turns(df: FakeDialogflow, key: dict[str, Any]) -> None:
    async def two(c: DialogflowESConnector) -> None:
        await c.handle(turn(text="a"))
        await c.handle(turn(text="b"))

    with_es(key, df.url, two)
    assert len(df.logged("/token")) == 1
    assert len(df.logged(":detectIntent")) == 2


# --- ES replies ---------------------------------------------------------------------------------


def test_es_wire_example_mapping(df: FakeDialogflow, key: dict[str, Any]) -> None:
    result = es_turn(key, df, turn(text="Where is my order 1001?"))
    assert not result.hangup
    text, quick, card = result.messages  # the richContent payload carries nothing for us
    assert text.text == "Order 1001 shipped yesterday." and text.metadata == {}
    assert quick.text == "Anything else?"
    assert quick.metadata == {
        "contentType": "300",
        "templateId": "6",
        "payload": [
            {"title": "Track it", "message": "Track it"},
            {"title": "Talk to a human", "message": "Talk to a human"},
        ],
    }
    assert card.metadata["templateId"] == "10"
    assert card.metadata["payload"] == [
        {
            "title": "Order 1001",
            "subtitle": "Shipped",
            "header": {"imgSrc": "https://example.com/o.png"},
            "buttons": [
                {
                    "name": "Track",
                    "action": {
                        "type": "quickReply",
                        "payload": {"title": "Track", "message": "https://example.com/t/1001"},
                    },
                }
            ],
        }
    ]


def test_es_fallback_hangs_up_and_still_posts(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.script_es(text="asdfgh", response=WIRE_ES_FALLBACK)
    result = es_turn(key, df, turn(text="asdfgh"))
    assert result.hangup is True
    assert "Default Fallback Intent" in (result.hangup_detail or "")
    assert [m.text for m in result.messages] == ["Sorry, could you say that again?"]


def test_es_image_cards_carousel_and_platform_filter(
    df: FakeDialogflow, key: dict[str, Any]
) -> None:
    df.script_es(
        text="show",
        response=es_reply(
            [
                {"platform": "FACEBOOK", "text": {"text": ["facebook only"]}},
                {
                    "platform": "PLATFORM_UNSPECIFIED",
                    "image": {"imageUri": "https://i/1.png", "accessibilityText": "a cat"},
                },
                {"card": {"title": "A", "buttons": [{"text": "Go"}]}},
                {"card": {"title": "B", "subtitle": "b"}},
                {"platform": "SLACK", "payload": {"message": "slack only"}},
                {"text": {"text": ["done"]}},
            ],
            fulfillmentText="ignored when messages exist",
        ),
    )
    result = es_turn(key, df, turn(text="show"))
    img, carousel, done = result.messages
    assert img.metadata == {
        "contentType": "300",
        "templateId": "9",
        "payload": [{"url": "https://i/1.png", "caption": "a cat"}],
    }
    assert [c["title"] for c in carousel.metadata["payload"]] == ["A", "B"]
    assert carousel.metadata["payload"][0]["buttons"][0]["action"]["payload"] == {
        "title": "Go",
        "message": "Go",
    }
    assert done.text == "done"


def test_es_fulfillment_text_when_no_messages(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.script_es(text="x", response=es_reply([], fulfillmentText="plain answer"))
    assert [m.text for m in es_turn(key, df, turn(text="x")).messages] == ["plain answer"]
    df.script_es(
        text="y",
        response=es_reply(
            [{"platform": "TELEGRAM", "text": {"text": ["tg"]}}], fulfillmentText="default text"
        ),
    )
    assert [m.text for m in es_turn(key, df, turn(text="y")).messages] == ["default text"]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"KM_ASSIGN_TO": ""}, {"assign_to": "", "team_id": None, "event": None}),
        (
            {"KM_ASSIGN_TO": "agent@x.io"},
            {"assign_to": "agent@x.io", "team_id": None, "event": None},
        ),
        ({"KM_ASSIGN_TEAM": "t-7"}, {"assign_to": None, "team_id": "t-7", "event": None}),
        (
            {"KM_ASSIGN_TO": "bot-2", "event": {"name": "billing", "data": {"x": 1}}},
            {"assign_to": "bot-2", "team_id": None, "event": {"name": "billing", "data": {"x": 1}}},
        ),
    ],
)
def test_es_custom_payload_assign_keys(
    df: FakeDialogflow, key: dict[str, Any], metadata: dict[str, Any], expected: dict[str, Any]
) -> None:
    payload = {
        "platform": "kommunicate",
        "message": "our agents will get back to you",
        "metadata": metadata,
    }
    df.script_es(text="human", response=es_reply([{"payload": payload}]))
    result = es_turn(key, df, turn(text="human"))
    [msg] = result.messages
    assert msg.text == "our agents will get back to you"
    assert msg.metadata == metadata
    handoff = actions_from_messages(result.messages).handoff
    assert handoff is not None
    assert {
        "assign_to": handoff.assign_to,
        "team_id": handoff.team_id,
        "event": handoff.event,
    } == expected


def test_es_custom_payload_resolve_and_silent(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.script_es(
        text="bye",
        response=es_reply(
            [
                {"payload": {"metadata": {"KM_ASSIGN_TO": ""}}},
                {
                    "payload": {
                        "message": "Closing",
                        "metadata": {"actionRequest": "resolveConversation"},
                    }
                },
                {"payload": {"platform": "facebook", "message": "not ours"}},
            ]
        ),
    )
    result = es_turn(key, df, turn(text="bye"))
    silent, closing = result.messages
    assert not silent.visible and closing.text == "Closing"
    actions = actions_from_messages(result.messages)
    assert actions.resolve and actions.handoff is not None and actions.handoff.assign_to == ""


# --- ES failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_es_throttling_and_server_errors_are_transient(
    df: FakeDialogflow, key: dict[str, Any], status: int
) -> None:
    df.fail_next(1, status)
    with pytest.raises(TransientError, match=str(status)):
        es_turn(key, df, turn(text="hello"))
    assert es_turn(key, df, turn(text="Where is my order 1001?")).messages  # recovers


def test_es_timeout_is_transient(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.slow_next(1, 1.5)
    with pytest.raises(TransientError, match="timed out"):
        es_turn(key, df, turn(text="hello"), timeout_s=0.3)


def test_es_unreachable_is_transient(key: dict[str, Any]) -> None:
    with pytest.raises(TransientError):
        with_es(key, "http://127.0.0.1:9", lambda c: c.handle(turn(text="x")))


def test_es_revoked_token_is_refreshed_once(df: FakeDialogflow, key: dict[str, Any]) -> None:
    async def go(c: DialogflowESConnector) -> TurnResult:
        await c.handle(turn(text="a"))
        df.revoke_tokens()
        return await c.handle(turn(text="Where is my order 1001?"))

    assert with_es(key, df.url, go).messages
    assert len(df.logged("/token")) == 2


def test_es_token_refused_twice_is_permanent(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.fail_next(2, 401)
    with pytest.raises(PermanentError, match="401"):
        es_turn(key, df, turn(text="x"))
    assert len(df.logged("/token")) == 2  # one retry with a fresh token, then give up


def test_es_disabled_key_is_permanent_without_leaking(
    df: FakeDialogflow, key: dict[str, Any]
) -> None:
    df.disable_key(key["client_email"])
    with pytest.raises(PermanentError) as info:
        es_turn(key, df, turn(text="x"))
    assert "invalid_grant" in str(info.value)
    assert key["client_email"] in str(info.value)
    assert "PRIVATE KEY" not in str(info.value) and key["private_key"][40:80] not in str(info.value)


def test_es_key_signed_by_another_key_is_permanent(df: FakeDialogflow, key: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(PermanentError, match="Invalid JWT Signature"):
        es_turn({**key, "private_key": pem}, df, turn(text="x"))


def test_es_garbage_private_key_is_permanent(df: FakeDialogflow, key: dict[str, Any]) -> None:
    bad = {**key, "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"}
    with pytest.raises(PermanentError, match="unusable") as info:
        es_turn(bad, df, turn(text="x"))
    assert "nope" not in str(info.value)


@pytest.mark.parametrize(("project", "status"), [("ghost-proj", 404), ("other-proj", 403)])
def test_es_unknown_or_foreign_project_is_permanent(
    df: FakeDialogflow, project: str, status: int
) -> None:
    key = df.service_account(project, with_es_agent=False)
    if status == 403:
        key = {**key, "project_id": "someone-elses"}
    with pytest.raises(PermanentError, match=str(status)):
        es_turn(key, df, turn(text="x"))


def test_es_bad_request_is_permanent(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.fail_next(1, 400)
    with pytest.raises(PermanentError, match="400"):
        es_turn(key, df, turn(text="x"))


# --- validate -----------------------------------------------------------------------------------


def test_es_validate_ok_and_failures(df: FakeDialogflow, key: dict[str, Any]) -> None:
    with_es(key, df.url, lambda c: c.validate())
    assert df.logged("/v2/projects/my-proj/agent")[-1]["method"] == "GET"
    missing = df.service_account("no-agent", with_es_agent=False)
    with pytest.raises(ConfigInvalid, match="404"):
        with_es(missing, df.url, lambda c: c.validate())
    df.disable_key(key["client_email"])
    with pytest.raises(ConfigInvalid, match="invalid_grant"):
        with_es(key, df.url, lambda c: c.validate())


def test_cx_validate_ok_and_failures(df: FakeDialogflow, key: dict[str, Any]) -> None:
    with_cx(key, df.url, lambda c: c.validate())
    assert df.logged(f"/v3/{CX_AGENT}")[-1]["method"] == "GET"
    with pytest.raises(ConfigInvalid, match="404"):
        with_cx(
            key, df.url, lambda c: c.validate(), agent="projects/my-proj/locations/global/agents/zz"
        )
    with pytest.raises(ConfigInvalid, match="403"):
        with_cx(
            key, df.url, lambda c: c.validate(), agent="projects/theirs/locations/global/agents/a"
        )


# --- CX -----------------------------------------------------------------------------------------


def test_cx_wire_example_and_live_agent_handoff(df: FakeDialogflow, key: dict[str, Any]) -> None:
    result = with_cx(
        key, df.url, lambda c: c.handle(turn(text="Where is my order 1001?", language="en"))
    )
    assert result.human_handoff is True and not result.hangup
    assert [m.text for m in result.messages] == ["Order 1001 shipped yesterday."]
    [call] = df.logged(":detectIntent")
    assert call["path"] == f"/v3/{CX_AGENT}/sessions/{session_id('conv-42')}:detectIntent"
    assert call["body"]["queryInput"] == {
        "text": {"text": "Where is my order 1001?"},
        "languageCode": "en",
    }
    assert call["body"]["queryParams"]["payload"]["contact"]["externalId"] == "visitor-9"


def test_cx_events_media_environment_and_payloads(df: FakeDialogflow, key: dict[str, Any]) -> None:
    reply = copy.deepcopy(WIRE_CX_RESPONSE)
    reply["queryResult"]["responseMessages"] = [
        {"text": {"text": ["one", "two"]}},
        {"channel": "voice", "text": {"text": ["voice only"]}},
        {"payload": {"message": "to billing", "metadata": {"KM_ASSIGN_TEAM": "billing"}}},
        {"endInteraction": {}},
    ]
    df.script_cx(event="order_help", response=reply)

    async def go(c: DialogflowCXConnector) -> list[TurnResult]:
        return [
            await c.handle(turn("event", event_name="order_help", event_data={"order": "1001"})),
            await c.handle(turn("welcome")),
            await c.handle(
                turn(
                    "media",
                    attachments=[
                        {"url": "u", "name": "n", "size": 1, "mime_type": "application/pdf"}
                    ],
                )
            ),
        ]

    event_result, _, _ = with_cx(key, df.url, go, environment="prod")
    assert [m.text for m in event_result.messages] == ["one", "two", "to billing"]
    assert not event_result.human_handoff
    handoff = actions_from_messages(event_result.messages).handoff
    assert handoff is not None and handoff.team_id == "billing"
    calls = df.logged(":detectIntent")
    assert all(c["path"].startswith(f"/v3/{CX_AGENT}/environments/prod/sessions/") for c in calls)
    event_body, welcome_body, media_body = (c["body"] for c in calls)
    assert event_body["queryInput"] == {"event": {"event": "order_help"}, "languageCode": "en-US"}
    assert event_body["queryParams"]["parameters"] == {"order": "1001"}
    assert welcome_body["queryInput"]["event"] == {"event": "WELCOME"}
    assert media_body["queryInput"]["event"] == {"event": "KOMMUNICATE_MEDIA_EVENT"}
    assert media_body["queryParams"]["payload"]["attachments"] == [
        {"type": "application/pdf", "payload": {"url": "u", "name": "n", "size": 1}}
    ]


def test_cx_errors(df: FakeDialogflow, key: dict[str, Any]) -> None:
    df.fail_next(1, 429)
    with pytest.raises(TransientError):
        with_cx(key, df.url, lambda c: c.handle(turn(text="x")))
    df.disable_key(key["client_email"])
    with pytest.raises(PermanentError):
        with_cx(key, df.url, lambda c: c.handle(turn(text="x")))


# --- the fake's control API (cross-process use) -------------------------------------------------


def test_fake_control_endpoints(df: FakeDialogflow) -> None:
    import httpx

    with httpx.Client(base_url=df.url) as http:
        sa = http.post("/_fake/service-account", json={"project_id": "ctl-proj"}).json()
        assert sa["token_uri"] == df.token_uri
        http.post("/_fake/script", json={"api": "es", "text": "ping", "response": WIRE_ES_RESPONSE})
        http.post("/_fake/faults", json={"status": 503, "count": 1})
        with pytest.raises(TransientError):
            es_turn(sa, df, turn(text="ping"))
        assert (
            es_turn(sa, df, turn(text="ping")).messages[0].text == "Order 1001 shipped yesterday."
        )
        logged = http.get("/_fake/requests").json()
        assert [r["path"] for r in logged].count("/token") >= 1
        assert json.dumps(WIRE_ES_FALLBACK)  # the wire examples stay importable
        assert WIRE_ES_RESPONSE["queryResult"]["action"] == "order.status"
