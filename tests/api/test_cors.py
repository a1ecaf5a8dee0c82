"""CORS by app: ``allowed_origins`` decides which websites' browsers may use the widget API.

Browsers send ``Origin`` on every cross-origin request and honour
``Access-Control-Allow-Origin``; these tests send the same headers over HTTP.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.realtime.wsclient import ws_url
from tests.support import Api, Server, assert_error

SHOP = "https://shop.example.com"
EVIL = "https://evil.example.net"


def session(api: Api, origin: str | None, external_id: str = "ann") -> httpx.Response:
    headers = {"Origin": origin} if origin else {}
    body = {"app_id": api.app_id, "external_id": external_id}
    return httpx.post(f"{api.base_url}/api/v1/widget/session", json=body, headers=headers)


def allow(api: Api, origins: list[str] | None) -> dict[str, Any]:
    return api.ok(api.patch("/api/v1/app", {"allowed_origins": origins}))  # type: ignore[no-any-return]


def contact_ids(api: Api) -> list[str]:
    return [c["external_id"] for c in api.ok(api.get("/api/v1/contacts"))["items"]]


def test_allowed_origins_are_validated_and_normalised(api: Api) -> None:
    assert api.ok(api.get("/api/v1/app"))["allowed_origins"] is None  # default: any website
    shown = allow(api, ["HTTPS://Shop.Example.com:443/", "http://localhost:8080", SHOP])
    assert shown["allowed_origins"] == [SHOP, "http://localhost:8080"]
    assert api.ok(api.get("/api/v1/app"))["allowed_origins"] == [SHOP, "http://localhost:8080"]
    for bad in (
        "shop.example.com",
        "ftp://shop.example.com",
        "https://shop.example.com/path",
        "https://shop.example.com?x=1",
        "https://user:pw@shop.example.com",
        "https://shop.example.com:99999",
        "javascript:alert(1)",
        "*",
        "",
    ):
        error = assert_error(api.patch("/api/v1/app", {"allowed_origins": [bad]}), 422)
        assert "allowed_origins" in error["message"], error
    assert_error(api.patch("/api/v1/app", {"allowed_origins": "https://a.example"}), 422)
    assert api.ok(api.get("/api/v1/app"))["allowed_origins"] == [SHOP, "http://localhost:8080"]
    assert allow(api, [])["allowed_origins"] is None
    assert allow(api, [SHOP])["allowed_origins"] == [SHOP]
    assert allow(api, None)["allowed_origins"] is None


def test_any_origin_by_default(api: Api) -> None:
    r = session(api, EVIL)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == "*"  # tokens, never cookies
    assert "origin" in r.headers["vary"].lower()  # another site's answer may differ


def test_widget_session_from_an_origin_not_allowed_is_refused(api: Api) -> None:
    allow(api, [SHOP])
    good = session(api, SHOP, "ann")
    assert good.status_code == 200, good.text
    assert good.headers["access-control-allow-origin"] == "*"

    bad = session(api, EVIL, "mallory")
    error = assert_error(bad, 403, "origin_not_allowed")
    assert error["details"] == {"origin": EVIL}
    assert "access-control-allow-origin" not in bad.headers  # the page cannot even read it
    assert "mallory" not in contact_ids(api)  # nothing was created

    # no Origin (a server, curl) and our own origin (the demo page) are not websites to refuse
    assert session(api, None, "server-side").status_code == 200
    own = session(api, api.base_url, "demo-page")
    assert own.status_code == 200
    # "null" (sandboxed frames, file://) is not an allowed origin either
    assert_error(session(api, "null", "sandboxed"), 403, "origin_not_allowed")


def test_contact_requests_from_an_origin_not_allowed_change_nothing(api: Api) -> None:
    token = session(api, SHOP).json()["token"]
    contact = api.as_token(token)
    conv = contact.ok(contact.post("/api/v1/conversations", {}), 201)
    allow(api, [SHOP])  # set after the token was cached: takes effect at once

    path = f"/api/v1/conversations/{conv['id']}/messages"
    body = {"text": "from the shop"}
    sent = contact.post(path, body, headers={"Origin": SHOP})
    assert sent.status_code == 201, sent.text
    assert sent.headers["access-control-allow-origin"] == "*"

    for method, url, payload in (
        ("POST", path, {"text": "from elsewhere"}),
        ("GET", path, None),
        ("POST", "/api/v1/conversations", {}),
        ("PATCH", f"/api/v1/contacts/{sent.json()['sender']['id']}", {"name": "Mallory"}),
    ):
        r = contact.http.request(method, url, json=payload, headers={"Origin": EVIL})
        assert_error(r, 403, "origin_not_allowed")
        assert "access-control-allow-origin" not in r.headers, (method, url)
    files = {"file": ("a.txt", b"hello", "text/plain")}
    upload = contact.http.post("/api/v1/uploads", files=files, headers={"Origin": EVIL})
    assert_error(upload, 403, "origin_not_allowed")
    assert [m["text"] for m in api.messages(conv["id"])] == ["from the shop"]
    listed = api.ok(api.get("/api/v1/conversations", params={"limit": 100}))["items"]
    assert [c["id"] for c in listed] == [conv["id"]]
    assert api.ok(api.get(f"/api/v1/contacts/{sent.json()['sender']['id']}"))["name"] != "Mallory"

    # an API key (a server, never a visitor's browser) is not held to the widget's origins
    staff = api.http.get("/api/v1/app", headers={"Origin": EVIL})
    assert staff.status_code == 200
    assert staff.headers["access-control-allow-origin"] == "*"

    allow(api, None)  # back to any website
    again = contact.post(path, {"text": "any site again"}, headers={"Origin": EVIL})
    assert again.status_code == 201, again.text


def test_preflight_is_answered_for_any_origin(api: Api) -> None:
    allow(api, [SHOP])
    for origin in (SHOP, EVIL):
        r = httpx.options(
            f"{api.base_url}/api/v1/widget/session",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "*"
        assert "POST" in r.headers["access-control-allow-methods"]
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in r.headers  # tokens, never cookies


def test_contact_socket_from_an_origin_not_allowed_is_closed(api: Api, server: Server) -> None:
    token = session(api, SHOP).json()["token"]
    allow(api, [SHOP])
    with connect(ws_url(server.url, token), origin=SHOP, open_timeout=10) as ws:  # type: ignore[arg-type]
        assert '"ready"' in str(ws.recv(timeout=10))
    with (
        connect(ws_url(server.url, token), origin=EVIL, open_timeout=10) as ws,  # type: ignore[arg-type]
        pytest.raises(ConnectionClosed) as info,
    ):
        ws.recv(timeout=10)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4403, "origin_not_allowed")
