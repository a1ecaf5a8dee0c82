"""``openai`` AI agents end to end: a real server, the real ``openai`` client, a fake
OpenAI-compatible server over HTTP; answers, knowledge search, handoff and resolve tools,
faults, the tool-round limit and token usage."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ai_agents import e2e
from tests.fakes.openai_server import (
    COMPLETION_TOKENS,
    PROMPT_TOKENS_PER_MESSAGE,
    FakeOpenAI,
    answer,
    refusal,
    tool,
)
from tests.support import Api, Server, assert_error, wait_until

API_KEY = "sk-test-7f2c9e1b-secret"
MODEL = "gpt-test"


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from e2e.module_server(backend, tmp_path_factory.mktemp(f"openai-e2e-{backend}"))


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=API_KEY, models=[MODEL, "other-model"]) as llm:
        yield llm  # type: ignore[misc]


@pytest.fixture()
def llm(fake_llm: FakeOpenAI) -> FakeOpenAI:
    fake_llm.reset()
    fake_llm.api_key = API_KEY
    return fake_llm


def config(llm: FakeOpenAI, **overrides: Any) -> dict[str, Any]:
    return {"base_url": llm.base_url, "api_key": API_KEY, "model": MODEL, **overrides}


def llm_agent(api: Api, llm: FakeOpenAI, **overrides: Any) -> dict[str, Any]:
    name = overrides.pop("name", "Assistant")
    agent = e2e.ai_agent(api, "openai", config(llm, **overrides), name=name)
    e2e.route_new_to(api, agent["id"])
    return agent


def said(text: str) -> str:
    """A unique contact text (scripts are keyed by it)."""
    return f"{text} [{uuid.uuid4().hex[:6]}]"


def ask(api: Api, text: str, **fields: Any) -> dict[str, Any]:
    return api.conversation(message={"text": text}, **fields)


def test_config_is_checked_with_the_server_and_the_key_stays_secret(
    api: Api, llm: FakeOpenAI, server: Server
) -> None:
    created = llm_agent(api, llm, system_prompt="You sell tea.", temperature=0.2)
    assert created["kind"] == "openai" and created["config"]["api_key"] == "****"
    assert created["config"]["model"] == MODEL and created["config"]["base_url"] == llm.base_url
    assert any(r["path"] == "/v1/models" for r in llm.logged("/v1/models"))
    shown = api.ok(api.get(f"/api/v1/ai-agents/{created['id']}"))
    assert shown["config"]["api_key"] == "****"

    wrong_key = api.post(
        "/api/v1/ai-agents",
        {"name": "x", "kind": "openai", "config": config(llm, api_key="sk-wrong")},
    )
    assert "Incorrect API key" in assert_error(wrong_key, 422, "provider_rejected")["message"]
    unknown = api.post(
        "/api/v1/ai-agents", {"name": "x", "kind": "openai", "config": config(llm, model="gpt-9")}
    )
    assert "gpt-9" in assert_error(unknown, 422, "provider_rejected")["message"]
    bad = api.post("/api/v1/ai-agents", {"name": "x", "kind": "openai", "config": {"api_key": "k"}})
    assert_error(bad, 422, "invalid_config")

    # a PATCH that sends the key back masked keeps it: the next turn still authenticates
    patched = api.ok(
        api.patch(
            f"/api/v1/ai-agents/{created['id']}",
            {"config": {**config(llm), "api_key": "****", "model": "other-model"}},
        )
    )
    assert patched["config"]["model"] == "other-model" and patched["config"]["api_key"] == "****"
    text = said("hello there")
    conv = ask(api, text)
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == [f"You said: {text}"]
    request = llm.chat_requests(text)[0]
    assert request["model"] == "other-model"
    sent = [r for r in llm.logged("/chat/completions")]
    assert all(r["headers"]["authorization"] == f"Bearer {API_KEY}" for r in sent)
    assert API_KEY not in server.log_path.read_text(errors="replace")  # type: ignore[union-attr]


def test_an_answer_gets_the_prompt_history_language_and_tools(api: Api, llm: FakeOpenAI) -> None:
    agent = llm_agent(api, llm, system_prompt="You sell tea.", temperature=0.3, max_tokens=200)
    first = said("do you ship green tea")
    llm.script(first, [answer("Yes, worldwide.")])
    conv = ask(api, first, contact={"external_id": uuid.uuid4().hex[:8], "language": "de-DE"})
    assert conv["assignee"] == {"type": "ai_agent", "id": agent["id"]}
    reply = e2e.bot_messages(api, conv["id"], 1)[0]
    assert reply["text"] == "Yes, worldwide."
    assert reply["sender"] == {"type": "ai_agent", "id": agent["id"], "name": "Assistant"}
    second = said("how long does it take")
    llm.script(second, [answer("About a week.")])
    api.say(conv["id"], second)
    e2e.bot_messages(api, conv["id"], 2)

    body = llm.chat_requests(second)[0]
    assert body["model"] == MODEL and body["temperature"] == 0.3 and body["max_tokens"] == 200
    system, *history = body["messages"]
    assert system["role"] == "system" and system["content"].startswith("You sell tea.")
    assert "de-DE" in system["content"]
    assert [(m["role"], m["content"]) for m in history] == [
        ("user", first),
        ("assistant", "Yes, worldwide."),
        ("user", second),
    ]
    names = [t["function"]["name"] for t in body["tools"]]
    assert names == ["search_knowledge", "handoff_to_human", "resolve_conversation"]


def test_knowledge_search_then_a_grounded_answer(api: Api, llm: FakeOpenAI) -> None:
    article = api.ok(
        api.post(
            "/api/v1/knowledge/articles",
            {
                "title": "Resetting your password",
                "body": "Open Settings, choose Security and press Reset password.",
                "url": "https://help.example.com/password",
            },
        ),
        201,
    )
    api.ok(api.post("/api/v1/knowledge/articles", {"title": "Refunds", "body": "Five days."}), 201)
    llm_agent(api, llm)
    text = said("I forgot my password")
    llm.script(
        text,
        [
            tool("search_knowledge", query="reset password"),
            answer("Open Settings → Security → Reset password. https://help.example.com/password"),
        ],
    )
    conv = ask(api, text)
    reply = e2e.bot_messages(api, conv["id"], 1)[0]
    assert reply["text"].startswith("Open Settings → Security")
    first, second = llm.chat_requests(text)
    assert "search_knowledge" in first["messages"][0]["content"]  # the prompt says to use it
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"]
    articles = json.loads(tool_message["content"])["articles"]
    assert articles[0] == {
        "title": article["title"],
        "url": article["url"],
        "passage": article["body"],
    }
    assert "Refunds" not in [a["title"] for a in articles]
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "search_knowledge"


def test_no_knowledge_tool_when_use_knowledge_is_off(api: Api, llm: FakeOpenAI) -> None:
    llm_agent(api, llm, use_knowledge=False)
    text = said("hi")
    conv = ask(api, text)
    e2e.bot_messages(api, conv["id"], 1)
    names = [t["function"]["name"] for t in llm.chat_requests(text)[0]["tools"]]
    assert names == ["handoff_to_human", "resolve_conversation"]


@pytest.mark.parametrize("team", [None, "name", "id", "unknown"])
def test_handoff_tool_follows_the_human_rules(api: Api, llm: FakeOpenAI, team: str | None) -> None:
    people = e2e.humans(api)
    llm_agent(api, llm)
    text = said("I want a human")
    arguments: dict[str, Any] = {"reason": "asked for a person"}
    if team is not None:
        arguments["team"] = {
            "name": people["team"]["name"].upper(),
            "id": people["team"]["id"],
            "unknown": "Nonexistent team",
        }[team]
    llm.script(text, [{"content": "Let me get someone.", **tool("handoff_to_human", **arguments)}])
    conv = ask(api, text)
    if team in ("name", "id"):
        row = e2e.trail_until(api, conv["id"], "ai_handoff_team")
        assert row["to"] == {"type": "agent", "id": people["ben"]["id"]}
        assert row["team_id"] == people["team"]["id"]
    else:
        row = e2e.trail_until(api, conv["id"], "ai_handoff")
        assert row["to"]["type"] == "agent"
        if team == "unknown":
            assert "unknown_team" in row["detail"]
        else:
            assert row["detail"].startswith("asked for a person")
    assert e2e.texts(api, conv["id"])[-1] == ("ai_agent", "Let me get someone.")
    assert len(llm.chat_requests(text)) == 1  # a handoff ends the turn


def test_resolve_tool_resolves(api: Api, llm: FakeOpenAI) -> None:
    llm_agent(api, llm)
    text = said("thanks, that solved it")
    llm.script(text, [{"content": "Glad to help!", **tool("resolve_conversation")}])
    conv = ask(api, text)
    wait_until(
        lambda: api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))["status"] == "resolved"
    )
    assert e2e.texts(api, conv["id"])[-1] == ("ai_agent", "Glad to help!")


def test_welcome_message_without_a_model_call_and_a_quick_reply_payload(
    api: Api, llm: FakeOpenAI
) -> None:
    llm_agent(api, llm, welcome_message="Hi! I am the tea bot.")
    conv = api.conversation()
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == ["Hi! I am the tea bot."]
    assert llm.chat_requests() == []
    text = said("which teas")
    payload = {
        "message": "Pick one",
        "metadata": {
            "contentType": "300",
            "templateId": "6",
            "payload": [{"title": "Green", "message": "Green"}],
        },
    }
    llm.script(text, [answer(json.dumps(payload))])
    api.say(conv["id"], text)
    rich = e2e.bot_messages(api, conv["id"], 2)[-1]
    assert rich["text"] == "Pick one" and rich["metadata"]["templateId"] == "6"


@pytest.mark.parametrize("kind", ["refusal", "empty"])
def test_a_refusal_or_empty_answer_hands_over(api: Api, llm: FakeOpenAI, kind: str) -> None:
    e2e.humans(api)
    llm_agent(api, llm)
    text = said("something odd")
    llm.script(text, [refusal("I can't help with that.") if kind == "refusal" else answer("")])
    conv = ask(api, text)
    row = e2e.trail_until(api, conv["id"], "ai_hangup")
    assert row["to"]["type"] == "agent"
    assert ("refused" if kind == "refusal" else "empty") in row["detail"]


def test_tool_round_limit(api: Api, llm: FakeOpenAI) -> None:
    e2e.humans(api)
    llm_agent(api, llm)
    text = said("loop forever")
    llm.script(text, [tool("search_knowledge", query="anything")])
    conv = ask(api, text)
    row = e2e.trail_until(api, conv["id"], "ai_hangup")
    assert "5 tool rounds" in row["detail"]
    assert len(llm.chat_requests(text)) == 6  # the first call and five rounds of tools


def test_a_rejected_key_fails_at_once(api: Api, llm: FakeOpenAI) -> None:
    e2e.humans(api)
    llm_agent(api, llm)
    llm.api_key = "sk-rotated"  # the key was revoked at the provider
    text = said("hello")
    conv = ask(api, text)
    row = e2e.trail_until(api, conv["id"], "ai_error")
    assert "401" in row["detail"]
    assert len(llm.chat_requests(text)) == 1  # not retried


def test_throttling_is_retried_after_retry_after(api: Api, llm: FakeOpenAI) -> None:
    llm_agent(api, llm)
    text = said("busy?")
    llm.script(text, [answer("Not any more.")])
    llm.fail_next(1, status=429, retry_after=1)
    conv = ask(api, text)
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == ["Not any more."]
    throttled, answered = [r for r in llm.logged("/chat/completions")]
    assert answered["at"] - throttled["at"] >= 0.9  # Retry-After: 1 was honoured


def test_server_errors_until_ai_error(api: Api, llm: FakeOpenAI) -> None:
    e2e.humans(api)
    llm_agent(api, llm)
    llm.fail_next(10, status=500)
    text = said("anyone?")
    conv = ask(api, text)
    row = e2e.trail_until(api, conv["id"], "ai_error")
    assert "500" in row["detail"]
    assert len(llm.logged("/chat/completions")) == 3  # RELAYDESK_TURN_MAX_ATTEMPTS


def test_usage_is_summed_per_ai_agent(api: Api, llm: FakeOpenAI) -> None:
    agent = llm_agent(api, llm)
    before = time.time()
    texts = [said("one"), said("two")]
    llm.script(texts[1], [tool("search_knowledge", query="two"), answer("Two.")])
    conv = ask(api, texts[0])
    e2e.bot_messages(api, conv["id"], 1)
    api.say(conv["id"], texts[1])
    e2e.bot_messages(api, conv["id"], 2)
    bodies = llm.chat_requests()
    expected_prompt = sum(PROMPT_TOKENS_PER_MESSAGE * len(b["messages"]) for b in bodies)
    usage = api.ok(api.get(f"/api/v1/ai-agents/{agent['id']}/usage"))
    assert usage == {
        "ai_agent_id": agent["id"],
        "turns": 2,  # the welcome turn calls no model and is not counted
        "prompt_tokens": expected_prompt,
        "completion_tokens": COMPLETION_TOKENS * len(bodies),
    }
    assert len(bodies) == 3
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    earlier = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(before - 3600))
    none = api.ok(api.get(f"/api/v1/ai-agents/{agent['id']}/usage", params={"from": later}))
    assert none["turns"] == 0 and none["prompt_tokens"] == 0
    window = {"from": earlier, "to": later}
    assert api.ok(api.get(f"/api/v1/ai-agents/{agent['id']}/usage", params=window)) == usage
    assert_error(
        api.get(f"/api/v1/ai-agents/{agent['id']}/usage", params={"from": later, "to": earlier}),
        422,
    )


def test_media_is_described_to_the_model(api: Api, llm: FakeOpenAI) -> None:
    llm_agent(api, llm)
    conv = api.conversation()
    described = "[attachment: receipt.pdf (application/pdf) https://files.example/receipt.pdf]"
    llm.script(described, [answer("Thanks for the receipt.")])
    e2e.send_media(api, conv["id"])
    assert [m["text"] for m in e2e.bot_messages(api, conv["id"], 1)] == ["Thanks for the receipt."]
    assert llm.chat_requests(described)[0]["messages"][-1] == {"role": "user", "content": described}
