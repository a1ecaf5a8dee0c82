"""The ``lex_v2`` connector: ``lexv2-runtime`` RecognizeText, names resolved by ``lexv2-models``."""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from typing import Any, ClassVar

from pydantic import BaseModel

from relaydesk.ai_agents.base import ConfigInvalid, PermanentError, TransientError, Turn, TurnResult
from relaydesk.ai_agents.lex.common import _LexConnector
from relaydesk.ai_agents.lex.config import LexV2Config
from relaydesk.ai_agents.lex.render import v2_messages, v2_problem
from relaydesk.ai_agents.lex.request import lex_session_id, turn_input

log = logging.getLogger("relaydesk.ai_agents.lex")

FALLBACK_STATE_KEY = "lex_fallbacks"


class LexV2Connector(_LexConnector[LexV2Config]):
    """Amazon Lex V2 through ``lexv2-runtime`` RecognizeText; names resolved by ``lexv2-models``."""

    kind: ClassVar[str] = "lex_v2"
    Config: ClassVar[type[BaseModel]] = LexV2Config
    label: ClassVar[str] = "Lex V2"

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        self._bot_id: str | None = self.cfg.bot_id
        self._alias_id: str | None = self.cfg.bot_alias_id
        #: enabled locales of the alias (None: not looked up yet; empty: unknown)
        self._locales: list[str] | None = None
        self._resolve_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._resolve_locks = weakref.WeakKeyDictionary()

    def _bot_label(self) -> str:
        """The bot as configured, for messages."""
        return repr(self.cfg.bot_id or self.cfg.bot_name)

    async def resolve(self) -> tuple[str, str]:
        """(bot id, alias id), resolving configured names once (ListBots, ListBotAliases)."""
        if self._bot_id and self._alias_id:
            return self._bot_id, self._alias_id
        loop = asyncio.get_running_loop()
        lock = self._resolve_locks.setdefault(loop, asyncio.Lock())  # one per event loop
        async with lock:
            models = await self.aclient("lexv2-models")
            if not self._bot_id:
                self._bot_id = await self._find_bot(models, str(self.cfg.bot_name))
            if not self._alias_id:
                self._alias_id = await self._find_alias(
                    models, self._bot_id, str(self.cfg.bot_alias)
                )
            return self._bot_id, self._alias_id

    async def _find_bot(self, models: Any, name: str) -> str:
        filters = [{"name": "BotName", "values": [name], "operator": "EQ"}]
        found = await self._find_id(
            "ListBots", models.list_bots, {"filters": filters}, "botSummaries", "bot", name
        )
        if found is None:
            raise PermanentError(f"no Lex V2 bot named {name!r} in {self.cfg.region}")
        return found

    async def _find_alias(self, models: Any, bot_id: str, alias: str) -> str:
        found = await self._find_id(
            "ListBotAliases",
            models.list_bot_aliases,
            {"botId": bot_id},
            "botAliasSummaries",
            "botAlias",
            alias,
        )
        if found is None:
            raise PermanentError(
                f"Lex V2 bot {self._bot_label()} has no alias named {alias!r} in {self.cfg.region}"
            )
        return found

    async def _find_id(
        self, action: str, fn: Any, kwargs: dict[str, Any], items: str, what: str, name: str
    ) -> str | None:
        """The ``{what}Id`` of the ``items`` entry with ``{what}Name`` ``name``, on any page."""
        name_key, id_key = f"{what}Name", f"{what}Id"
        token: str | None = None
        while True:
            page = await self.call(
                action, fn, **kwargs, maxResults=100, **({"nextToken": token} if token else {})
            )
            for entry in page.get(items) or []:
                if entry.get(name_key) == name and entry.get(id_key):
                    return str(entry[id_key])
            token = page.get("nextToken")
            if not token:
                return None

    async def alias_locales(self) -> list[str]:
        """The locales enabled on the alias (DescribeBotAlias), cached; [] when unknown."""
        if self._locales is not None:
            return self._locales
        bot_id, alias_id = await self.resolve()
        models = await self.aclient("lexv2-models")
        try:
            desc = await self.call(
                "DescribeBotAlias", models.describe_bot_alias, botId=bot_id, botAliasId=alias_id
            )
        except TransientError:
            raise
        except PermanentError as exc:  # no read access: keep the configured locale
            log.warning("lex_v2 agent %s: alias locales unknown: %s", self.ai_agent_id, exc)
            self._locales = []
            return self._locales
        settings = desc.get("botAliasLocaleSettings") or {}
        self._locales = sorted(k for k, v in settings.items() if (v or {}).get("enabled"))
        return self._locales

    async def locale_for(self, language: str | None) -> str:
        """The Lex locale for a BCP 47 tag: exact, else same language on the alias, else config."""
        default = self.cfg.locale
        parts = [p for p in re.split(r"[-_]", (language or "").strip()) if p]
        if not parts:
            return default
        lang = parts[0].lower()
        region = next((p.upper() for p in parts[1:] if len(p) in (2, 3) and p.isalnum()), None)
        exact = f"{lang}_{region}" if region else None
        if exact == default or (exact is None and default.split("_")[0].lower() == lang):
            return default
        enabled = await self.alias_locales()
        return pick_locale(lang, exact, enabled, default)

    async def handle(self, turn: Turn) -> TurnResult:
        """Send the turn to RecognizeText and map the answer."""
        bot_id, alias_id = await self.resolve()
        locale = await self.locale_for(turn.language or self.default_language)
        text, request_attrs, session_attrs = turn_input(turn)
        runtime = await self.aclient("lexv2-runtime")
        kwargs: dict[str, Any] = {
            "botId": bot_id,
            "botAliasId": alias_id,
            "localeId": locale,
            "sessionId": lex_session_id(turn.conversation_id),
            "text": text,
            "requestAttributes": request_attrs,
        }
        if session_attrs:
            kwargs["sessionState"] = {"sessionAttributes": session_attrs}
        try:
            resp = await self.call("RecognizeText", runtime.recognize_text, **kwargs)
        except PermanentError:
            if not (self.cfg.bot_id and self.cfg.bot_alias_id):
                self._bot_id, self._alias_id = self.cfg.bot_id, self.cfg.bot_alias_id
                self._locales = None  # names may point elsewhere now: resolve again next time
            raise
        problem = v2_problem(resp)
        if problem is not None:
            raise TransientError(f"Lex V2 RecognizeText answered badly: {problem}")
        return self.result(turn, resp)

    def result(self, turn: Turn, resp: dict[str, Any]) -> TurnResult:
        """Messages, hang-up (intent Failed or too many fallbacks) and fallback state."""
        messages = v2_messages(resp.get("messages") or [])
        intent = (resp.get("sessionState") or {}).get("intent") or {}
        if not intent.get("name"):
            interpretations = resp.get("interpretations") or [{}]
            intent = {**(interpretations[0].get("intent") or {}), **intent}
        name = intent.get("name")
        state = dict(turn.state)
        limit = self.cfg.handoff_after_fallbacks
        fallbacks = int(state.get(FALLBACK_STATE_KEY) or 0)
        if turn.kind in ("text", "media"):
            fallbacks = fallbacks + 1 if name in self.cfg.fallback_intents else 0
        else:
            fallbacks = 0
        if intent.get("state") == "Failed":
            state[FALLBACK_STATE_KEY] = 0
            detail = f"Lex V2 intent {name or '?'} failed"
            return TurnResult(messages=messages, hangup=True, hangup_detail=detail, state=state)
        if limit is not None and fallbacks >= limit:
            state[FALLBACK_STATE_KEY] = 0
            detail = f"{fallbacks} consecutive fallback turns ({name})"
            return TurnResult(messages=messages, hangup=True, hangup_detail=detail, state=state)
        if limit is not None or FALLBACK_STATE_KEY in state:
            state[FALLBACK_STATE_KEY] = fallbacks
        return TurnResult(messages=messages, state=state)

    async def validate(self) -> None:
        """Resolve the bot and alias and check the locale against AWS; ConfigInvalid if not."""
        self._bot_id, self._alias_id, self._locales = self.cfg.bot_id, self.cfg.bot_alias_id, None
        try:
            bot_id, alias_id = await self.resolve()
            models = await self.aclient("lexv2-models")
            desc = await self.call(
                "DescribeBotAlias", models.describe_bot_alias, botId=bot_id, botAliasId=alias_id
            )
        except (TransientError, PermanentError) as exc:
            missing = f"no alias {alias_label(self.cfg)} on Lex V2 bot {self._bot_label()}"
            raise self.config_invalid(exc, missing) from None
        settings = desc.get("botAliasLocaleSettings") or {}
        self._locales = sorted(k for k, v in settings.items() if (v or {}).get("enabled"))
        if settings and self.cfg.locale not in self._locales:
            raise ConfigInvalid(
                f"locale {self.cfg.locale} is not enabled on the Lex V2 alias "
                f"(enabled: {', '.join(self._locales) or 'none'})"
            )


def alias_label(cfg: LexV2Config) -> str:
    """The alias as configured, for messages."""
    return repr(cfg.bot_alias_id or cfg.bot_alias)


def pick_locale(lang: str, exact: str | None, enabled: list[str], default: str) -> str:
    """Choose among the alias's enabled locales for a language (and region if any)."""
    if exact and exact in enabled:
        return exact
    same = [loc for loc in enabled if loc.split("_")[0].lower() == lang]
    if not same:
        return default
    if default in same:
        return default
    # the "main" country of the language (fr_FR, de_DE, es_ES, it_IT), else the first
    main = f"{lang}_{lang.upper()}"
    return main if main in same else same[0]
