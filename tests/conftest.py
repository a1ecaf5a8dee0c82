"""Fixtures: one relaydesk server per database backend, a fresh app per test.

Backends: ``sqlite`` always; ``postgres`` when ``RELAYDESK_TEST_DATABASE_URL`` is set
(required in CI). Redis tests need ``RELAYDESK_TEST_REDIS_URL``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    Api,
    PrivateRedis,
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

PG_URL = os.environ.get("RELAYDESK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("RELAYDESK_TEST_REDIS_URL")
IN_CI = os.environ.get("CI") == "true"


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI must set RELAYDESK_TEST_DATABASE_URL")
    if IN_CI and not REDIS_URL:
        raise pytest.UsageError("CI must set RELAYDESK_TEST_REDIS_URL")


def _database_url(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'relaydesk.db'}"
    if not PG_URL:
        pytest.skip("PostgreSQL tests need RELAYDESK_TEST_DATABASE_URL")
    return create_postgres_database(PG_URL)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test."""
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database of the backend, for the whole session."""
    url = _database_url(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield url
    if backend == "postgres":
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running relaydesk server on the backend."""
    srv = Server(database_url=database_url, workdir=tmp_path_factory.mktemp("server")).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: Server) -> Api:
    """A client holding the API key of a new app."""
    return new_app(server.url)


@pytest.fixture
def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of the backend for this test alone (for tests that start their own servers)."""
    url = _database_url(backend, tmp_path)
    yield url
    if backend == "postgres":
        drop_postgres_database(url)


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    """One database for several processes of one test, not per backend: PostgreSQL when it
    is set (where processes really race), else SQLite (for slow multi-process tests)."""
    url = create_postgres_database(PG_URL) if PG_URL else f"sqlite+aiosqlite:///{tmp_path / 'db'}"
    yield url
    if PG_URL:
        drop_postgres_database(url)


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis tests need RELAYDESK_TEST_REDIS_URL")
    return REDIS_URL


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    r = PrivateRedis()
    r.start()
    yield r
    r.kill()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these, Chromium's own connections are refused on a closed network
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str | None:
    """The Chromium to drive: RELAYDESK_CHROMIUM, /usr/bin/chromium, or on the PATH."""
    for candidate in (
        os.environ.get("RELAYDESK_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's path; browser tests are skipped without it, except in CI where they fail."""
    path = chromium_executable()
    if path is None:
        if IN_CI:
            pytest.fail("CI needs Chromium for the browser tests (apt-get install chromium)")
        pytest.skip("browser tests need Chromium: apt-get install chromium, or RELAYDESK_CHROMIUM")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if IN_CI:
            raise
        pytest.skip("browser tests need the playwright package")
    return path


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    """The Playwright driver of one browser test module.

    Module-scoped on purpose: a sync Playwright driver runs an event loop in this thread,
    so two cannot live at once, and while one lives no other test can use asyncio.run.
    """
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="module")
def browser(chromium: str, playwright_driver: Any) -> Iterator[Any]:
    """Headless Chromium for one browser test module."""
    instance = playwright_driver.chromium.launch(
        executable_path=chromium, args=CHROMIUM_ARGS, headless=True
    )
    yield instance
    instance.close()
