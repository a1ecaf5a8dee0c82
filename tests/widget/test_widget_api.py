"""The widget's page-facing side: the snippet's settings, ``window.relaydesk``, isolation,
reconnect with catch-up, typing and upload errors."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from tests.support import Api, new_app
from tests.widget.conftest import Visitor


def host_page(app_id: str) -> str:
    """A customer's page embedding the widget with identity, a title and an onInit callback."""
    settings = {
        "appId": app_id,
        "title": "Acme help",
        "user": {"externalId": "customer-42", "name": "Ann", "email": "ann@example.com"},
    }
    return f"""<!doctype html><html><head><style>
      * {{ font-family: "Comic Sans MS" !important; color: red !important; }}
      .rd-bubble {{ display: none !important; }}
    </style></head><body><h1>Shop</h1><script>
      window.__inits = 0;
      window.relaydeskSettings = {json.dumps(settings)};
      window.relaydeskSettings.onInit = function (api) {{
        window.__inits += 1;
        api.updateChatContext({{plan: "pro"}});
      }};
    </script><script async src="/widget.js"></script></body></html>"""


def test_snippet_settings_and_js_api(visit: Callable[..., Visitor], widget_server: Any) -> None:
    api = new_app(widget_server.url)

    def serve_host_page(page: Any) -> None:
        page.route(
            f"{widget_server.url}/shop",
            lambda route: route.fulfill(body=host_page(api.app_id), content_type="text/html"),
        )

    v = visit(api, before_goto=serve_host_page, path="/shop")
    page = v.page
    page.wait_for_function("() => window.__inits === 1")
    contact = api.ok(api.get("/api/v1/contacts", params={"external_id": "customer-42"}))["items"][0]
    assert (contact["name"], contact["email"]) == ("Ann", "ann@example.com")
    assert page.evaluate("() => window.relaydesk.getChatContext()") == {"plan": "pro"}

    page.evaluate("() => window.relaydesk.updateUser({name: 'Ann Lee', email: 'lee@example.com'})")
    page.evaluate("() => window.relaydesk.updateUserLanguage('fr-FR')")
    contact = api.ok(api.get(f"/api/v1/contacts/{contact['id']}"))
    assert (contact["name"], contact["email"], contact["language"]) == (
        "Ann Lee",
        "lee@example.com",
        "fr-FR",
    )

    assert page.locator(".rd-panel").is_hidden()
    page.evaluate("() => window.relaydesk.open()")
    page.locator(".rd-panel").wait_for(state="visible")
    assert page.locator(".rd-title").inner_text() == "Acme help"
    page.wait_for_function("() => window.relaydesk.conversationId")
    v.send("first")
    first = v.wait_message(lambda m: m["text"] == "first")
    assert first["metadata"]["KM_CHAT_CONTEXT"] == {"plan": "pro"}
    page.evaluate("() => window.relaydesk.updateChatContext({page: 'checkout'})")
    page.evaluate("() => window.relaydesk.sendMessage('second')")
    second = v.wait_message(lambda m: m["text"] == "second")
    assert second["metadata"]["KM_CHAT_CONTEXT"] == {"plan": "pro", "page": "checkout"}

    # the host page's CSS does not reach into the widget (Shadow DOM)
    bubble = v.bubble("second")
    assert bubble.is_visible()
    assert bubble.evaluate("(b) => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    assert "Comic" not in bubble.evaluate("(b) => getComputedStyle(b).fontFamily")

    page.evaluate("() => window.relaydesk.close()")
    assert page.locator(".rd-panel").is_hidden()
    assert page.evaluate("() => window.__inits") == 1

    # the same visitor on the next page load resumes the conversation
    conversation_id = v.conversation_id
    page.reload()
    page.wait_for_function("() => window.__inits === 1 && window.relaydesk.conversationId")
    assert v.conversation_id == conversation_id
    page.locator(".rd-launcher").click()
    v.bubble("second").wait_for()


def test_anonymous_visitor_keeps_its_id(visit: Callable[..., Visitor]) -> None:
    v = visit()
    external_id = v.page.evaluate("() => window.relaydesk.contact.external_id")
    assert external_id.startswith("visitor-")
    v.page.reload()
    v.page.wait_for_function("() => window.relaydesk && window.relaydesk.contact")
    assert v.page.evaluate("() => window.relaydesk.contact.external_id") == external_id
    # another browser (another visitor) gets another id
    v.api.routing(welcome_message="Welcome to Acme!", away_message="We are away right now.")
    other = visit(v.api)
    assert other.page.evaluate("() => window.relaydesk.contact.external_id") != external_id
    other.open()  # the app's greeting shows as a system message
    other.page.locator(".rd-system .rd-bubble", has_text=re.compile("Welcome|away")).wait_for()


def test_reconnect_catches_up_and_typing(visit: Callable[..., Visitor]) -> None:
    blocked = {"on": False}
    routes: list[Any] = []

    def handler(ws: Any) -> None:
        if blocked["on"]:
            ws.close(code=1011, reason="test: network down")
            return
        server = ws.connect_to_server()

        # frames go through by hand so that, while the network is "down", nothing the
        # server sends on a socket that is still closing reaches the page
        def to_page(frame: Any) -> None:
            if not blocked["on"]:
                ws.send(frame)

        server.on_message(to_page)
        ws.on_message(server.send)
        routes.append(ws)

    v = visit(before_goto=lambda page: page.route_web_socket(re.compile(r"/api/v1/ws"), handler))
    api: Api = v.api
    agent = api.agent(name="Kim")
    page = v.page
    v.open()
    cid = v.conversation_id

    def agent_says(text: str) -> None:
        body = {"sender": {"type": "agent", "id": agent["id"]}, "text": text}
        api.ok(api.post(f"/api/v1/conversations/{cid}/messages", body), 201)

    agent_says("live one")
    v.bubble("live one").wait_for()
    assert routes

    with page.expect_request(re.compile(r"/typing$")):
        page.locator(".rd-input-text").press_sequentially("hel")

    blocked["on"] = True
    for route in routes:
        route.close(code=1011, reason="test: network down")
    page.locator(".rd-notice", has_text="Reconnecting").wait_for()
    agent_says("while you were away")
    page.wait_for_timeout(1500)
    assert v.bubble("while you were away").count() == 0  # no socket: nothing live
    blocked["on"] = False
    v.bubble("while you were away").wait_for(timeout=20_000)  # fetched by the catch-up
    assert v.bubble("while you were away").count() == 1
    agent_says("live again")
    v.bubble("live again").wait_for()
    assert page.locator(".rd-notice", has_text="Reconnecting").count() == 0


def test_refused_upload_shows_why(visit: Callable[..., Visitor]) -> None:
    v = visit()
    v.open()
    v.page.locator(".rd-file-input").set_input_files(
        {"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90\x00"}
    )
    v.page.locator(".rd-notice.rd-error", has_text="not accepted").wait_for()
    assert all(not m["attachments"] for m in v.api.messages(v.conversation_id))


def test_verified_identity_with_user_hash(
    visit: Callable[..., Visitor], widget_server: Any, browser: Any
) -> None:
    api = new_app(widget_server.url, "verified app")
    secret = "identity-secret-for-the-widget"
    api.ok(api.patch("/api/v1/app", {"require_user_hash": True, "verification_secret": secret}))

    def page_for(external_id: str, user_hash: str) -> str:
        settings = {
            "appId": api.app_id,
            "user": {"externalId": external_id, "name": "Vera", "userHash": user_hash},
        }
        return f"""<!doctype html><html><body><script>
          window.__inits = 0;
          window.relaydeskSettings = {json.dumps(settings)};
          window.relaydeskSettings.onInit = function () {{ window.__inits += 1; }};
        </script><script async src="/widget.js"></script></body></html>"""

    good = hmac.new(secret.encode(), b"vera-1", hashlib.sha256).hexdigest()
    pages = {"/good": page_for("vera-1", good), "/forged": page_for("mallory-1", good)}

    def fulfil_with(html: str) -> Callable[[Any], None]:
        return lambda route: route.fulfill(body=html, content_type="text/html")

    def serve(page: Any) -> None:
        for path, html in pages.items():
            page.route(f"{widget_server.url}{path}", fulfil_with(html))

    # the hash the site's server computed for this visitor opens a session
    v = visit(api, before_goto=serve, path="/good")
    v.page.wait_for_function("() => window.__inits === 1")
    v.open()
    v.send("verified hello")
    v.wait_message(lambda m: m["text"] == "verified hello")
    contacts = api.ok(api.get("/api/v1/contacts", params={"external_id": "vera-1"}))["items"]
    assert [c["name"] for c in contacts] == ["Vera"]

    # someone reusing that hash for another id is refused, visibly, and nothing is created
    context = browser.new_context()
    try:
        forged = context.new_page()
        serve(forged)
        forged.goto(f"{widget_server.url}/forged")
        forged.locator(".rd-launcher").click()
        notice = forged.locator(".rd-notice")
        notice.wait_for(state="visible")
        assert "user_hash" in notice.inner_text()
        assert forged.evaluate("() => window.__inits") == 0
        assert forged.evaluate("() => window.relaydesk.contact") is None
    finally:
        context.close()
    assert api.ok(api.get("/api/v1/contacts", params={"external_id": "mallory-1"}))["items"] == []
