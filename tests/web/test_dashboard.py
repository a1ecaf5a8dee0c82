"""The agent dashboard in a real browser: sign-in, live inbox, conversation actions, settings."""

from __future__ import annotations

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
    wait_until(lambda: desk.api.get(f"/api/v1/agents/{desk.admin['id']}").json()["status"] == "away")
    expect(page.locator("#my-status-dot")).to_have_class("status-dot away")
    # a change made elsewhere shows up live
    desk.api.patch(f"/api/v1/agents/{desk.admin['id']}", {"status": "offline"})
    expect(page.get_by_label("Your status")).to_have_value("offline")

    token = page.evaluate("JSON.parse(sessionStorage.getItem('relaydesk.session')).token")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in to relaydesk")).to_be_visible()
    assert desk.api.as_token(token).get("/api/v1/agents/me").status_code == 401
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to relaydesk")).to_be_visible()
