"""``relaydesk rotate-secret-key``: a new secret key without downtime, on a real database.

The provider secrets (a Lex secret key, webhook signing secrets, the identity-verification
secret) are saved under key K1. A server on K2 alone cannot read them (the documented
failure: bot turns fail and are handed to the humans). A server on K2 with K1 in
``RELAYDESK_SECRET_KEY_PREVIOUS`` works, and keeps working while the command re-encrypts
everything under K2; afterwards K2 alone is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx
import pytest

from tests import db_rows
from tests.ai_agents import e2e
from tests.fakes.lex_server import FakeLex
from tests.support import Api, Server, assert_error, new_app, wait_until
from tests.webhooks.receiver import Receiver, verify_signature

K1 = "rotation-test-first-key-0b6f0d5e"
K2 = "rotation-test-second-key-9a41c7d2"
K3 = "rotation-test-unrelated-key-5e21"
HOOK_SECRET = "whsec-rotation-test-3f1c9a7e5d"
VERIFY_SECRET = "verify-rotation-test-8c2e6b4a"
REPLY = "Lex answers under any key"


@pytest.fixture()
def lex() -> Iterator[FakeLex]:
    with FakeLex() as fake:
        fake.script("rotation check", v2=[{"contentType": "PlainText", "content": REPLY}])
        yield fake


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _serve(url: str, tmp: Path, key: str, previous: str | None = None) -> Server:
    env = {**e2e.E2E_ENV, "RELAYDESK_LOG_LEVEL": "info", "RELAYDESK_SECRET_KEY": key}
    if previous is not None:
        env["RELAYDESK_SECRET_KEY_PREVIOUS"] = previous
    return Server(database_url=url, workdir=tmp, env=env).start()


def _rotate(url: str, tmp: Path, key: str, previous: str = "", *args: str) -> Any:
    env = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": url,
        "RELAYDESK_SECRET_KEY": key,
        "RELAYDESK_SECRET_KEY_PREVIOUS": previous,
    }
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", "rotate-secret-key", *args],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _on(server: Server, api: Api) -> Api:
    """The same app's client on another server."""
    other = Api(server.url, api.token)
    other.app_id = api.app_id
    return other


def _fetch(server: Server, link: SplitResult) -> httpx.Response:
    """A signed download link, without any token, from this server."""
    return httpx.get(f"{server.url}{link.path}?{link.query}")


def _ciphertexts(url: str) -> dict[tuple[str, str, str], str]:
    """(table, column, row id) → the stored value, for every ``*_enc`` column."""
    found = {}
    for table, rows in db_rows.tables(url).items():
        for row in rows:
            for column, value in row.items():
                if column.endswith("_enc") and value is not None:
                    found[(table, column, str(row["id"]))] = str(value)
    return found


def _set_up(api: Api, lex: FakeLex, receiver: Receiver) -> dict[str, Any]:
    """Secrets of every encrypted kind, some of each so the command works in batches."""
    api.agent(name="Human", status="online")
    config = e2e.lex_config(lex, read_timeout_s=5)
    bots = [e2e.ai_agent(api, "lex_v2", config, name=f"Lex {i}") for i in range(4)]
    for i in range(2):
        body = {"url": f"{receiver.url}/hook{i}", "events": ["conversation.created"]}
        api.ok(api.post("/api/v1/webhooks", {**body, "secret": HOOK_SECRET}), 201)
    api.ok(api.patch("/api/v1/app", {"verification_secret": VERIFY_SECRET}))
    return {"bot": bots[0], "secrets": 1 + len(bots) + 2}


def _works(api: Api, lex: FakeLex, receiver: Receiver, bot: dict[str, Any]) -> None:
    """A Lex turn (decrypted AWS key), a signed delivery and a verified widget session."""
    conv = api.conversation(
        assign_to={"type": "ai_agent", "id": bot["id"]}, message={"text": "rotation check"}
    )
    assert REPLY in [m["text"] for m in e2e.bot_messages(api, conv["id"], 2)]
    delivered = wait_until(
        lambda: [r for r in receiver.requests if conv["id"].encode() in r.body and r.status == 200]
    )
    for r in delivered:
        assert verify_signature(HOOK_SECRET, r.headers["x-relaydesk-signature"], r.body)
    external_id = uuid.uuid4().hex
    user_hash = hmac.new(VERIFY_SECRET.encode(), external_id.encode(), hashlib.sha256)
    session = {"app_id": api.app_id, "external_id": external_id, "user_hash": user_hash.hexdigest()}
    assert api.ok(api.post("/api/v1/widget/session", session))["token"]


def _talk_while_rotating(
    api: Api, bot: dict[str, Any], stop: threading.Event, failures: list[str]
) -> list[str]:
    """Conversations with the Lex bot, one after the other until ``stop``; their ids."""
    talked: list[str] = []
    while not stop.is_set():
        conv = api.conversation(
            assign_to={"type": "ai_agent", "id": bot["id"]}, message={"text": "rotation check"}
        )
        talked.append(conv["id"])
        try:
            e2e.bot_messages(api, conv["id"], 2, timeout=15)
        except AssertionError as exc:
            failures.append(f"{conv['id']}: {exc}; trail {api.trail(conv['id'])}")
    return talked


def test_rotate_secret_key_without_downtime(
    fresh_database: str, tmp_path: Path, lex: FakeLex, receiver: Receiver
) -> None:
    url = fresh_database
    first = _serve(url, tmp_path, K1)
    try:
        api = new_app(first.url)
        made = _set_up(api, lex, receiver)
        bot = made["bot"]
        _works(api, lex, receiver, bot)
        uploaded = api.http.post("/api/v1/uploads", files={"file": ("a.txt", b"hi", "text/plain")})
        link = urlsplit(api.ok(uploaded, 201)["url"])  # signed under K1
    finally:
        first.stop()
    under_k1 = _ciphertexts(url)
    assert len(under_k1) == made["secrets"]

    # K2 alone before rotation: nothing saved under K1 decrypts; turns go to the humans
    k2_only = _serve(url, tmp_path, K2)
    try:
        api = _on(k2_only, api)
        calls = len(lex.calls("RecognizeText"))
        conv = api.conversation(
            assign_to={"type": "ai_agent", "id": bot["id"]}, message={"text": "rotation check"}
        )
        e2e.trail_until(api, conv["id"], "ai_error", timeout=20)
        assert len(lex.calls("RecognizeText")) == calls  # the bot was never called
        # identity verification cannot check a hash: a clear 503, not a crash
        session = {"app_id": api.app_id, "external_id": "x1", "user_hash": "0" * 64}
        assert_error(api.post("/api/v1/widget/session", session), 503, "secret_unreadable")
    finally:
        k2_only.stop()

    # K2 with K1 as previous: works before, during and after the rotation
    both = _serve(url, tmp_path, K2, previous=K1)
    try:
        api = _on(both, api)
        _works(api, lex, receiver, bot)
        assert _fetch(both, link).status_code == 200  # a link signed under K1 still works
        stop = threading.Event()
        failures: list[str] = []
        talked: list[str] = []
        talker = threading.Thread(
            target=lambda: talked.extend(_talk_while_rotating(api, bot, stop, failures))
        )
        talker.start()
        try:
            rotated = _rotate(url, tmp_path, K2, K1, "--batch-size", "2")
        finally:
            stop.set()
            talker.join(60)
        assert rotated.returncode == 0, rotated.stderr
        report = json.loads(rotated.stdout)
        assert report["rotated"] == made["secrets"] and report["unreadable"] == 0, report
        # every encrypted column of the schema is one the command covers
        covered = {(c["table"], c["column"]) for c in report["columns"]}
        assert covered == {tc for tc in db_rows.columns(url) if tc[1].endswith("_enc")}
        assert talked and failures == []  # the bot answered all along
        _works(api, lex, receiver, bot)
        again = _rotate(url, tmp_path, K2, K1)  # idempotent
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["rotated"] == 0
        assert sum(c["already_current"] for c in json.loads(again.stdout)["columns"]) == len(
            under_k1
        )
    finally:
        both.stop()
    under_k2 = _ciphertexts(url)
    assert under_k2.keys() == under_k1.keys()
    assert all(under_k2[k] != under_k1[k] for k in under_k1)  # every value rewritten

    # a key that reads nothing: counted, reported, exit 1, and nothing is changed
    wrong = _rotate(url, tmp_path, K3)
    assert wrong.returncode == 1
    assert json.loads(wrong.stdout)["unreadable"] == made["secrets"]
    assert "could not be decrypted" in wrong.stderr
    assert _ciphertexts(url) == under_k2

    # K2 alone after the rotation: everything works
    last = _serve(url, tmp_path, K2)
    try:
        api = _on(last, api)
        _works(api, lex, receiver, bot)
        # links signed under a key no longer configured stop working (they expire anyway)
        assert_error(_fetch(last, link), 403, "invalid_signature")
    finally:
        last.stop()
