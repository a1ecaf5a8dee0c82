"""Lex AI agents end to end: relaydesk over HTTP, the fake Lex (in this process) behind it.

A module-scoped relaydesk server (its own database per backend, info logs, short retry
budget) reaches the module-scoped :class:`FakeLex` over loopback through each AI agent's
``endpoint_url``. Tests that need special settings start their own server on
``fresh_database``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.ai_agents.e2e import lex_config
from tests.fakes import lex_server
from tests.fakes.lex_server import FakeLex
from tests.support import (
    Api,
    Server,
    assert_error,
    create_postgres_database,
    drop_postgres_database,
    new_app,
    wait_until,
)

PG_URL = __import__("os").environ.get("RELAYDESK_TEST_DATABASE_URL")

#: a short retry budget: 3 turn attempts (each = up to 3 botocore attempts), fast backoff
MODULE_ENV = {
    "RELAYDESK_LOG_LEVEL": "info",
    "RELAYDESK_WORKER_POLL_S": "0.1",
    "RELAYDESK_TURN_MAX_ATTEMPTS": "3",
    "RELAYDESK_TURN_BACKOFF_BASE_S": "0.1",
    "RELAYDESK_TURN_BACKOFF_MAX_S": "0.3",
}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_lex() -> Iterator[FakeLex]:
    with FakeLex() as fake:
        yield fake


@pytest.fixture
def lex(fake_lex: FakeLex) -> Iterator[FakeLex]:
    """The module's fake Lex, back to its defaults for each test."""
    fake_lex.reset()
    fake_lex.fallback_limit = 3
    saved = dict(fake_lex.credentials)
    yield fake_lex
    fake_lex.credentials = saved
    fake_lex.reset()


@pytest.fixture(scope="module")
def rd_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's relaydesk server, on its own database of the backend."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('lex-e2e-db') / 'relaydesk.db'}"
    else:
        if not PG_URL:
            pytest.skip("PostgreSQL tests need RELAYDESK_TEST_DATABASE_URL")
        url = create_postgres_database(PG_URL)
    srv = Server(
        database_url=url, env=dict(MODULE_ENV), workdir=tmp_path_factory.mktemp("lex-e2e")
    ).start()
    yield srv
    srv.stop()
    if backend == "postgres":
        drop_postgres_database(url)


@pytest.fixture
def api(rd_server: Server) -> Api:
    """A client holding the API key of a new app on this module's server."""
    return new_app(rd_server.url)


# --- helpers --------------------------------------------------------------------------------


def v1_config(lex: FakeLex, **overrides: Any) -> dict[str, Any]:
    return lex_config(lex, **{"bot_name": "SupportBotLegacy", **overrides})


def ai_agent(api: Api, config: dict[str, Any], kind: str = "lex_v2", **fields: Any) -> Any:
    body = {"name": fields.pop("name", "Lex bot"), "kind": kind, "config": config, **fields}
    return api.ok(api.post("/api/v1/ai-agents", body), 201)


def route_to(api: Api, *ai_agent_ids: str, **settings: Any) -> None:
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": list(ai_agent_ids)}, **settings)


def bot_messages(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in api.messages(conversation_id) if m["sender"]["type"] == "ai_agent"]


def wait_bot(api: Api, conversation_id: str, count: int, timeout: float = 15) -> list[Any]:
    """Wait until the conversation holds ``count`` AI-agent messages; return them."""
    return wait_until(  # type: ignore[no-any-return]
        lambda: (lambda ms: ms if len(ms) >= count else None)(bot_messages(api, conversation_id)),
        timeout=timeout,
    )


def texts(messages: list[dict[str, Any]]) -> list[str | None]:
    return [m["text"] for m in messages]


def said(lex: FakeLex, text: str) -> list[lex_server.Recorded]:
    """The RecognizeText / PostText calls that carried ``text``."""
    return [
        r for r in lex.requests if r.operation in ("RecognizeText", "PostText") and r.text == text
    ]


def turn_texts(lex: FakeLex, session_id: str | None = None) -> list[str | None]:
    return [
        r.text
        for r in lex.requests
        if r.operation in ("RecognizeText", "PostText")
        and (session_id is None or r.session_id == session_id)
    ]


def trail_reasons(api: Api, conversation_id: str) -> list[str]:
    return [t["reason"] for t in api.trail(conversation_id)]


def wait_reason(api: Api, conversation_id: str, reason: str, timeout: float = 15) -> Any:
    return wait_until(
        lambda: next((t for t in api.trail(conversation_id) if t["reason"] == reason), None),
        timeout=timeout,
    )


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def full_log(server: Server) -> str:
    assert server.log_path is not None
    return Path(server.log_path).read_text(errors="replace")


def script_payload(lex: FakeLex, utterance: str, message: str | None, metadata: Any) -> None:
    """Script ``utterance`` to answer one Kommunicate custom payload (V2)."""
    body: dict[str, Any] = {"platform": "kommunicate", "metadata": metadata}
    if message is not None:
        body["message"] = message
    lex.script(utterance, v2=[{"contentType": "CustomPayload", "content": json.dumps(body)}])


def setup_bot(api: Api, lex: FakeLex, **fields: Any) -> dict[str, Any]:
    """A lex_v2 AI agent on SupportBot/prod routing new conversations."""
    bot = ai_agent(api, lex_config(lex, **fields.pop("config", {})), **fields)
    route_to(api, bot["id"])
    return bot  # type: ignore[no-any-return]


def start(api: Api, lex: FakeLex, **fields: Any) -> dict[str, Any]:
    """A conversation routed to the AI agent, its welcome answered."""
    conv = api.conversation(**fields)
    assert conv["assignee"]["type"] == "ai_agent", conv
    wait_bot(api, conv["id"], 1)
    return conv


# --- configuration ---------------------------------------------------------------------------


def test_create_validates_against_lex_and_hides_secrets(
    api: Api, lex: FakeLex, rd_server: Server
) -> None:
    bad_secret = "wrongSecretKey/" + uuid.uuid4().hex
    cases = [
        (lex_config(lex, bot_name="NoSuchBot"), "NoSuchBot"),
        (lex_config(lex, bot_alias="nosuchalias"), "nosuchalias"),
        (
            lex_config(
                lex, bot_id="SUPPORTBOT", bot_name=None, bot_alias_id="NOSUCHALIA", bot_alias=None
            ),
            "NOSUCHALIA",
        ),
        (lex_config(lex, secret_access_key=bad_secret), "credentials"),
        (lex_config(lex, access_key_id="AKIAUNKNOWNKEY000001"), "credentials"),
        (lex_config(lex, locale="de_DE"), "de_DE"),
    ]
    for config, needle in cases:
        error = assert_error(
            api.post("/api/v1/ai-agents", {"name": "x", "kind": "lex_v2", "config": config}),
            422,
            "provider_rejected",
        )
        assert needle in error["message"], error
        assert bad_secret not in json.dumps(error)
    assert api.ok(api.get("/api/v1/ai-agents"))["items"] == []

    bot = ai_agent(api, lex_config(lex))
    assert bot["config"]["secret_access_key"] == "****"
    assert bot["config"]["access_key_id"] == lex.access_key_id
    got = api.ok(api.get(f"/api/v1/ai-agents/{bot['id']}"))
    assert got["config"]["secret_access_key"] == "****"
    listed = api.ok(api.get("/api/v1/ai-agents"))["items"]
    assert [b["config"]["secret_access_key"] for b in listed] == ["****"]

    # PATCH with the mask keeps the stored secret: the bot still answers
    patched = api.ok(
        api.patch(
            f"/api/v1/ai-agents/{bot['id']}",
            {"config": {**got["config"], "bot_alias": "TestBotAlias", "locale": "en_US"}},
        )
    )
    assert patched["config"]["secret_access_key"] == "****"
    assert patched["config"]["bot_alias"] == "TestBotAlias"
    # a wrong secret in a PATCH is refused and changes nothing
    assert_error(
        api.patch(
            f"/api/v1/ai-agents/{bot['id']}",
            {"config": {**got["config"], "secret_access_key": bad_secret}},
        ),
        422,
        "provider_rejected",
    )
    route_to(api, bot["id"])
    conv = api.conversation()
    assert texts(wait_bot(api, conv["id"], 1)) == [lex_server.GREETING["en"]]
    welcome = said(lex, "kmConversationStarted")[-1]
    assert "/botAliases/TSTALIASID/" in welcome.path

    # lex_v1 likewise
    v1_cases = [
        (v1_config(lex, bot_name="NoSuchLegacy"), "NoSuchLegacy"),
        (v1_config(lex, bot_alias="nosuchalias"), "nosuchalias"),
        (v1_config(lex, secret_access_key=bad_secret), "credentials"),
    ]
    for config, needle in v1_cases:
        error = assert_error(
            api.post("/api/v1/ai-agents", {"name": "x", "kind": "lex_v1", "config": config}),
            422,
            "provider_rejected",
        )
        assert needle in error["message"], error
    legacy = ai_agent(api, v1_config(lex), kind="lex_v1")
    assert legacy["config"]["secret_access_key"] == "****"
    assert (
        api.ok(api.get(f"/api/v1/ai-agents/{legacy['id']}"))["config"]["secret_access_key"]
        == "****"
    )
    patched = api.ok(
        api.patch(
            f"/api/v1/ai-agents/{legacy['id']}",
            {"config": {**legacy["config"], "bot_alias": "$LATEST"}},
        )
    )
    assert patched["config"]["secret_access_key"] == "****"
    route_to(api, legacy["id"])
    conv = api.conversation()
    assert texts(wait_bot(api, conv["id"], 1)) == ["Hi from the V1 bot!"]
    path = said(lex, "kmConversationStarted")[-1].path
    assert "/alias/%24LATEST/" in path or "/alias/$LATEST/" in path

    log = full_log(rd_server)
    assert lex.secret_access_key not in log
    assert bad_secret not in log


# --- welcome, locale, replies ---------------------------------------------------------------


def test_welcome_is_the_ai_agents_and_comes_before_the_first_message(
    api: Api, lex: FakeLex
) -> None:
    agent = api.agent(status="online")
    api.routing(
        welcome_message="APP WELCOME", away_message="APP AWAY", default_agent_id=agent["id"]
    )
    bot = setup_bot(api, lex)
    conv = api.conversation(message={"text": "order status"})
    assert conv["assignee"] == {"type": "ai_agent", "id": bot["id"]}
    replies = wait_bot(api, conv["id"], 3)
    assert texts(replies)[:2] == [lex_server.GREETING["en"], "Which order do you need help with?"]
    session = said(lex, "kmConversationStarted")[0].session_id
    assert turn_texts(lex, session) == ["kmConversationStarted", "order status"]
    everything = api.messages(conv["id"])
    assert not [m for m in everything if m["sender"]["type"] == "system"]
    assert not [m for m in everything if m["text"] in ("APP WELCOME", "APP AWAY")]
    # the welcome reply is stored before the answer to the contact's message
    ids = [m["id"] for m in everything]
    assert ids.index(replies[0]["id"]) < ids.index(replies[1]["id"])
    assert ts(replies[0]["created_at"]) <= ts(replies[1]["created_at"])
    assert trail_reasons(api, conv["id"]) == ["ai_routing"]


def test_locale_follows_the_contacts_language(api: Api, lex: FakeLex) -> None:
    setup_bot(api, lex)
    fr_ca = api.conversation(contact={"external_id": "fr-ca", "language": "fr-CA"})
    assert texts(wait_bot(api, fr_ca["id"], 1)) == [lex_server.GREETING["fr"]]
    fr = api.conversation(contact={"external_id": "fr", "language": "fr"})
    wait_bot(api, fr["id"], 1)
    en = api.conversation(contact={"external_id": "en", "language": "en-GB"})
    wait_bot(api, en["id"], 1)
    by_session = {r.session_id: r for r in said(lex, "kmConversationStarted")}
    assert by_session[fr_ca["id"]].locale == "fr_CA"
    assert by_session[fr_ca["id"]].request_attributes["kmUserLanguageCode"] == "fr-CA"
    assert by_session[fr["id"]].locale == "fr_FR"
    assert by_session[en["id"]].locale == "en_GB"
    # text turns use the same locale
    api.say(fr_ca["id"], "ssml")
    wait_bot(api, fr_ca["id"], 2)
    assert said(lex, "ssml")[-1].locale == "fr_CA"


def test_text_turns_cards_ssml_and_rich_payloads(api: Api, lex: FakeLex) -> None:
    setup_bot(api, lex)
    conv = start(api, lex)
    api.say(conv["id"], "order status")
    replies = wait_bot(api, conv["id"], 3)
    text, card = replies[1], replies[2]
    assert text["text"] == "Which order do you need help with?"
    assert card["metadata"]["contentType"] == "300"
    assert card["metadata"]["templateId"] == "10"
    item = card["metadata"]["payload"][0]
    assert item["title"] == "Recent orders" and item["subtitle"] == "Pick one"
    assert item["header"] == {"imgSrc": "https://example.com/orders.png"}
    assert item["buttons"][0] == {
        "name": "#1001 - Shoes",
        "action": {"type": "quickReply", "payload": {"title": "#1001 - Shoes", "message": "1001"}},
    }
    api.say(conv["id"], "ssml")
    assert wait_bot(api, conv["id"], 4)[3]["text"] == "Hello there & welcome"
    api.say(conv["id"], "sizes")
    rich = wait_bot(api, conv["id"], 5)[4]
    assert rich["text"] == "Pick a size"
    assert rich["metadata"] == {
        "contentType": "300",
        "templateId": "6",
        "payload": [{"title": "S", "message": "S"}, {"title": "M", "message": "M"}],
    }
    api.say(conv["id"], "not json")
    assert wait_bot(api, conv["id"], 6)[5]["text"] == "just {text"
    call = said(lex, "sizes")[-1]
    assert call.request_attributes["kmConversationId"] == conv["id"]
    assert call.request_attributes["kmUserId"] == conv["contact"]["external_id"]
    assert conv["assignee"]["type"] == "ai_agent"


def test_media_turns_send_attachments_as_a_request_attribute(api: Api, lex: FakeLex) -> None:
    setup_bot(api, lex)
    conv = start(api, lex)
    attachment = {
        "url": "https://files.example.com/a/receipt.pdf",
        "name": "receipt.pdf",
        "size": 2048,
        "mime_type": "application/pdf",
    }
    api.ok(
        api.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "attachments": [attachment]},
        ),
        201,
    )
    wait_bot(api, conv["id"], 2)
    api.ok(
        api.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "location": {"lat": 48.85, "lon": 2.35}},
        ),
        201,
    )
    replies = wait_bot(api, conv["id"], 3)
    calls = said(lex, "kommunicateMediaEvent")
    assert len(calls) == 2
    assert json.loads(calls[0].request_attributes["attachments"]) == [
        {
            "type": "application/pdf",
            "payload": {
                "url": "https://files.example.com/a/receipt.pdf",
                "name": "receipt.pdf",
                "size": 2048,
            },
        }
    ]
    assert json.loads(calls[1].request_attributes["attachments"]) == [
        {"type": "location", "payload": {"lat": 48.85, "lon": 2.35}}
    ]
    assert replies[1]["text"].startswith("attachments: ")
    assert "receipt.pdf" in replies[1]["text"] and "location" in replies[2]["text"]


# --- hang-up --------------------------------------------------------------------------------


def test_hangup_hands_over_to_a_human_when_auto_handoff_is_on(api: Api, lex: FakeLex) -> None:
    agent = api.agent(status="online")
    bot = setup_bot(api, lex)
    conv = start(api, lex)
    api.say(conv["id"], "goodbye hangup")
    row = wait_reason(api, conv["id"], "ai_hangup")
    assert row["to"] == {"type": "agent", "id": agent["id"]}
    assert row["from"] == {"type": "ai_agent", "id": bot["id"]}
    assert row["actor"] == {"type": "ai_agent", "id": bot["id"]}
    assert "Failed" in (row["detail"] or "") or "failed" in (row["detail"] or "")
    replies = bot_messages(api, conv["id"])
    assert texts(replies)[-1] == lex_server.HANGUP_V2
    assert ts(replies[-1]["created_at"]) <= ts(row["at"])
    got = api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))
    assert got["assignee"] == {"type": "agent", "id": agent["id"]}
    # the human has it now: the contact's next messages do not reach Lex
    api.say(conv["id"], "are you still there")
    api.say(conv["id"], "order status")
    time.sleep(0.8)
    assert said(lex, "are you still there") == [] and said(lex, "order status") == []
    assert len(bot_messages(api, conv["id"])) == len(replies)


def test_hangup_with_auto_handoff_off_keeps_the_ai_agent(api: Api, lex: FakeLex) -> None:
    api.agent(status="online")
    bot = setup_bot(api, lex, auto_handoff=False)
    conv = start(api, lex)
    api.say(conv["id"], "goodbye hangup")
    wait_bot(api, conv["id"], 2)
    api.say(conv["id"], "ssml")
    assert texts(wait_bot(api, conv["id"], 3))[-1] == "Hello there & welcome"
    got = api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))
    assert got["assignee"] == {"type": "ai_agent", "id": bot["id"]}
    assert trail_reasons(api, conv["id"]) == ["ai_routing"]


def test_handoff_after_consecutive_fallbacks(api: Api, lex: FakeLex) -> None:
    lex.fallback_limit = None  # the bot itself never fails the intent
    agent = api.agent(status="online")
    setup_bot(api, lex, config={"handoff_after_fallbacks": 2})
    conv = start(api, lex)
    api.say(conv["id"], "blorp")
    wait_bot(api, conv["id"], 2)
    api.say(conv["id"], "ssml")  # a matched intent resets the count
    wait_bot(api, conv["id"], 3)
    api.say(conv["id"], "blorp again")
    wait_bot(api, conv["id"], 4)
    assert trail_reasons(api, conv["id"]) == ["ai_routing"]
    api.say(conv["id"], "still blorp")
    row = wait_reason(api, conv["id"], "ai_hangup")
    assert row["to"] == {"type": "agent", "id": agent["id"]}
    assert "fallback" in row["detail"]


# --- custom-payload handoffs -----------------------------------------------------------------


@pytest.fixture
def people(api: Api) -> dict[str, Any]:
    """Two online agents (the first takes human-rule handoffs) and a team of the second."""
    first = api.agent(email=f"first-{uuid.uuid4().hex[:6]}@example.com", status="online")
    second = api.agent(email=f"Second.{uuid.uuid4().hex[:6]}@Example.com", status="online")
    team = api.ok(api.post("/api/v1/teams", {"name": "billing", "member_ids": [second["id"]]}))
    api.routing(default_agent_id=first["id"])
    return {"first": first, "second": second, "team": team}


def handoff_turn(
    api: Api, lex: FakeLex, message: str | None, metadata: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start a conversation, have the bot answer with the payload; (conversation, trail row)."""
    utterance = f"handoff {uuid.uuid4().hex[:8]}"
    script_payload(lex, utterance, message, metadata)
    conv = start(api, lex)
    api.say(conv["id"], utterance)
    row = wait_until(lambda: (lambda t: t[1] if len(t) > 1 else None)(api.trail(conv["id"])))
    return api.ok(api.get(f"/api/v1/conversations/{conv['id']}")), row


def test_km_assign_to_empty_follows_the_human_rules(
    api: Api, lex: FakeLex, people: dict[str, Any]
) -> None:
    setup_bot(api, lex)
    conv, row = handoff_turn(api, lex, "our agents will get back to you", {"KM_ASSIGN_TO": ""})
    assert row["reason"] == "ai_handoff" and row["detail"] != "unknown_assignee"
    assert conv["assignee"]["type"] == "agent"
    shown = bot_messages(api, conv["id"])[-1]
    assert shown["text"] == "our agents will get back to you"
    assert shown["metadata"] == {"KM_ASSIGN_TO": ""}
    assert ts(shown["created_at"]) <= ts(row["at"])
    # the human has it: the next messages stay away from Lex
    api.say(conv["id"], "hello bot?")
    time.sleep(0.8)
    assert said(lex, "hello bot?") == []


def test_km_assign_to_agent_id_and_email(api: Api, lex: FakeLex, people: dict[str, Any]) -> None:
    setup_bot(api, lex)
    second = people["second"]
    conv, row = handoff_turn(api, lex, "Connecting you", {"KM_ASSIGN_TO": second["id"]})
    assert row["reason"] == "ai_handoff_agent"
    assert conv["assignee"] == {"type": "agent", "id": second["id"]}
    conv, row = handoff_turn(api, lex, "Connecting you", {"KM_ASSIGN_TO": second["email"].upper()})
    assert row["reason"] == "ai_handoff_agent"
    assert conv["assignee"] == {"type": "agent", "id": second["id"]}


def test_km_assign_team_and_both_keys(api: Api, lex: FakeLex, people: dict[str, Any]) -> None:
    setup_bot(api, lex)
    team, first, second = people["team"], people["first"], people["second"]
    conv, row = handoff_turn(api, lex, "Our billing team will help", {"KM_ASSIGN_TEAM": team["id"]})
    assert row["reason"] == "ai_handoff_team"
    assert conv["team_id"] == team["id"]
    assert conv["assignee"] == {"type": "agent", "id": second["id"]}
    # both: KM_ASSIGN_TO picks the assignee, KM_ASSIGN_TEAM sets the team
    conv, row = handoff_turn(
        api, lex, "Handing over", {"KM_ASSIGN_TO": first["id"], "KM_ASSIGN_TEAM": team["id"]}
    )
    assert row["reason"] == "ai_handoff_agent"
    assert conv["assignee"] == {"type": "agent", "id": first["id"]}
    assert conv["team_id"] == team["id"] and row["team_id"] == team["id"]


def test_unknown_assignee_falls_back_to_the_human_rules(
    api: Api, lex: FakeLex, people: dict[str, Any]
) -> None:
    setup_bot(api, lex)
    conv, row = handoff_turn(api, lex, "One moment", {"KM_ASSIGN_TO": "agt_doesnotexist"})
    assert row["reason"] == "ai_handoff" and row["detail"] == "unknown_assignee"
    assert conv["assignee"]["type"] == "agent"


def test_metadata_only_payload_is_not_shown(api: Api, lex: FakeLex, people: dict[str, Any]) -> None:
    setup_bot(api, lex)
    conv, row = handoff_turn(api, lex, None, {"KM_ASSIGN_TO": people["second"]["id"]})
    assert row["reason"] == "ai_handoff_agent"
    assert texts(bot_messages(api, conv["id"])) == [lex_server.GREETING["en"]]


def test_handoff_to_another_ai_agent_with_an_event(
    api: Api, lex: FakeLex, people: dict[str, Any]
) -> None:
    setup_bot(api, lex)
    sales = ai_agent(api, lex_config(lex, bot_name="SupportBot2"), name="Sales bot")
    conv, row = handoff_turn(
        api,
        lex,
        "Transferring you to our sales assistant",
        {"KM_ASSIGN_TO": sales["id"], "event": {"name": "SALES_START", "data": {"plan": "pro"}}},
    )
    assert row["reason"] == "ai_handoff_ai_agent"
    assert conv["assignee"] == {"type": "ai_agent", "id": sales["id"]}
    replies = wait_bot(api, conv["id"], 3)
    assert replies[-1]["text"] == "Welcome to sales!"
    assert replies[-1]["sender"] == {"type": "ai_agent", "id": sales["id"], "name": sales["name"]}
    assert replies[-2]["text"] == "Transferring you to our sales assistant"
    # the second bot's first turn is the event (not a welcome), on its own bot
    second_bot = [r for r in turn_texts(lex, conv["id"])]
    assert second_bot[-1] == "SALES_START"
    call = said(lex, "SALES_START")[-1]
    assert "/bots/SUPPORTBT2/" in call.path
    assert call.request_attributes["kmEventName"] == "SALES_START"
    assert json.loads(call.request_attributes["kmEventData"]) == {"plan": "pro"}
    assert call.session_attributes == {"plan": "pro"}
    # the second bot now answers the contact
    api.say(conv["id"], "ssml")
    assert wait_bot(api, conv["id"], 4)[-1]["sender"]["id"] == sales["id"]
    assert "/bots/SUPPORTBT2/" in said(lex, "ssml")[-1].path


def test_handoff_to_another_ai_agent_without_event_sends_its_welcome(
    api: Api, lex: FakeLex, people: dict[str, Any]
) -> None:
    setup_bot(api, lex)
    sales = ai_agent(api, lex_config(lex, bot_name="SupportBot2"), name="Sales bot")
    conv, row = handoff_turn(api, lex, "Over to sales", {"KM_ASSIGN_TO": sales["id"]})
    assert row["reason"] == "ai_handoff_ai_agent"
    replies = wait_bot(api, conv["id"], 3)
    assert replies[-1]["sender"]["id"] == sales["id"]
    assert replies[-1]["text"] == lex_server.GREETING["en"]
    welcomes = [r for r in said(lex, "kmConversationStarted") if r.session_id == conv["id"]]
    assert ["/bots/SUPPORTBT2/" in r.path for r in welcomes] == [False, True]


def test_resolve_action_request(api: Api, lex: FakeLex) -> None:
    setup_bot(api, lex)
    conv = start(api, lex)
    api.say(conv["id"], "that's all")
    wait_until(
        lambda: api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))["status"] == "resolved"
    )
    assert texts(bot_messages(api, conv["id"]))[-1] == "Glad I could help, bye!"


# --- takeover --------------------------------------------------------------------------------


def test_takeover_stops_turns(api: Api, lex: FakeLex) -> None:
    agent = api.agent(status="online")
    setup_bot(api, lex)
    conv = start(api, lex)
    taken = api.ok(
        api.post(f"/api/v1/conversations/{conv['id']}/takeover", {"agent_id": agent["id"]})
    )
    assert taken["assignee"] == {"type": "agent", "id": agent["id"]}
    assert trail_reasons(api, conv["id"]) == ["ai_routing", "takeover"]
    api.say(conv["id"], "order status")
    time.sleep(0.8)
    assert said(lex, "order status") == []
    assert len(bot_messages(api, conv["id"])) == 1


def test_slow_reply_after_takeover_is_not_posted(api: Api, lex: FakeLex, rd_server: Server) -> None:
    agent = api.agent(status="online")
    setup_bot(api, lex)
    conv = start(api, lex)
    lex.script("slow question", v2=[{"contentType": "PlainText", "content": "TOO LATE ANSWER"}])
    lex.set_delay(2.0, count=1)
    api.say(conv["id"], "slow question")
    wait_until(lambda: said(lex, "slow question"))
    api.ok(api.post(f"/api/v1/conversations/{conv['id']}/takeover", {"agent_id": agent["id"]}))
    wait_until(
        lambda: "lost the assignment" in full_log(rd_server) and conv["id"] in full_log(rd_server),
        timeout=10,
    )
    time.sleep(0.3)
    assert "TOO LATE ANSWER" not in [m["text"] for m in api.messages(conv["id"])]
    assert len(said(lex, "slow question")) == 1
    assert "TOO LATE ANSWER" not in full_log(rd_server)  # contacts' conversations stay out of logs


# --- reliability -----------------------------------------------------------------------------


def test_throttling_burst_is_retried_and_answered_once(api: Api, lex: FakeLex) -> None:
    setup_bot(api, lex)
    conv = start(api, lex)
    lex.script("burst", v2=[{"contentType": "PlainText", "content": "after the burst"}])
    lex.fail_next(2, status=429, error_type="ThrottlingException", only="runtime")
    api.say(conv["id"], "burst")
    wait_bot(api, conv["id"], 2, timeout=20)
    lex.script("blip", v2=[{"contentType": "PlainText", "content": "after the blip"}])
    lex.fail_next(1, status=503, error_type="ServiceUnavailableException", only="runtime")
    api.say(conv["id"], "blip")
    wait_bot(api, conv["id"], 3, timeout=20)
    time.sleep(0.5)
    replies = texts(bot_messages(api, conv["id"]))
    assert replies.count("after the burst") == 1 and replies.count("after the blip") == 1
    assert len(said(lex, "burst")) == 3  # one call per try: 2 throttled, then the answer
    assert len(said(lex, "blip")) == 2
    assert trail_reasons(api, conv["id"]) == ["ai_routing"]


def test_outage_hands_over_with_ai_error_and_loses_no_message(api: Api, lex: FakeLex) -> None:
    agent = api.agent(status="online")
    setup_bot(api, lex)
    conv = start(api, lex)
    lex.fail_next(1000, status=500, error_type="InternalServerException", message="Lex is down")
    api.say(conv["id"], "first while down")
    api.say(conv["id"], "second while down")
    row = wait_reason(api, conv["id"], "ai_error", timeout=40)
    assert row["to"] == {"type": "agent", "id": agent["id"]}
    assert "InternalServerException" in row["detail"] and "Lex is down" in row["detail"]
    contact = [m["text"] for m in api.messages(conv["id"]) if m["sender"]["type"] == "contact"]
    assert contact == ["first while down", "second while down"]
    attempts = len(said(lex, "first while down"))
    assert attempts == 3  # 3 turn attempts, one call each (no botocore retries)
    time.sleep(0.5)
    assert said(lex, "second while down") == []  # the human has it: not sent to the bot
    assert trail_reasons(api, conv["id"]) == ["ai_routing", "ai_error"]


def test_bad_credentials_at_turn_time_fail_at_once(api: Api, lex: FakeLex) -> None:
    agent = api.agent(status="online")
    setup_bot(
        api,
        lex,
        config={
            "bot_id": "SUPPORTBOT",
            "bot_alias_id": "PRODALIAS1",
            "bot_name": None,
            "bot_alias": None,
        },
    )
    del lex.credentials[lex.access_key_id]  # the key is revoked after the bot was set up
    lex.clear_requests()
    conv = api.conversation()
    row = wait_reason(api, conv["id"], "ai_error")
    assert row["to"] == {"type": "agent", "id": agent["id"]}
    assert "credentials" in row["detail"] and "UnrecognizedClientException" in row["detail"]
    assert [r.operation for r in lex.requests] == ["RecognizeText"]  # no retries


# --- a server killed in the middle of a turn --------------------------------------------------


def test_turn_survives_a_sigkill_and_is_answered_once(
    fresh_database: str, lex: FakeLex, tmp_path: Path
) -> None:
    env = {**MODULE_ENV, "RELAYDESK_TURN_LEASE_S": "2"}
    first = Server(database_url=fresh_database, env=env, workdir=tmp_path / "a").start()
    try:
        api = new_app(first.url)
        setup_bot(api, lex)
        conv = start(api, lex)
        lex.script("crash course", v2=[{"contentType": "PlainText", "content": "survived"}])
        lex.set_delay(3.0, count=1)
        api.say(conv["id"], "crash course")
        wait_until(lambda: said(lex, "crash course"))
        first.kill()
    finally:
        first.kill()
    second = Server(database_url=fresh_database, env=env, workdir=tmp_path / "b").start()
    try:
        api = Api(second.url, api.token)
        replies = wait_bot(api, conv["id"], 2, timeout=20)
        assert replies[-1]["text"] == "survived"
        # meanwhile: a bot call slower than the lease is not run a second time (the lease
        # is renewed), and the killed server's 3 s call has long ended at a dead socket
        lex.script("slow but fine", v2=[{"contentType": "PlainText", "content": "worth it"}])
        lex.set_delay(3.0, count=1)
        api.say(conv["id"], "slow but fine")
        wait_bot(api, conv["id"], 3, timeout=20)
        time.sleep(0.5)
        shown = texts(bot_messages(api, conv["id"]))
        assert shown.count("survived") == 1 and shown.count("worth it") == 1
        assert len(said(lex, "crash course")) == 2
        assert len(said(lex, "slow but fine")) == 1
    finally:
        second.stop()


# --- lex_v1 ----------------------------------------------------------------------------------


def test_lex_v1_composite_cards_and_hangup(api: Api, lex: FakeLex) -> None:
    agent = api.agent(status="online")
    legacy = ai_agent(api, v1_config(lex), kind="lex_v1")
    route_to(api, legacy["id"])
    conv = start(api, lex)
    assert texts(bot_messages(api, conv["id"])) == ["Hi from the V1 bot!"]
    api.say(conv["id"], "hello")
    assert texts(wait_bot(api, conv["id"], 3))[1:] == ["Hi there!", "How can I help?"]
    api.say(conv["id"], "order status")
    replies = wait_bot(api, conv["id"], 5)
    assert replies[3]["text"] == "Which order do you need help with?"
    assert replies[4]["metadata"]["templateId"] == "10"
    assert replies[4]["metadata"]["payload"][0]["title"] == "Recent orders"
    assert [b["name"] for b in replies[4]["metadata"]["payload"][0]["buttons"]] == [
        "#1001",
        "#1002",
    ]
    api.ok(
        api.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "location": {"lat": 1.5, "lon": 2.5}},
        ),
        201,
    )
    wait_bot(api, conv["id"], 6)
    media = said(lex, "kommunicateMediaEvent")[-1]
    assert media.operation == "PostText"
    assert json.loads(media.request_attributes["attachments"]) == [
        {"type": "location", "payload": {"lat": 1.5, "lon": 2.5}}
    ]
    api.say(conv["id"], "goodbye hangup")
    row = wait_reason(api, conv["id"], "ai_hangup")
    assert row["to"] == {"type": "agent", "id": agent["id"]}
    assert texts(bot_messages(api, conv["id"]))[-1] == "Sorry, I could not understand. Goodbye."
    assert {r.session_id for r in said(lex, "hello")} == {conv["id"]}


def test_a_slow_provider_check_of_a_patch_holds_up_no_other_write(api: Api, lex: FakeLex) -> None:
    """Changing an AI agent's config waits for Lex to check it; meanwhile the server keeps
    storing messages (on SQLite the check used to run inside the write lock)."""
    created = ai_agent(api, lex_config(lex))
    conv = api.conversation()
    lex.clear_requests()
    lex.set_delay(2.0)  # every Lex answer now takes 2 s
    answers: dict[str, Any] = {}

    def patch() -> None:
        body = {"config": lex_config(lex, read_timeout_s=9)}
        answers["patch"] = api.patch(f"/api/v1/ai-agents/{created['id']}", body)

    checking = threading.Thread(target=patch)
    checking.start()
    try:
        wait_until(lambda: lex.requests)  # the provider check is waiting on Lex
        sent = api.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            {"sender": {"type": "contact"}, "text": "while the bot is checked"},
        )
        assert sent.status_code == 201
        assert checking.is_alive()  # stored before the check answered, not after
    finally:
        checking.join(30)
        lex.set_delay(0)
    assert answers["patch"].status_code == 200, answers["patch"].text
    assert answers["patch"].json()["config"]["read_timeout_s"] == 9
