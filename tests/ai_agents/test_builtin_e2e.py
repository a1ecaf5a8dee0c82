"""The built-in AI agent end to end (real server over HTTP), and ``relaydesk ai-agent import``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ai_agents import e2e
from tests.support import ROOT, SECRET_KEY, Api, Server, assert_error, new_app

SUGGESTIONS = {
    "contentType": "300",
    "templateId": "6",
    "payload": [
        {"title": "Shipping", "message": "Shipping"},
        {"title": "Talk to a human", "message": "Talk to a human"},
    ],
}


def faq(**extra_intents: list[dict[str, Any]]) -> dict[str, Any]:
    """A small FAQ; ``extra_intents`` maps an intent name to its content."""
    intents: list[dict[str, Any]] = [
        {
            "name": "welcome",
            "category": "welcome_event",
            "content": [{"message": "Hello! How can I help?", "metadata": SUGGESTIONS}],
        },
        {
            "name": "shipping",
            "category": "intent",
            "trainingPhrases": ["how long does shipping take", "shipping"],
            "content": [{"message": "Shipping takes 3-5 days."}],
        },
        {
            "name": "catalogue",
            "category": "intent",
            "trainingPhrases": ["show me the catalogue"],
            "content": e2e.rich_payloads(),
        },
        {
            "name": "media",
            "category": "intent",
            "trainingPhrases": ["kommunicate media event"],
            "content": [{"message": "Thanks, we received your file."}],
        },
        {
            "name": "bye",
            "category": "intent",
            "trainingPhrases": ["that is all goodbye"],
            "content": [{"message": "Bye!", "metadata": {"actionRequest": "resolveConversation"}}],
        },
        {
            "name": "fallback",
            "category": "fallback_intent",
            "content": [{"message": "Sorry, I did not get that."}],
        },
    ]
    for i, (name, content) in enumerate(extra_intents.items()):
        intents.append(
            {
                "name": name,
                "category": "intent",
                "trainingPhrases": [f"connect me please number {i}"],
                "content": content,
            }
        )
    return {"intents": intents, "languageCodes": ["en"], "handoff_after_fallbacks": 2}


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's server, per backend."""
    yield from e2e.module_server(backend, tmp_path_factory.mktemp(f"builtin-e2e-{backend}"))


def builtin(api: Api, doc: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    agent = e2e.ai_agent(api, "builtin", doc or faq(), **fields)
    e2e.route_new_to(api, agent["id"])
    return agent


def test_config_is_shown_as_stored_and_bad_documents_are_422(api: Api) -> None:
    agent = builtin(api)
    assert agent["kind"] == "builtin"
    assert agent["config"]["handoff_after_fallbacks"] == 2
    assert [i["name"] for i in agent["config"]["intents"]][:2] == ["welcome", "shipping"]

    err = assert_error(
        api.post(
            "/api/v1/ai-agents",
            {
                "name": "x",
                "kind": "builtin",
                "config": {"intents": [{"name": "prices", "category": "intent"}]},
            },
        ),
        422,
        "invalid_config",
    )
    assert 'intent "prices" (intent) has no trainingPhrases' in err["message"], err
    err = assert_error(
        api.post(
            "/api/v1/ai-agents",
            {"name": "x", "kind": "builtin", "config": {"intents": [], "extra": 1}},
        ),
        422,
        "invalid_config",
    )
    assert err["message"].startswith("config.intents"), err
    err = assert_error(
        api.patch(
            f"/api/v1/ai-agents/{agent['id']}",
            {"config": {"intents": [{"name": "w", "category": "welcome"}]}},
        ),
        422,
        "invalid_config",
    )
    assert "category" in err["message"], err
    assert api.ok(api.get(f"/api/v1/ai-agents/{agent['id']}"))["config"] == agent["config"]


def test_welcome_text_typos_and_rich_replies_in_order(api: Api) -> None:
    agent = builtin(api)
    conv = api.conversation(
        contact={"external_id": "b-1", "language": "en-GB"},
        message={"text": "SHIPING: how long does it take?"},
    )
    got = e2e.bot_messages(api, conv["id"], 2)
    assert [(m["text"], m["metadata"]) for m in got] == [
        ("Hello! How can I help?", SUGGESTIONS),
        ("Shipping takes 3-5 days.", {}),
    ]
    api.say(conv["id"], "show me the catalog")
    e2e.check_rich(e2e.bot_messages(api, conv["id"], 5)[2:])
    assert [s for s, _ in e2e.texts(api, conv["id"])] == [
        "contact",
        "ai_agent",
        "ai_agent",
        "contact",
        "ai_agent",
        "ai_agent",
        "ai_agent",
    ]
    assert all(m["sender"]["id"] == agent["id"] for m in e2e.bot_messages(api, conv["id"], 5))


def test_media_answers_with_the_media_intent_and_resolve_closes(api: Api) -> None:
    builtin(api)
    conv = api.conversation()
    e2e.bot_messages(api, conv["id"], 1)
    e2e.send_media(api, conv["id"])
    assert e2e.bot_messages(api, conv["id"], 2)[-1]["text"] == "Thanks, we received your file."
    api.say(conv["id"], "That is all, goodbye!")
    e2e.bot_messages(api, conv["id"], 3)
    e2e.wait_until(
        lambda: api.ok(api.get(f"/api/v1/conversations/{conv['id']}"))["status"] == "resolved"
    )


@pytest.mark.parametrize("form", e2e.HANDOFF_FORMS)
def test_handoff_forms(api: Api, form: str) -> None:
    people = e2e.humans(api)
    md = e2e.handoff_metadata(form, people)
    agent = builtin(api, faq(handover=[{"message": "Handing over", "metadata": md}]))
    conv = api.conversation()
    e2e.bot_messages(api, conv["id"], 1)
    api.say(conv["id"], "Connect me please, number 0")
    e2e.check_handoff(api, conv["id"], form, people)
    mine = [m["text"] for m in api.messages(conv["id"]) if m["sender"]["id"] == agent["id"]]
    assert mine == ["Hello! How can I help?", "Handing over"]


def test_consecutive_fallbacks_hang_up_to_the_humans(api: Api) -> None:
    people = e2e.humans(api)
    builtin(api)
    conv = api.conversation()
    e2e.bot_messages(api, conv["id"], 1)
    api.say(conv["id"], "purple elephants")
    e2e.bot_messages(api, conv["id"], 2)
    api.say(conv["id"], "shipping")  # a match resets the count
    e2e.bot_messages(api, conv["id"], 3)
    api.say(conv["id"], "qwerty")
    e2e.bot_messages(api, conv["id"], 4)
    assert e2e.assignee(api, conv["id"])["type"] == "ai_agent"  # type: ignore[index]
    api.say(conv["id"], "zxcvb")
    row = e2e.trail_until(api, conv["id"], "ai_hangup")
    assert row["to"]["id"] in {people["ann"]["id"], people["ben"]["id"]}
    assert row["detail"] == "no intent matched 2 turns in a row; round_robin", row
    assert [t for s, t in e2e.texts(api, conv["id"]) if s == "ai_agent"] == [
        "Hello! How can I help?",
        "Sorry, I did not get that.",
        "Shipping takes 3-5 days.",
        "Sorry, I did not get that.",
        "Sorry, I did not get that.",
    ]


def test_hang_up_with_nobody_online_goes_to_the_default_agent(api: Api) -> None:
    away = api.agent(status="away")
    builtin(api)
    api.routing(default_agent_id=away["id"])
    conv = api.conversation()
    e2e.bot_messages(api, conv["id"], 1)
    api.say(conv["id"], "purple elephants")
    api.say(conv["id"], "green giraffes")
    row = e2e.trail_until(api, conv["id"], "ai_hangup")
    assert row["to"] == {"type": "agent", "id": away["id"]}


# --- relaydesk ai-agent import -----------------------------------------------------------------


def cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": server.database_url,
        "RELAYDESK_SECRET_KEY": SECRET_KEY,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", "ai-agent", "import", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_import_creates_the_ai_agent_and_takes_new_conversations(
    server: Server, tmp_path: Path
) -> None:
    api = new_app(server.url)
    doc = tmp_path / "faq.json"
    doc.write_text(json.dumps(faq()))
    done = cli(
        server, str(doc), "--app-id", api.app_id, "--name", "FAQ bot",
        "--handle-new-conversations",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["name"] == "FAQ bot" and printed["kind"] == "builtin"
    [listed] = api.ok(api.get("/api/v1/ai-agents"))["items"]
    assert listed["id"] == printed["id"]
    assert listed["config"] == printed["config"]
    assert api.ok(api.get("/api/v1/routing"))["ai_routing"] == {
        "enabled": True,
        "ai_agent_ids": [printed["id"]],
    }
    conv = api.conversation()
    assert conv["assignee"] == {"type": "ai_agent", "id": printed["id"]}
    assert e2e.bot_messages(api, conv["id"], 1)[0]["text"] == "Hello! How can I help?"

    # without the flag the routing stays as it was
    done = cli(server, str(doc), "--app-id", api.app_id, "--name", "Second")
    assert done.returncode == 0, done.stderr
    assert len(api.ok(api.get("/api/v1/ai-agents"))["items"]) == 2
    assert api.ok(api.get("/api/v1/routing"))["ai_routing"]["ai_agent_ids"] == [printed["id"]]


def cli_in_process(database_url: str, *args: str) -> Any:
    """The CLI in this process (cheap, for the error paths): CliRunner with a fresh settings."""
    from typer.testing import CliRunner

    from relaydesk.cli import cli as relaydesk_cli
    from relaydesk.config import get_settings

    env = {"RELAYDESK_DATABASE_URL": database_url, "RELAYDESK_SECRET_KEY": SECRET_KEY}
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(relaydesk_cli, ["ai-agent", "import", *args], env=env)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('["a list"]', "a JSON object"),
        (
            json.dumps({"intents": [{"name": "x", "category": "intent"}]}),
            'intent "x" (intent) has no trainingPhrases',
        ),
        (json.dumps({"intents": [{"name": "x", "category": "faq"}]}), "intents.0.category"),
        (None, "cannot read"),
    ],
)
def test_cli_import_bad_files_exit_2_with_a_message(
    tmp_path: Path, content: str | None, message: str
) -> None:
    doc = tmp_path / "faq.json"
    if content is not None:
        doc.write_text(content)
    db = tmp_path / "untouched.db"
    done = cli_in_process(f"sqlite+aiosqlite:///{db}", str(doc), "--app-id", "a", "--name", "B")
    assert done.exit_code == 2, done.output
    assert message in " ".join(done.output.split()), done.output
    assert not db.exists()  # refused before touching the database


def test_cli_import_unknown_app_exits_2(server: Server, tmp_path: Path) -> None:
    doc = tmp_path / "faq.json"
    doc.write_text(json.dumps(faq()))
    done = cli_in_process(server.database_url, str(doc), "--app-id", "app_nope", "--name", "X")
    assert done.exit_code == 2, done.output
    assert "no app with id app_nope" in done.output


def test_unmatched_texts_are_answered_from_the_knowledge_base(api: Api) -> None:
    article = {
        "title": "Gift cards",
        "body": "Gift cards never expire and can be used on every order.",
        "url": "https://help.example.com/gift-cards",
    }
    api.ok(api.post("/api/v1/knowledge/articles", article), 201)
    builtin(api, {**faq(), "use_knowledge": True})
    conv = api.conversation()
    e2e.bot_messages(api, conv["id"], 1)
    api.say(conv["id"], "do gift cards expire?")  # no intent: the article answers
    grounded = e2e.bot_messages(api, conv["id"], 2)[-1]
    assert grounded["text"] == f"Gift cards\n\n{article['body']}\n\n{article['url']}"
    api.say(conv["id"], "shipping")  # an intent still wins over the articles
    assert e2e.bot_messages(api, conv["id"], 3)[-1]["text"] == "Shipping takes 3-5 days."
    api.say(conv["id"], "purple elephants")  # neither: the fallback intent
    assert e2e.bot_messages(api, conv["id"], 4)[-1]["text"] == "Sorry, I did not get that."
    other = new_app(api.base_url)  # another app's bot never answers from these articles
    builtin(other, {**faq(), "use_knowledge": True})
    theirs = other.conversation()
    e2e.bot_messages(other, theirs["id"], 1)
    other.say(theirs["id"], "do gift cards expire?")
    assert e2e.bot_messages(other, theirs["id"], 2)[-1]["text"] == "Sorry, I did not get that."
