"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import relaydesk
from tests.support import run_async


def test_migrated_schema_matches_the_models(fresh_database: str, tmp_path: Path) -> None:
    up = relaydesk(fresh_database, "db", "upgrade", cwd=tmp_path)
    assert up.returncode == 0, up.stderr

    async def differences() -> list[object]:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlalchemy.ext.asyncio import create_async_engine

        import relaydesk.models as models
        from relaydesk.db import modelled

        engine = create_async_engine(fresh_database)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(
                            sync, opts={"compare_type": True, "include_name": modelled}
                        ),
                        models.Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    assert run_async(differences) == []
