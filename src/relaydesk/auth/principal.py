"""Who is calling: resolved from the bearer token by ``deps.py``, passed on to the actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from relaydesk.agents.models import Agent
from relaydesk.contacts.models import Contact

PrincipalKind = Literal["operator", "api_key", "agent", "contact"]


@dataclass
class Principal:
    """Who is calling: the operator, an app API key, an agent or a contact."""

    kind: PrincipalKind
    app_id: str | None = None
    id: str | None = None  # api key id, agent id or contact id
    agent: Agent | None = None
    contact: Contact | None = None
    #: a contact's app's allowed_origins (the widget's websites); empty: any
    allowed_origins: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        """API keys and admin agents may change settings, agents, teams and AI agents."""
        return self.kind == "api_key" or (
            self.kind == "agent" and self.agent is not None and self.agent.role == "admin"
        )

    @property
    def own_contact_id(self) -> str | None:
        """A contact sees only its own conversations: its id; None for everyone else."""
        return self.id if self.kind == "contact" else None

    @property
    def actor(self) -> tuple[str, str | None]:
        """The (type, id) recorded in audit trails."""
        return {"api_key": "api_key", "agent": "agent", "contact": "contact"}.get(
            self.kind, "system"
        ), self.id
