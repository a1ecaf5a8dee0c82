"""Uploaded files: type checks, local-disk storage under random keys, signed URLs."""

from __future__ import annotations

import asyncio
import builtins
import mimetypes
import re
import secrets
import time
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import UploadFile
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.apps.models import App
from relaydesk.config import Settings
from relaydesk.db import new_id, utcnow
from relaydesk.errors import PayloadTooLarge, UnsupportedMediaType
from relaydesk.security import SecretBox
from relaydesk.uploads.models import Upload

CHUNK = 1024 * 1024
#: image types a browser renders inline without running anything (SVG can carry scripts)
INLINE_IMAGES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
)
#: what a browser may treat as a page or a script (markup, XML, code), whatever the name
_ACTIVE = re.compile(
    r"^(text/(html|xml|xsl|javascript|ecmascript|css)|image/svg\+xml|"
    r"application/(xhtml\+xml|xml|javascript|ecmascript|x-javascript|wasm)|.*\+xml)$"
)
#: the upload id in a download URL of ours (``…/api/v1/uploads/<id>/<name>…``)
_DOWNLOAD_PATH = re.compile(r"/api/v1/uploads/(upl_[0-9A-Za-z]{1,36})/")
#: the longest type the uploads table holds; a longer one is no type anybody uses
MAX_TYPE_CHARS = 120
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

#: (magic prefix, type) for formats whose first bytes are cheap and reliable to recognise
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
]
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<head", b"<body", b"<iframe")
#: sniffed types that are refused whatever the client declared
_DISGUISED = frozenset({"application/x-msdownload", "application/x-executable", "text/html"})


def normalise_type(content_type: str | None, filename: str) -> str:
    """The declared type without parameters, else a guess from the name."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if (
        not declared
        or declared == "application/octet-stream"
        or len(declared) > MAX_TYPE_CHARS
        or not _MIME.match(declared)
    ):
        declared = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return declared


def sniff(head: bytes) -> str | None:
    """The type the first bytes clearly show, or None when they show nothing decisive."""
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"
    lowered = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return "image/svg+xml"
    if any(lowered.startswith(m) for m in _HTML_MARKERS):
        return "text/html"
    return None


def _is_declared_image(declared: str, head: bytes, found: str | None) -> bool:
    if declared == "image/bmp":
        return head.startswith(b"BM")
    return found == declared


def check_type(declared: str, head: bytes) -> str:
    """The type to store; refuses images whose bytes are not that image (415)."""
    found = sniff(head)
    if declared in INLINE_IMAGES or declared == "image/svg+xml":
        if not _is_declared_image(declared, head, found):
            raise UnsupportedMediaType(
                f"The file's content is not {declared}.", code="content_type_mismatch"
            )
        return declared
    if found in _DISGUISED or (found is not None and declared.startswith(("text/", "image/"))):
        return found  # a program, a web page or another image under an innocent type
    return declared


def is_active(mime_type: str) -> bool:
    """Whether a browser could run a file of this type (HTML, SVG, XML, scripts)."""
    return bool(_ACTIVE.match(mime_type))


def type_allowed(mime_type: str, allowed: str) -> bool:
    """Whether ``mime_type`` matches the comma-separated allow-list (``image/*``, ``*/*``)."""
    major = mime_type.split("/", 1)[0]
    for pattern in (p.strip().lower() for p in allowed.split(",")):
        if not pattern:
            continue
        if pattern in ("*", "*/*") or pattern == mime_type:
            return True
        if pattern.endswith("/*") and pattern[:-2] == major:
            return True
    return False


def clean_name(filename: str | None) -> str:
    """A display name: the last path part, no control or separator characters, ≤255 chars."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        name = "file"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) < 20 else name[:255]
    return name


def storage_path(settings: Settings, upload: Upload) -> Path:
    """Where the bytes live: ``<upload_dir>/<app id>/<random key>`` (never the client's name)."""
    return Path(settings.upload_dir) / upload.app_id / upload.storage_key


def _signed_message(upload_id: str, exp: int) -> str:
    return f"upload:{upload_id}:{exp}"


def signed_url(box: SecretBox, base_url: str, upload: Upload, *, ttl_s: int) -> tuple[str, int]:
    """The download URL carrying ``exp`` and ``sig``, and its expiry (unix seconds)."""
    exp = int(time.time()) + ttl_s
    sig = box.sign(_signed_message(upload.id, exp))
    path = f"/api/v1/uploads/{upload.id}/{quote(upload.name, safe='')}"
    return f"{base_url.rstrip('/')}{path}?exp={exp}&sig={sig}", exp


def signature_valid(box: SecretBox, upload_id: str, exp: str, sig: str) -> tuple[bool, str]:
    """(ok, reason): a signature made by us for this upload, not yet expired."""
    try:
        expires = int(exp)
    except ValueError:
        return False, "invalid_signature"
    if not box.verify(_signed_message(upload_id, expires), sig.lower()):
        return False, "invalid_signature"
    if expires < time.time():
        return False, "url_expired"
    return True, ""


async def get_signed(session: AsyncSession, *, upload_id: str, name: str) -> Upload | None:
    """The file a valid signed URL names (the signature is the permission)."""
    return await session.scalar(select(Upload).where(Upload.id == upload_id, Upload.name == name))


async def get_visible(
    session: AsyncSession, *, app_id: str, upload_id: str, name: str, contact_id: str | None
) -> Upload | None:
    """The app's file, found by id and app in one statement (a contact's: only its own)."""
    query = select(Upload).where(
        Upload.id == upload_id, Upload.name == name, Upload.app_id == app_id
    )
    if contact_id is not None:
        query = query.where(Upload.uploader_type == "contact", Upload.uploader_id == contact_id)
    return await session.scalar(query)


async def store(
    session: AsyncSession,
    settings: Settings,
    *,
    app_id: str,
    file: UploadFile,
    uploader_type: str,
    uploader_id: str | None,
) -> Upload:
    """Check and write the file, then add its row (the caller commits)."""
    name = clean_name(file.filename)
    head = await file.read(4096)
    await file.seek(0)
    mime_type = check_type(normalise_type(file.content_type, name), head)
    if not type_allowed(mime_type, settings.upload_allowed_types):
        raise UnsupportedMediaType(
            f"Files of type {mime_type} are not accepted.",
            code="unsupported_file_type",
            details={"mime_type": mime_type, "allowed": settings.upload_allowed_types},
        )
    upload = Upload(
        id=new_id("upl"),
        app_id=app_id,
        name=name,
        size=0,
        mime_type=mime_type,
        storage_key=secrets.token_hex(20),
        uploader_type=uploader_type,
        uploader_id=uploader_id,
    )
    path = storage_path(settings, upload)
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    size = 0
    try:
        with path.open("xb") as out:
            while chunk := await file.read(CHUNK):
                size += len(chunk)
                if size > settings.upload_max_bytes:
                    raise PayloadTooLarge(
                        f"The file is larger than {settings.upload_max_bytes} bytes.",
                        code="file_too_large",
                    )
                await asyncio.to_thread(out.write, chunk)
        # the quota is read only now: on SQLite the first statement takes the write lock,
        # which should not wait on the copy to disk
        await _check_quota(session, settings, app_id=app_id, size=size)
        upload.size = size
        session.add(upload)
        await session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return upload


async def _check_quota(
    session: AsyncSession, settings: Settings, *, app_id: str, size: int
) -> None:
    """413 ``upload_quota_exceeded`` when ``size`` more bytes would pass the app's quota."""
    quota = settings.upload_quota_bytes_per_app
    if quota <= 0:
        return
    # one app's uploads take turns here (the app's row), so racing ones cannot all fit
    await session.execute(select(App.id).where(App.id == app_id).with_for_update())
    used = await session.scalar(
        select(func.coalesce(func.sum(Upload.size), 0)).where(Upload.app_id == app_id)
    )
    if int(used or 0) + size > quota:
        raise _quota_exceeded(settings)


def _quota_exceeded(settings: Settings) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The app's files would take more than its quota of "
        f"{settings.upload_quota_bytes_per_app} bytes.",
        code="upload_quota_exceeded",
    )


async def mark_attached(session: AsyncSession, *, app_id: str, urls: list[str]) -> None:
    """Note that a message carries these files of the app (kept: no longer swept)."""
    ids = {m.group(1) for url in urls if (m := _DOWNLOAD_PATH.search(url))}
    if ids:
        await session.execute(
            update(Upload)
            .where(Upload.app_id == app_id, Upload.id.in_(ids), Upload.attached_at.is_(None))
            .values(attached_at=utcnow())
        )


async def unattached(
    session: AsyncSession, *, created_before: datetime, limit: int
) -> builtins.list[Upload]:
    """Files no message carries that are older than ``created_before``, oldest first."""
    query = (
        select(Upload)
        .where(Upload.attached_at.is_(None), Upload.created_at < created_before)
        .order_by(Upload.created_at)
        .limit(limit)
    )
    return builtins.list(await session.scalars(query))


async def delete_unattached(session: AsyncSession, *, ids: builtins.list[str]) -> set[str]:
    """Remove those rows still attached to no message; the ids removed (the caller removes
    the bytes once that is committed)."""
    if not ids:
        return set()
    result = await session.execute(
        delete(Upload).where(Upload.id.in_(ids), Upload.attached_at.is_(None)).returning(Upload.id)
    )
    return set(result.scalars())
