"""Uploads cannot fill the disk: a per-app quota, a contact upload rate of its own, and files
no message ever carried deleted after ``RELAYDESK_UPLOAD_UNATTACHED_TTL_S``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import Server, assert_error, new_app, wait_until
from tests.uploads.test_uploads import contact_api, path_of, unsigned, upload

KIB = 1024
LIMITS = {
    "RELAYDESK_UPLOAD_QUOTA_BYTES_PER_APP": str(10 * KIB),
    "RELAYDESK_RATE_LIMIT_CONTACT_UPLOAD": "3/60",
    "RELAYDESK_UPLOAD_UNATTACHED_TTL_S": "2",
    "RELAYDESK_UPLOAD_SWEEP_S": "0.3",
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("uploads")
    srv = Server(database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}", workdir=tmp, env=LIMITS)
    yield srv.start()
    srv.stop()


def _stored_files(server: Server, app_id: str) -> list[Path]:
    assert server.workdir is not None
    return [p for p in (server.workdir / "uploads" / app_id).rglob("*") if p.is_file()]


def _gone(api: Any, url: str) -> bool:
    """The file answers 404 (a download racing the sweeper may be cut off: not gone yet)."""
    try:
        return api.get(unsigned(url)).status_code == 404
    except httpx.TransportError:
        return False


def test_an_apps_files_stay_within_its_quota(limited: Server) -> None:
    api = new_app(limited.url)
    api.ok(upload(api, "a.txt", b"a" * 6 * KIB, "text/plain"), 201)
    over = upload(api, "b.txt", b"b" * 5 * KIB, "text/plain")  # 11 KiB in all
    assert_error(over, 413, "upload_quota_exceeded")
    api.ok(upload(api, "c.txt", b"c" * 3 * KIB, "text/plain"), 201)  # 9 KiB: fits
    assert_error(upload(api, "d.txt", b"d" * 2 * KIB, "text/plain"), 413, "upload_quota_exceeded")
    other = new_app(limited.url, name="another company")  # the quota is the app's own
    other.ok(upload(other, "e.txt", b"e" * 6 * KIB, "text/plain"), 201)


def test_contacts_upload_at_a_lower_rate(limited: Server) -> None:
    api = new_app(limited.url)
    ann = contact_api(api, "ann")
    for i in range(3):
        ann.ok(upload(ann, f"{i}.txt", b"x", "text/plain"), 201)
    refused = upload(ann, "3.txt", b"x", "text/plain")
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    ann.ok(ann.get("/api/v1/conversations"))  # other requests are not held back
    bob = contact_api(api, "bob")  # the limit is per contact
    bob.ok(upload(bob, "b.txt", b"x", "text/plain"), 201)
    for i in range(5):  # staff uploads are not held to it
        api.ok(upload(api, f"staff-{i}.txt", b"x", "text/plain"), 201)


def test_files_never_attached_are_deleted_and_attached_ones_kept(limited: Server) -> None:
    api = new_app(limited.url)
    ann = contact_api(api, "ann-sweep")
    conversation = ann.ok(ann.post("/api/v1/conversations", {}), 201)
    kept = ann.ok(upload(ann, "kept.pdf", b"%PDF-1.4 kept", "application/pdf"), 201)
    orphan = ann.ok(upload(ann, "orphan.pdf", b"%PDF-1.4 orphan", "application/pdf"), 201)
    assert len(_stored_files(limited, api.app_id)) == 2
    attachment = {k: kept[k] for k in ("url", "name", "size", "mime_type")}
    path = f"/api/v1/conversations/{conversation['id']}/messages"
    ann.ok(ann.post(path, {"attachments": [attachment]}), 201)

    wait_until(lambda: _gone(api, orphan["url"]), timeout=15)
    assert_error(httpx.get(orphan["url"]), 404)  # its signed URL too
    assert len(_stored_files(limited, api.app_id)) == 1  # the bytes went with it
    # long past the time-to-live, the attached file is still there
    assert api.get(path_of(kept["url"])).content == b"%PDF-1.4 kept"
    assert httpx.get(kept["url"]).content == b"%PDF-1.4 kept"


def test_deleted_orphans_free_the_quota(limited: Server) -> None:
    api = new_app(limited.url)
    api.ok(upload(api, "big.txt", b"a" * 9 * KIB, "text/plain"), 201)
    assert_error(upload(api, "more.txt", b"b" * 2 * KIB, "text/plain"), 413)
    wait_until(
        lambda: upload(api, "more.txt", b"b" * 2 * KIB, "text/plain").status_code == 201,
        timeout=15,
        interval=0.5,
    )


def test_an_api_key_cannot_mark_another_apps_file_attached(limited: Server) -> None:
    owner = new_app(limited.url)
    theirs = owner.ok(upload(owner, "theirs.pdf", b"%PDF-1.4 theirs", "application/pdf"), 201)
    other = new_app(limited.url, name="another company")
    conversation = other.conversation()
    attachment = {k: theirs[k] for k in ("url", "name", "size", "mime_type")}
    body = {"sender": {"type": "contact"}, "attachments": [attachment]}
    other.ok(other.post(f"/api/v1/conversations/{conversation['id']}/messages", body), 201)
    wait_until(lambda: _gone(owner, theirs["url"]), timeout=15)
