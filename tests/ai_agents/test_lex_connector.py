"""Lex V2 / V1 connectors driven through the real boto3 clients against the local fake Lex."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import ValidationError

from relaydesk.ai_agents.base import (
    ConfigInvalid,
    ContactInfo,
    HandoffRequest,
    PermanentError,
    TransientError,
    Turn,
    TurnResult,
    actions_from_messages,
)
from relaydesk.ai_agents.lex import (
    LexV1Config,
    LexV1Connector,
    LexV2Config,
    LexV2Connector,
    lex_session_id,
    strip_ssml,
)
from relaydesk.ai_agents.registry import connector_class

try:
    from tests.fakes import lex_server
except ModuleNotFoundError:  # pytest run without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.fakes import lex_server

FakeLex = lex_server.FakeLex
T = TypeVar("T")
CONV = "conv_01HZX/9 ü"  # not a valid Lex session id as is


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion."""
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[lex_server.FakeLex]:
    with FakeLex() as fake:
        yield fake


@pytest.fixture()
def fake(fake_server: lex_server.FakeLex) -> lex_server.FakeLex:
    fake_server.reset()
    fake_server.fallback_limit = 3
    return fake_server


def v2(fake: lex_server.FakeLex, **overrides: Any) -> LexV2Connector:
    """A lex_v2 connector on the fake (bot and alias by name unless overridden)."""
    cfg: dict[str, Any] = {
        "access_key_id": fake.access_key_id,
        "secret_access_key": fake.secret_access_key,
        "region": "us-east-1",
        "bot_name": "SupportBot",
        "bot_alias": "prod",
        "endpoint_url": fake.url,
        "connect_timeout_s": 1,
        "read_timeout_s": 2,
    }
    cfg.update(overrides)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    return LexV2Connector(LexV2Config(**cfg), ai_agent_id="ai_lex", default_language="en-US")


def v1(fake: lex_server.FakeLex, **overrides: Any) -> LexV1Connector:
    """A lex_v1 connector on the fake."""
    cfg: dict[str, Any] = {
        "access_key_id": fake.access_key_id,
        "secret_access_key": fake.secret_access_key,
        "region": "us-east-1",
        "bot_name": "SupportBotLegacy",
        "bot_alias": "prod",
        "endpoint_url": fake.url,
        "connect_timeout_s": 1,
        "read_timeout_s": 2,
    }
    cfg.update(overrides)
    return LexV1Connector(LexV1Config(**cfg), ai_agent_id="ai_lex1", default_language="en-US")


def turn(kind: str = "text", text: str | None = None, **kw: Any) -> Turn:
    """A turn of conversation CONV from contact c1."""
    base: dict[str, Any] = {
        "kind": kind,
        "app_id": "app1",
        "conversation_id": CONV,
        "ai_agent_id": "ai_lex",
        "language": "en-US",
        "contact": ContactInfo(id="c1", external_id="user-42", name="Ann"),
        "text": text,
    }
    base.update(kw)
    return Turn(**base)


def say(conn: Any, text: str, **kw: Any) -> TurnResult:
    """One text turn."""
    result: TurnResult = run(conn.handle(turn("text", text, **kw)))
    return result


# --- pure helpers ---------------------------------------------------------------------------


def test_session_id_is_sanitized_and_distinct() -> None:
    assert lex_session_id("conv-123:a.b_c") == "conv-123:a.b_c"
    sid = lex_session_id(CONV)
    assert sid.startswith("conv_01HZX9-") and 2 <= len(sid) <= 100
    assert lex_session_id("a b") != lex_session_id("ab")
    assert lex_session_id("x").startswith("x-")
    assert lex_session_id("ü").startswith("km-")
    long = lex_session_id("c" * 300)
    assert len(long) <= 100 and long != lex_session_id("c" * 299)


def test_strip_ssml() -> None:
    assert strip_ssml("<speak>Hi <break time='1s'/>there &amp; you</speak>") == "Hi there & you"


def test_config_models() -> None:
    assert connector_class("lex_v2") is LexV2Connector
    assert connector_class("lex_v1") is LexV1Connector
    assert LexV2Connector.secret_fields == ("secret_access_key",)
    assert LexV1Connector.secret_fields == ("secret_access_key",)
    base = {
        "access_key_id": "AKIAEXAMPLE000000001",
        "secret_access_key": "s3cr3t",
        "region": "eu-west-1",
    }
    cfg = LexV2Config(**base, bot_name="B", bot_alias_id="TSTALIASID", bot_id="", endpoint_url="")
    assert cfg.locale == "en_US" and cfg.fallback_intents == ["FallbackIntent"]
    assert cfg.endpoint_url is None and cfg.bot_id is None
    assert (cfg.connect_timeout_s, cfg.read_timeout_s) == (5.0, 15.0)
    assert "s3cr3t" not in repr(cfg)
    with pytest.raises(ValidationError, match="bot_id or bot_name"):
        LexV2Config(**base, bot_alias="prod")
    with pytest.raises(ValidationError, match="bot_alias_id or bot_alias"):
        LexV2Config(**base, bot_name="B")
    with pytest.raises(ValidationError):
        LexV2Config.model_validate({**base, "bot_name": "B", "bot_alias": "p", "surprise": 1})
    with pytest.raises(ValidationError):
        LexV2Config(**base, bot_name="B", bot_alias="p", handoff_after_fallbacks=0)
    with pytest.raises(ValidationError):
        LexV2Config(**{**base, "region": "Europe"}, bot_name="B", bot_alias="p")
    LexV1Config(**base, bot_name="OrderFlowers", bot_alias="prod")
    with pytest.raises(ValidationError):
        LexV1Config.model_validate(
            {**base, "bot_name": "OrderFlowers", "bot_alias": "p", "locale": "x"}
        )


# --- lex_v2: names, locales, wire ----------------------------------------------------------


def test_names_resolved_once_with_alias_pagination(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    first = say(conn, "kmConversationStarted")
    assert first.messages[0].text == lex_server.GREETING["en"]
    list_bots = fake.calls("ListBots")
    assert len(list_bots) == 1
    assert list_bots[0].body["filters"] == [
        {"name": "BotName", "values": ["SupportBot"], "operator": "EQ"}
    ]
    # "prod" is on the second page of aliases (the fake pages by 2)
    assert len(fake.calls("ListBotAliases")) == 2
    assert fake.calls("ListBotAliases")[1].body["nextToken"] == "2"
    rec = fake.calls("RecognizeText")[0]
    assert rec.path.startswith("/bots/SUPPORTBOT/botAliases/PRODALIAS1/botLocales/en_US/")
    fake.clear_requests()
    say(conn, "order status")
    assert [r.operation for r in fake.requests] == ["RecognizeText"]


def test_ids_need_no_model_calls(fake: lex_server.FakeLex) -> None:
    conn = v2(fake, bot_name=None, bot_alias=None, bot_id="SUPPORTBOT", bot_alias_id="PRODALIAS1")
    say(conn, "hi there")
    assert [r.operation for r in fake.requests] == ["RecognizeText"]


@pytest.mark.parametrize(
    ("language", "locale"),
    [
        ("en-US", "en_US"),
        ("en", "en_US"),
        ("en-GB", "en_GB"),
        ("fr", "fr_FR"),
        ("fr-CA", "fr_CA"),
        ("fr-BE", "fr_FR"),
        ("de-DE", "en_US"),  # de_DE is on the alias but disabled
        ("pt-BR", "en_US"),
        ("", "en_US"),
    ],
)
def test_locale_mapping(fake: lex_server.FakeLex, language: str, locale: str) -> None:
    conn = v2(fake)
    result = say(conn, "kmConversationStarted", language=language)
    assert fake.calls("RecognizeText")[-1].locale == locale
    if locale.startswith("fr"):
        assert result.messages[0].text == lex_server.GREETING["fr"]
    assert len(fake.calls("DescribeBotAlias")) <= 1


def test_locale_lookup_cached(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    for lang in ("fr", "fr-CA", "de", "en-GB"):
        say(conn, "hello", language=lang)
    assert len(fake.calls("DescribeBotAlias")) == 1
    assert [r.locale for r in fake.calls("RecognizeText")] == ["fr_FR", "fr_CA", "en_US", "en_GB"]


def test_locale_falls_back_without_read_access(fake: lex_server.FakeLex) -> None:
    conn = v2(
        fake,
        access_key_id=lex_server.RUN_ONLY_ACCESS_KEY_ID,
        secret_access_key=lex_server.RUN_ONLY_SECRET_ACCESS_KEY,
        bot_name=None,
        bot_alias=None,
        bot_id="SUPPORTBOT",
        bot_alias_id="PRODALIAS1",
    )
    result = say(conn, "kmConversationStarted", language="fr")
    assert result.messages[0].text == lex_server.GREETING["en"]
    assert fake.calls("DescribeBotAlias")[0].status == 403
    assert fake.calls("RecognizeText")[0].locale == "en_US"


def test_welcome_on_the_wire(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    ctx = {"plan": "gold", "page": "/pricing"}
    result = run(conn.handle(turn("welcome", chat_context=ctx, language="en-US")))
    rec = fake.calls("RecognizeText")[0]
    assert rec.text == "kmConversationStarted"
    assert rec.session_id == lex_session_id(CONV)
    assert rec.path.endswith(f"/sessions/{lex_session_id(CONV)}/text")
    assert rec.request_attributes == {
        "kmUserLanguageCode": "en-US",
        "kmConversationId": CONV,
        "kmUserId": "user-42",
        "KM_CHAT_CONTEXT": json.dumps(ctx, separators=(",", ":")),
    }
    assert rec.session_attributes is None
    assert rec.access_key_id == fake.access_key_id and rec.region == "us-east-1"
    assert "relaydesk" in rec.headers["user-agent"]
    assert result.messages[0].text == lex_server.GREETING["en"]
    assert not result.hangup


def test_text_turn_on_the_wire(fake: lex_server.FakeLex) -> None:
    say(v2(fake), "  where is my parcel  ")
    rec = fake.calls("RecognizeText")[0]
    assert rec.text == "where is my parcel"
    assert set(rec.request_attributes) == {"kmUserLanguageCode", "kmConversationId", "kmUserId"}
    long = "x" * 2000
    say(v2(fake), long)
    assert fake.calls("RecognizeText")[-1].text == "x" * 1024


def test_event_turns_on_the_wire(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    result = run(
        conn.handle(turn("event", event_name="SALES_START", event_data={"plan": "pro", "n": 2}))
    )
    rec = fake.calls("RecognizeText")[-1]
    assert rec.text == "SALES_START"
    assert rec.session_attributes == {"plan": "pro", "n": "2"}
    assert rec.request_attributes["kmEventName"] == "SALES_START"
    assert json.loads(rec.request_attributes["kmEventData"]) == {"plan": "pro", "n": 2}
    assert result.messages[0].text == "Welcome to sales!"
    run(conn.handle(turn("event", event_name="WELCOME")))
    rec = fake.calls("RecognizeText")[-1]
    assert rec.text == "kmConversationStarted" and rec.session_attributes is None


def test_media_turn_on_the_wire(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    t = turn(
        "media",
        text="my receipt",
        attachments=[
            {
                "url": "https://cdn.example/r.png",
                "name": "r.png",
                "size": 2048,
                "mime_type": "image/png",
            }
        ],
        location={"lat": 48.85, "lon": 2.35},
    )
    result = run(conn.handle(t))
    rec = fake.calls("RecognizeText")[-1]
    assert rec.text == "kommunicateMediaEvent"
    expected = [
        {
            "type": "image/png",
            "payload": {"url": "https://cdn.example/r.png", "name": "r.png", "size": 2048},
        },
        {"type": "location", "payload": {"lat": 48.85, "lon": 2.35}},
    ]
    assert json.loads(rec.request_attributes["attachments"]) == expected
    assert rec.request_attributes["kmMessageText"] == "my receipt"
    assert result.messages[0].text == f"attachments: {rec.request_attributes['attachments']}"


# --- lex_v2: replies ------------------------------------------------------------------------


def test_card_wire_example(fake: lex_server.FakeLex) -> None:
    result = say(v2(fake), "order status")
    assert [m.text for m in result.messages] == ["Which order do you need help with?", None]
    assert result.messages[1].metadata == {
        "contentType": "300",
        "templateId": "10",
        "payload": [
            {
                "title": "Recent orders",
                "subtitle": "Pick one",
                "header": {"imgSrc": "https://example.com/orders.png"},
                "buttons": [
                    {
                        "name": "#1001 - Shoes",
                        "action": {
                            "type": "quickReply",
                            "payload": {"title": "#1001 - Shoes", "message": "1001"},
                        },
                    },
                    {
                        "name": "#1002 - Hat",
                        "action": {
                            "type": "quickReply",
                            "payload": {"title": "#1002 - Hat", "message": "1002"},
                        },
                    },
                ],
            }
        ],
    }
    assert not result.hangup


def test_consecutive_cards_form_a_carousel(fake: lex_server.FakeLex) -> None:
    card_msg = {
        "contentType": "ImageResponseCard",
        "imageResponseCard": {"title": "A", "buttons": [{"text": "Go", "value": "go"}]},
    }
    fake.script(
        "cards",
        v2=[
            card_msg,
            {**card_msg, "imageResponseCard": {"title": "B"}},
            {"contentType": "PlainText", "content": "or type"},
        ],
    )
    result = say(v2(fake), "cards")
    assert len(result.messages) == 2
    assert [c["title"] for c in result.messages[0].metadata["payload"]] == ["A", "B"]
    assert result.messages[1].text == "or type"


def test_custom_payload_wire_example(fake: lex_server.FakeLex) -> None:
    # the second message is a non-Kommunicate payload with neither message nor metadata
    result = say(v2(fake), "1001")
    assert [m.text for m in result.messages] == ["Order 1001 shipped yesterday."]
    assert not result.hangup


def test_ssml_and_odd_payloads(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    assert [m.text for m in say(conn, "ssml").messages] == ["Hello there & welcome"]
    assert [m.text for m in say(conn, "not json").messages] == ["just {text"]
    assert say(conn, "other platform").messages == []
    rich = say(conn, "sizes").messages
    assert rich[0].text == "Pick a size"
    assert rich[0].metadata["templateId"] == "6" and rich[0].metadata["contentType"] == "300"


@pytest.mark.parametrize(
    ("utterance", "text", "handoff", "resolve"),
    [
        ("talk to a human", "our agents will get back to you", HandoffRequest(assign_to=""), False),
        (
            "talk to alice",
            "Connecting you to Alice",
            HandoffRequest(assign_to="alice@example.com"),
            False,
        ),
        ("talk to agent 42", None, HandoffRequest(assign_to="agt_42"), False),
        (
            "billing team",
            "Our billing team will help",
            HandoffRequest(team_id="team_billing"),
            False,
        ),
        (
            "sales bot",
            "Transferring you to our sales assistant",
            HandoffRequest(
                assign_to="ai_sales", event={"name": "SALES_START", "data": {"plan": "pro"}}
            ),
            False,
        ),
        ("that's all", "Glad I could help, bye!", None, True),
    ],
)
@pytest.mark.parametrize("kind", ["v2", "v1"])
def test_handoff_payloads(
    fake: lex_server.FakeLex,
    kind: str,
    utterance: str,
    text: str | None,
    handoff: HandoffRequest | None,
    resolve: bool,
) -> None:
    conn = v2(fake) if kind == "v2" else v1(fake)
    result = say(conn, utterance)
    assert len(result.messages) == 1
    msg = result.messages[0]
    assert msg.text == text
    assert msg.visible is (text is not None)
    actions = actions_from_messages(result.messages)
    assert actions.handoff == handoff
    assert actions.resolve is resolve
    assert not result.hangup


def test_hangup_on_failed_intent(fake: lex_server.FakeLex) -> None:
    result = say(v2(fake), "goodbye hangup")
    assert result.hangup
    assert result.hangup_detail == "Lex V2 intent GiveUp failed"
    assert result.messages[0].text == lex_server.HANGUP_V2


def test_fallback_lambda_failing_after_retries(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    results = [say(conn, "blah") for _ in range(3)]
    assert [r.hangup for r in results] == [False, False, True]
    assert results[0].messages[0].text == "Sorry, I didn't get that. Could you rephrase?"
    assert results[2].hangup_detail == "Lex V2 intent FallbackIntent failed"


def test_handoff_after_fallbacks(fake: lex_server.FakeLex) -> None:
    fake.fallback_limit = None
    conn = v2(fake, handoff_after_fallbacks=2)
    state: dict[str, Any] = {"other": "kept"}

    def step(text: str) -> TurnResult:
        nonlocal state
        result = say(conn, text, state=state)
        state = result.state
        return result

    assert not step("blah").hangup and state == {"other": "kept", "lex_fallbacks": 1}
    assert not step("order status").hangup and state["lex_fallbacks"] == 0
    assert not step("blah").hangup and state["lex_fallbacks"] == 1
    last = step("blah blah")
    assert last.hangup and last.hangup_detail == "2 consecutive fallback turns (FallbackIntent)"
    assert state["lex_fallbacks"] == 0 and state["other"] == "kept"


def test_custom_fallback_intents(fake: lex_server.FakeLex) -> None:
    fake.script("huh", v2=lex_server._v2([lex_server._plain("?")], "MyFallback"))
    conn = v2(fake, handoff_after_fallbacks=1, fallback_intents=["MyFallback"])
    assert say(conn, "huh").hangup
    assert not say(conn, "blah").hangup  # FallbackIntent is not in the list any more


# --- lex_v2: failures -----------------------------------------------------------------------


def test_throttling_is_transient_in_one_call_with_its_retry_after(
    fake: lex_server.FakeLex,
) -> None:
    conn = v2(fake, bot_name=None, bot_alias=None, bot_id="SUPPORTBOT", bot_alias_id="PRODALIAS1")
    fake.fail_next(5, status=429, error_type="ThrottlingException", only="runtime", retry_after=7)
    with pytest.raises(TransientError, match="ThrottlingException") as info:
        say(conn, "hello")
    assert info.value.transient
    assert info.value.retry_after_s == 7  # the turn queue waits at least this long
    assert len(fake.calls("RecognizeText")) == 1  # no botocore retries: the queue retries


def test_5xx_burst_is_transient_then_recovers(fake: lex_server.FakeLex) -> None:
    conn = v2(fake, bot_name=None, bot_alias=None, bot_id="SUPPORTBOT", bot_alias_id="PRODALIAS1")
    fake.fail_next(2, status=503, error_type="InternalServerException", message="busy")
    for _ in range(2):
        with pytest.raises(TransientError, match="HTTP 503"):
            say(conn, "order status")
    assert say(conn, "order status").messages  # the burst is over
    assert len(fake.calls("RecognizeText")) == 3


def test_a_models_5xx_is_transient_then_recovers(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    fake.fail_next(1, status=500, error_type="InternalServerException", only="models")
    with pytest.raises(TransientError, match="HTTP 500"):
        say(conn, "kmConversationStarted")
    assert say(conn, "kmConversationStarted").messages


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("body", [b'{"messages": [', b"<html>OK</html>", b"", b"[1, 2]"])
def test_a_2xx_body_that_is_not_an_object_is_transient(
    fake: lex_server.FakeLex, version: str, body: bytes
) -> None:
    conn = v2(fake) if version == "v2" else v1(fake)
    fake.garble_next(1, body)
    with pytest.raises(TransientError, match="answered badly"):
        say(conn, "kmConversationStarted")
    assert say(conn, "kmConversationStarted").messages


def test_slow_answer_times_out(fake: lex_server.FakeLex) -> None:
    conn = v2(
        fake,
        bot_name=None,
        bot_alias=None,
        bot_id="SUPPORTBOT",
        bot_alias_id="PRODALIAS1",
        read_timeout_s=0.3,
    )
    fake.set_delay(1.0, count=3)
    with pytest.raises(TransientError, match=r"Lex V2 did not answer RecognizeText within 0\.3s"):
        say(conn, "hello")


def test_unreachable_endpoint_is_transient(fake: lex_server.FakeLex) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn = v2(fake, endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError):
        say(conn, "hello")


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        (lex_server.ACCESS_KEY_ID, "wrong-secret-value", "InvalidSignatureException"),
        ("AKIAUNKNOWNKEY000001", "wrong-secret-value", "UnrecognizedClientException"),
    ],
)
def test_bad_credentials_are_permanent(
    fake: lex_server.FakeLex, key: str, secret: str, code: str
) -> None:
    conn = v2(
        fake,
        access_key_id=key,
        secret_access_key=secret,
        bot_name=None,
        bot_alias=None,
        bot_id="SUPPORTBOT",
        bot_alias_id="PRODALIAS1",
    )
    with pytest.raises(PermanentError, match=code) as info:
        say(conn, "hello")
    assert not info.value.transient
    assert str(info.value).startswith("AWS refused the credentials")
    assert secret not in str(info.value)
    assert len(fake.calls("RecognizeText")) == 1  # never retried


def test_unknown_bot_at_turn_time_is_permanent(fake: lex_server.FakeLex) -> None:
    with pytest.raises(PermanentError, match="no Lex V2 bot named 'Ghost' in us-east-1"):
        say(v2(fake, bot_name="Ghost"), "hello")
    with pytest.raises(PermanentError, match="ResourceNotFoundException"):
        say(
            v2(fake, bot_name=None, bot_alias=None, bot_id="SUPPORTBOT", bot_alias_id="NOSUCHALIA"),
            "hello",
        )


def test_wrong_region_is_refused(fake: lex_server.FakeLex) -> None:
    with pytest.raises(PermanentError, match="InvalidSignatureException.*region"):
        say(v2(fake, region="eu-west-1"), "hello")


# --- lex_v2: validate -----------------------------------------------------------------------


def test_validate_ok_by_names_and_by_ids(fake: lex_server.FakeLex) -> None:
    conn = v2(fake)
    run(conn.validate())
    assert {r.operation for r in fake.requests} == {
        "ListBots",
        "ListBotAliases",
        "DescribeBotAlias",
    }
    fake.clear_requests()
    say(conn, "hi", language="fr")  # ids and locales learnt by validate() are reused
    assert [r.operation for r in fake.requests] == ["RecognizeText"]
    fake.clear_requests()
    run(
        v2(
            fake, bot_name=None, bot_alias=None, bot_id="SUPPORTBOT", bot_alias_id="TSTALIASID"
        ).validate()
    )
    assert [r.operation for r in fake.requests] == ["DescribeBotAlias"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"bot_name": "Ghost"}, "no Lex V2 bot named 'Ghost' in us-east-1"),
        ({"bot_alias": "nope"}, "Lex V2 bot 'SupportBot' has no alias named 'nope'"),
        (
            {
                "bot_name": None,
                "bot_alias": None,
                "bot_id": "SUPPORTBOT",
                "bot_alias_id": "NOSUCHALIA",
            },
            "no alias 'NOSUCHALIA' on Lex V2 bot 'SUPPORTBOT'",
        ),
        (
            {"secret_access_key": "not-the-secret"},
            r"AWS refused the credentials \(ListBots\): InvalidSignatureException",
        ),
        (
            {"access_key_id": "AKIAUNKNOWNKEY000001"},
            r"AWS refused the credentials \(ListBots\): UnrecognizedClientException",
        ),
        (
            {
                "access_key_id": lex_server.RUN_ONLY_ACCESS_KEY_ID,
                "secret_access_key": lex_server.RUN_ONLY_SECRET_ACCESS_KEY,
            },
            r"AWS denied access \(ListBots\): AccessDeniedException",
        ),
        ({"locale": "de_DE"}, "locale de_DE is not enabled on the Lex V2 alias"),
        (
            {"bot_alias": "TestBotAlias", "locale": "fr_FR"},
            r"locale fr_FR is not enabled on the Lex V2 alias \(enabled: en_US\)",
        ),
    ],
)
def test_validate_rejects(fake: lex_server.FakeLex, overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigInvalid, match=reason) as info:
        run(v2(fake, **overrides).validate())
    assert "not-the-secret" not in str(info.value)


def test_validate_while_throttled(fake: lex_server.FakeLex) -> None:
    fake.fail_next(3, status=429, error_type="ThrottlingException")
    with pytest.raises(ConfigInvalid, match="could not check the Lex V2 configuration"):
        run(v2(fake).validate())


# --- lex_v1 ---------------------------------------------------------------------------------


def test_v1_composite(fake: lex_server.FakeLex) -> None:
    result = say(v1(fake), "hello")
    assert [m.text for m in result.messages] == ["Hi there!", "How can I help?"]
    rec = fake.calls("PostText")[0]
    assert rec.path.startswith(f"/bot/SupportBotLegacy/alias/prod/user/{lex_session_id(CONV)}/text")
    assert rec.body["inputText"] == "hello"
    assert rec.request_attributes["kmUserLanguageCode"] == "en-US"


def test_v1_response_card(fake: lex_server.FakeLex) -> None:
    result = say(v1(fake), "order status")
    assert result.messages[0].text == "Which order do you need help with?"
    assert result.messages[1].metadata["templateId"] == "10"
    assert result.messages[1].metadata["payload"] == [
        {
            "title": "Recent orders",
            "subtitle": "Pick one",
            "header": {"imgSrc": "https://example.com/orders.png"},
            "buttons": [
                {
                    "name": "#1001",
                    "action": {
                        "type": "quickReply",
                        "payload": {"title": "#1001", "message": "1001"},
                    },
                },
                {
                    "name": "#1002",
                    "action": {
                        "type": "quickReply",
                        "payload": {"title": "#1002", "message": "1002"},
                    },
                },
            ],
        }
    ]


def test_v1_failed_is_a_hangup(fake: lex_server.FakeLex) -> None:
    result = say(v1(fake), "goodbye hangup")
    assert result.hangup and result.hangup_detail == "Lex V1 dialog failed"
    assert result.messages[0].text == "Sorry, I could not understand. Goodbye."
    conn = v1(fake)
    assert [say(conn, "blah").hangup for _ in range(3)] == [False, False, True]


def test_v1_ssml_welcome_media_event(fake: lex_server.FakeLex) -> None:
    conn = v1(fake)
    assert say(conn, "ssml").messages[0].text == "Hello V1"
    assert run(conn.handle(turn("welcome"))).messages[0].text == "Hi from the V1 bot!"
    assert fake.calls("PostText")[-1].body["inputText"] == "kmConversationStarted"
    run(
        conn.handle(
            turn(
                "media",
                attachments=[{"url": "u", "name": "n", "size": 1, "mime_type": "application/pdf"}],
            )
        )
    )
    rec = fake.calls("PostText")[-1]
    assert rec.body["inputText"] == "kommunicateMediaEvent"
    assert json.loads(rec.request_attributes["attachments"]) == [
        {"type": "application/pdf", "payload": {"url": "u", "name": "n", "size": 1}}
    ]
    run(conn.handle(turn("event", event_name="SALES_START", event_data={"plan": "pro"})))
    rec = fake.calls("PostText")[-1]
    assert rec.body["inputText"] == "SALES_START"
    assert rec.session_attributes == {"plan": "pro"}


def test_v1_errors(fake: lex_server.FakeLex) -> None:
    with pytest.raises(PermanentError, match="NotFoundException"):
        say(v1(fake, bot_alias="nope"), "hi")
    with pytest.raises(PermanentError, match="AWS refused the credentials"):
        say(v1(fake, secret_access_key="wrong-secret-value"), "hi")
    fake.fail_next(1, status=429, error_type="LimitExceededException")
    with pytest.raises(TransientError, match="LimitExceededException"):
        say(v1(fake), "hi")
    fake.fail_next(1, status=502, error_type="BadGatewayException")
    with pytest.raises(TransientError, match="BadGatewayException"):
        say(v1(fake), "hello")  # no client retries: the turn queue retries
    assert say(v1(fake), "hello").messages


def test_v1_validate(fake: lex_server.FakeLex) -> None:
    run(v1(fake).validate())
    assert [r.operation for r in fake.requests] == ["GetBotAlias"]
    assert fake.requests[0].path == "/bots/SupportBotLegacy/aliases/prod"
    with pytest.raises(ConfigInvalid, match="no Lex V1 bot 'SupportBotLegacy' with alias 'beta'"):
        run(v1(fake, bot_alias="beta").validate())
    with pytest.raises(ConfigInvalid, match="no Lex V1 bot 'Nope'"):
        run(v1(fake, bot_name="Nope").validate())
    with pytest.raises(ConfigInvalid, match="AWS refused the credentials.*InvalidSignature"):
        run(v1(fake, secret_access_key="wrong-secret-value").validate())


# --- the fake as a separate process, driven through its control endpoints -------------------


def _http(url: str, method: str = "GET", body: Any = None) -> Any:
    """A JSON call to the fake's control endpoints."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_fake_as_a_process_with_control_endpoints() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.lex_server", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        url = info["url"]
        assert _http(f"{url}/_fake/info")["access_key_id"] == info["access_key_id"]
        _http(
            f"{url}/_fake/script",
            "POST",
            {
                "utterance": "Ping",
                "v2": [{"contentType": "PlainText", "content": "pong"}],
                "v1": {
                    "message": "pong v1",
                    "messageFormat": "PlainText",
                    "dialogState": "Fulfilled",
                },
            },
        )
        cfg = {
            "access_key_id": info["access_key_id"],
            "secret_access_key": info["secret_access_key"],
            "region": info["region"],
            "endpoint_url": url,
            "read_timeout_s": 2,
        }
        conn2 = LexV2Connector(
            LexV2Config(**cfg, bot_id="SUPPORTBOT", bot_alias_id="PRODALIAS1"),
            ai_agent_id="a",
            default_language="en-US",
        )
        conn1 = LexV1Connector(
            LexV1Config(**cfg, bot_name="SupportBotLegacy", bot_alias="prod"),
            ai_agent_id="b",
            default_language="en-US",
        )
        assert say(conn2, "ping").messages[0].text == "pong"
        assert say(conn1, "ping").messages[0].text == "pong v1"
        recorded = _http(f"{url}/_fake/requests")
        assert [r["operation"] for r in recorded] == ["RecognizeText", "PostText"]
        assert recorded[0]["request_attributes"]["kmUserLanguageCode"] == "en-US"
        _http(
            f"{url}/_fake/fail",
            "POST",
            {"count": 3, "status": 503, "error_type": "InternalServerException"},
        )
        with pytest.raises(TransientError):
            say(conn2, "ping")
        _http(f"{url}/_fake/requests", "DELETE")
        _http(f"{url}/_fake/reset", "POST", {})
        assert _http(f"{url}/_fake/requests") == []
        assert say(conn2, "ping").messages[0].text != "pong"  # scripts are back to defaults
    finally:
        proc.terminate()
        proc.wait(timeout=5)
