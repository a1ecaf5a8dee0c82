"""What every answer tells the browser: nosniff, a referrer policy, a CSP; no inline script.

The pages (dashboard, widget demo) are checked as served: their HTML holds no inline
script or event handler, and their policy forbids inline script, plugins and ``<base>``.
"""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from tests.support import Api


class InlineCode(HTMLParser):
    """Inline ``<script>`` bodies and ``on*=`` attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.found += [f"<{tag} {k}>" for k in names if k.startswith("on")]
        self.found += [f"<{tag} href=javascript:>" for v in names.values() if _js(v)]
        self._in_script = tag == "script" and "src" not in names
        if self._in_script:
            self.found.append("<script> without src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def _js(value: str | None) -> bool:
    return (value or "").strip().lower().startswith("javascript:")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_strict_page(r: httpx.Response) -> dict[str, list[str]]:
    """A page whose policy allows no inline or foreign script."""
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] in (
        "no-referrer",
        "same-origin",
        "strict-origin-when-cross-origin",
    )
    policy = directives(r.headers["content-security-policy"])
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, scripts
    assert not any(s in ("*", "http:", "https:", "data:", "blob:") for s in scripts), scripts
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert inline_code(r.text) == []
    return policy


def test_the_dashboard_is_strict_and_never_framed(api: Api) -> None:
    r = httpx.get(f"{api.base_url}/")
    policy = assert_strict_page(r)
    assert policy["frame-ancestors"] == ["'none'"]
    assert r.headers["x-frame-options"] == "DENY"
    assert policy["script-src"] == ["'self'"]


def test_the_widget_demo_page_is_strict_and_framable_by_the_allowed_sites(api: Api) -> None:
    url = f"{api.base_url}/widget/demo?app_id={api.app_id}"
    policy = assert_strict_page(httpx.get(url))
    assert policy["frame-ancestors"] == ["*"]  # any site, like the widget itself
    api.ok(api.patch("/api/v1/app", {"allowed_origins": ["https://shop.example.com"]}))
    r = httpx.get(url)
    policy = assert_strict_page(r)
    assert policy["frame-ancestors"] == ["'self'", "https://shop.example.com"]
    assert "x-frame-options" not in r.headers


def test_every_answer_is_nosniff_with_a_referrer_policy(api: Api) -> None:
    base = api.base_url
    answers = {
        "json": api.get("/api/v1/app"),
        "error": httpx.get(f"{base}/api/v1/app"),
        "unknown route": httpx.get(f"{base}/no/such/page"),
        "validation": api.post("/api/v1/conversations", {"nope": 1}),
        "openapi": httpx.get(f"{base}/openapi.json"),
        "health": httpx.get(f"{base}/readyz"),
        "loader": httpx.get(f"{base}/widget.js"),
        "module": httpx.get(f"{base}/widget/main.js"),
        "dashboard asset": httpx.get(f"{base}/static/dashboard/js/app.js"),
        "preflight": httpx.options(
            f"{base}/api/v1/app",
            headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
        ),
        "demo 404": httpx.get(f"{base}/widget/demo?app_id=app_nope"),
    }
    for name, r in answers.items():
        assert r.headers.get("x-content-type-options") == "nosniff", name
        assert r.headers.get("referrer-policy") == "strict-origin-when-cross-origin", name
        assert "content-security-policy" in r.headers, name
    # the API's answers do nothing and may not be framed if opened as a page
    for name in ("json", "error", "unknown route", "validation", "openapi"):
        policy = directives(answers[name].headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"], name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert answers[name].headers["x-frame-options"] == "DENY", name
