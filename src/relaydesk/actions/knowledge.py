"""Changes to the knowledge base: each audited and committed in one transaction."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk.audit import service as audit
from relaydesk.audit.schemas import Actor
from relaydesk.errors import Invalid
from relaydesk.events import Broker, commit
from relaydesk.knowledge import importer
from relaydesk.knowledge import service as knowledge
from relaydesk.knowledge.models import Article
from relaydesk.knowledge.schemas import ArticleCreate, ArticleOut


def _view(article: Article) -> dict[str, Any]:
    shown = audit.view(knowledge.out(article))
    shown["body"] = f"{len(article.body)} characters"  # the text itself stays in the article
    return shown


def _audit(
    session: AsyncSession, actor: Actor, action: str, article: Article, changes: Any
) -> None:
    audit.record(
        session,
        app_id=article.app_id,
        actor=actor,
        action=action,
        target_type="article",
        target_id=article.id,
        target_name=article.title[:200],
        changes=changes,
    )


async def create_article(
    session: AsyncSession, broker: Broker, *, app_id: str, body: ArticleCreate, actor: Actor
) -> ArticleOut:
    article = await knowledge.create(session, app_id=app_id, **body.model_dump())
    _audit(session, actor, "article.create", article, audit.diff({}, _view(article)))
    result = knowledge.out(article)
    await commit(session, broker)
    return result


async def update_article(
    session: AsyncSession,
    broker: Broker,
    *,
    article: Article,
    changes: dict[str, Any],
    actor: Actor,
) -> ArticleOut:
    before = _view(article)
    await knowledge.update(session, article=article, changes=changes)
    diff = audit.diff(before, _view(article))
    if diff:
        _audit(session, actor, "article.update", article, diff)
    result = knowledge.out(article)
    await commit(session, broker)
    return result


async def delete_article(
    session: AsyncSession, broker: Broker, *, article: Article, actor: Actor
) -> None:
    _audit(session, actor, "article.delete", article, audit.diff(_view(article), {}))
    await knowledge.delete(session, article=article)
    await commit(session, broker)


def _checked(draft: importer.Draft) -> ArticleCreate:
    fields: dict[str, Any] = {"title": draft.title, "body": draft.body, "tags": draft.tags}
    if draft.url:
        fields["url"] = draft.url
    if draft.language:
        fields["language"] = draft.language
    knowledge.check_body(draft.body, where=f"{draft.source}: the body")
    try:
        return ArticleCreate.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"{draft.source}: {where}: {first['msg']}", code="bad_import") from exc


async def import_articles(
    session: AsyncSession,
    broker: Broker,
    *,
    app_id: str,
    files: list[tuple[str, bytes]],
    actor: Actor,
) -> list[ArticleOut]:
    """Every article of every file, or none (the first bad one refuses the import)."""
    drafts = [d for name, data in files for d in importer.drafts(name, data)]
    if len(drafts) > importer.MAX_ARTICLES:
        raise Invalid(
            f"{len(drafts)} articles in one import; at most {importer.MAX_ARTICLES}.",
            code="bad_import",
        )
    checked = [_checked(d) for d in drafts]
    created = []
    for body in checked:
        article = await knowledge.create(session, app_id=app_id, **body.model_dump())
        created.append(knowledge.out(article))
    if created:
        audit.record(
            session,
            app_id=app_id,
            actor=actor,
            action="article.import",
            target_type="article",
            target_id=None,
            changes={"imported": {"from": 0, "to": len(created)}},
        )
    await commit(session, broker)
    return created
