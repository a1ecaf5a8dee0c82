"""The widget with the built-in AI agent: welcome, suggested replies, media turns, handoff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import Api, new_app
from tests.widget.conftest import POSITION, Visitor

WELCOME = "Hi! I am the Acme bot. What can I do for you?"
BOT = {
    "intents": [
        {
            "name": "welcome",
            "category": "welcome_event",
            "content": [
                {
                    "message": WELCOME,
                    "metadata": {
                        "contentType": "300",
                        "templateId": "6",
                        "payload": [
                            {
                                "title": "Shipping times",
                                "message": "how long does shipping take",
                                "replyMetadata": {"topic": "shipping"},
                            },
                            {"title": "Returns", "message": "how do returns work"},
                        ],
                    },
                }
            ],
        },
        {
            "name": "shipping",
            "category": "intent",
            "trainingPhrases": ["how long does shipping take"],
            "content": [{"message": "Shipping takes 3-5 working days."}],
        },
        {
            "name": "media",
            "category": "intent",
            "trainingPhrases": ["kommunicate media event"],
            "content": [{"message": "Thanks, I got what you sent."}],
        },
        {
            "name": "fallback",
            "category": "fallback_intent",
            "content": [{"message": "Sorry, I did not get that."}],
        },
    ]
}
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000101ff89993d1d0000000049454e44ae426082"
)


def bot_app(base_url: str) -> tuple[Api, dict[str, Any]]:
    """A new app whose new conversations go to the built-in AI agent."""
    api = new_app(base_url, "bot app")
    bot = api.ok(
        api.post("/api/v1/ai-agents", {"name": "Acme bot", "kind": "builtin", "config": BOT})
    )
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
    return api, bot


def test_welcome_and_suggested_reply(visit: Callable[..., Visitor], widget_server: Any) -> None:
    api, bot = bot_app(widget_server.url)
    v = visit(api)
    v.open()
    v.bubble(WELCOME).wait_for()
    page = v.page
    assert page.locator(".rd-subtitle").inner_text() == "AI assistant"
    assert page.locator(".rd-human").is_visible()
    chips = page.locator(".rd-t6 .rd-reply-btn")
    assert chips.all_inner_texts() == ["Shipping times", "Returns"]

    chips.first.click()
    v.bubble("Shipping takes 3-5 working days.").wait_for()
    sent = v.wait_message(lambda m: m["text"] == "how long does shipping take")
    assert sent["sender"]["type"] == "contact"
    assert sent["metadata"]["topic"] == "shipping"  # the reply's replyMetadata travels along
    v.send("blorp quux")
    v.bubble("Sorry, I did not get that.").wait_for()
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_upload_and_location_reach_the_bot_as_media(
    visit: Callable[..., Visitor], widget_server: Any
) -> None:
    api, _ = bot_app(widget_server.url)
    v = visit(api)
    v.open()
    v.bubble(WELCOME).wait_for()
    page = v.page

    page.locator(".rd-file-input").set_input_files(
        {"name": "receipt.png", "mimeType": "image/png", "buffer": PNG_1PX}
    )
    page.locator(".rd-me img.rd-attachment-img").wait_for()
    v.bubble("Thanks, I got what you sent.").wait_for()
    message = v.wait_message(lambda m: bool(m["attachments"]))
    attachment = message["attachments"][0]
    assert attachment["name"] == "receipt.png" and attachment["mime_type"] == "image/png"
    assert "sig=" in attachment["url"]

    page.locator(".rd-share-location").click()
    page.locator(".rd-me .rd-location").wait_for()
    located = v.wait_message(lambda m: m["location"] is not None)
    assert located["location"] == {"lat": POSITION["latitude"], "lon": POSITION["longitude"]}
    page.wait_for_function(
        "() => document.querySelector('#relaydesk-widget').shadowRoot"
        ".querySelectorAll('.rd-them .rd-bubble').length >= 3"
    )  # the bot answered the location too


def test_talk_to_a_human_and_live_agent_reply(
    visit: Callable[..., Visitor], widget_server: Any
) -> None:
    api, bot = bot_app(widget_server.url)
    agent = api.agent(name="Hana Human", password="hana-password-1", status="online")
    v = visit(api)
    v.open()
    v.bubble(WELCOME).wait_for()
    page = v.page

    page.locator(".rd-human").click()
    page.locator(".rd-subtitle", has_text="Agent").wait_for()
    assert page.locator(".rd-human").is_hidden()
    conversation = api.ok(api.get(f"/api/v1/conversations/{v.conversation_id}"))
    assert conversation["assignee"] == {"type": "agent", "id": agent["id"]}
    last = api.trail(v.conversation_id)[-1]
    assert last["reason"] == "ai_handoff"
    assert last["detail"].startswith("contact_requested")  # then how the human was chosen
    assert last["from"] == {"type": "ai_agent", "id": bot["id"]}

    hana = api.login(agent["email"], "hana-password-1")
    hana.ok(hana.post(f"/api/v1/conversations/{v.conversation_id}/typing"), 204)
    page.locator(".rd-typing", has_text="Agent is typing").wait_for()
    hana.ok(
        hana.post(
            f"/api/v1/conversations/{v.conversation_id}/messages",
            {"text": "Hi, Hana here. How can I help?"},
        )
    )
    v.bubble("Hi, Hana here.").wait_for()  # live, over the WebSocket
    # the visitor sees who answers: the agent's name above her message
    assert page.locator(".rd-who").last.inner_text() == "Hana Human"
    assert page.locator(".rd-typing").inner_text() == ""
    # asking again with a human on it changes nothing
    trail_len = len(api.trail(v.conversation_id))
    page.locator(".rd-input-text").fill("thanks")
    page.locator(".rd-input-text").press("Enter")
    v.wait_message(lambda m: m["text"] == "thanks")
    assert len(api.trail(v.conversation_id)) == trail_len


def test_handoff_with_nobody_online_shows_the_queue(
    visit: Callable[..., Visitor], widget_server: Any
) -> None:
    api, _ = bot_app(widget_server.url)
    api.agent(name="Away Agent", status="away")
    v = visit(api)
    v.open()
    v.bubble(WELCOME).wait_for()
    v.page.locator(".rd-human").click()
    v.page.locator(".rd-notice", has_text="number 1 in the queue").wait_for()
    conversation = api.ok(api.get(f"/api/v1/conversations/{v.conversation_id}"))
    assert conversation["status"] == "waiting"
    assert conversation["assignee"] is None
