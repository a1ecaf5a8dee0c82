"""The agent dashboard in a real browser: sign-in, live inbox, conversation actions, settings."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.support import wait_until
from tests.web.conftest import PASSWORD, Desk  # noqa: F401


def open_conversation(desk: Desk, conversation_id: str, view: str = "all") -> None:
    desk.page.goto(f"{desk.url}/#/inbox/{view}/{conversation_id}")
    expect(desk.page.locator("#messages")).to_be_visible()


def test_login_live_inbox_and_reply(desk: Desk) -> None:
    page = desk.page
    page.goto(desk.url + "/")
    expect(page.get_by_role("heading", name="Sign in to relaydesk")).to_be_visible()
    desk.shot("login")

    page.get_by_label("Email").fill(desk.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

    desk.login()
    expect(page.get_by_label("Your status")).to_have_value("online")
    page.get_by_role("link", name="All", exact=True).click()
    expect(page.locator("#list-empty")).to_be_visible()

    # created through the API while the page is open: it shows up live, unread
    conv = desk.api.conversation(
        "cust-1",
        contact={"external_id": "cust-1", "name": "Chris Customer", "language": "de-DE"},
        message={"text": "Hi, my parcel has not arrived <b>yet</b>"},
    )
    item = page.locator(f'.conv-item[data-id="{conv["id"]}"]')
    expect(item).to_contain_text("Chris Customer")
    expect(item).to_have_class("conv-item unread")

    item.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Chris Customer")).to_be_visible()
    # untrusted text is shown as text, never as markup
    expect(page.locator("#messages")).to_contain_text("has not arrived <b>yet</b>")
    expect(page.locator("#messages b")).to_have_count(0)
    expect(page.locator(".details")).to_contain_text("de-DE")
    expect(item).not_to_have_class("conv-item unread")

    page.get_by_label("Reply to the contact").fill("Sorry to hear that — let me check.")
    page.get_by_label("Reply to the contact").press("Enter")
    expect(page.locator("#messages .msg.from-agent")).to_contain_text("let me check")
    replies = [m for m in desk.api.messages(conv["id"]) if m["sender"]["type"] == "agent"]
    assert [m["text"] for m in replies] == ["Sorry to hear that — let me check."]
    assert replies[0]["sender"]["id"] == desk.admin["id"]

    # the contact answers: it appears live in the open conversation
    desk.api.say(conv["id"], "Thanks!")
    expect(page.locator("#messages .msg.from-contact").last).to_contain_text("Thanks!")

    # a second conversation while another one is open: unread marker in the list
    other = desk.api.conversation(contact={"external_id": "cust-2", "name": "Robin"})
    desk.api.say(other["id"], "Hello?")
    expect(page.locator(f'.conv-item[data-id="{other["id"]}"]')).to_have_class("conv-item unread")
    desk.shot("inbox")

    # resolve and reopen
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conv-status")).to_have_text("Resolved")
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator("#conv-status")).to_have_text("Open")


def test_status_switch_and_logout(desk: Desk) -> None:
    page = desk.page
    desk.login()
    page.get_by_label("Your status").select_option("away")
    me = f"/api/v1/agents/{desk.admin['id']}"
    expect(page.locator(".toast-text").first).to_have_text("You are away")
    wait_until(lambda: desk.api.get(me).json()["status"] == "away")
    expect(page.locator("#my-status-dot")).to_have_class("status-dot away")
    # a change made elsewhere shows up live
    desk.api.patch(me, {"status": "offline"})
    expect(page.get_by_label("Your status")).to_have_value("offline")

    token = page.evaluate("JSON.parse(sessionStorage.getItem('relaydesk.session')).token")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in to relaydesk")).to_be_visible()
    assert desk.api.as_token(token).get("/api/v1/agents/me").status_code == 401
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to relaydesk")).to_be_visible()


# --- rich messages, the assignment trail, takeover ----------


def png(rgb: tuple[int, int, int], width: int = 48, height: int = 30) -> str:
    """A solid-colour PNG as a data: URL (no network needed to show images)."""
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    )
    raw += chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def rich(template: str, payload: Any) -> dict[str, Any]:
    return {"contentType": "300", "templateId": template, "payload": payload}


def card(title: str, colour: tuple[int, int, int], price: str) -> dict[str, Any]:
    return {
        "title": title,
        "subtitle": price,
        "header": {"imgSrc": png(colour)},
        "buttons": [
            {
                "name": "Buy",
                "action": {
                    "type": "quickReply",
                    "payload": {"title": "Buy", "message": f"buy {title}"},
                },
            },
            {
                "name": "Details",
                "action": {"type": "link", "payload": {"url": "https://shop.example.com/p/1"}},
            },
        ],
    }


WELCOME_CONTENT = [
    {
        "message": "Hi! I'm the Acme assistant. What can I help with?",
        "metadata": rich(
            "6",
            [
                {"title": "Track my order", "message": "track"},
                {"title": "Talk to a human", "message": "human"},
            ],
        ),
    },
    {
        "message": "Popular right now:",
        "metadata": rich(
            "10",
            [
                card("Trail shoes <script>alert(1)</script>", (52, 81, 178), "€89"),
                card("Rain jacket", (26, 127, 55), "€120"),
            ],
        ),
    },
    {
        "metadata": rich(
            "7",
            {
                "headerText": "Your recent orders",
                "elements": [
                    {
                        "title": "#1001 — Shoes",
                        "description": "Shipped",
                        "action": {"type": "link", "url": "https://shop.example.com/o/1001"},
                    },
                    {
                        "title": "#1002 — Hat",
                        "description": "Processing",
                        "action": {"type": "quick_reply", "text": "1002"},
                    },
                ],
            },
        )
    },
    {
        "message": "Size guide",
        "metadata": rich("9", [{"url": png((200, 120, 40)), "caption": "EU sizes"}]),
    },
    {
        "message": "Useful links",
        "metadata": rich(
            "3",
            [
                {"type": "link", "url": "https://help.example.com", "name": "Help centre"},
                {"type": "link", "url": "javascript:alert(1)", "name": "Bad link"},
            ],
        ),
    },
    {
        "metadata": rich(
            "11",
            [
                {"type": "link", "url": "https://example.com/return", "name": "Return form"},
                {"type": "quickReply", "name": "Exchange", "message": "exchange"},
            ],
        )
    },
    {
        "message": "Tell us about the problem",
        "metadata": rich(
            "12",
            [
                {"type": "text", "data": {"label": "Order number", "placeholder": "#1001"}},
                {
                    "type": "radio",
                    "data": {
                        "title": "Issue",
                        "name": "issue",
                        "options": [
                            {"label": "Damaged", "value": "d"},
                            {"label": "Missing", "value": "m"},
                        ],
                    },
                },
                {"type": "submit", "data": {"name": "Send"}},
            ],
        ),
    },
]


def builtin_bot(desk: Desk, name: str = "Acme assistant") -> dict[str, Any]:
    config = {
        "intents": [
            {"name": "welcome", "category": "welcome_event", "content": WELCOME_CONTENT},
            {"name": "fallback", "category": "fallback_intent", "content": [{"message": "Sorry?"}]},
        ],
        "languageCodes": ["en"],
    }
    body = {"name": name, "kind": "builtin", "config": config}
    return desk.api.ok(desk.api.post("/api/v1/ai-agents", body), 201)  # type: ignore[no-any-return]


def test_rich_messages_trail_and_takeover(desk: Desk) -> None:
    page = desk.page
    bot = builtin_bot(desk)
    desk.api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
    conv = desk.api.conversation(
        contact={
            "external_id": "ana",
            "name": "Ana Souza",
            "email": "ana@example.com",
            "language": "pt-BR",
        },
        message={"text": "Hello, I need help with an order"},
    )
    assert conv["assignee"] == {"type": "ai_agent", "id": bot["id"]}
    wait_until(lambda: len(desk.api.messages(conv["id"])) >= len(WELCOME_CONTENT) + 1)

    desk.login()
    page.get_by_role("link", name="AI agents", exact=True).click()
    page.locator(f'.conv-item[data-id="{conv["id"]}"] a').click()
    messages = page.locator("#messages")
    expect(messages.locator(".msg.from-ai_agent").first).to_contain_text("Acme assistant")
    expect(messages.locator('.rich[data-template="6"] .rich-button')).to_have_text(
        ["Track my order", "Talk to a human"]
    )
    expect(messages.locator('.rich[data-template="10"] .rich-card')).to_have_count(2)
    expect(messages.locator(".rich-card h4").first).to_have_text(
        "Trail shoes <script>alert(1)</script>"
    )
    expect(messages.locator('.rich[data-template="7"] li')).to_have_count(2)
    expect(messages.locator('.rich[data-template="9"] img')).to_have_attribute("alt", "EU sizes")
    links = messages.locator('.rich[data-template="3"] a')
    expect(links).to_have_count(1)  # the javascript: link is not made clickable
    expect(links).to_have_attribute("href", "https://help.example.com/")
    expect(messages.locator('.rich[data-template="11"] .rich-button')).to_have_count(2)
    expect(messages.locator('.rich[data-template="12"] input[type=radio]')).to_have_count(2)
    expect(messages.locator('.rich[data-template="12"] input').first).to_be_disabled()
    assert page.evaluate("document.querySelectorAll('#messages script').length") == 0

    details = page.locator(".details")
    expect(details).to_contain_text("pt-BR")
    expect(details).to_contain_text("Acme assistant (AI agent)")
    expect(page.locator("#trail li").first).to_contain_text(
        "Assigned automatically to an AI agent (AI routing)"
    )

    page.get_by_role("button", name="Take over from AI agent").click()
    expect(page.locator("#conv-assignee")).to_have_text("Assigned to Dana Admin (you)")
    expect(page.locator("#trail li").last).to_contain_text("An agent took over from the AI agent")
    expect(page.get_by_role("button", name="Take over from AI agent")).to_have_count(0)
    assert desk.api.trail(conv["id"])[-1]["reason"] == "takeover"
    page.get_by_label("Reply to the contact").fill("Hi Ana, this is Dana — I'll take it from here.")
    page.get_by_role("button", name="Send").click()
    expect(messages.locator(".msg.from-agent")).to_have_count(1)
    page.goto(f"{desk.url}/#/inbox/mine/{conv['id']}")
    expect(page.locator(f'.conv-item[data-id="{conv["id"]}"]')).to_be_visible()
    desk.shot("conversation", height=1900)


# --- notify everybody and claim ----------


def test_claim_in_notify_everybody_mode(desk: Desk) -> None:
    page = desk.page
    desk.agent("Olu Other")
    desk.api.routing(human_routing="notify_everybody", default_agent_id=None)
    desk.login()
    page.get_by_role("link", name="Unassigned", exact=True).click()

    conv = desk.api.conversation(contact={"external_id": "kim", "name": "Kim"}, channel="email")
    assert conv["assignee"] is None
    toast = page.locator(".toast.notify", has_text="New conversation from Kim")
    expect(toast).to_be_visible()
    expect(page.locator(f'.conv-item[data-id="{conv["id"]}"]')).to_contain_text("Unassigned")
    toast.get_by_role("button", name="Claim").click()
    expect(page.locator("#conv-assignee")).to_have_text("Assigned to Dana Admin (you)")
    expect(page.locator("#trail li").last).to_contain_text("Claimed by an agent")
    trail = desk.api.trail(conv["id"])
    assert trail[-1]["reason"] == "claim" and trail[-1]["to"]["id"] == desk.admin["id"]

    # the Claim button of the conversation view does the same
    second = desk.api.conversation(contact={"external_id": "lee", "name": "Lee"})
    open_conversation(desk, second["id"], view="unassigned")
    actions = page.get_by_role("toolbar", name="Conversation actions")
    actions.get_by_role("button", name="Claim").click()
    expect(page.locator("#conv-assignee")).to_have_text("Assigned to Dana Admin (you)")
    assert desk.api.trail(second["id"])[-1]["reason"] == "claim"


# --- settings: conversation rules ----------


def test_routing_rules_from_settings_apply_to_the_next_conversation(desk: Desk) -> None:
    page = desk.page
    sam = desk.agent("Sam Sales")
    team = desk.api.ok(desk.api.post("/api/v1/teams", {"name": "Sales", "member_ids": [sam["id"]]}))
    builtin_bot(desk)  # so the AI-agent picker has something to show
    desk.login()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Conversation rules")).to_be_visible()

    form = page.locator("#routing-form")
    form.get_by_label("Notify everybody").check()
    form.get_by_label("Default agent").select_option(desk.admin["id"])
    form.get_by_role("button", name="Add a channel rule").click()
    form.get_by_label("Channel", exact=True).fill("whatsapp")
    form.get_by_label("Assign to (kind)").select_option("team")
    form.get_by_label("Assign to", exact=True).select_option(team["id"])
    form.get_by_label("Welcome message").fill("Thanks for writing — we'll be right with you.")
    desk.shot("settings-routing", height=1480)
    form.get_by_role("button", name="Save rules").click()
    expect(page.locator(".toast", has_text="Conversation rules saved")).to_be_visible()

    saved = desk.api.ok(desk.api.get("/api/v1/routing"))
    assert saved["human_routing"] == "notify_everybody"
    assert saved["default_agent_id"] == desk.admin["id"]
    assert saved["channel_rules"] == [
        {"channel": "whatsapp", "assign_to": {"type": "team", "id": team["id"]}}
    ]

    on_whatsapp = desk.api.conversation(channel="whatsapp")
    assert on_whatsapp["assignee"] == {"type": "agent", "id": sam["id"]}
    assert desk.api.trail(on_whatsapp["id"])[-1]["reason"] == "channel_rule"
    texts = [m["text"] for m in desk.api.messages(on_whatsapp["id"])]
    assert "Thanks for writing — we'll be right with you." in texts
    on_web = desk.api.conversation(channel="web")
    assert on_web["assignee"] == {"type": "agent", "id": desk.admin["id"]}
    assert desk.api.trail(on_web["id"])[-1]["reason"] == "notify_everybody"

    # an invalid change is explained, and nothing is stored
    form.get_by_label("Assign new conversations to AI agents").check()
    form.get_by_role("button", name="Save rules").click()
    expect(form.get_by_role("alert")).to_contain_text("needs at least one AI agent")
    assert desk.api.ok(desk.api.get("/api/v1/routing"))["ai_routing"]["enabled"] is False


# --- settings: a Lex AI agent through the form, against the fake Lex ----------


def test_lex_ai_agent_form_against_fake_lex(desk: Desk) -> None:
    from tests.fakes.lex_server import FakeLex

    page = desk.page
    with FakeLex() as lex:
        desk.login()
        page.goto(desk.url + "/#/settings/ai-agents")
        page.get_by_role("button", name="Add an AI agent").click()
        form = page.locator("#ai-agent-form")
        expect(form.get_by_label("Kind")).to_have_value("lex_v2")
        form.get_by_label("Display name").fill("Lex support bot")
        form.get_by_label("Access key id").fill(lex.access_key_id)
        form.get_by_label("Secret access key").fill(lex.secret_access_key)
        form.get_by_label("Bot name").fill("SupportBot")
        form.get_by_label("Bot alias").fill("no-such-alias")
        form.get_by_label("Region").fill("us-east-1")
        form.get_by_text("Advanced", exact=True).click()
        form.get_by_label("Advanced: endpoint URL").fill(lex.url)
        form.get_by_label("Let this AI agent handle all new conversations").check()
        desk.shot("ai-agent-form", height=1180)

        # the provider's refusal is shown in the form, and nothing is stored
        form.get_by_role("button", name="Create AI agent").click()
        expect(form.get_by_role("alert")).to_contain_text("no-such-alias")
        assert desk.api.ok(desk.api.get("/api/v1/ai-agents"))["items"] == []

        form.get_by_label("Bot alias").fill("prod")
        form.get_by_role("button", name="Create AI agent").click()
        row = page.locator("#ai-agents-table tbody tr", has_text="Lex support bot")
        expect(row).to_contain_text("Takes new conversations")

        [bot] = desk.api.ok(desk.api.get("/api/v1/ai-agents"))["items"]
        assert bot["kind"] == "lex_v2" and bot["language"] == "en-US" and bot["auto_handoff"]
        assert bot["config"]["secret_access_key"] == "****"
        assert bot["config"]["endpoint_url"] == lex.url
        assert bot["config"]["bot_alias"] == "prod"
        routing = desk.api.ok(desk.api.get("/api/v1/routing"))
        assert routing["ai_routing"] == {"enabled": True, "ai_agent_ids": [bot["id"]]}

        # the next conversation goes to the Lex bot, which greets the contact
        conv = desk.api.conversation()
        assert conv["assignee"] == {"type": "ai_agent", "id": bot["id"]}
        wait_until(
            lambda: any(m["sender"]["type"] == "ai_agent" for m in desk.api.messages(conv["id"]))
        )

        # editing without retyping the secret keeps it (the server re-validates against Lex)
        row.get_by_role("button", name="Edit Lex support bot").click()
        form = page.locator("#ai-agent-form")
        expect(form.get_by_label("Secret access key")).to_have_value("")
        expect(form.get_by_label("Secret access key")).to_have_attribute(
            "placeholder", re.compile(r"^\*\*\*\*")
        )
        expect(form.get_by_label("Bot name")).to_have_value("SupportBot")
        form.get_by_label("Display name").fill("Lex helpdesk bot")
        form.get_by_role("button", name="Save AI agent").click()
        expect(page.locator("#ai-agents-table")).to_contain_text("Lex helpdesk bot")
        [bot] = desk.api.ok(desk.api.get("/api/v1/ai-agents"))["items"]
        assert bot["name"] == "Lex helpdesk bot" and bot["config"]["secret_access_key"] == "****"
        second = desk.api.conversation()
        wait_until(
            lambda: any(m["sender"]["type"] == "ai_agent" for m in desk.api.messages(second["id"]))
        )


# --- settings: agents, teams, API keys, webhooks ----------


def test_admin_settings_agents_teams_keys_webhooks(desk: Desk) -> None:
    page = desk.page
    desk.login()
    page.goto(desk.url + "/#/settings/agents")
    invite = page.locator("#invite-form")
    invite.get_by_label("Name").fill("Noor New")
    invite.get_by_label("Email").fill("noor@example.com")
    invite.get_by_label("Password").fill(PASSWORD)
    invite.get_by_label("Capacity (open conversations)").fill("3")
    invite.get_by_role("button", name="Invite agent").click()
    noor_row = page.locator("#agents-table tbody tr", has_text="Noor New")
    expect(noor_row).to_be_visible()
    noor = next(
        a for a in desk.api.ok(desk.api.get("/api/v1/agents"))["items"] if a["name"] == "Noor New"
    )
    assert noor["max_concurrent"] == 3 and noor["role"] == "agent"
    noor_row.get_by_label("Role of Noor New").select_option("admin")
    noor_row.get_by_role("button", name="Save").click()
    wait_until(lambda: desk.api.ok(desk.api.get(f"/api/v1/agents/{noor['id']}"))["role"] == "admin")

    page.get_by_role("link", name="Teams").click()
    team_form = page.locator("#team-form")
    team_form.get_by_label("Team name").fill("Billing")
    team_form.get_by_label("Noor New").check()
    team_form.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("form", name="Team Billing")).to_be_visible()
    [team] = desk.api.ok(desk.api.get("/api/v1/teams"))["items"]
    assert team["name"] == "Billing" and team["member_ids"] == [noor["id"]]

    page.get_by_role("link", name="API keys").click()
    page.locator("#api-key-form").get_by_label("Name").fill("CRM sync")
    page.get_by_role("button", name="Create API key").click()
    key = page.locator("#new-key").input_value()
    assert desk.api.as_token(key).get("/api/v1/agents").status_code == 200
    row = page.locator("#api-keys-table tbody tr", has_text="CRM sync")
    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Click again to confirm").click()
    expect(page.locator("#api-keys-table tbody tr", has_text="CRM sync")).to_have_count(0)
    assert desk.api.as_token(key).get("/api/v1/agents").status_code == 401

    page.get_by_role("link", name="Webhooks").click()
    hook_form = page.locator("#webhook-form")
    hook_form.get_by_label("URL").fill("https://hooks.example.com/relaydesk")
    hook_form.get_by_label("Signing secret").fill("a-long-signing-secret")
    hook_form.get_by_label("agent.status").check()
    hook_form.get_by_label("conversation.read").uncheck()  # every server event type is offered
    hook_form.get_by_role("button", name="Add webhook").click()
    hook_row = page.locator("#webhooks-table tbody tr", has_text="hooks.example.com")
    expect(hook_row).to_contain_text("agent.status")
    [hook] = desk.api.ok(desk.api.get("/api/v1/webhooks"))["items"]
    assert "agent.status" in hook["events"] and "contact.updated" in hook["events"]
    assert "conversation.read" not in hook["events"]
    hook_row.get_by_role("button", name="Delete").click()
    hook_row.get_by_role("button", name="Click again to confirm").click()
    expect(page.locator("#webhooks-table")).to_have_count(0)
    assert desk.api.ok(desk.api.get("/api/v1/webhooks"))["items"] == []

    # the invited agent deletes nothing of theirs: an admin deletes them
    page.get_by_role("link", name="Agents", exact=True).click()
    noor_row = page.locator("#agents-table tbody tr", has_text="Noor New")
    noor_row.get_by_role("button", name="Delete").click()
    noor_row.get_by_role("button", name="Click again to confirm").click()
    expect(page.locator("#agents-table tbody tr", has_text="Noor New")).to_have_count(0)


# --- a regular agent on a phone ----------


def test_phone_inbox_for_a_regular_agent(desk: Desk, browser: Any) -> None:
    agent = desk.agent("Pat Phone")
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        phone = Desk(server=desk.server, api=desk.api, admin=agent, email=agent["email"], page=page)
        phone.login()
        expect(page.get_by_role("link", name="Settings")).to_be_hidden()
        for name in ("Wendy", "Omar", "Li"):
            conv = desk.api.conversation(
                contact={"external_id": name.lower(), "name": name},
                assign_to={"type": "agent", "id": agent["id"]},
                channel="whatsapp" if name == "Omar" else "web",
                message={"text": f"Hi, this is {name}. Where is my order?"},
            )
            expect(page.locator(f'.conv-item[data-id="{conv["id"]}"]')).to_be_visible()
        phone.shot("inbox-phone")
        page.locator(f'.conv-item[data-id="{conv["id"]}"] a').click()
        expect(page.locator("#messages")).to_contain_text("this is Li")
        expect(page.locator("#inbox")).to_be_hidden()
        page.get_by_role("link", name="← Inbox").click()
        expect(page.locator("#inbox")).to_be_visible()
        # a regular agent cannot open the settings by URL either
        page.goto(desk.url + "/#/settings/routing")
        expect(page.locator("#inbox")).to_be_visible()
    finally:
        context.close()
