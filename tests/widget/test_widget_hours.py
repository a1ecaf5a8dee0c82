"""Outside business hours the widget says when people are back, in the visitor's time;
inside them it says nothing (Chromium; the server clock set by its documented setting)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import Server, new_app

SATURDAY_NOON_UTC = datetime.fromisoformat("2026-12-05T12:00:00+00:00").timestamp()
OFFICE = {
    "timezone": "Europe/Berlin",
    "weekly": [{"day": d, "open": "09:00", "close": "17:00"} for d in ("mon", "tue", "wed")],
}


@pytest.fixture()
def saturday(chromium: str, tmp_path: Path) -> Iterator[Server]:
    env = {"RELAYDESK_TEST_CLOCK_OFFSET_S": str(SATURDAY_NOON_UTC - time.time())}
    srv = Server(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db'}", workdir=tmp_path, env=env)
    yield srv.start()
    srv.stop()


def _visit(browser: Any, srv: Server, app_id: str) -> Any:
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    page.goto(f"{srv.url}/widget/demo?app_id={app_id}")
    page.wait_for_function("() => window.relaydesk && window.relaydesk.contact")
    page.locator(".rd-launcher").click()
    return page


def test_the_widget_says_when_the_desk_opens_again(browser: Any, saturday: Server) -> None:
    api = new_app(saturday.url)
    api.routing(business_hours=OFFICE)
    page = _visit(browser, saturday, api.app_id)
    # Monday 09:00 in Berlin is 03:00 in New York
    expect(page.locator(".rd-away")).to_have_text(
        "We're away right now. We'll be back Monday 03:00 AM."
    )

    always = new_app(saturday.url, name="always open")
    page = _visit(browser, saturday, always.app_id)
    page.locator(".rd-panel").wait_for(state="visible")
    page.wait_for_timeout(500)
    expect(page.locator(".rd-away")).to_be_hidden()
