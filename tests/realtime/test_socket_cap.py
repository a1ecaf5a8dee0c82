"""Open event sockets are capped per token holder and, for an app's contacts, per app: one
more is closed with 4409, and visitors can never crowd out the app's agents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.realtime.wsclient import EventSocket, closed_code, ws_url
from tests.support import Api, Server, new_app

CAPS = {"RELAYDESK_WS_MAX_PER_PRINCIPAL": "2", "RELAYDESK_WS_MAX_CONTACTS_PER_APP": "3"}


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("capped")
    srv = Server(database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}", workdir=tmp, env=CAPS)
    yield srv.start()
    srv.stop()


def _contact_token(api: Api, external_id: str) -> str:
    body = {"app_id": api.app_id, "external_id": external_id}
    r = httpx.post(f"{api.base_url}/api/v1/widget/session", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _refused(server: Server, token: str) -> int:
    from websockets.sync.client import connect

    with connect(ws_url(server.url, token), open_timeout=10) as ws:
        return closed_code(ws)


def test_one_holder_opens_at_most_the_cap(capped: Server) -> None:
    api = new_app(capped.url)
    anna = _contact_token(api, "anna")
    with EventSocket(capped.url, anna), EventSocket(capped.url, anna):
        assert _refused(capped, anna) == 4409
        # the API key is a holder of its own
        with EventSocket(capped.url, api.token or ""), EventSocket(capped.url, api.token or ""):
            assert _refused(capped, api.token or "") == 4409
    # closed sockets free their places
    with EventSocket(capped.url, anna) as again:
        assert again.ready is not None


def test_an_apps_contacts_share_a_cap_that_agents_and_other_apps_do_not(capped: Server) -> None:
    api = new_app(capped.url)
    tokens = [_contact_token(api, f"visitor-{i}") for i in range(4)]
    opened: list[Any] = [EventSocket(capped.url, t) for t in tokens[:3]]
    try:
        assert _refused(capped, tokens[3]) == 4409
        api.agent("kim@example.com", password="kims passphrase", status="online")
        kim = api.login("kim@example.com", "kims passphrase")
        with EventSocket(capped.url, kim.token or "") as agent_socket:  # not crowded out
            conv = api.conversation(external_id="someone-else")
            frame = agent_socket.until(lambda f: f["type"] == "conversation.created")
            assert frame["data"]["id"] == conv["id"]
        other = new_app(capped.url, name="another company")
        with EventSocket(capped.url, _contact_token(other, "visitor-0")) as theirs:
            assert theirs.ready is not None
        opened.pop().close()
        with EventSocket(capped.url, tokens[3]) as fourth:
            assert fourth.ready is not None
    finally:
        for sock in opened:
            sock.close()


def test_the_caps_are_settings(tmp_path: Path) -> None:
    off = {"RELAYDESK_WS_MAX_PER_PRINCIPAL": "0", "RELAYDESK_WS_MAX_CONTACTS_PER_APP": "0"}
    srv = Server(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", workdir=tmp_path, env=off
    ).start()
    try:
        api = new_app(srv.url)
        token = _contact_token(api, "anna")
        sockets = [EventSocket(srv.url, token) for _ in range(25)]  # over the default 20
        assert all(s.ready is not None for s in sockets)
        for sock in sockets:
            sock.close()
    finally:
        srv.stop()
