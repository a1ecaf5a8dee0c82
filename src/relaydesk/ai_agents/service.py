"""AI agents: configuration validated per kind and by the provider, secrets encrypted."""

from __future__ import annotations

import asyncio
import builtins
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaydesk import outbound
from relaydesk.ai_agents.base import ConfigInvalid, Connector
from relaydesk.ai_agents.models import AIAgent, AIAgentSession
from relaydesk.ai_agents.registry import connector_class
from relaydesk.ai_agents.schemas import AIAgentOut
from relaydesk.contacts.service import normalize_language
from relaydesk.db import new_id, utcnow
from relaydesk.errors import Conflict, Invalid, NotFound
from relaydesk.security import SecretBox

log = logging.getLogger("relaydesk.ai_agents")
MASK = "****"
VALIDATE_TIMEOUT_S = 30.0


def _class(kind: str) -> type[Connector]:
    try:
        return connector_class(kind)
    except KeyError as exc:
        raise Invalid(f"Unknown AI agent kind {kind!r}.", code="unknown_kind") from exc


def _mask(value: Any, field: str) -> Any:
    if field == "headers" and isinstance(value, dict):
        return {k: MASK for k in value}  # header names help; their values are secret
    return MASK


async def check_urls(kind: str, parsed: BaseModel) -> None:
    """The outbound-URL guard on the kind's URL fields (422 ``url_not_allowed``)."""
    data = parsed.model_dump(mode="json")
    for path in _class(kind).url_fields:
        value = _at(data, path)
        if isinstance(value, str) and value:
            await outbound.check(value, field=f"config.{path}")


def parse_config(kind: str, config: dict[str, Any]) -> BaseModel:
    """The kind's config model, or 422 with the field errors."""
    cls = _class(kind)
    try:
        return cls.Config.model_validate(config)
    except ValidationError as exc:
        details = [
            {"loc": builtins.list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(
            f"config.{where}: {first['msg']}" if where else f"config: {first['msg']}",
            code="invalid_config",
            details=details,
        ) from exc
    except ValueError as exc:  # e.g. a Kompose document that does not parse
        raise Invalid(f"config: {exc}", code="invalid_config") from exc


def split_secrets(kind: str, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public part, secret part) of a config by the kind's ``secret_fields``."""
    fields = _class(kind).secret_fields
    public = {k: v for k, v in config.items() if k not in fields}
    secret = {k: v for k, v in config.items() if k in fields}
    return public, secret


def secrets_given(kind: str, config: dict[str, Any] | None) -> builtins.list[str]:
    """The secret fields a config sets to a new value (not sent back as "****"), as
    ``config.<field>``."""
    fields = _class(kind).secret_fields
    given = (config or {}).items()
    return [f"config.{k}" for k, v in given if k in fields and not _is_masked(v)]


def full_config(ai_agent: AIAgent, box: SecretBox) -> dict[str, Any]:
    """The stored config with its secrets decrypted (never leaves the server)."""
    secrets = box.decrypt(ai_agent.secrets_enc) if ai_agent.secrets_enc else {}
    return {**(ai_agent.config or {}), **secrets}


def out(ai_agent: AIAgent, box: SecretBox) -> AIAgentOut:
    try:
        secrets = box.decrypt(ai_agent.secrets_enc) if ai_agent.secrets_enc else {}
    except ValueError:  # stored under another secret key: still listed, secrets masked
        secrets = {field: MASK for field in _class(ai_agent.kind).secret_fields}
    shown = dict(ai_agent.config or {})
    for field, value in secrets.items():
        shown[field] = _mask(value, field)
    return AIAgentOut(
        id=ai_agent.id,
        name=ai_agent.name,
        kind=ai_agent.kind,
        config=shown,
        auto_handoff=ai_agent.auto_handoff,
        language=ai_agent.language,
        created_at=ai_agent.created_at,
        updated_at=ai_agent.updated_at,
    )


async def check_with_provider(
    kind: str, parsed: BaseModel, *, ai_agent_id: str, language: str
) -> None:
    """Ask the provider whether the configuration works; 422 with its reason if not."""
    connector = _class(kind)(parsed, ai_agent_id=ai_agent_id, default_language=language)
    try:
        await asyncio.wait_for(connector.validate(), VALIDATE_TIMEOUT_S)
    except ConfigInvalid as exc:
        raise Invalid(str(exc), code="provider_rejected") from exc
    except TimeoutError as exc:
        raise Invalid(
            "The provider did not answer in time; the configuration could not be checked.",
            code="provider_unreachable",
        ) from exc
    finally:
        await connector.aclose()


async def get(session: AsyncSession, *, app_id: str, ai_agent_id: str) -> AIAgent:
    """The app's AI agent (not deleted), else 404 (found by id and app in one statement)."""
    ai_agent = await session.scalar(
        select(AIAgent).where(
            AIAgent.id == ai_agent_id, AIAgent.app_id == app_id, AIAgent.deleted_at.is_(None)
        )
    )
    if ai_agent is None:
        raise NotFound("No such AI agent.")
    return ai_agent


async def list(session: AsyncSession, *, app_id: str) -> builtins.list[AIAgent]:  # noqa: A001
    rows = await session.scalars(
        select(AIAgent)
        .where(AIAgent.app_id == app_id, AIAgent.deleted_at.is_(None))
        .order_by(AIAgent.created_at, AIAgent.id)
    )
    return [*rows]


async def create(
    session: AsyncSession,
    *,
    app_id: str,
    box: SecretBox,
    name: str,
    kind: str,
    config: dict[str, Any],
    auto_handoff: bool = True,
    language: str = "en-US",
    check: bool = True,
) -> AIAgent:
    """Validate the config (schema, then provider) and store it with secrets encrypted."""
    language = normalize_language(language) or "en-US"
    parsed = parse_config(kind, config)
    await check_urls(kind, parsed)
    ai_agent_id = new_id("ai")
    if check:
        await check_with_provider(kind, parsed, ai_agent_id=ai_agent_id, language=language)
    public, secret = split_secrets(kind, parsed.model_dump(mode="json", exclude_unset=True))
    now = utcnow()
    ai_agent = AIAgent(
        id=ai_agent_id,
        app_id=app_id,
        name=name,
        kind=kind,
        config=public,
        secrets_enc=box.encrypt(secret) if secret else None,
        auto_handoff=auto_handoff,
        language=language,
        created_at=now,
        updated_at=now,
    )
    session.add(ai_agent)
    await session.flush()
    return ai_agent


@dataclass(frozen=True)
class CheckedConfig:
    """A new configuration, checked by the provider, as it will be stored."""

    public: dict[str, Any]
    secrets_enc: str | None
    based_on: datetime  # the AI agent's ``updated_at`` it was checked against


async def check_config(
    *, ai_agent: AIAgent, box: SecretBox, config: dict[str, Any]
) -> CheckedConfig:
    """Merge a new config over the stored one (secrets sent as "****" are kept), validate it
    and have the provider check it. Touches no database session: on SQLite a write lock
    must not be held while the provider answers (up to its timeout)."""
    current = full_config(ai_agent, box)
    merged: dict[str, Any] = {}
    cls = _class(ai_agent.kind)
    kept: builtins.list[str] = []
    for key, value in config.items():
        if key in cls.secret_fields and _is_masked(value):
            if key in current:
                merged[key] = current[key]
                kept.append(key)
            continue
        merged[key] = value
    moved = [p for p in cls.url_fields if _at(merged, p) != _at(current, p)]
    if kept and moved:  # a stored secret must not follow the config to a new destination
        raise Invalid(
            f'config.{moved[0]} changed: send config.{kept[0]} again (not "****").',
            code="secret_required",
            details={"field": f"config.{kept[0]}", "changed": f"config.{moved[0]}"},
        )
    parsed = parse_config(ai_agent.kind, merged)
    await check_urls(ai_agent.kind, parsed)
    await check_with_provider(
        ai_agent.kind, parsed, ai_agent_id=ai_agent.id, language=ai_agent.language
    )
    public, secret = split_secrets(
        ai_agent.kind, parsed.model_dump(mode="json", exclude_unset=True)
    )
    return CheckedConfig(
        public=public,
        secrets_enc=box.encrypt(secret) if secret else None,
        based_on=ai_agent.updated_at,
    )


async def update(
    session: AsyncSession,
    *,
    ai_agent: AIAgent,
    changes: dict[str, Any],
    config: CheckedConfig | None = None,
) -> AIAgent:
    """Change name, auto_handoff or language, and the config checked by :func:`check_config`
    (409 if the AI agent changed since it was checked)."""
    if config is not None and _stamp(config.based_on) != _stamp(ai_agent.updated_at):
        raise Conflict(
            "The AI agent was changed meanwhile; read it again and retry.", code="edit_conflict"
        )
    if changes.get("name") is not None:
        ai_agent.name = changes["name"]
    if changes.get("auto_handoff") is not None:
        ai_agent.auto_handoff = changes["auto_handoff"]
    if changes.get("language") is not None:
        ai_agent.language = normalize_language(changes["language"]) or ai_agent.language
    if config is not None:
        ai_agent.config = config.public
        ai_agent.secrets_enc = config.secrets_enc
    ai_agent.updated_at = utcnow()
    await session.flush()
    return ai_agent


def _stamp(at: datetime) -> datetime:
    return at.replace(tzinfo=None) if at.tzinfo else at


def _at(config: dict[str, Any], path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _is_masked(value: Any) -> bool:
    if value == MASK:
        return True
    return isinstance(value, dict) and bool(value) and all(v == MASK for v in value.values())


async def delete(session: AsyncSession, *, ai_agent: AIAgent) -> None:
    """Mark an AI agent deleted (routing then drops it and hands its conversations over)."""
    ai_agent.deleted_at = utcnow()
    await session.flush()


async def save_state(
    session: AsyncSession, *, conversation_id: str, ai_agent_id: str, state: dict[str, Any]
) -> None:
    """Keep the connector's state for the conversation (Lex session, Dialogflow contexts)."""
    row = await session.get(AIAgentSession, (conversation_id, ai_agent_id))
    if row is None:
        session.add(
            AIAgentSession(conversation_id=conversation_id, ai_agent_id=ai_agent_id, state=state)
        )
    elif row.state != state:
        row.state = state


class ConnectorPool:
    """One connector instance per AI agent and configuration version, reused across turns."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box
        self._items: dict[str, tuple[str, Connector]] = {}

    def get(self, ai_agent: AIAgent) -> Connector:
        version = ai_agent.updated_at.isoformat()
        found = self._items.get(ai_agent.id)
        if found is not None and found[0] == version:
            return found[1]
        if found is not None:
            asyncio.get_running_loop().create_task(found[1].aclose())
        parsed = _class(ai_agent.kind).Config.model_validate(full_config(ai_agent, self.box))
        connector = _class(ai_agent.kind)(
            parsed, ai_agent_id=ai_agent.id, default_language=ai_agent.language
        )
        self._items[ai_agent.id] = (version, connector)
        return connector

    async def aclose(self) -> None:
        for _, connector in self._items.values():
            try:
                await connector.aclose()
            except Exception:  # noqa: BLE001 - closing must not fail shutdown
                log.warning("closing a connector failed", exc_info=True)
        self._items.clear()
