"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from relaydesk.agents.models import Agent
from relaydesk.ai_agents.models import AIAgent, AIAgentSession, BotTurn
from relaydesk.apps.models import ApiKey, App
from relaydesk.audit.models import AuditEntry
from relaydesk.auth.models import AccessToken
from relaydesk.contacts.models import Contact
from relaydesk.conversations.models import Assignment, Conversation, Participant, ReadMark
from relaydesk.db import Base
from relaydesk.knowledge.models import Article
from relaydesk.messages.models import Message
from relaydesk.ratings.models import Rating
from relaydesk.routing.models import RotationPointer, RoutingSettings
from relaydesk.teams.models import Team, TeamMember
from relaydesk.uploads.models import Upload
from relaydesk.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "AIAgent",
    "Article",
    "AIAgentSession",
    "AccessToken",
    "Agent",
    "ApiKey",
    "App",
    "Assignment",
    "AuditEntry",
    "Base",
    "BotTurn",
    "Contact",
    "Conversation",
    "Message",
    "Rating",
    "Participant",
    "RotationPointer",
    "ReadMark",
    "RoutingSettings",
    "Team",
    "TeamMember",
    "Upload",
    "Webhook",
    "WebhookDelivery",
]
