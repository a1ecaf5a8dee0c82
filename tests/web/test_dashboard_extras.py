"""The dashboard's typing indicator, file attachments and the App settings, in a real browser."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from typing import Any

from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.support import wait_until
from tests.web.conftest import PASSWORD, Desk


def widget_session(desk: Desk, external_id: str, **fields: Any) -> Any:
    """``POST /api/v1/widget/session`` without a bearer token (the app id is public)."""
    body = {"app_id": desk.api.app_id, "external_id": external_id, **fields}
    return desk.api.as_token(None).post("/api/v1/widget/session", body)


def contact_conversation(desk: Desk, external_id: str, name: str) -> tuple[Any, dict[str, Any]]:
    """A contact token and a conversation the contact started (with a first message)."""
    r = widget_session(desk, external_id, name=name)
    contact = desk.api.as_token(desk.api.ok(r)["token"])
    conv = contact.ok(
        contact.post("/api/v1/conversations", {"message": {"text": "Hello, anyone there?"}}), 201
    )
    return contact, conv


def open_conversation(desk: Desk, conversation_id: str) -> None:
    desk.page.goto(f"{desk.url}/#/inbox/all/{conversation_id}")
    expect(desk.page.locator("#messages")).to_contain_text("Hello, anyone there?")


def frames_of(ws: Any, kind: str, seconds: float) -> list[dict[str, Any]]:
    """The frames of one type the socket gets within ``seconds``."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            break
        if frame["type"] == kind:
            found.append(frame)
    return found


def test_contact_typing_shows_live_and_goes_away(desk: Desk) -> None:
    page = desk.page
    contact, conv = contact_conversation(desk, "typist-1", "Chris Customer")
    desk.login()
    open_conversation(desk, conv["id"])
    indicator = page.locator("#typing")
    expect(indicator).to_have_attribute("role", "status")
    expect(indicator).to_have_attribute("aria-live", "polite")
    expect(indicator).to_have_text("")

    # the contact types: the indicator shows, then goes away by itself after ~4 s
    contact.ok(contact.post(f"/api/v1/conversations/{conv['id']}/typing"), 204)
    expect(indicator).to_have_text("Chris Customer is typing…")
    started = time.monotonic()
    expect(indicator).to_have_text("", timeout=8000)
    assert time.monotonic() - started > 2.5

    # typing again, then the message arrives: the indicator goes at once
    contact.ok(contact.post(f"/api/v1/conversations/{conv['id']}/typing"), 204)
    expect(indicator).to_have_text("Chris Customer is typing…")
    contact.ok(
        contact.post(f"/api/v1/conversations/{conv['id']}/messages", {"text": "My order is late"}),
        201,
    )
    expect(page.locator("#messages .msg.from-contact").last).to_contain_text("My order is late")
    expect(indicator).to_have_text("", timeout=1500)

    # the agent's own typing (echoed to agents' sockets) and other conversations show nothing
    other_contact, other = contact_conversation(desk, "typist-2", "Robin")
    other_contact.ok(other_contact.post(f"/api/v1/conversations/{other['id']}/typing"), 204)
    me = desk.api.login(desk.email, PASSWORD)
    me.ok(me.post(f"/api/v1/conversations/{conv['id']}/typing"), 204)
    page.wait_for_timeout(700)
    expect(indicator).to_have_text("")


def test_agent_typing_reaches_the_contact_throttled(desk: Desk) -> None:
    page = desk.page
    contact, conv = contact_conversation(desk, "reader-1", "Chris Customer")
    desk.login()
    open_conversation(desk, conv["id"])
    socket_url = desk.url.replace("http://", "ws://") + f"/api/v1/ws?token={contact.token}"
    with connect(socket_url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        box = page.get_by_label("Reply to the contact")
        box.focus()
        started = time.monotonic()
        box.press_sequentially("Let me check", delay=60)  # about 0.7 s on an idle machine
        elapsed = time.monotonic() - started
        typing = frames_of(ws, "typing", 1.0)
        # at most one POST …/typing per 2 s: one frame per started 2 s window, not one per key
        assert 1 <= len(typing) <= math.ceil(elapsed / 2.0), (elapsed, typing)
        data = typing[0]["data"]
        assert data == {
            "conversation_id": conv["id"],
            "sender": {"type": "agent", "id": desk.admin["id"]},
        }
        # typing on after the 2 s window sends again
        page.wait_for_timeout(1200)
        started = time.monotonic()
        box.press_sequentially(" for you", delay=30)
        elapsed = time.monotonic() - started
        assert 1 <= len(frames_of(ws, "typing", 1.5)) <= math.ceil(elapsed / 2.0)


def test_attach_file_sends_an_attachment_message_and_shows_errors(desk: Desk) -> None:
    page = desk.page
    _, conv = contact_conversation(desk, "files-1", "Chris Customer")
    desk.login()
    open_conversation(desk, conv["id"])

    attach = page.get_by_label("Attach file")
    expect(attach).to_have_attribute("type", "file")
    # keyboard: the file input itself takes focus (its label is the visible button)
    page.get_by_label("Reply to the contact").focus()
    page.keyboard.press("Tab")
    expect(attach).to_be_focused()

    pdf = b"%PDF-1.4\n" + b"0" * 3000
    attach.set_input_files({"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": pdf})
    sent = page.locator("#messages .msg.from-agent .attachment")
    expect(sent).to_contain_text("invoice.pdf")
    expect(sent).to_contain_text("3 KB")
    link = sent.get_by_role("link", name="invoice.pdf")
    assert (link.get_attribute("href") or "").startswith(desk.url + "/api/v1/uploads/")
    expect(attach).to_be_focused()

    def agent_attachments() -> list[dict[str, Any]]:
        return [
            a
            for m in desk.api.messages(conv["id"])
            if m["sender"]["type"] == "agent"
            for a in m["attachments"] or []
        ]

    attachments = wait_until(agent_attachments)
    assert [(a["name"], a["size"], a["mime_type"]) for a in attachments] == [
        ("invoice.pdf", len(pdf), "application/pdf")
    ]
    # the attachment can be fetched by its signed URL
    got = desk.api.as_token(None).get(attachments[0]["url"].removeprefix(desk.url))
    assert got.status_code == 200 and got.content == pdf

    # an unsupported type: 415, the server's message in an error toast, nothing sent
    attach.set_input_files(
        {"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ" + b"\0" * 64}
    )
    toast = page.locator(".toast.error")
    expect(toast).to_contain_text("Could not attach setup.exe")
    expect(toast).to_contain_text("not accepted")
    toast.get_by_role("button", name="Dismiss notification").click()

    # too large (over the default 10 MiB): 413, shown the same way
    big = b"a" * (10 * 1024 * 1024 + 1)
    attach.set_input_files({"name": "huge.txt", "mimeType": "text/plain", "buffer": big})
    expect(toast).to_contain_text("Could not attach huge.txt")
    expect(toast).to_contain_text("larger than")
    assert len(agent_attachments()) == 1
    expect(page.locator("#messages .msg.from-agent .attachment")).to_have_count(1)


def test_app_settings_turn_on_identity_verification(desk: Desk) -> None:
    page = desk.page
    secret = "s3cret-for-hmac-" + "x" * 12
    desk.login()
    page.goto(f"{desk.url}/#/settings/app")
    expect(page.get_by_role("heading", name="App", exact=True)).to_be_visible()
    expect(page.get_by_label("App id")).to_have_value(desk.api.app_id)
    expect(page.get_by_label("App name")).to_have_value("Acme support")
    expect(page.locator("#user-hash-explain")).to_contain_text("HMAC-SHA256")
    expect(page.locator("#user-hash-explain")).to_contain_text("external_id")
    require = page.get_by_label("Require user_hash (identity verification)")
    expect(require).not_to_be_checked()
    secret_input = page.get_by_label("Verification secret")
    expect(secret_input).to_have_attribute("type", "password")

    # without a secret the server refuses (422) and says why
    require.check()
    page.get_by_role("button", name="Save app settings").click()
    expect(page.locator("#app-form .error")).to_contain_text("verification_secret")
    assert widget_session(desk, "anyone").status_code == 200  # still off

    page.get_by_label("App name").fill("Acme help desk")
    secret_input.fill(secret)
    page.get_by_role("button", name="Save app settings").click()
    expect(page.locator(".toast")).to_contain_text("identity verification is on")
    expect(page.get_by_label("Require user_hash (identity verification)")).to_be_checked()
    expect(page.get_by_label("App name")).to_have_value("Acme help desk")
    expect(page.get_by_label("Verification secret")).to_have_value("")

    app = desk.api.ok(desk.api.login(desk.email, PASSWORD).get("/api/v1/app"))
    assert app["name"] == "Acme help desk" and app["require_user_hash"] is True
    assert secret not in json.dumps(app)

    # the widget: no hash → 401 invalid_user_hash; a wrong one too; the right HMAC → 200
    r = widget_session(desk, "visitor-42")
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_user_hash"
    r = widget_session(desk, "visitor-42", user_hash="0" * 64)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_user_hash"
    good = hmac.new(secret.encode(), b"visitor-42", hashlib.sha256).hexdigest()
    r = widget_session(desk, "visitor-42", user_hash=good)
    assert r.status_code == 200 and r.json()["token"]

    # the secret is never shown back: not in the page, not after a reload
    assert secret not in page.content()
    page.reload()
    expect(page.get_by_label("Verification secret")).to_have_value("")
    expect(page.get_by_label("Require user_hash (identity verification)")).to_be_checked()
    assert secret not in page.content()

    # saving again without typing a secret keeps the stored one
    page.get_by_role("button", name="Save app settings").click()
    expect(page.locator(".toast").last).to_contain_text("App settings saved")
    assert widget_session(desk, "visitor-42", user_hash=good).status_code == 200


def test_app_settings_name_the_websites_the_widget_runs_on(desk: Desk) -> None:
    page = desk.page
    desk.login()
    page.goto(f"{desk.url}/#/settings/app")
    websites = page.get_by_label("Websites allowed to run the chat widget")
    expect(websites).to_have_value("")
    websites.fill("https://shop.example.com/path")
    page.get_by_role("button", name="Save app settings").click()
    expect(page.locator("#app-form .error")).to_contain_text("allowed_origins")

    websites.fill("https://Shop.example.com/\nhttp://localhost:8080")
    page.get_by_role("button", name="Save app settings").click()
    expect(page.locator(".toast")).to_contain_text("App settings saved")
    expect(websites).to_have_value("https://shop.example.com\nhttp://localhost:8080")
    app = desk.api.ok(desk.api.get("/api/v1/app"))
    assert app["allowed_origins"] == ["https://shop.example.com", "http://localhost:8080"]
    body = {"app_id": desk.api.app_id, "external_id": "v1"}
    headers = {"Origin": "https://elsewhere.example"}
    refused = desk.api.as_token(None).post("/api/v1/widget/session", body, headers=headers)
    assert refused.status_code == 403

    websites.fill("")  # empty: any website again
    page.get_by_role("button", name="Save app settings").click()
    wait_until(lambda: desk.api.ok(desk.api.get("/api/v1/app"))["allowed_origins"] is None)


def test_inbox_search_finds_by_contact_and_message_text(desk: Desk) -> None:
    page = desk.page
    made = {
        name: desk.api.conversation(
            f"search-{name.lower()}",
            contact={"external_id": f"search-{name.lower()}", "name": name},
            message={"text": text},
        )
        for name, text in [
            ("Dora Doe", "my parcel is stuck in customs"),
            ("Ezra Ek", "how do I change my password"),
            ("Fay Fox", "invoice for March please"),
        ]
    }
    desk.login()
    page.get_by_role("link", name="All", exact=True).click()

    def shown(name: str) -> Any:
        return page.locator(f'.conv-item[data-id="{made[name]["id"]}"]')

    for name in made:
        expect(shown(name)).to_be_visible()
    search = page.get_by_label("Search")
    search.fill("customs")  # only in a message's text: the server finds it
    expect(shown("Dora Doe")).to_be_visible()
    expect(shown("Ezra Ek")).to_have_count(0)
    expect(shown("Fay Fox")).to_have_count(0)
    search.fill("fay")  # the contact's name
    expect(shown("Fay Fox")).to_be_visible()
    expect(shown("Dora Doe")).to_have_count(0)
    search.fill("")
    for name in made:
        expect(shown(name)).to_be_visible()


def test_reading_in_the_dashboard_sets_the_agents_read_mark(desk: Desk) -> None:
    contact, conv = contact_conversation(desk, "seen-1", "Sam Seen")
    first = contact.messages(conv["id"])[-1]

    def agent_mark() -> Any:
        reads = contact.ok(contact.get(f"/api/v1/conversations/{conv['id']}/reads"))["items"]
        return next((r for r in reads if r["reader"]["type"] == "agent"), None)

    assert agent_mark() is None
    desk.login()
    open_conversation(desk, conv["id"])
    # what the agent has on screen is marked read: the contact's widget can show "Seen"
    assert wait_until(lambda: (m := agent_mark()) and m["message_id"] == first["id"])
    later = contact.ok(
        contact.post(f"/api/v1/conversations/{conv['id']}/messages", {"text": "still there?"}), 201
    )
    expect(desk.page.locator("#messages")).to_contain_text("still there?")
    assert wait_until(lambda: (m := agent_mark()) and m["message_id"] == later["id"])
