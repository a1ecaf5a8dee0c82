"""A NUL character anywhere in the input is a clear 4xx and changes nothing.

PostgreSQL cannot store or compare text holding U+0000; before this was checked at the edge,
each of these requests was a 500 on PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.realtime.wsclient import ws_url
from tests.support import Api, assert_error

NUL = "\u0000"


def test_nul_in_json_bodies_is_422_and_stores_nothing(api: Api) -> None:
    conv = api.conversation(message={"text": "first"})
    cid = conv["id"]
    bodies = {
        f"/api/v1/conversations/{cid}/messages": [
            {"sender": {"type": "contact"}, "text": f"a{NUL}b"},
            {"sender": {"type": "contact"}, "text": "ok", "metadata": {"k": f"a{NUL}b"}},
            {"sender": {"type": "contact"}, "text": "ok", "metadata": {f"k{NUL}": 1}},
            {"sender": {"type": "contact"}, "text": "ok", "metadata": {"deep": [{"x": NUL}]}},
        ],
        "/api/v1/conversations": [
            {"contact": {"external_id": f"x{NUL}"}},
            {"contact": {"external_id": "fine"}, "message": {"text": NUL}},
        ],
        "/api/v1/widget/session": [{"app_id": f"{api.app_id}{NUL}", "external_id": "v"}],
        "/api/v1/agents": [{"email": "n@example.com", "name": f"N{NUL}"}],
    }
    for path, items in bodies.items():
        for body in items:
            error = assert_error(api.post(path, body), 422)
            assert "NUL" in str(error), error
    error = assert_error(api.patch(f"/api/v1/conversations/{cid}", {"title": f"t{NUL}"}), 422)
    assert [m["text"] for m in api.messages(cid)] == ["first"]
    assert api.ok(api.get(f"/api/v1/conversations/{cid}"))["title"] != f"t{NUL}"
    assert api.ok(api.get("/api/v1/agents"))["items"] == []
    conversations = api.ok(api.get("/api/v1/conversations"))["items"]
    assert [c["id"] for c in conversations] == [cid]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations/conv%00x",
        "/api/v1/conversations?q=a%00b",
        "/api/v1/contacts?external_id=a%00b",
        "/api/v1/agents/agt%00",
        "/api/v1/uploads/upl%00/x.png",
    ],
)
def test_nul_in_the_url_is_400(api: Api, path: str) -> None:
    assert_error(api.http.get(path), 400, "invalid_character")


def test_nul_in_a_socket_url_is_refused(api: Api) -> None:
    with pytest.raises(InvalidStatus):
        connect(ws_url(api.base_url, f"{api.token}%00"), open_timeout=10).close()
    # a good socket still opens
    with connect(ws_url(api.base_url, api.token), open_timeout=10) as ws:
        assert '"ready"' in str(ws.recv(timeout=10))


def test_a_percent_sign_or_backslash_u_text_is_still_fine(api: Api) -> None:
    conv = api.conversation()
    sent = api.say(conv["id"], "100% sure: \\u0000 is how JSON writes NUL")
    assert sent["text"] == "100% sure: \\u0000 is how JSON writes NUL"
    found = httpx.get(
        f"{api.base_url}/api/v1/conversations",
        params={"q": "100%"},
        headers={"authorization": f"Bearer {api.token}"},
    )
    assert found.status_code == 200
