"""The widget as ES modules: ``/widget.js`` (a classic loader) and ``/widget/<name>.js``.

The modules are served with a JavaScript type and CORS (module scripts are fetched in CORS
mode), nothing outside the static folder is, and a site on another origin runs the widget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.hostpage import serve_page
from tests.support import Api, Server, new_app
from tests.widget.conftest import Visitor

STATIC = Path(__file__).resolve().parents[2] / "src" / "relaydesk" / "widget" / "static"
MODULES = sorted(p.stem for p in (STATIC / "widget").glob("*.js"))
IMPORT = re.compile(r'^import (?:[^"]* from )?"\./([\w-]+)\.js";$', re.M)


def test_every_module_is_served_as_javascript_with_cors(api: Api) -> None:
    assert "main" in MODULES
    for name in MODULES:
        r = httpx.get(f"{api.base_url}/widget/{name}.js", headers={"Origin": "http://shop.test"})
        assert r.status_code == 200, name
        assert r.headers["content-type"] == "text/javascript; charset=utf-8"
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cross-origin-resource-policy"] == "cross-origin"
        assert r.headers["cache-control"] == "public, max-age=300"
        assert r.content == (STATIC / "widget" / f"{name}.js").read_bytes()
    # the header is there without an Origin too (a shared cache may keep that answer)
    plain = httpx.get(f"{api.base_url}/widget/main.js")
    assert plain.headers["access-control-allow-origin"] == "*"


def test_only_module_files_are_served(api: Api) -> None:
    for path in (
        "/widget/nope.js",
        "/widget/Main.js",
        "/widget/.js",
        "/widget/..%2Fapi.js",
        "/widget/%2E%2E%2F%2E%2E%2Fapi.js",
        "/widget/..%2F..%2Fwidget%2Fapi.js",
        "/widget/main.js%00.js",
        "/widget/widget/main.js",
    ):
        r = httpx.get(f"{api.base_url}{path}")
        # a NUL in a URL is refused before routing (400 invalid_character)
        assert r.status_code == (400 if "%00" in path else 404), path
        assert "text/javascript" not in r.headers.get("content-type", ""), path


def test_loader_preloads_exactly_the_modules_and_they_import_without_cycles() -> None:
    loader = (STATIC / "widget.js").read_text(encoding="utf-8")
    listed = re.search(r"const MODULES = \[(.*?)\];", loader, re.S)
    assert listed is not None
    assert sorted(json.loads(f"[{listed.group(1).rstrip().rstrip(',')}]")) == MODULES
    assert "import(" in loader and "export " not in loader  # a classic script

    graph = {
        name: IMPORT.findall((STATIC / "widget" / f"{name}.js").read_text(encoding="utf-8"))
        for name in MODULES
    }
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for target in graph[name]:
            assert target in graph, f"{name} imports a missing module {target}"
            visit(target, (*path, name))
        done.add(name)

    for name in MODULES:
        visit(name, ())
    for name in MODULES:
        lines = (STATIC / "widget" / f"{name}.js").read_text(encoding="utf-8").count("\n")
        assert lines <= 450, name


def test_a_site_on_another_origin_runs_the_widget(browser: Any, widget_server: Server) -> None:
    api = new_app(widget_server.url)
    settings = json.dumps({"appId": api.app_id, "title": "Shop help"})
    # the snippet twice (copied into a template and a page): one widget all the same
    html = f"""<!doctype html><html><head></head><body><h1>Shop</h1>
      <script>window.__inits = 0; window.relaydeskSettings = {settings};
        window.relaydeskSettings.onInit = function () {{ window.__inits += 1; }};</script>
      <script async src="{widget_server.url}/widget.js"></script>
      <script async src="{widget_server.url}/widget.js"></script></body></html>"""
    shop, stop = serve_page(html)
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on(
            "console",
            lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None,
        )
        modules: list[Any] = []
        here = f"{widget_server.url}/widget/"
        page.on("response", lambda r: modules.append(r) if r.url.startswith(here) else None)
        page.goto(shop)
        page.wait_for_function("() => window.relaydesk && window.relaydesk.contact")
        page.wait_for_function("() => window.__inits === 1")
        assert page.evaluate("() => location.origin") != widget_server.url
        assert page.evaluate("() => document.querySelectorAll('#relaydesk-widget').length") == 1

        page.locator(".rd-launcher").click()
        page.wait_for_function("() => window.relaydesk.conversationId")
        assert page.locator(".rd-title").inner_text() == "Shop help"
        page.locator(".rd-input-text").fill("hello from another origin")
        page.locator(".rd-input-text").press("Enter")
        page.locator(".rd-row[data-id] .rd-bubble", has_text="another origin").wait_for()
        cid = page.evaluate("() => window.relaydesk.conversationId")
        assert [m["text"] for m in api.messages(cid) if m["sender"]["type"] == "contact"] == [
            "hello from another origin"
        ]
        page.wait_for_timeout(300)
        assert {r.url.rsplit("/", 1)[1].removesuffix(".js") for r in modules} == set(MODULES)
        assert all(r.status == 200 for r in modules)
        assert problems == []
        assert page.evaluate("() => window.__inits") == 1
    finally:
        context.close()
        stop()


def test_demo_page_widget_starts_without_errors(visit: Callable[..., Visitor]) -> None:
    v = visit()
    v.open()
    v.send("module hello")
    v.bubble("module hello").wait_for()
    v.wait_message(lambda m: m["text"] == "module hello")
    assert v.page.page_errors == []  # type: ignore[attr-defined]
