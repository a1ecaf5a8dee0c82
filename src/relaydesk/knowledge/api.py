"""``/api/v1/knowledge``: articles (admins write, staff read), import and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from relaydesk.actions import knowledge as actions
from relaydesk.deps import ActorDep, Admin, BrokerDep, ReadSessionDep, SessionDep, Staff
from relaydesk.errors import Invalid, PayloadTooLarge, error_responses
from relaydesk.knowledge import search as searching
from relaydesk.knowledge import service
from relaydesk.knowledge.schemas import (
    ArticleCreate,
    ArticleOut,
    ArticlePage,
    ArticleUpdate,
    ImportResult,
    SearchResults,
)

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])

#: one imported file may be this large (a CSV holds many articles)
MAX_IMPORT_FILE_BYTES = 8 * 1024 * 1024
MAX_IMPORT_FILES = 200


@router.post("/articles", status_code=201, response_model=ArticleOut)
async def create_article(
    body: ArticleCreate, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> ArticleOut:
    return await actions.create_article(
        session, broker, app_id=principal.app_id or "", body=body, actor=actor
    )


@router.get("/articles", response_model=ArticlePage)
async def list_articles(
    session: ReadSessionDep,
    principal: Staff,
    tag: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = Query(default=None, max_length=500),
) -> ArticlePage:
    rows, next_cursor = await service.list(
        session, app_id=principal.app_id or "", tag=tag, limit=limit, cursor=cursor
    )
    return ArticlePage(items=[service.out(a) for a in rows], next_cursor=next_cursor)


@router.get("/search", response_model=SearchResults)
async def search_articles(
    session: ReadSessionDep,
    principal: Staff,
    q: str = Query(min_length=1, max_length=1000),
    limit: int = Query(default=5, ge=1, le=50),
    language: str | None = Query(default=None, max_length=35),
) -> SearchResults:
    """The best-matching articles (any of the query's words), best first."""
    hits = await searching.search(
        session, app_id=principal.app_id or "", query=q, limit=limit, language=language
    )
    return SearchResults(items=hits)


@router.post(
    "/import",
    status_code=201,
    response_model=ImportResult,
    responses=error_responses(415),
    openapi_extra={
        "requestBody": {
            "content": {"multipart/form-data": {"encoding": {"files": {"contentType": "text/*"}}}}
        }
    },
)
async def import_articles(
    files: Annotated[list[UploadFile], File(description="Markdown (.md) or CSV files.")],
    session: SessionDep,
    principal: Admin,
    broker: BrokerDep,
    actor: ActorDep,
) -> ImportResult:
    """One article per Markdown file, one per CSV row (``title,body,url[,tags]``); all or
    nothing."""
    if len(files) > MAX_IMPORT_FILES:
        raise Invalid(f"At most {MAX_IMPORT_FILES} files per import.", code="bad_import")
    read: list[tuple[str, bytes]] = []
    for upload in files:
        data = await upload.read(MAX_IMPORT_FILE_BYTES + 1)
        name = upload.filename or "upload.md"
        if len(data) > MAX_IMPORT_FILE_BYTES:
            raise PayloadTooLarge(
                f"{name} is over {MAX_IMPORT_FILE_BYTES} bytes.", code="article_too_large"
            )
        read.append((name, data))
    created = await actions.import_articles(
        session, broker, app_id=principal.app_id or "", files=read, actor=actor
    )
    return ImportResult(imported=len(created), items=created)


@router.get("/articles/{article_id}", response_model=ArticleOut)
async def get_article(article_id: str, session: ReadSessionDep, principal: Staff) -> ArticleOut:
    article = await service.get(session, app_id=principal.app_id or "", article_id=article_id)
    return service.out(article)


@router.patch("/articles/{article_id}", response_model=ArticleOut)
async def update_article(
    article_id: str,
    body: ArticleUpdate,
    session: SessionDep,
    principal: Admin,
    broker: BrokerDep,
    actor: ActorDep,
) -> ArticleOut:
    article = await service.get(session, app_id=principal.app_id or "", article_id=article_id)
    changes = body.model_dump(exclude_unset=True)
    return await actions.update_article(
        session, broker, article=article, changes=changes, actor=actor
    )


@router.delete("/articles/{article_id}", status_code=204)
async def delete_article(
    article_id: str, session: SessionDep, principal: Admin, broker: BrokerDep, actor: ActorDep
) -> Response:
    article = await service.get(session, app_id=principal.app_id or "", article_id=article_id)
    await actions.delete_article(session, broker, article=article, actor=actor)
    return Response(status_code=204)
