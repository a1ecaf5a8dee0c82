"""The dashboard's page and static files over plain HTTP (no browser needed)."""

from __future__ import annotations

import httpx

from tests.support import Server


def test_dashboard_shell_has_a_strict_csp_and_no_inline_script(server: Server) -> None:
    r = httpx.get(server.url + "/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "<script>" not in r.text and " on" + "click=" not in r.text
    assert '<script type="module" src="/static/dashboard/js/app.js' in r.text


def test_static_files_are_served_and_nothing_outside_them(server: Server) -> None:
    js = httpx.get(server.url + "/static/dashboard/js/app.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    css = httpx.get(server.url + "/static/dashboard/css/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for path in (
        "/static/dashboard/../api.py",
        "/static/dashboard/%2e%2e/api.py",
        "/static/dashboard/..%2f..%2fconfig.py",
        "/static/dashboard/js/nope.js",
        "/static/dashboard/",
    ):
        r = httpx.get(server.url + path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
