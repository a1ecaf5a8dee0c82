"""Reading a relaydesk database directly (SQLite file or PostgreSQL), as an operator could."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by table name (the Alembic bookkeeping table included)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as conn:
            conn.row_factory = sqlite3.Row
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {n: [dict(r) for r in conn.execute(f'SELECT * FROM "{n}"')] for n in names}
    import asyncpg

    async def read() -> dict[str, list[dict[str, Any]]]:
        conn = await asyncpg.connect(_pg_dsn(url))
        try:
            names = [
                r["table_name"]
                for r in await conn.fetch(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                )
            ]
            return {n: [dict(r) for r in await conn.fetch(f'SELECT * FROM "{n}"')] for n in names}
        finally:
            await conn.close()

    return asyncio.run(read())


def columns(url: str) -> set[tuple[str, str]]:
    """(table, column) of every column of every table."""
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_path(url)) as conn:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {(n, r[1]) for n in names for r in conn.execute(f'PRAGMA table_info("{n}")')}
    import asyncpg

    async def read() -> set[tuple[str, str]]:
        conn = await asyncpg.connect(_pg_dsn(url))
        try:
            rows = await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
            return {(r["table_name"], r["column_name"]) for r in rows}
        finally:
            await conn.close()

    return asyncio.run(read())


def as_text(value: Any) -> str:
    """A stored value as text (bytes decoded), for searching."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)
