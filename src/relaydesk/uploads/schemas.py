"""Upload responses: what a message attachment needs."""

from __future__ import annotations

from relaydesk.schemas import Out


class UploadOut(Out):
    """A stored file: ``url`` is signed and expires; usable as a message attachment."""

    id: str
    url: str
    name: str
    size: int
    mime_type: str
    expires_at: int
