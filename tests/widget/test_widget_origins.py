"""The widget on a customer's site, when the app names the websites it may run on (Chromium).

With ``allowed_origins`` set, the widget works on a page of an allowed site and does not
start on any other site's page: the session is refused before a contact exists.
"""

from __future__ import annotations

import json
from typing import Any

from tests.hostpage import serve_page
from tests.support import Server, new_app


def shop_page(server: Server, app_id: str) -> str:
    settings = json.dumps({"appId": app_id})
    return f"""<!doctype html><html><body><h1>Shop</h1>
      <script>window.relaydeskSettings = {settings};</script>
      <script async src="{server.url}/widget.js"></script></body></html>"""


def origin_of(url: str) -> str:
    return url.rsplit("/", 1)[0]


def test_the_widget_runs_only_on_the_allowed_site(browser: Any, widget_server: Server) -> None:
    api = new_app(widget_server.url)
    allowed_url, stop_allowed = serve_page(shop_page(widget_server, api.app_id))
    other_url, stop_other = serve_page(shop_page(widget_server, api.app_id))
    api.ok(api.patch("/api/v1/app", {"allowed_origins": [origin_of(allowed_url)]}))
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(allowed_url)
        page.wait_for_function("() => window.relaydesk && window.relaydesk.contact")
        page.locator(".rd-launcher").click()
        page.wait_for_function("() => window.relaydesk.conversationId")
        page.locator(".rd-input-text").fill("hello from the allowed shop")
        page.locator(".rd-input-text").press("Enter")
        page.locator(".rd-row[data-id] .rd-bubble", has_text="allowed shop").wait_for()
        contacts = api.ok(api.get("/api/v1/contacts"))["items"]
        assert len(contacts) == 1

        other = context.new_page()
        refused: list[str] = []  # the answer has no Access-Control-Allow-Origin: unreadable
        other.on(
            "requestfailed",
            lambda r: refused.append(r.method) if r.url.endswith("/widget/session") else None,
        )
        other.goto(other_url)
        other.locator(".rd-notice.rd-error").wait_for(state="attached")
        assert refused == ["POST"]
        assert other.evaluate("() => window.relaydesk && window.relaydesk.contact") is None
        assert api.ok(api.get("/api/v1/contacts"))["items"] == contacts  # nobody new
    finally:
        context.close()
        stop_allowed()
        stop_other()
