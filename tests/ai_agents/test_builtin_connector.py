"""The builtin (Kompose) AI agent: matching, fallbacks and hang-up, rich answers, import errors."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from relaydesk.ai_agents.base import (
    ContactInfo,
    Turn,
    TurnResult,
    actions_from_messages,
)
from relaydesk.ai_agents.builtin import (
    MATCH_THRESHOLD,
    BuiltinConfig,
    BuiltinConnector,
    KomposeError,
    normalize,
    parse_kompose,
    phrase_score,
)
from relaydesk.ai_agents.registry import connector_class

RICH = {"contentType": "300", "templateId": "6", "payload": [{"title": "Yes", "message": "yes"}]}

SPEC_DOC: dict[str, Any] = {
    "intents": [
        {"name": "welcome", "category": "welcome_event", "content": [{"message": "Hello!"}]},
        {
            "name": "shipping",
            "category": "intent",
            "trainingPhrases": ["how long does shipping take"],
            "content": [{"message": "3-5 days."}],
        },
        {
            "name": "human",
            "category": "intent",
            "trainingPhrases": ["talk to a human"],
            "content": [{"message": "Connecting you", "metadata": {"KM_ASSIGN_TO": ""}}],
        },
        {
            "name": "refund",
            "category": "intent",
            "trainingPhrases": ["I want a refund", "money back please"],
            "content": [
                {"message": "Refunds take a week.", "metadata": RICH},
                {"metadata": {"KM_ASSIGN_TEAM": "billing"}},
                {"platform": "facebook", "message": "not for us"},
            ],
        },
        {
            "name": "thanks",
            "category": "small_talk",
            "trainingPhrases": ["thank you"],
            "content": [{"message": "You're welcome!"}],
        },
        {
            "name": "order_help",
            "category": "intent",
            "trainingPhrases": ["help with my order"],
            "content": [{"message": "Let's look at your order."}],
        },
        {"name": "fallback", "category": "fallback_intent", "content": [{"message": "Sorry?"}]},
    ],
    "languageCodes": ["en"],
    "handoff_after_fallbacks": 2,
}


def make(doc: dict[str, Any] | None = None) -> BuiltinConnector:
    """A connector for a document (the spec example by default)."""
    return BuiltinConnector(
        parse_kompose(copy.deepcopy(doc or SPEC_DOC)), ai_agent_id="ai-1", default_language="en-US"
    )


def turn(kind: str = "text", **kw: Any) -> Turn:
    """A turn with sensible defaults."""
    base: dict[str, Any] = {
        "kind": kind,
        "app_id": "app-1",
        "conversation_id": "conv-1",
        "ai_agent_id": "ai-1",
        "language": "en-US",
        "contact": ContactInfo(id="c", external_id="v"),
    }
    base.update(kw)
    return Turn(**base)


def ask(conn: BuiltinConnector, text: str, state: dict[str, Any] | None = None) -> TurnResult:
    """One text turn."""
    return asyncio.run(conn.handle(turn(text=text, state=state or {})))


def texts(result: TurnResult) -> list[str | None]:
    """The texts of a result's messages."""
    return [m.text for m in result.messages]


def test_registered_and_no_secrets() -> None:
    assert connector_class("builtin") is BuiltinConnector
    assert BuiltinConnector.secret_fields == ()
    assert BuiltinConnector.Config is BuiltinConfig


@pytest.mark.parametrize(
    "text",
    [
        "how long does shipping take",
        "Shipping—how long does it take??",
        "how lng does shiping take",
        "HOW LONG DOES SHIPPING TAKE",
        "take shipping long how does",
        "Hi! I'd like to know how long does shipping take to Berlin, please.",
    ],
)
def test_shipping_matches_despite_order_case_punctuation_typos(text: str) -> None:
    result = ask(make(), text)
    assert texts(result) == ["3-5 days."]
    assert result.state == {"fallbacks": 0, "last_intent": "shipping"}


@pytest.mark.parametrize(
    "text",
    ["what is the weather in Paris", "I love pizza", "shipping", "how long", "", "?!"],
)
def test_unrelated_text_falls_back(text: str) -> None:
    result = ask(make(), text)
    assert texts(result) == ["Sorry?"]
    assert result.state["fallbacks"] == 1 and not result.hangup


def test_scores_against_threshold() -> None:
    phrase = normalize("how long does shipping take")
    assert normalize("Shipping—how long does it take??") == "shipping how long does it take"
    assert phrase_score(normalize("how lng does shiping take"), phrase) >= MATCH_THRESHOLD
    assert phrase_score(normalize("what is the weather in Paris"), phrase) < MATCH_THRESHOLD
    assert MATCH_THRESHOLD == 80


def test_small_talk_and_human_handoff_content() -> None:
    conn = make()
    assert texts(ask(conn, "thank you!!")) == ["You're welcome!"]
    result = ask(conn, "can I talk to a human")
    [msg] = result.messages
    assert msg.text == "Connecting you" and msg.metadata == {"KM_ASSIGN_TO": ""}
    handoff = actions_from_messages(result.messages).handoff
    assert handoff is not None and handoff.assign_to == ""


def test_rich_answers_and_silent_team_assignment() -> None:
    result = ask(make(), "i want a refund")
    rich, team = result.messages  # the facebook-only item is dropped
    assert rich.text == "Refunds take a week." and rich.metadata == RICH
    assert team.text is None and not team.visible
    handoff = actions_from_messages(result.messages).handoff
    assert handoff is not None and handoff.team_id == "billing"


def test_consecutive_fallbacks_hang_up_and_reset() -> None:
    conn = make()
    first = ask(conn, "blah blah")
    assert first.state["fallbacks"] == 1 and not first.hangup
    matched = ask(conn, "thank you", first.state)
    assert matched.state["fallbacks"] == 0
    one = ask(conn, "gibberish", matched.state)
    two = ask(conn, "more gibberish", one.state)
    assert two.hangup is True and texts(two) == ["Sorry?"]
    assert "2" in (two.hangup_detail or "")
    assert two.state["fallbacks"] == 0


def test_no_handoff_setting_never_hangs_up() -> None:
    doc = {k: v for k, v in SPEC_DOC.items() if k != "handoff_after_fallbacks"}
    conn = make(doc)
    state: dict[str, Any] = {}
    for _ in range(5):
        result = ask(conn, "zzz", state)
        state = result.state
        assert not result.hangup
    assert state["fallbacks"] == 5


def test_welcome_turn_and_missing_welcome() -> None:
    result = asyncio.run(make().handle(turn("welcome", state={"fallbacks": 1})))
    assert texts(result) == ["Hello!"] and result.state["fallbacks"] == 0
    doc = copy.deepcopy(SPEC_DOC)
    doc["intents"] = [i for i in doc["intents"] if i["category"] != "welcome_event"]
    result = asyncio.run(make(doc).handle(turn("welcome")))
    assert result.messages == [] and not result.hangup


def test_event_turns() -> None:
    conn = make()
    named = asyncio.run(conn.handle(turn("event", event_name="ORDER_HELP", event_data={"x": 1})))
    assert texts(named) == ["Let's look at your order."]
    welcome = asyncio.run(conn.handle(turn("event", event_name="WELCOME")))
    assert texts(welcome) == ["Hello!"]
    unknown = asyncio.run(conn.handle(turn("event", event_name="no_such_event")))
    assert texts(unknown) == ["Sorry?"] and unknown.state["fallbacks"] == 1


def test_media_turns() -> None:
    attach = [{"url": "u", "name": "a.png", "size": 1, "mime_type": "image/png"}]
    result = asyncio.run(make().handle(turn("media", attachments=attach)))
    assert texts(result) == ["Sorry?"] and result.state["fallbacks"] == 1
    doc = copy.deepcopy(SPEC_DOC)
    doc["intents"].append(
        {
            "name": "media",
            "category": "intent",
            "trainingPhrases": ["kommunicate media event"],
            "content": [{"message": "Thanks, we got your file."}],
        }
    )
    result = asyncio.run(make(doc).handle(turn("media", location={"lat": 1.0, "lon": 2.0})))
    assert texts(result) == ["Thanks, we got your file."] and result.state["fallbacks"] == 0


def test_languages_pick_matching_intents() -> None:
    doc = {
        "languageCodes": ["en", "de"],
        "intents": [
            {
                "name": "hello_en",
                "category": "welcome_event",
                "languageCode": "en",
                "content": "Hello!",
            },
            {
                "name": "hello_de",
                "category": "welcome_event",
                "languageCode": "de",
                "content": "Hallo!",
            },
            {
                "name": "fb_en",
                "category": "fallback_intent",
                "languageCode": "en",
                "content": "Sorry?",
            },
            {
                "name": "fb_de",
                "category": "fallback_intent",
                "languageCode": "de",
                "content": "Wie bitte?",
            },
        ],
    }
    conn = make(doc)
    assert texts(asyncio.run(conn.handle(turn("welcome", language="de-AT")))) == ["Hallo!"]
    assert texts(asyncio.run(conn.handle(turn("welcome", language="en-GB")))) == ["Hello!"]
    assert texts(asyncio.run(conn.handle(turn(text="??", language="de")))) == ["Wie bitte?"]
    assert texts(asyncio.run(conn.handle(turn(text="??", language="fr")))) == ["Sorry?"]


def test_published_kompose_template_shape_is_accepted() -> None:
    doc = {
        "intents": [
            {
                "name": "order_details",
                "category": "intent",
                "content": "Your order is on its way",
                "trainingPhrases": ["", "where is my order"],
                "languageCode": "en",
                "urlPatternList": [],
                "fields": {},
            },
            {
                "name": "campaign",
                "category": "welcome_event",
                "urlPatternList": ["/pricing*"],
                "content": [{"message": "Looking at prices?"}],
            },
            {"name": "default_welcome", "category": "welcome_event", "content": {"message": "Hi"}},
            {"name": "unknown", "category": "fallback_intent", "content": ["Sorry, once more?"]},
        ],
        "languageCodes": ["en"],
    }
    cfg = parse_kompose(json.dumps(doc))
    conn = BuiltinConnector(cfg, ai_agent_id="a", default_language="en")
    assert texts(ask(conn, "wher is my ordr?")) == ["Your order is on its way"]
    assert texts(asyncio.run(conn.handle(turn("welcome")))) == ["Hi"]
    assert texts(ask(conn, "asdf")) == ["Sorry, once more?"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{not json", "not JSON"),
        ([], "JSON object"),
        ({}, "intents"),
        ({"intents": []}, "intents"),
        ({"intents": [{"name": "x", "category": "faq", "trainingPhrases": ["a"]}]}, "category"),
        ({"intents": [{"category": "intent", "trainingPhrases": ["a"]}]}, "intents.0.name"),
        (
            {"intents": [{"name": "x", "category": "intent", "trainingPhrases": [""]}]},
            "has no trainingPhrases",
        ),
        (
            {
                "intents": [
                    {"name": "a", "category": "fallback_intent"},
                    {"name": "A", "category": "fallback_intent"},
                ]
            },
            "duplicate intent name",
        ),
        (
            {
                "intents": [{"name": "x", "category": "fallback_intent", "languageCode": "fr"}],
                "languageCodes": ["en"],
            },
            "not in languageCodes",
        ),
        (
            {
                "intents": [{"name": "x", "category": "fallback_intent"}],
                "handoff_after_fallbacks": 0,
            },
            "handoff_after_fallbacks",
        ),
        (
            {"intents": [{"name": "x", "category": "fallback_intent"}], "handoff_after": 2},
            "handoff_after",
        ),
        (
            {
                "intents": [{"name": "x", "category": "fallback_intent", "content": [42]}],
            },
            "content",
        ),
    ],
)
def test_bad_documents_raise_clear_errors(doc: Any, message: str) -> None:
    with pytest.raises(KomposeError, match=message) as info:
        parse_kompose(doc)
    assert isinstance(info.value, ValueError)
