"""Dialogflow ES and CX AI agents end to end: a real server, the fake Google, HTTP only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ai_agents import e2e
from tests.fakes.dialogflow_server import FakeDialogflow
from tests.support import Api, Server, assert_error, new_app, wait_until

CX_AGENT = "projects/my-proj/locations/global/agents/a1"


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's server (short retry budget), per backend."""
    yield from e2e.module_server(backend, tmp_path_factory.mktemp(f"df-e2e-{backend}"))


@pytest.fixture(scope="module")
def fake_google() -> Iterator[FakeDialogflow]:
    with FakeDialogflow() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture()
def df(fake_google: FakeDialogflow) -> FakeDialogflow:
    fake_google.reset()
    return fake_google


@pytest.fixture(scope="module")
def worlds(server: Server) -> dict[str, Any]:
    """Per kind, one app with the humans and an AI agent of that kind routing new conversations
    (creating an AI agent costs a token round trip, so the cheap per-conversation tests share)."""
    return {}


@pytest.fixture(params=["dialogflow_es", "dialogflow_cx"])
def world(
    request: pytest.FixtureRequest, worlds: dict[str, Any], server: Server, df: FakeDialogflow
) -> tuple[str, Api, dict[str, Any], dict[str, Any]]:
    """(kind, api, AI agent, people) for each kind."""
    kind = str(request.param)
    if kind not in worlds:
        api = new_app(server.url)
        people = e2e.humans(api)
        agent = make(api, df, kind)
        e2e.route_new_to(api, agent["id"])
        worlds[kind] = (kind, api, agent, people)
    return worlds[kind]  # type: ignore[no-any-return]


def es_config(df: FakeDialogflow, key: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"service_account": key or df.service_account("my-proj"), "api_endpoint": df.url}


def cx_config(df: FakeDialogflow) -> dict[str, Any]:
    return {
        "service_account": df.service_account("my-proj", cx_agent=CX_AGENT),
        "agent": CX_AGENT,
        "api_endpoint": df.url,
    }


def make(api: Api, df: FakeDialogflow, kind: str, **fields: Any) -> dict[str, Any]:
    config = es_config(df) if kind == "dialogflow_es" else cx_config(df)
    return e2e.ai_agent(api, kind, config, **fields)


def api_of(kind: str) -> str:
    return "v2" if kind == "dialogflow_es" else "v3"


def script(df: FakeDialogflow, kind: str, payloads: list[dict[str, Any]], **on: str) -> None:
    """Answer this text (or event) with Kommunicate custom payloads, in either API's shape."""
    if kind == "dialogflow_es":
        df.script_es(
            response={
                "queryResult": {
                    "action": "custom",
                    "fulfillmentMessages": [{"payload": p} for p in payloads],
                }
            },
            **on,
        )
    else:
        df.script_cx(
            response={"queryResult": {"responseMessages": [{"payload": p} for p in payloads]}},
            **on,
        )


def session_bodies(df: FakeDialogflow, kind: str) -> list[dict[str, Any]]:
    return df.detect_bodies(api_of(kind))


def conv_bodies(df: FakeDialogflow, kind: str, conversation_id: str) -> list[dict[str, Any]]:
    return [
        b
        for b in session_bodies(df, kind)
        if b["queryParams"]["payload"]["conversationId"] == conversation_id
    ]


def started(api: Api, df: FakeDialogflow, kind: str, **fields: Any) -> dict[str, Any]:
    """A conversation routed to the agent; returns once its welcome was asked for."""
    conv = api.conversation(**fields)
    wait_until(lambda: conv_bodies(df, kind, conv["id"]))
    return conv


# --- configuration and secrets --------------------------------------------------------------


def test_service_account_masked_kept_on_patch_and_never_logged(
    api: Api, df: FakeDialogflow, server: Server
) -> None:
    key = df.service_account("my-proj")
    created = e2e.ai_agent(api, "dialogflow_es", es_config(df, key), language="de-DE")
    assert created["config"] == {"service_account": "****", "api_endpoint": df.url}
    assert api.ok(api.get(f"/api/v1/ai-agents/{created['id']}"))["config"]["service_account"] == (
        "****"
    )
    patched = api.ok(
        api.patch(
            f"/api/v1/ai-agents/{created['id']}",
            {"config": {"service_account": "****", "api_endpoint": df.url, "timeout_s": 9}},
        )
    )
    assert patched["config"] == {"service_account": "****", "api_endpoint": df.url, "timeout_s": 9}
    # the kept key still signs in: the welcome goes through, with the AI agent's language
    e2e.route_new_to(api, created["id"])
    conv = started(api, df, "dialogflow_es")
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == ["Hi! How can I help?"]
    [welcome] = conv_bodies(df, "dialogflow_es", conv["id"])
    assert welcome["queryInput"] == {"event": {"name": "WELCOME", "languageCode": "de-DE"}}
    log = server.log_path.read_text(errors="replace")  # type: ignore[union-attr]
    pem_body = key["private_key"].splitlines()[5]
    assert pem_body not in log
    assert key["private_key_id"] not in log


def test_configs_the_provider_rejects_are_422(api: Api, df: FakeDialogflow) -> None:
    no_agent = df.service_account("empty-proj", with_es_agent=False)
    err = assert_error(
        api.post(
            "/api/v1/ai-agents",
            {"name": "x", "kind": "dialogflow_es", "config": es_config(df, no_agent)},
        ),
        422,
        "provider_rejected",
    )
    assert "not found" in err["message"]

    revoked = df.service_account("my-proj")
    df.disable_key(revoked["client_email"])
    err = assert_error(
        api.post(
            "/api/v1/ai-agents",
            {"name": "x", "kind": "dialogflow_es", "config": es_config(df, revoked)},
        ),
        422,
        "provider_rejected",
    )
    assert "refused the service account" in err["message"]
    assert revoked["private_key"].splitlines()[5] not in err["message"]

    cx = cx_config(df)
    cx["agent"] = "projects/my-proj/locations/global/agents/nope"
    assert_error(
        api.post("/api/v1/ai-agents", {"name": "x", "kind": "dialogflow_cx", "config": cx}),
        422,
        "provider_rejected",
    )
    assert api.ok(api.get("/api/v1/ai-agents"))["items"] == []


# --- ES ----------------------------------------------------------------------------------------


def test_es_welcome_text_and_rich_replies(api: Api, df: FakeDialogflow) -> None:
    agent = make(api, df, "dialogflow_es")
    e2e.route_new_to(api, agent["id"])
    df.script_es(
        text="show me a picture",
        response={
            "queryResult": {
                "fulfillmentMessages": [
                    {"image": {"imageUri": "https://cdn.example/p.png", "accessibilityText": "P"}},
                    {"text": {"text": ["Ours only."]}, "platform": "FACEBOOK"},
                ]
            }
        },
    )
    conv = api.conversation(
        contact={"external_id": "v-es", "name": "Vi", "language": "fr-CA"},
        message={"text": "Where is my order 1001?", "metadata": {"KM_CHAT_CONTEXT": {"vip": 1}}},
    )
    got = e2e.bot_messages(api, conv["id"], 4)
    assert [m["text"] for m in got] == [
        "Hi! How can I help?",
        "Order 1001 shipped yesterday.",
        "Anything else?",
        None,
    ]
    assert got[2]["metadata"] == {
        "contentType": "300",
        "templateId": "6",
        "payload": [
            {"title": "Track it", "message": "Track it"},
            {"title": "Talk to a human", "message": "Talk to a human"},
        ],
    }
    assert got[3]["metadata"]["templateId"] == "10"
    assert got[3]["metadata"]["payload"] == [
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
    api.say(conv["id"], "show me a picture")
    image = e2e.bot_messages(api, conv["id"], 5)[4]
    assert image["metadata"] == {
        "contentType": "300",
        "templateId": "9",
        "payload": [{"url": "https://cdn.example/p.png", "caption": "P"}],
    }

    calls = [r for r in df.logged(":detectIntent")]
    assert all(r["headers"]["authorization"].startswith("Bearer ya29.fake-") for r in calls)
    welcome, text, _ = conv_bodies(df, "dialogflow_es", conv["id"])
    assert welcome["queryInput"] == {"event": {"name": "WELCOME", "languageCode": "fr-CA"}}
    assert text["queryInput"] == {
        "text": {"text": "Where is my order 1001?", "languageCode": "fr-CA"}
    }
    payload = text["queryParams"]["payload"]
    assert payload["KM_CHAT_CONTEXT"] == {"vip": 1}
    assert payload["kmUserLanguageCode"] == "fr-CA"
    assert payload["contact"]["externalId"] == "v-es"
    assert payload["appId"] == api.app_id


def test_media_is_the_media_event_with_attachments(df: FakeDialogflow, world: Any) -> None:
    kind, api, _, _ = world
    script(df, kind, [{"message": "Thanks for the file"}], event="KOMMUNICATE_MEDIA_EVENT")
    conv = started(api, df, kind)
    e2e.send_media(api, conv["id"])
    assert e2e.bot_messages(api, conv["id"], 2)[-1]["text"] == "Thanks for the file"
    media = conv_bodies(df, kind, conv["id"])[-1]
    if kind == "dialogflow_es":
        assert media["queryInput"] == {
            "event": {"name": "KOMMUNICATE_MEDIA_EVENT", "languageCode": "en-US"}
        }
    else:
        assert media["queryInput"] == {
            "languageCode": "en-US",
            "event": {"event": "KOMMUNICATE_MEDIA_EVENT"},
        }
    assert media["queryParams"]["payload"]["attachments"] == e2e.KM_ATTACHMENTS


@pytest.mark.parametrize("world", ["dialogflow_es"], indirect=True)
def test_es_fallback_hangs_up_to_the_humans(df: FakeDialogflow, world: Any) -> None:
    _, api, _, people = world
    conv = started(api, df, "dialogflow_es")
    api.say(conv["id"], "qwertyuiop")
    row = e2e.trail_until(api, conv["id"], "ai_hangup")
    assert row["to"]["id"] in {people["ann"]["id"], people["ben"]["id"]}
    assert row["detail"].startswith("Dialogflow ES fallback (Default Fallback Intent)"), row
    # the fallback's answer is posted before the reassignment
    assert e2e.texts(api, conv["id"])[-1] == ("ai_agent", "Sorry, could you say that again?")


def test_es_fallback_with_auto_handoff_off_keeps_the_bot(api: Api, df: FakeDialogflow) -> None:
    e2e.humans(api)
    agent = make(api, df, "dialogflow_es", auto_handoff=False)
    e2e.route_new_to(api, agent["id"])
    conv = started(api, df, "dialogflow_es")
    api.say(conv["id"], "qwertyuiop")
    e2e.bot_messages(api, conv["id"], 2)
    e2e.settled(api, conv["id"])
    assert e2e.assignee(api, conv["id"]) == {"type": "ai_agent", "id": agent["id"]}
    assert [r["reason"] for r in api.trail(conv["id"])] == ["ai_routing"]


# --- CX ----------------------------------------------------------------------------------------


def test_cx_welcome_text_rich_and_live_agent_handoff(api: Api, df: FakeDialogflow) -> None:
    people = e2e.humans(api)
    agent = make(api, df, "dialogflow_cx")
    e2e.route_new_to(api, agent["id"])
    df.script_cx(
        event="WELCOME",
        response={"queryResult": {"responseMessages": [{"text": {"text": ["CX here."]}}]}},
    )
    script(df, "dialogflow_cx", e2e.rich_payloads(), text="plans")
    conv = api.conversation(
        contact={"external_id": "v-cx", "language": "es-MX"},
        message={"text": "plans", "metadata": {"KM_CHAT_CONTEXT": {"tier": "gold"}}},
    )
    got = e2e.bot_messages(api, conv["id"], 4)
    assert got[0]["text"] == "CX here."
    e2e.check_rich(got[1:])
    welcome, text = conv_bodies(df, "dialogflow_cx", conv["id"])
    assert welcome["queryInput"] == {"languageCode": "es-MX", "event": {"event": "WELCOME"}}
    assert text["queryInput"] == {"languageCode": "es-MX", "text": {"text": "plans"}}
    assert text["queryParams"]["payload"]["KM_CHAT_CONTEXT"] == {"tier": "gold"}

    # the wire example ends with liveAgentHandoff: its text is posted, then the human rules
    api.say(conv["id"], "Where is my order 1001?")
    row = e2e.trail_until(api, conv["id"], "ai_handoff")
    assert row["to"]["id"] in {people["ann"]["id"], people["ben"]["id"]}
    assert row["detail"] == "provider_handoff; round_robin", row
    assert e2e.texts(api, conv["id"])[-1] == ("ai_agent", "Order 1001 shipped yesterday.")


# --- both kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", e2e.HANDOFF_FORMS)
def test_handoff_forms(df: FakeDialogflow, world: Any, form: str) -> None:
    kind, api, agent, people = world
    md = e2e.handoff_metadata(form, people)
    script(df, kind, [{"message": "One moment", "metadata": md}], text="get me someone")
    conv = started(api, df, kind)
    api.say(conv["id"], "get me someone")
    e2e.check_handoff(api, conv["id"], form, people)
    mine = [m["text"] for m in api.messages(conv["id"]) if m["sender"]["id"] == agent["id"]]
    assert mine[-1] == "One moment"


def test_outage_past_the_retry_budget_hands_over_with_ai_error(
    df: FakeDialogflow, world: Any
) -> None:
    kind, api, _, people = world
    conv = started(api, df, kind)
    df.fail_next(10, status=503)
    api.say(conv["id"], "are you there?")
    row = e2e.trail_until(api, conv["id"], "ai_error")
    assert row["to"]["id"] in {people["ann"]["id"], people["ben"]["id"]}
    assert "HTTP 503" in row["detail"], row
    tries = [b for b in conv_bodies(df, kind, conv["id"]) if "text" in b["queryInput"]]
    assert len(tries) == 3  # RELAYDESK_TURN_MAX_ATTEMPTS
    assert e2e.texts(api, conv["id"])[-1] == ("contact", "are you there?")


def test_builtin_hands_to_es_with_an_event_and_parameters(api: Api, df: FakeDialogflow) -> None:
    es = make(api, df, "dialogflow_es", name="Orders (ES)")
    builtin = e2e.ai_agent(
        api,
        "builtin",
        {
            "intents": [
                {"name": "welcome", "category": "welcome_event", "content": [{"message": "Hi"}]},
                {
                    "name": "orders",
                    "category": "intent",
                    "trainingPhrases": ["where is my order"],
                    "content": [
                        {
                            "message": "Asking the orders bot",
                            "metadata": {
                                "KM_ASSIGN_TO": es["id"],
                                "event": {"name": "order_status", "data": {"order_id": "1001"}},
                            },
                        }
                    ],
                },
            ]
        },
    )
    e2e.route_new_to(api, builtin["id"])
    df.script_es(
        event="order_status",
        response={"queryResult": {"fulfillmentText": "Order 1001 is on its way."}},
    )
    conv = api.conversation(contact={"external_id": "v-b2b", "language": "en-GB"})
    api.say(conv["id"], "Where is my order?")
    row = e2e.trail_until(api, conv["id"], "ai_handoff_ai_agent")
    assert row["from"] == {"type": "ai_agent", "id": builtin["id"]}
    assert row["to"] == {"type": "ai_agent", "id": es["id"]}
    got = e2e.bot_messages(api, conv["id"], 3)
    assert [(m["sender"]["id"], m["text"]) for m in got] == [
        (builtin["id"], "Hi"),
        (builtin["id"], "Asking the orders bot"),
        (es["id"], "Order 1001 is on its way."),
    ]
    [event] = conv_bodies(df, "dialogflow_es", conv["id"])
    assert event["queryInput"] == {
        "event": {
            "name": "order_status",
            "languageCode": "en-GB",
            "parameters": {"order_id": "1001"},
        }
    }
