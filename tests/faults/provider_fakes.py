"""One face for the three provider fakes, so the fault matrix drives each the same way.

Each :class:`Provider` owns a fresh fake (Lex, Dialogflow or a webhook bot), gives the AI
agent's config pointing at it, arms its faults (an HTTP status with ``Retry-After``, a hang
past the connector's timeout, a 2xx body that is not what the provider sends, a closed
port) and lists the times of the bot calls it received (one per attempt of a turn).
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.ai_agents import e2e
from tests.fakes.dialogflow_server import FakeDialogflow
from tests.fakes.lex_server import FakeLex
from tests.fakes.webhook_bot import FakeWebhookBot

#: the connectors' timeout, and how long a hanging fake waits before answering
TIMEOUT_S = 0.5
HANG_S = 2.0
CX_AGENT = "projects/my-proj/locations/global/agents/a1"


class Provider:
    """A fake provider of one AI-agent kind, driven through one interface."""

    kind: str
    #: the welcome the bot answers when nothing goes wrong
    welcome: str

    def config(self) -> dict[str, Any]:
        """The AI agent's config, pointing at the fake."""
        raise NotImplementedError

    def calls(self) -> list[float]:
        """Arrival times of the bot calls (one per turn attempt), oldest first."""
        raise NotImplementedError

    def fail(self, count: int, status: int, retry_after: int | None = None) -> None:
        """The next ``count`` bot calls answer ``status`` (with ``Retry-After``)."""
        raise NotImplementedError

    def hang(self, count: int) -> None:
        """The next ``count`` bot calls answer only after the connector gave up."""
        raise NotImplementedError

    def garble(self, count: int) -> None:
        """The next ``count`` bot calls answer 200 with a body that is not JSON."""
        raise NotImplementedError

    def refuse(self) -> None:
        """Close the port: connecting is refused."""
        raise NotImplementedError

    def accept(self) -> None:
        """Open the port again."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the fake."""
        raise NotImplementedError


class _Http(Provider):
    """The fakes built on FakeHTTPServer (Dialogflow, the webhook bot)."""

    fake: FakeDialogflow | FakeWebhookBot
    path: str

    def calls(self) -> list[float]:
        return [r["at"] for r in self.fake.logged(self.path)]

    def fail(self, count: int, status: int, retry_after: int | None = None) -> None:
        self.fake.fail_next(count, status=status, retry_after=retry_after)

    def hang(self, count: int) -> None:
        self.fake.slow_next(count, HANG_S)

    def garble(self, count: int) -> None:
        self.fake.garble_next(count)

    def refuse(self) -> None:
        self.fake.refuse_connections()

    def accept(self) -> None:
        self.fake.accept_connections()

    def close(self) -> None:
        self.fake.stop()


class Webhook(_Http):
    kind = "webhook"
    welcome = "Hello from the webhook bot"
    path = "/bot"

    def __init__(self) -> None:
        self.fake = FakeWebhookBot().start()  # type: ignore[assignment]
        self.fake.script(event="WELCOME", reply=[{"message": self.welcome}])

    def config(self) -> dict[str, Any]:
        return {"url": self.fake.hook_url, "timeout_s": TIMEOUT_S}  # type: ignore[union-attr]


class DialogflowES(_Http):
    kind = "dialogflow_es"
    welcome = "Hi! How can I help?"
    path = ":detectIntent"

    def __init__(self) -> None:
        self.fake = FakeDialogflow().start()  # type: ignore[assignment]
        self.key = self.fake.service_account("my-proj", cx_agent=CX_AGENT)  # type: ignore[union-attr]

    def config(self) -> dict[str, Any]:
        return {"service_account": self.key, "api_endpoint": self.fake.url, "timeout_s": TIMEOUT_S}


class DialogflowCX(DialogflowES):
    kind = "dialogflow_cx"
    welcome = "Welcome to the CX agent"

    def __init__(self) -> None:
        super().__init__()
        response = {"queryResult": {"responseMessages": [{"text": {"text": [self.welcome]}}]}}
        self.fake.script_cx(event="WELCOME", response=response)  # type: ignore[union-attr]

    def config(self) -> dict[str, Any]:
        return {**super().config(), "agent": CX_AGENT}


class LexV2(Provider):
    kind = "lex_v2"
    welcome = "Hi! I'm the support bot. How can I help?"
    operation = "RecognizeText"
    bot = {"bot_id": "SUPPORTBOT", "bot_alias_id": "PRODALIAS1"}

    def __init__(self) -> None:
        self.lex = FakeLex().start()

    def config(self) -> dict[str, Any]:
        cfg = e2e.lex_config(self.lex, bot_name=None, bot_alias=None, **self.bot)
        return {**cfg, "connect_timeout_s": TIMEOUT_S, "read_timeout_s": TIMEOUT_S}

    def calls(self) -> list[float]:
        return [r.at for r in self.lex.calls(self.operation)]

    def fail(self, count: int, status: int, retry_after: int | None = None) -> None:
        error = "ThrottlingException" if status == 429 else "InternalServerException"
        self.lex.fail_next(
            count, status=status, error_type=error, only="runtime", retry_after=retry_after
        )

    def hang(self, count: int) -> None:
        self.lex.set_delay(HANG_S, count)

    def garble(self, count: int) -> None:
        self.lex.garble_next(count)

    def refuse(self) -> None:
        self.lex.refuse_connections()

    def accept(self) -> None:
        self.lex.accept_connections()

    def close(self) -> None:
        self.lex.stop()


class LexV1(LexV2):
    kind = "lex_v1"
    welcome = "Hi from the V1 bot!"
    operation = "PostText"
    bot = {"bot_name": "SupportBotLegacy", "bot_alias": "prod"}

    def config(self) -> dict[str, Any]:
        cfg = e2e.lex_config(self.lex, **self.bot)
        return {**cfg, "connect_timeout_s": TIMEOUT_S, "read_timeout_s": TIMEOUT_S}


PROVIDERS: dict[str, type[Provider]] = {
    p.kind: p for p in (LexV2, LexV1, DialogflowES, DialogflowCX, Webhook)
}


def make(kind: str) -> Provider:
    """A fresh fake provider of this kind."""
    return PROVIDERS[kind]()


def unique() -> str:
    """A short unique tag (agent e-mails)."""
    return uuid.uuid4().hex[:8]
