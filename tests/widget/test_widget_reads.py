"""Read receipts in the widget: the visitor's own mark, and "Seen" when an agent has read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import new_app, wait_until
from tests.widget.conftest import Visitor


def test_visitor_reads_and_sees_when_the_agent_read(
    visit: Callable[..., Visitor], widget_server: Any
) -> None:
    api = new_app(widget_server.url, "reads app")
    api.agent("rae@example.com", name="Rae", password="rae-password-1", status="online")
    rae = api.login("rae@example.com", "rae-password-1")
    v = visit(api)
    v.open()
    page = v.page
    v.send("is my parcel lost?")
    asked = v.wait_message(lambda m: m["text"] == "is my parcel lost?")
    cid = v.conversation_id
    assert page.locator(".rd-seen").count() == 0  # nobody has read it yet

    # the agent reads: "Seen" appears under the visitor's message, live
    rae.ok(rae.post(f"/api/v1/conversations/{cid}/read"))
    seen = page.locator(f'.rd-row[data-id="{asked["id"]}"] .rd-seen')
    seen.wait_for()
    assert seen.inner_text() == "Seen"

    # the agent answers; the open widget marks it read for the visitor
    answer = rae.ok(rae.post(f"/api/v1/conversations/{cid}/messages", {"text": "Not lost!"}), 201)
    v.bubble("Not lost!").wait_for()

    def visitor_mark() -> Any:
        reads = api.ok(api.get(f"/api/v1/conversations/{cid}/reads"))["items"]
        return next((r for r in reads if r["reader"]["type"] == "contact"), None)

    assert wait_until(lambda: (m := visitor_mark()) and m["message_id"] == answer["id"])
    # after a reload the "Seen" mark is restored from the server
    page.reload()
    v.open()
    page.locator(f'.rd-row[data-id="{asked["id"]}"] .rd-seen').wait_for()
