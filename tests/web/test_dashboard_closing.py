"""Auto-resolve and satisfaction ratings in the dashboard: set in the conversation rules,
the rating shown (live) in the conversation view. Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import wait_until
from tests.web.conftest import Desk
from tests.web.test_dashboard_extras import contact_conversation, open_conversation


def test_closing_settings_are_saved_and_a_rating_shows_live(desk: Desk) -> None:
    page = desk.page
    desk.login()
    page.get_by_role("link", name="Settings").click()
    form = page.locator("#routing-form")
    expect(form.get_by_label("Quiet for (minutes)")).to_be_disabled()
    form.get_by_label("Resolve answered conversations that go quiet").check()
    form.get_by_label("Quiet for (minutes)").fill("45")
    form.get_by_label("Message before resolving").fill("Closing this for now.")
    form.get_by_label("Ask the contact for a rating when resolved").check()
    form.get_by_label("Rating question").fill("Did we help?")
    form.get_by_role("button", name="Save rules").click()
    expect(page.locator(".toast", has_text="Conversation rules saved")).to_be_visible()
    saved = desk.api.ok(desk.api.get("/api/v1/routing"))
    assert saved["auto_resolve"] == {"idle_seconds": 2700, "message": "Closing this for now."}
    assert saved["csat"] == {"enabled": True, "question": "Did we help?"}

    # saving the rules again keeps them (the form sends what it shows)
    form.get_by_label("Welcome message").fill("Hi!")
    form.get_by_role("button", name="Save rules").click()
    wait_until(lambda: desk.api.ok(desk.api.get("/api/v1/routing"))["welcome_message"] == "Hi!")
    again = desk.api.ok(desk.api.get("/api/v1/routing"))
    assert again["auto_resolve"] == saved["auto_resolve"] and again["csat"] == saved["csat"]

    contact, conv = contact_conversation(desk, "rita", "Rita")
    desk.api.ok(desk.api.patch(f"/api/v1/conversations/{conv['id']}", {"status": "resolved"}))
    open_conversation(desk, conv["id"])
    expect(page.locator("#messages")).to_contain_text("Did we help?")
    details = page.get_by_role("complementary", name="Conversation details")
    expect(details).not_to_contain_text("Rating")
    path = f"/api/v1/conversations/{conv['id']}/rating"
    contact.ok(contact.post(path, {"score": 3, "comment": "ok-ish"}), 201)
    expect(details).to_contain_text("★★★☆☆ 3/5 — “ok-ish”")

    # switching both off
    page.get_by_role("link", name="Settings").click()
    form.get_by_label("Resolve answered conversations that go quiet").uncheck()
    form.get_by_label("Ask the contact for a rating when resolved").uncheck()
    form.get_by_role("button", name="Save rules").click()

    def switched_off() -> bool:
        rules = desk.api.ok(desk.api.get("/api/v1/routing"))
        return rules["auto_resolve"] is None and rules["csat"] is None

    wait_until(switched_off)
