"""The satisfaction rating in the widget: asked for when the conversation is resolved,
given with stars and a comment, stored for the app (Chromium)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import new_app
from tests.widget.conftest import Visitor


def test_visitor_rates_the_resolved_conversation(
    visit: Callable[..., Visitor], widget_server: Any
) -> None:
    api = new_app(widget_server.url, "rating app")
    api.agent("rae@example.com", name="Rae", status="online")
    api.routing(csat={"enabled": True, "question": "How did Rae do?"})
    v = visit(api)
    v.open()
    page = v.page
    v.send("my invoice is wrong")
    v.wait_message(lambda m: m["text"] == "my invoice is wrong")
    cid = v.conversation_id
    assert page.locator(".rd-rating").count() == 0

    api.ok(api.patch(f"/api/v1/conversations/{cid}", {"status": "resolved"}))
    v.bubble("How did Rae do?").wait_for()
    send = page.locator(".rd-rating-send")
    assert send.is_disabled()  # no stars chosen yet
    page.locator('.rd-star[data-score="4"]').click()
    assert page.locator(".rd-star.rd-on").count() == 4
    page.locator(".rd-rating-comment").fill("quick, but I had to ask twice")
    send.click()
    page.locator(".rd-rated", has_text="Thanks for your rating!").wait_for()

    rating = api.ok(api.get(f"/api/v1/conversations/{cid}/rating"))
    assert rating["score"] == 4 and rating["comment"] == "quick, but I had to ask twice"
    assert page.page_errors == []  # type: ignore[attr-defined]
