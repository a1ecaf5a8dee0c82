"""Business hours in the dashboard's settings: the app's (with what happens outside them)
and a team's own, a timezone picker, times it cannot read explained. Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support import wait_until
from tests.web.conftest import Desk


def test_app_and_team_hours_are_set_in_the_settings(desk: Desk) -> None:
    page = desk.page
    team = desk.api.ok(desk.api.post("/api/v1/teams", {"name": "Nights"}), 201)
    desk.login()
    page.get_by_role("link", name="Settings").click()
    form = page.locator("#routing-form")
    form.get_by_label("Use business hours").check()
    form.get_by_label("Timezone").select_option("Europe/Berlin")
    form.get_by_label("Monday").fill("09:00-17:00")
    form.get_by_label("Tuesday").fill("09:00-12:00, 13:00-17:00")
    form.get_by_label("Holidays (closed all day)").fill("2026-12-25, 2026-12-26")
    form.get_by_label("Let conversations wait until the desk opens").check()

    form.get_by_label("Wednesday").fill("9 to 5")  # not a time it can read
    form.get_by_role("button", name="Save rules").click()
    expect(form.get_by_role("alert")).to_contain_text("Wednesday: write opening times like")
    assert desk.api.ok(desk.api.get("/api/v1/routing"))["business_hours"] is None

    form.get_by_label("Wednesday").fill("")
    form.get_by_role("button", name="Save rules").click()
    wait_until(lambda: desk.api.ok(desk.api.get("/api/v1/routing"))["business_hours"] is not None)
    saved = desk.api.ok(desk.api.get("/api/v1/routing"))
    assert saved["business_hours"] == {
        "timezone": "Europe/Berlin",
        "weekly": [
            {"day": "mon", "open": "09:00", "close": "17:00"},
            {"day": "tue", "open": "09:00", "close": "12:00"},
            {"day": "tue", "open": "13:00", "close": "17:00"},
        ],
        "holidays": ["2026-12-25", "2026-12-26"],
    }
    assert saved["outside_hours"] == "queue"

    page.get_by_role("link", name="Teams", exact=True).click()
    card = page.get_by_role("form", name="Team Nights")
    card.get_by_label("Own business hours for Nights").check()
    card.get_by_label("Timezone").select_option("Asia/Tokyo")
    card.get_by_label("Saturday").fill("20:00-24:00")
    card.get_by_role("button", name="Save team").click()

    def team_hours() -> object:
        return desk.api.ok(desk.api.get(f"/api/v1/teams/{team['id']}"))["business_hours"]

    wait_until(lambda: team_hours() is not None)
    assert team_hours() == {
        "timezone": "Asia/Tokyo",
        "weekly": [{"day": "sat", "open": "20:00", "close": "24:00"}],
        "holidays": [],
    }
