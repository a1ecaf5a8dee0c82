"""Soak: 3 processes on PostgreSQL and Redis under steady traffic for 60 s (see soak.py).

``bench/soak.py --minutes N`` runs the same scenario for longer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.faults import soak
from tests.support import create_postgres_database, drop_postgres_database

REDIS_URL = os.environ.get("RELAYDESK_TEST_REDIS_URL")


@pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="the soak needs PostgreSQL and Redis")
def test_a_minute_of_steady_traffic_on_three_processes_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    assert PG_URL and REDIS_URL
    seconds = float(os.environ.get("RELAYDESK_SOAK_SECONDS", "60"))
    url = create_postgres_database(PG_URL)
    try:
        outcome = soak.run(url, REDIS_URL, tmp_path, soak.Load(seconds=seconds))
    finally:
        drop_postgres_database(url)
    for name, value in soak.summary(outcome):
        print(f"{name:32} {value}")
    assert soak.check(outcome) == []
    # the run did what it says: traffic of both kinds, status changes, every process used
    assert sum(a["bot"] for a in outcome.acknowledged) >= seconds * 5
    assert sum(not a["bot"] for a in outcome.acknowledged) >= seconds * 5
    assert outcome.status_changes >= seconds / 4
    assert len(outcome.frames) == 3
