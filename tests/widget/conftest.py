"""Browser fixtures: a relaydesk server on a temp SQLite database, Debian's Chromium headless.

Without /usr/bin/chromium the browser tests are skipped with the reason shown (in CI,
where ``CI=true``, they fail instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import Api, Server, new_app, wait_until

#: the fixed position the geolocation tests share (Lisbon)
POSITION = {"latitude": 38.7223, "longitude": -9.1393}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def widget_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One relaydesk server on a fresh SQLite database for the browser tests."""
    work = tmp_path_factory.mktemp("widget-server")
    srv = Server(database_url=f"sqlite+aiosqlite:///{work / 'relaydesk.db'}", workdir=work)
    srv.start()
    yield srv
    srv.stop()


@dataclass
class Visitor:
    """A browser tab on the demo page of one app, and that app's API client."""

    page: Any
    api: Api

    def open(self) -> None:
        """Open the chat window and wait until the conversation exists."""
        self.page.locator(".rd-launcher").click()
        self.page.locator(".rd-panel").wait_for(state="visible")
        self.page.wait_for_function("() => window.relaydesk && window.relaydesk.conversationId")

    @property
    def conversation_id(self) -> str:
        return str(self.page.evaluate("() => window.relaydesk.conversationId"))

    def send(self, text: str) -> None:
        self.page.locator(".rd-input-text").fill(text)
        self.page.locator(".rd-input-text").press("Enter")

    def bubble(self, text: str) -> Any:
        return self.page.locator(".rd-bubble", has_text=text)

    def wait_message(self, check: Callable[[dict[str, Any]], bool], timeout: float = 10) -> Any:
        """The first stored message of the conversation passing ``check`` (polls the API)."""

        def find() -> Any:
            return next((m for m in self.api.messages(self.conversation_id) if check(m)), None)

        return wait_until(find, timeout=timeout)


#: each violation of the page's CSP as a console line: "csp-violation <directive> <source>"
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) =>
  console.log("csp-violation " + e.effectiveDirective + " " + e.sourceFile + ":" + e.lineNumber))"""


def csp_violation(text: str, violations: list[str]) -> None:
    """Keep a reported violation, except the sanitizer's: parsing untrusted HTML into an
    inert document reports its handlers and styles (blocked, and never attached anyway)."""
    if text.startswith("csp-violation ") and "/widget/sanitize.js:" not in text:
        violations.append(text)


@pytest.fixture
def visit(browser: Any, widget_server: Server) -> Iterator[Callable[..., Visitor]]:
    """``visit(api=None)``: a new visitor (own browser context) on the app's demo page.

    The demo page has a strict Content-Security-Policy (no inline script or style): any
    violation of it fails the test.
    """
    contexts: list[Any] = []
    violations: list[str] = []

    def make(
        api: Api | None = None,
        *,
        before_goto: Callable[[Any], None] | None = None,
        path: str | None = None,
    ) -> Visitor:
        api = api or new_app(widget_server.url)
        context = browser.new_context(
            viewport={"width": 1100, "height": 800},
            geolocation=POSITION,
            permissions=["geolocation"],
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda m: csp_violation(m.text, violations))
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if before_goto is not None:
            before_goto(page)
        page.goto(f"{widget_server.url}{path or f'/widget/demo?app_id={api.app_id}'}")
        page.wait_for_function("() => window.relaydesk && window.relaydesk.contact")
        page.page_errors = errors  # type: ignore[attr-defined]
        return Visitor(page=page, api=api)

    yield make
    for context in contexts:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
