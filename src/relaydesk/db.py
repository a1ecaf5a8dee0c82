"""Database engine, sessions, the declarative base and column helpers."""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, event, exc, make_url
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: JSON whose None is SQL NULL (not JSON ``null``), so "switched off" is ``IS NULL``
NullableJSON = JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_last_ms = 0
_last_rand = 0


def new_id(prefix: str) -> str:
    """A time-ordered opaque id (ULID-like, monotonic within the process): ``prefix_…``."""
    global _last_ms, _last_rand
    ms = int(time.time() * 1000)
    if ms <= _last_ms:
        ms = _last_ms
        _last_rand += 1
    else:
        _last_rand = int.from_bytes(os.urandom(10), "big") >> 1
    _last_ms = ms
    n = (ms << 80) | (_last_rand & ((1 << 80) - 1))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[n & 31])
        n >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 10
) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout."""
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        if _loopback_without_ssl_choice(url):
            kwargs["connect_args"] = {"ssl": False}  # no TLS attempt on loopback per connect
    engine = create_async_engine(url, **kwargs)
    if not url.startswith("sqlite"):
        _check_on_checkout(engine)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # aiosqlite's own transaction handling is bypassed: we issue BEGIN ourselves
            # (IMMEDIATE for writers) so that SQLite serializes writers without deadlocks.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # readers take no write lock (WAL lets them run beside the one writer)
            readonly = conn.get_execution_options().get(READONLY, False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


READONLY = "relaydesk_readonly"

#: tables the database keeps for an index of its own, not described by a model (the SQLite
#: FTS5 table of the knowledge base and its shadow tables)
UNMODELLED_PREFIXES = ("knowledge_fts",)


def modelled(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name``: leave out the tables of :data:`UNMODELLED_PREFIXES`."""
    return not (type_ == "table" and (name or "").startswith(UNMODELLED_PREFIXES))


#: a pooled connection idle longer than this is pinged before use
PING_IDLE_S = 1.0


def _loopback_without_ssl_choice(url: str) -> bool:
    parsed = make_url(url)
    chosen = {"ssl", "sslmode"} & set(parsed.query)
    return not chosen and (parsed.host or "localhost") in ("localhost", "127.0.0.1", "::1")


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling without a ping per request.

    A connection whose socket is known closed (the server restarted, the network dropped)
    is replaced at once; one idle longer than ``PING_IDLE_S`` is pinged first. A connection
    in steady use is handed out as it is, saving a round trip on every checkout.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        raw = getattr(dbapi_conn, "_connection", None)
        if raw is not None and raw.is_closed():
            raise exc.DisconnectionError("the connection was closed")
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > PING_IDLE_S:
            try:
                dbapi_conn.ping()
            except Exception as error:
                raise exc.DisconnectionError(str(error)) from error


def make_sessionmaker(
    engine: AsyncEngine, *, readonly: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; ``readonly`` ones never take SQLite's write lock."""
    bind = engine.execution_options(**{READONLY: True}) if readonly else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=True)
