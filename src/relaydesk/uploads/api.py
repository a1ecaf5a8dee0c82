"""``/api/v1/uploads``: store a file, serve it by signed URL or to the app's own callers."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse

from relaydesk.actions import access
from relaydesk.deps import (
    AppPrincipal,
    BrokerDep,
    SecretBoxDep,
    SessionDep,
    SettingsDep,
    bearer_token,
    resolve_token,
)
from relaydesk.errors import Forbidden, NotFound, Unauthorized, error_responses
from relaydesk.uploads import service
from relaydesk.uploads.models import Upload
from relaydesk.uploads.schemas import UploadOut

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

#: served files never run anything on our origin, even when opened directly: only safe
#: images inline, everything else as an attachment, in a sandbox
FILE_CSP = (
    "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)


def _base_url(request: Request, public_url: str | None) -> str:
    return (public_url or str(request.base_url)).rstrip("/")


#: the file part's types the default ``RELAYDESK_UPLOAD_ALLOWED_TYPES`` accepts (a sample)
_FILE_TYPES = {"file": {"contentType": "text/plain, text/csv"}}


@router.post(
    "",
    status_code=201,
    response_model=UploadOut,
    responses=error_responses(415),
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"encoding": _FILE_TYPES}}}},
)
async def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="The file to store.")],
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    broker: BrokerDep,
    principal: AppPrincipal,
) -> UploadOut:
    """Store a file (size, type and quota limits from settings); answers a signed, expiring
    URL. A file no message carries within ``upload_unattached_ttl_s`` is deleted."""
    if principal.kind == "contact":  # anyone can be a contact: uploads are limited apart
        await request.app.state.limiter.check("contact_upload", principal.id or "")
    row = await access.store_upload(
        session, broker, settings=settings, principal=principal, file=file
    )
    url, exp = service.signed_url(
        box, _base_url(request, settings.public_url), row, ttl_s=settings.upload_url_ttl_s
    )
    out = UploadOut(
        id=row.id, url=url, name=row.name, size=row.size, mime_type=row.mime_type, expires_at=exp
    )
    return out


@router.get(
    "/{upload_id}/{name}", response_class=FileResponse, responses=error_responses(401, 403, 503)
)
async def download(
    upload_id: str,
    name: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    exp: Annotated[str | None, Query(max_length=20)] = None,
    sig: Annotated[str | None, Query(max_length=128)] = None,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> FileResponse:
    """The file: for anyone with a valid signed URL, else for the app's staff and uploader."""
    row_id = upload_id[:40]
    signed_problem = ""
    if exp is not None or sig is not None:
        ok, signed_problem = service.signature_valid(box, upload_id, exp or "", sig or "")
        if ok:
            signed = await service.get_signed(session, upload_id=row_id, name=name)
            if signed is None:
                raise NotFound("No such file.")
            return _file_response(settings, signed)
    principal = await resolve_token(session, settings, bearer_token(request) or token)
    if principal is None:
        if signed_problem == "url_expired":
            raise Forbidden("This link has expired.", code="url_expired")
        if signed_problem:
            raise Forbidden("This link's signature is not valid.", code="invalid_signature")
        raise Unauthorized("A signed URL or a valid token is required.", code="invalid_token")
    row = await service.get_visible(
        session,
        app_id=principal.app_id or "",
        upload_id=row_id,
        name=name,
        contact_id=principal.own_contact_id,
    )
    if row is None:
        raise NotFound("No such file.")
    return _file_response(settings, row)


def _file_response(settings: SettingsDep, row: Upload) -> FileResponse:
    path = service.storage_path(settings, row)
    if not path.is_file():
        raise NotFound("The file is no longer stored.", code="file_missing")
    inline = row.mime_type in service.INLINE_IMAGES
    disposition = "inline" if inline else "attachment"
    # a type a browser would run as a document or script is never sent under its own name
    media_type = "application/octet-stream" if service.is_active(row.mime_type) else row.mime_type
    ascii_name = row.name.encode("ascii", "ignore").decode().replace('"', "") or "file"
    headers = {
        "Content-Disposition": (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.name, safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": FILE_CSP,
        "Cache-Control": "private, max-age=3600",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return FileResponse(path, media_type=media_type, headers=headers)
