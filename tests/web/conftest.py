"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against one sqlite server.

The dashboard is tested on SQLite only: the API tests already cover both databases. Without
Chromium (``RELAYDESK_CHROMIUM`` or ``/usr/bin/chromium``) the tests are skipped with a
reason, except in CI where they are required.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import ROOT, Api, Server, new_app

#: set to a true value to (re)write docs/screenshots/*.png while the tests run
SCREENSHOTS = os.environ.get("RELAYDESK_SCREENSHOTS", "") not in ("", "0", "false")
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def web_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A relaydesk server on its own sqlite file, for the browser tests."""
    tmp = tmp_path_factory.mktemp("web")
    server = Server(database_url=f"sqlite+aiosqlite:///{tmp / 'web.db'}", workdir=tmp).start()
    yield server
    server.stop()


@dataclass
class Desk:
    """A fresh app with an admin agent, and helpers to drive the dashboard."""

    server: Server
    api: Api
    admin: dict[str, Any]
    email: str
    page: Any

    @property
    def url(self) -> str:
        return self.server.url

    def login(self, email: str | None = None, password: str = PASSWORD) -> None:
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.url + "/")
        page.get_by_label("Email").fill(email or self.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#connection")).to_have_attribute("data-state", "live")

    def shot(self, name: str, *, height: int | None = None) -> None:
        """Save docs/screenshots/<name>.png when screenshots were asked for.

        ``height`` takes the picture in a taller window (the panes scroll inside the page).
        """
        if not SCREENSHOTS:
            return
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        if height and size:
            self.page.set_viewport_size({"width": size["width"], "height": height})
        self.page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))
        if height and size:
            self.page.set_viewport_size(size)

    def agent(self, name: str, status: str = "online", **fields: Any) -> dict[str, Any]:
        email = f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:6]}@example.com"
        return self.api.agent(email, name=name, password=PASSWORD, status=status, **fields)


@pytest.fixture
def desk(web_server: Server, browser: Any, request: pytest.FixtureRequest) -> Iterator[Desk]:
    """A new app, its admin "Dana Admin" (online), and a page at laptop size."""
    api = new_app(web_server.url, name="Acme support")
    email = f"dana.{uuid.uuid4().hex[:6]}@example.com"
    admin = api.agent(email, name="Dana Admin", password=PASSWORD, role="admin", status="online")
    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    context.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield Desk(server=web_server, api=api, admin=admin, email=email, page=page)
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"
