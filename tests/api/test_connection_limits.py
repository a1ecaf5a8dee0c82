"""Bodies capped before they are read, and slow clients cut off, on a real server.

Small limits here: 64 KiB bodies, 256 KiB uploads, request heads within 1 s, bodies
within 2 s, idle keep-alive connections closed after 1 s. These guards sit below the
database, so one SQLite server serves the module.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.rawhttp import Exchange, chunked, exchange, head
from tests.support import Api, Server, new_app

LIMITS = {
    "RELAYDESK_MAX_BODY_BYTES": str(64 * 1024),
    "RELAYDESK_UPLOAD_MAX_BYTES": str(256 * 1024),
    "RELAYDESK_REQUEST_HEADER_TIMEOUT_S": "1",
    "RELAYDESK_REQUEST_BODY_TIMEOUT_S": "2",
    "RELAYDESK_KEEP_ALIVE_S": "1",
}
#: what a client would stream if nobody stopped it
ENDLESS = 256 * 1024 * 1024
MULTIPART = "multipart/form-data; boundary=BB"
PART_HEAD = (
    b'--BB\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("limits")
    srv = Server(database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}", workdir=tmp, env=LIMITS)
    yield srv.start()
    srv.stop()


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return new_app(server.url)


def _refused(got: Exchange, status: int, code: str) -> None:
    assert got.status == status, got
    assert got.error()["code"] == code
    assert got.header("connection") == "close" and got.closed


def _chunked_upload(total: int) -> Iterator[bytes]:
    yield b"%x\r\n%b\r\n" % (len(PART_HEAD), PART_HEAD)
    yield from chunked(total)


def test_a_declared_oversized_body_is_refused_before_any_of_it_is_read(
    server: Server, api: Api
) -> None:
    auth = {"Authorization": f"Bearer {api.token}"}
    for path, kind in (
        ("/api/v1/conversations", "application/json"),
        ("/api/v1/uploads", MULTIPART),
    ):
        first = head("POST", path, {**auth, "Content-Type": kind, "Content-Length": str(ENDLESS)})
        got = exchange(server.port, first)  # not one byte of the body is sent
        _refused(got, 413, "payload_too_large")
    assert "upload limit (256 KiB)" in got.error()["message"]


@pytest.mark.parametrize(
    ("path", "kind", "authorized", "body"),
    [
        ("/api/v1/conversations", "application/json", True, chunked),
        ("/api/v1/widget/session", "application/json", False, chunked),
        ("/api/v1/uploads", MULTIPART, True, _chunked_upload),
    ],
    ids=["json", "json-anonymous", "upload"],
)
def test_an_endless_chunked_body_is_refused_at_the_limit(
    server: Server, api: Api, path: str, kind: str, authorized: bool, body: object
) -> None:
    headers = {"Content-Type": kind, "Transfer-Encoding": "chunked"}
    if authorized:
        headers["Authorization"] = f"Bearer {api.token}"
    got = exchange(server.port, head("POST", path, headers), body(ENDLESS))  # type: ignore[operator]
    _refused(got, 413, "payload_too_large")
    assert got.sent < ENDLESS // 4, "the server answered long before the body ended"


def test_uploads_have_their_own_larger_cap(api: Api) -> None:
    data = b"y" * (200 * 1024)  # over the 64 KiB body limit, under the 256 KiB upload limit
    ok = api.http.post("/api/v1/uploads", files={"file": ("big.txt", data, "text/plain")})
    assert ok.status_code == 201, ok.text
    assert ok.json()["size"] == len(data)
    too_big = b"y" * (256 * 1024 + 1)  # the file's own limit is exact
    refused = api.http.post("/api/v1/uploads", files={"file": ("big.txt", too_big, "text/plain")})
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "file_too_large"


def test_a_route_that_ignores_its_body_answers_and_stops_the_stream(
    server: Server, api: Api
) -> None:
    headers = {"Authorization": f"Bearer {api.token}", "Transfer-Encoding": "chunked"}
    got = exchange(server.port, head("GET", "/api/v1/conversations", headers), chunked(ENDLESS))
    assert got.status == 200 and got.closed
    assert got.header("connection") == "close"  # at once, not when a timeout strikes
    assert got.sent < ENDLESS // 4


def _slow_clients(port: int, token: str) -> dict[str, Exchange]:
    """Three slow clients at once: silent, trickling its head, trickling its body."""
    trickled_head = head("GET", "/healthz", {"X-Padding": "p" * 200})
    body_head = head(
        "POST",
        "/api/v1/conversations",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        | {"Content-Length": "1000"},
    )
    plans = {
        "silent": (b"", [], 0.0),
        "head": (b"", [bytes([c]) for c in trickled_head], 0.1),  # 20+ s at this pace
        "body": (body_head, [b" "] * 1000, 0.05),  # 50 s at this pace
    }
    results: dict[str, Exchange] = {}

    def run(name: str) -> None:
        first, rest, pause = plans[name]
        results[name] = exchange(port, first, rest, pause=pause, wait=15)

    threads = [threading.Thread(target=run, args=(name,)) for name in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_slow_clients_are_cut_off_while_others_are_served(server: Server, api: Api) -> None:
    served: list[int] = []
    stop = threading.Event()

    def others() -> None:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            while not stop.is_set():
                served.append(client.get("/healthz").status_code)
                stop.wait(0.1)

    background = threading.Thread(target=others)
    background.start()
    try:
        results = _slow_clients(server.port, api.token or "")
    finally:
        stop.set()
        background.join(10)
    for name in ("silent", "head"):  # no complete head within 1 s
        got = results[name]
        _refused(got, 408, "request_timeout")
        assert 0.9 <= got.seconds < 4, (name, got)
    got = results["body"]  # a head in time, but not the body within 2 s
    _refused(got, 408, "request_timeout")
    assert 1.9 <= got.seconds < 5, got
    assert served and set(served) == {200}  # everyone else was served meanwhile


def test_an_idle_keep_alive_connection_is_closed(server: Server) -> None:
    first = head("GET", "/healthz", {})
    got = exchange(server.port, first, wait=5)
    assert got.status == 200 and got.closed
    assert 0.9 <= got.seconds < 3, got
