"""Nothing a message carries runs in the dashboard or the widget (Chromium).

Every rich template is sent by a webhook bot (a local fake), by an agent and by a contact,
with markup in every text field (``<img src=x onerror=…>``, ``<script>``) and
``javascript:`` / ``data:`` URLs in every link and image field; so are the names (bot,
agent, contact), the conversation title and the contact's metadata. Both pages are then
opened, every button and link is clicked, and: nothing ran (``window.__xss`` is unset, no
dialog opened), no element has an event-handler attribute or a link or source that is not
http(s), mailto or tel, and the markup shows as the literal text it is.

The widget is embedded on a customer page *without* any Content-Security-Policy, so its own
rendering is what is tested, not the policy of our demo page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.webhook_bot import FakeWebhookBot
from tests.hostpage import serve_page
from tests.support import wait_until
from tests.web.conftest import Desk

SAFE_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
    "HwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
#: the fields each UI shows as text, checked to appear literally (per sender)
SHOWN = [
    "text", "t3.label", "t6.title", "t7.header", "t7.title", "t7.desc", "t7.button",
    "t9.caption", "t10.title", "t10.ext", "t10.sub", "t10.desc", "t10.overlay", "t10.button",
    "t11.link", "t11.reply", "t12.label", "t12.option", "t12.submit", "att.name",
]  # fmt: skip


def evil(tag: str) -> str:
    """Markup that would set ``window.__xss`` if it were ever parsed as HTML."""
    return f"<img src=x onerror=\"window.__xss='{tag}'\"><script>window.__xss='{tag}'</script>"


def bad_urls(tag: str) -> list[str]:
    return [
        f"javascript:window.__xss='{tag}'",
        f"  JaVaScRiPt:window.__xss='{tag}'",
        f"data:text/html,<script>window.__xss='{tag}'</script>",
        f"vbscript:msgbox('{tag}')",
    ]


def bad_image(tag: str, i: int = 0) -> str:
    return [
        f"javascript:window.__xss='{tag}'",
        f"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload=\"alert('{tag}')\"/>",
        f"x\" onerror=\"window.__xss='{tag}'",
    ][i % 3]


def rich(tag: str, template: str, payload: Any) -> dict[str, Any]:
    return {
        "text": evil(f"{tag}.text") if template == "3" else None,
        "metadata": {"contentType": "300", "templateId": template, "payload": payload},
    }


def templates(p: str) -> list[dict[str, Any]]:
    """One message per template, every field poisoned; tags start with ``p`` (the sender)."""

    def e(tag: str) -> str:
        return evil(f"{p}.{tag}")

    def u(i: int) -> str:
        return bad_urls(p)[i % 4]

    def img(i: int) -> str:
        return bad_image(p, i)

    def link(tag: str, i: int) -> dict[str, Any]:
        return {"name": e(tag), "action": {"type": "link", "url": u(i)}}

    def field(kind: str, **data: Any) -> dict[str, Any]:
        return {"type": kind, "data": data}

    return [
        {"text": e("text")},
        rich(p, "3", [{"type": "link", "url": url, "name": e("t3.label")} for url in bad_urls(p)]),
        rich(p, "6", [{"title": e("t6.title"), "message": e("t6.msg")}]),
        rich(p, "7", {
            "headerImgSrc": img(0), "headerText": e("t7.header"),
            "elements": [
                {"imgSrc": img(1), "title": e("t7.title"), "description": e("t7.desc"),
                 "action": {"type": "link", "url": u(0)}},
                {"title": e("t7.title2"), "action": {"url": u(1)}},
            ],
            "buttons": [link("t7.button", 2)],
        }),
        rich(p, "9", [{"url": SAFE_PNG, "caption": e("t9.caption")},
                      {"url": img(1), "caption": e("t9.caption2")}]),
        rich(p, "10", [{
            "title": e("t10.title"), "titleExt": e("t10.ext"), "subtitle": e("t10.sub"),
            "description": e("t10.desc"),
            "header": {"imgSrc": img(2), "overlayText": e("t10.overlay")},
            "buttons": [
                {"name": e("t10.button"), "action": {"type": "link", "payload": {"url": u(3)}}},
                {"name": e("t10.reply"),
                 "action": {"type": "quickReply", "payload": {"message": e("t10.msg")}}},
            ],
        }]),
        rich(p, "11", [
            {"type": "link", "url": u(1), "name": e("t11.link")},
            {"type": "quickReply", "name": e("t11.reply"), "message": e("t11.msg")},
            {"type": "submit", "name": e("t11.submit"), "formAction": u(0), "requestType": "json"},
        ]),
        rich(p, "12", [
            field("text", label=e("t12.label"), placeholder=e("t12.ph")),
            field("radio", title=e("t12.radio"), name="r",
                  options=[{"label": e("t12.option"), "value": e("t12.v")}]),
            field("dropdown", title=e("t12.select"), name="s",
                  options=[{"label": e("t12.opt2"), "value": "a"}]),
            field("hidden", name="h", value=e("t12.hidden")),
            field("submit", name=e("t12.submit"),
                  action={"formAction": u(2), "requestType": "json"}),
        ]),
        rich(p, "14", [{"url": u(0), "source": "youtube", "caption": e("t14.caption")},
                       {"url": u(2), "caption": e("t14.caption2")}]),
        {"attachments": [
            {"url": "https://files.example/logo.svg", "name": e("att.svg"), "size": 10,
             "mime_type": "image/svg+xml"},
            {"url": "https://files.example/a.pdf", "name": e("att.name"), "size": 10,
             "mime_type": "application/pdf"},
        ]},
        {"text": f'<p>fine</p>{e("html")}<a href="{u(0)}">x</a>',
         "metadata": {"messageType": "html"}},
    ]  # fmt: skip


#: what nothing in a message may leave behind, under a list of root nodes
UNSAFE_DOM = """(roots) => {
  const bad = [];
  const ok = /^(https?:|mailto:|tel:|blob:|#)/i;
  const image = /^data:image\\/(png|jpeg|gif|webp);base64,/i;
  const active = ["script", "object", "embed", "base", "iframe", "frame", "meta"];
  const urls = ["href", "src", "action", "formaction", "poster", "data", "xlink:href"];
  for (const el of roots.flatMap((r) => [...r.querySelectorAll("*")])) {
    const tag = el.tagName.toLowerCase();
    if (active.includes(tag)) bad.push(tag);
    if (tag === "img" && /\\.svg(\\?|$)/i.test(el.getAttribute("src") || "")) bad.push("svg img");
    for (const a of el.attributes) {
      const v = a.value.trim();
      if (a.name.startsWith("on") || a.name === "srcdoc") bad.push(tag + " " + a.name);
      if (a.name === "style" && /url\\(/i.test(v)) bad.push(tag + " style url");
      if (urls.includes(a.name) && !ok.test(v) && !image.test(v)) bad.push(`${tag} ${a.name}=${v}`);
    }
  }
  return bad;
}"""
WIDGET = "[document.querySelector('#relaydesk-widget').shadowRoot]"
DASHBOARD = (
    "['conversation-list', 'conversation-pane', 'toasts'].map(document.getElementById, document)"
)


@pytest.fixture
def bot() -> Iterator[FakeWebhookBot]:
    with FakeWebhookBot() as fake:
        yield fake  # type: ignore[misc]


def click_everything(page: Any, selector: str) -> None:
    """Click every link and button under ``selector`` (popups are closed as they open)."""
    for element in page.locator(selector).all():
        if element.is_visible() and element.is_enabled():
            element.click(modifiers=["Control"], timeout=2000, no_wait_after=True)
    page.wait_for_timeout(400)


def assert_safe(page: Any, roots: str, dialogs: list[str], shown: list[str]) -> None:
    """Nothing ran, nothing unsafe is in the DOM under ``roots`` (a JavaScript list), and
    each tag in ``shown`` appears there as literal text."""
    seen = page.evaluate(
        f"() => ({{xss: window.__xss, text: {roots}.map((r) => r.textContent).join(' '), "
        f"unsafe: ({UNSAFE_DOM})({roots})}})"
    )
    assert seen["xss"] is None and dialogs == [], (seen["xss"], dialogs)
    assert seen["unsafe"] == [], seen["unsafe"]
    missing = [tag for tag in shown if evil(tag) not in seen["text"]]
    assert missing == [], f"not shown as literal text: {missing}"


def open_widget(browser: Any, page_html: str) -> tuple[Any, list[str], Any]:
    """A customer's page with the widget, on its own origin: (page, dialogs seen, close)."""
    shop, stop = serve_page(page_html)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    context.on("page", lambda popup: popup.close())
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(shop)
    page.wait_for_function("() => window.relaydesk && window.relaydesk.contact")
    return page, dialogs, lambda: (context.close(), stop())


def test_nothing_in_a_message_runs(desk: Desk, bot: FakeWebhookBot, browser: Any) -> None:
    api = desk.api
    bot.script(
        event="WELCOME",
        reply=[
            {"message": m.get("text"), "metadata": m.get("metadata", {})}
            for m in templates("bot")
            if "attachments" not in m
        ],
    )
    ai = {"name": evil("botname"), "kind": "webhook", "config": {"url": bot.hook_url}}
    ai_id = api.ok(api.post("/api/v1/ai-agents", ai), 201)["id"]
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": [ai_id]})
    agent = api.agent(f"eve.{ai_id}@example.com", name=evil("agentname"), status="online")
    settings = json.dumps({"appId": api.app_id, "openOnLoad": True})
    page, dialogs, close = open_widget(
        browser,
        f"""<!doctype html><body><h1>Shop</h1>
      <script>window.relaydeskSettings = {settings};</script>
      <script async src="{desk.url}/widget.js"></script></body>""",
    )
    try:
        page.wait_for_function("() => window.relaydesk.conversationId")
        cid = page.evaluate("() => window.relaydesk.conversationId")
        contact_id = page.evaluate("() => window.relaydesk.contact.id")
        page.evaluate("(n) => window.relaydesk.updateUser({name: n})", evil("contactname"))
        api.ok(api.patch(f"/api/v1/conversations/{cid}", {"title": evil("title")}))
        api.ok(api.patch(f"/api/v1/contacts/{contact_id}", {"metadata": {"note": evil("meta")}}))
        path = f"/api/v1/conversations/{cid}/messages"
        for sender, tag in (({"type": "agent", "id": agent["id"]}, "agent"),
                            ({"type": "contact"}, "contact")):  # fmt: skip
            for body in templates(tag):
                api.ok(api.post(path, {"sender": sender, **body}), 201)
        page.locator(".rd-input-text").fill(evil("typed"))
        page.locator(".rd-input-text").press("Enter")
        n = len(templates("x"))
        total = (n - 1) + n + n + 1  # the bot's (no attachments), agent's, contact's, typed
        wait_until(lambda: len(api.messages(cid)) >= total, timeout=20)
        rows = ".rd-messages .rd-row[data-id]"
        wait_until(lambda: page.locator(rows).count() >= total, timeout=20)

        widget_shown = [f"{p}.{t}" for p in ("bot", "agent") for t in SHOWN]
        widget_shown.remove("bot.att.name")
        widget_shown += ["contact.text", "typed", "botname", "agentname"]
        assert_safe(page, WIDGET, dialogs, widget_shown)
        click_everything(page, ".rd-messages a, .rd-messages button")
        assert_safe(page, WIDGET, dialogs, ["agent.text", "typed"])
    finally:
        close()

    desk.login()
    dash = desk.page
    dash_dialogs: list[str] = []
    dash.on("dialog", lambda d: (dash_dialogs.append(d.message), d.dismiss()))
    dash.context.on("page", lambda popup: popup.close())
    dash.goto(f"{desk.url}/#/inbox/all/{cid}")
    dash.locator("#messages .msg").nth(total - 1).wait_for()
    dash_shown = [f"{p}.{t}" for p in ("bot", "agent", "contact") for t in SHOWN]
    dash_shown.remove("bot.att.name")
    dash_shown += ["title", "contactname", "botname", "agentname", "typed", "agent.html"]
    assert_safe(dash, DASHBOARD, dash_dialogs, dash_shown)
    click_everything(dash, "#messages a, #messages button, #messages .rich-button")
    assert_safe(dash, DASHBOARD, dash_dialogs, ["agent.text"])
