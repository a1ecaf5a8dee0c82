"""The ``builtin`` AI agent: a Kompose import document answered locally, no network.

Config = a Kompose import document plus optional ``handoff_after_fallbacks`` and
``use_knowledge``::

    {"intents": [{"name", "category", "trainingPhrases"?, "content"?, "languageCodes"?,
                  "languageCode"?, "urlPatternList"?, "fields"?}, ...],
     "languageCodes": ["en"]?, "handoff_after_fallbacks": 2?, "use_knowledge": false?}

With ``use_knowledge``, a text no intent matches is answered with the app's best-matching
knowledge-base article (title, passage, link) instead of the fallback intent.

Both shapes of the documents are accepted: the one in ``ai-agents.md`` (``content`` a list of
``{message, metadata?}``, per-intent ``languageCodes``) and Kommunicate's published import
template (per-intent ``languageCode`` string, ``urlPatternList``, ``fields``, ``content``
possibly a bare string or one object). Unknown per-intent keys are kept and ignored.

Matching a text turn: both sides are normalized (Unicode NFKC, case-folded, every run of
punctuation/dashes/underscores becomes a space). A training phrase scores
``rapidfuzz.fuzz.token_sort_ratio`` (order-free, typo-tolerant, 0-100), or 90 when the phrase has
at least 3 words and each of them appears in the message (a word of 4+ letters may differ by a
typo: ``fuzz.ratio`` >= 80). The best intent wins if its score is >= ``MATCH_THRESHOLD`` (80);
otherwise the fallback intent answers.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from rapidfuzz import fuzz

from relaydesk.ai_agents.base import (
    BotMessage,
    Connector,
    Turn,
    TurnResult,
    message_from_payload,
)

MATCH_THRESHOLD = 80.0
CONTAINMENT_SCORE = 90.0
WORD_TYPO_RATIO = 80.0
MEDIA_INTENT_NAMES = ("media", "kommunicate_media_event")
Category = Literal["welcome_event", "intent", "small_talk", "fallback_intent"]
_NON_WORD = re.compile(r"[\W_]+")


class KomposeError(ValueError):
    """A Kompose document that cannot be used; the message says where and why."""


def normalize(text: str) -> str:
    """Case-folded words separated by single spaces, punctuation removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


class ContentItem(BaseModel):
    """One bot message of an intent: text and/or Kommunicate metadata."""

    model_config = ConfigDict(extra="allow")

    message: str | None = None
    metadata: dict[str, Any] | None = None
    platform: str | None = None


class KomposeIntent(BaseModel):
    """One intent of a Kompose document."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = Field(min_length=1)
    category: Category
    trainingPhrases: list[str] = Field(default_factory=list)  # noqa: N815 - Kompose key
    content: list[ContentItem] = Field(default_factory=list)
    languageCodes: list[str] | None = None  # noqa: N815
    languageCode: str | None = None  # noqa: N815
    urlPatternList: list[Any] = Field(default_factory=list)  # noqa: N815
    fields: dict[str, Any] = Field(default_factory=dict)

    @field_validator("trainingPhrases", mode="before")
    @classmethod
    def _phrases(cls, v: Any) -> Any:
        """Drop empty phrases (the published template has ``[""]``); a string is one phrase."""
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list):
            return [p for p in v if not (isinstance(p, str) and not p.strip())]
        return v

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, v: Any) -> Any:
        """Accept a bare string or a single object as well as a list; strings become text."""
        if v is None or v == "":
            return []
        if isinstance(v, str | dict):
            v = [v]
        if isinstance(v, list):
            return [{"message": x} if isinstance(x, str) else x for x in v if x != ""]
        return v

    @model_validator(mode="after")
    def _needs_phrases(self) -> KomposeIntent:
        """Intents and small talk are triggered by their training phrases."""
        if self.category in ("intent", "small_talk") and not self.trainingPhrases:
            raise ValueError(f'intent "{self.name}" ({self.category}) has no trainingPhrases')
        return self

    @property
    def languages(self) -> list[str]:
        """The intent's language codes (empty = every language)."""
        langs = list(self.languageCodes or [])
        if self.languageCode:
            langs.append(self.languageCode)
        return langs


class BuiltinConfig(BaseModel):
    """Config of a ``builtin`` AI agent: a Kompose document + ``handoff_after_fallbacks``."""

    model_config = ConfigDict(extra="forbid")

    intents: list[KomposeIntent] = Field(min_length=1)
    languageCodes: list[str] = Field(default_factory=list)  # noqa: N815
    handoff_after_fallbacks: int | None = Field(default=None, ge=1)
    #: a text no intent matches is answered from the app's knowledge base when it can be
    use_knowledge: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> BuiltinConfig:
        """Unique names; intent languages among the declared ones."""
        seen: set[str] = set()
        for intent in self.intents:
            key = intent.name.casefold()
            if key in seen:
                raise ValueError(f'duplicate intent name "{intent.name}"')
            seen.add(key)
            if self.languageCodes:
                declared = {_primary(c) for c in self.languageCodes}
                for lang in intent.languages:
                    if _primary(lang) not in declared:
                        raise ValueError(
                            f'intent "{intent.name}" uses language "{lang}" not in languageCodes'
                        )
        return self


def _primary(tag: str) -> str:
    """The primary language subtag: ``en-US`` -> ``en``."""
    return tag.replace("_", "-").split("-")[0].casefold()


def parse_kompose(doc: Any) -> BuiltinConfig:
    """Validate a Kompose import document (object, or JSON text/bytes) as a builtin config."""
    if isinstance(doc, bytes | str):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise KomposeError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise KomposeError('a Kompose document is a JSON object with an "intents" array')
    try:
        return BuiltinConfig.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "document"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
        raise KomposeError("invalid Kompose document: " + "; ".join(problems)) from None


@dataclass(frozen=True)
class _Phrase:
    intent: KomposeIntent
    text: str
    words: tuple[str, ...]


def _word_in(word: str, words: set[str]) -> bool:
    """The word is in the message, or (4+ letters) a close typo of one of its words."""
    if word in words:
        return True
    if len(word) < 4:
        return False
    return any(fuzz.ratio(word, w) >= WORD_TYPO_RATIO for w in words)


def phrase_score(message: str, phrase: str) -> float:
    """How well a normalized message matches a normalized training phrase (0-100)."""
    score = fuzz.token_sort_ratio(message, phrase)
    words = phrase.split()
    if len(words) >= 3 and score < CONTAINMENT_SCORE:
        msg_words = set(message.split())
        if all(_word_in(w, msg_words) for w in words):
            score = CONTAINMENT_SCORE
    return float(score)


class KomposeBot:
    """The matcher and answers of one Kompose document."""

    def __init__(self, config: BuiltinConfig) -> None:
        self.config = config
        self.phrases = [
            _Phrase(i, n, tuple(n.split()))
            for i in config.intents
            if i.category in ("intent", "small_talk")
            for n in (normalize(p) for p in i.trainingPhrases)
            if n
        ]

    @staticmethod
    def _speaks(intent: KomposeIntent, language: str) -> bool:
        langs = intent.languages
        return not langs or _primary(language) in {_primary(x) for x in langs}

    def _pick(self, category: str, language: str) -> KomposeIntent | None:
        """The intent of a category for a language (default welcome: no URL patterns)."""
        found = [i for i in self.config.intents if i.category == category]
        local = [i for i in found if self._speaks(i, language)] or found
        if category == "welcome_event":
            local.sort(key=lambda i: bool(i.urlPatternList))
        return local[0] if local else None

    def by_name(self, name: str, language: str) -> KomposeIntent | None:
        """The intent named ``name`` (case-insensitive)."""
        found = [i for i in self.config.intents if i.name.casefold() == name.casefold()]
        local = [i for i in found if self._speaks(i, language)] or found
        return local[0] if local else None

    def match(self, text: str, language: str) -> tuple[KomposeIntent | None, float]:
        """The best-scoring intent for a text, if it reaches the threshold."""
        message = normalize(text)
        if not message:
            return None, 0.0
        candidates = [p for p in self.phrases if self._speaks(p.intent, language)] or self.phrases
        best: tuple[float, int] = (0.0, 0)
        best_intent: KomposeIntent | None = None
        for p in candidates:
            rank = (phrase_score(message, p.text), len(p.words))
            if rank > best:
                best, best_intent = rank, p.intent
        if best_intent is None or best[0] < MATCH_THRESHOLD:
            return None, best[0]
        return best_intent, best[0]

    def fallback(self, language: str) -> KomposeIntent | None:
        """The fallback intent."""
        return self._pick("fallback_intent", language)

    def welcome(self, language: str) -> KomposeIntent | None:
        """The default welcome intent."""
        return self._pick("welcome_event", language)


def intent_messages(intent: KomposeIntent | None) -> list[BotMessage]:
    """An intent's content as bot messages (custom payload rules; other platforms dropped)."""
    if intent is None:
        return []
    out: list[BotMessage] = []
    for item in intent.content:
        msg = message_from_payload(item.model_dump(exclude_none=True))
        if msg is not None and (msg.text or msg.metadata):
            out.append(msg)
    return out


class BuiltinConnector(Connector):
    """Answers from a Kompose document with fuzzy phrase matching."""

    kind: ClassVar[str] = "builtin"
    Config: ClassVar[type[BaseModel]] = BuiltinConfig
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: BaseModel, *, ai_agent_id: str, default_language: str) -> None:
        super().__init__(config, ai_agent_id=ai_agent_id, default_language=default_language)
        assert isinstance(config, BuiltinConfig)
        self.cfg: BuiltinConfig = config
        self.bot = KomposeBot(config)

    def _resolve(self, turn: Turn) -> tuple[KomposeIntent | None, bool]:
        """The answering intent and whether the turn is a fallback."""
        lang = turn.language or self.default_language
        if turn.kind == "welcome":
            return self.bot.welcome(lang), False
        if turn.kind == "event":
            name = turn.event_name or "WELCOME"
            named = self.bot.by_name(name, lang)
            if named is not None:
                return named, named.category == "fallback_intent"
            if name.upper() == "WELCOME":
                return self.bot.welcome(lang), False
            return self.bot.fallback(lang), True
        if turn.kind == "media":
            for name in MEDIA_INTENT_NAMES:
                media = self.bot.by_name(name, lang)
                if media is not None:
                    return media, False
            return self.bot.fallback(lang), True
        matched, _ = self.bot.match(turn.text or "", lang)
        if matched is not None:
            return matched, False
        return self.bot.fallback(lang), True

    @property
    def uses_knowledge(self) -> bool:
        return self.cfg.use_knowledge

    async def _from_knowledge(self, turn: Turn) -> list[BotMessage]:
        """The best-matching article as an answer (none when nothing matches)."""
        if turn.kind != "text" or turn.knowledge is None or not (turn.text or "").strip():
            return []
        hits = await turn.knowledge(turn.text or "", 1, turn.language)
        if not hits:
            return []
        hit = hits[0]
        text = f"{hit.title}\n\n{hit.passage}" + (f"\n\n{hit.url}" if hit.url else "")
        return [BotMessage(text=text)]

    async def handle(self, turn: Turn) -> TurnResult:
        """Answer one turn locally; count consecutive fallbacks in the state."""
        intent, is_fallback = self._resolve(turn)
        state = dict(turn.state)
        grounded = await self._from_knowledge(turn) if is_fallback else []
        if grounded:
            state["fallbacks"], state["last_intent"] = 0, None
            return TurnResult(messages=grounded, state=state)
        fallbacks = int(state.get("fallbacks", 0)) + 1 if is_fallback else 0
        limit = self.cfg.handoff_after_fallbacks
        hangup = bool(is_fallback and limit and fallbacks >= limit)
        state["fallbacks"] = 0 if hangup else fallbacks
        state["last_intent"] = intent.name if intent else None
        return TurnResult(
            messages=intent_messages(intent),
            hangup=hangup,
            hangup_detail=f"no intent matched {fallbacks} turns in a row" if hangup else None,
            state=state,
        )
