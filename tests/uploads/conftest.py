"""A server whose signed upload URLs live one second (for the expiry test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Server


@pytest.fixture
def server_with_short_ttl(database_url: str, tmp_path: Path) -> Iterator[str]:
    srv = Server(
        database_url=database_url, workdir=tmp_path, env={"RELAYDESK_UPLOAD_URL_TTL_S": "3"}
    ).start()
    try:
        yield srv.url
    finally:
        srv.stop()
