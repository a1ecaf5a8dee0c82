"""Re-encrypting every stored secret under the current secret key (``rotate-secret-key``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk import stored_secrets
from relaydesk.events import commit
from relaydesk.security import SecretBox
from relaydesk.stored_secrets import Tally


async def rotate_secret_key(
    session: AsyncSession,
    box: SecretBox,
    *,
    batch_size: int = 200,
    progress: Callable[[Tally], None] | None = None,
) -> list[Tally]:
    """Rewrite every ciphertext not under the current key, one short transaction per batch
    (servers keep serving meanwhile); idempotent. Secrets no key of ``box`` reads are
    counted and left alone."""
    tallies = []
    for column in stored_secrets.ENCRYPTED:
        tally = Tally(table=column.table.name, column=column.name)
        after: str | None = ""
        while after is not None:
            after = await stored_secrets.rotate_batch(
                session, box, column, tally, after=after, limit=batch_size
            )
            await commit(session, None)
            if progress is not None:
                progress(tally)
        tallies.append(tally)
    return tallies
