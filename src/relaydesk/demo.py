"""What ``relaydesk demo`` adds: the demo app, its agents, and a built-in AI agent
answering a support FAQ.

``seed`` creates (or finds) them inside the set-up transaction that
:func:`relaydesk.actions.seed.seed_demo` commits. ``setup`` creates the AI agent once (found
by name on later starts) and, when it creates it, turns AI routing on with it, so new
conversations get its welcome and "talk to a human" hands them to the online demo agents.
Routing changes made in the dashboard afterwards are kept on restart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

DEMO_BOT_NAME = "Relay (demo bot)"


def _suggest(*titles: str) -> list[dict[str, str]]:
    return [{"title": t, "message": t} for t in titles]


#: The demo bot's Kompose document (also a readable example of the builtin config format).
DEMO_FAQ: dict[str, Any] = {
    "intents": [
        {
            "name": "welcome",
            "category": "welcome_event",
            "content": [
                {
                    "message": "Hi, I'm Relay, the demo bot. I can answer questions about "
                    "shipping, returns and our opening hours, or get you a human.",
                    "metadata": {
                        "contentType": "300",
                        "templateId": "6",
                        "payload": _suggest(
                            "Shipping", "Returns", "Opening hours", "Plans", "Talk to a human"
                        ),
                    },
                }
            ],
        },
        {
            "name": "shipping",
            "category": "intent",
            "trainingPhrases": [
                "shipping",
                "how long does shipping take",
                "when will my order arrive",
                "delivery time",
                "do you ship internationally",
                "shipping costs",
                "where is my order",
                "track my order",
            ],
            "content": [
                {
                    "message": "Orders leave our warehouse within 1 business day. Delivery "
                    "takes 3-5 business days (7-10 abroad) and is free over $50."
                }
            ],
        },
        {
            "name": "returns",
            "category": "intent",
            "trainingPhrases": [
                "returns",
                "how do I return an item",
                "return policy",
                "can I get a refund",
                "refund",
                "I want a refund",
            ],
            "content": [
                {
                    "message": "You can return anything within 30 days for a full refund. "
                    "Start a return from your order page; the label is on us."
                }
            ],
        },
        {
            "name": "opening hours",
            "category": "intent",
            "trainingPhrases": [
                "opening hours",
                "when are you open",
                "what are your hours",
                "business hours",
                "are you open on weekends",
                "hours",
                "when do you open",
            ],
            "content": [
                {
                    "message": "Our team is here Monday to Friday, 9:00-18:00 (CET). Outside "
                    "those hours I answer, and a human follows up the next business day."
                }
            ],
        },
        {
            "name": "plans",
            "category": "intent",
            "trainingPhrases": ["plans", "pricing", "how much does it cost", "show me the plans"],
            "content": [
                {
                    "message": "Here is our most popular plan:",
                    "metadata": {
                        "contentType": "300",
                        "templateId": "10",
                        "payload": [
                            {
                                "title": "Pro - $29/month",
                                "subtitle": "Unlimited conversations, AI agents, 5 seats",
                                "buttons": [
                                    {
                                        "name": "Talk to sales",
                                        "action": {
                                            "type": "quickReply",
                                            "payload": {
                                                "title": "Talk to sales",
                                                "message": "Talk to a human",
                                            },
                                        },
                                    },
                                    {
                                        "name": "Shipping",
                                        "action": {
                                            "type": "quickReply",
                                            "payload": {
                                                "title": "Shipping",
                                                "message": "Shipping",
                                            },
                                        },
                                    },
                                ],
                            }
                        ],
                    },
                }
            ],
        },
        {
            "name": "human",
            "category": "intent",
            "trainingPhrases": [
                "talk to a human",
                "speak to an agent",
                "speak to a human",
                "can I talk to someone",
                "real person please",
                "human please",
                "customer service representative",
            ],
            "content": [
                {
                    "message": "Connecting you with a teammate, one moment.",
                    "metadata": {"KM_ASSIGN_TO": ""},
                }
            ],
        },
        {
            "name": "thanks",
            "category": "small_talk",
            "trainingPhrases": ["thanks", "thank you", "great thanks"],
            "content": [{"message": "You're welcome! Anything else?"}],
        },
        {
            "name": "fallback",
            "category": "fallback_intent",
            "content": [
                {
                    "message": 'Sorry, I didn\'t get that. Try "shipping", "returns", '
                    '"opening hours" or "talk to a human".'
                }
            ],
        },
    ],
    "languageCodes": ["en"],
    "handoff_after_fallbacks": 2,
    "use_knowledge": True,  # what no intent covers is answered from DEMO_ARTICLES
}

#: The demo app's knowledge base: the demo bot answers from it, offline.
DEMO_ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Resetting your password",
        "body": "Open Settings, choose Security and press Reset password. We e-mail you a "
        "link that works for one hour.",
        "url": "https://help.relaydesk.dev/password",
        "tags": ["account"],
    },
    {
        "title": "Gift cards",
        "body": "Gift cards never expire and can be used for any order, also together with "
        "a discount code.",
        "url": "https://help.relaydesk.dev/gift-cards",
        "tags": ["payments"],
    },
    {
        "title": "Payment methods",
        "body": "We accept credit and debit cards, PayPal and bank transfer. Invoices are "
        "e-mailed when the order ships.",
        "url": "https://help.relaydesk.dev/payments",
        "tags": ["payments"],
    },
]


async def setup(session: AsyncSession, app_id: str) -> dict[str, Any]:
    """Create (once) the demo bot and route new conversations to it; lines for the banner."""
    from relaydesk.ai_agents import service
    from relaydesk.ai_agents.models import AIAgent
    from relaydesk.config import get_settings
    from relaydesk.knowledge import service as knowledge
    from relaydesk.routing.service import hand_new_conversations_to
    from relaydesk.security import SecretBox

    bot = await session.scalar(
        select(AIAgent).where(
            AIAgent.app_id == app_id,
            AIAgent.name == DEMO_BOT_NAME,
            AIAgent.kind == "builtin",
            AIAgent.deleted_at.is_(None),
        )
    )
    if bot is None:
        box = SecretBox.from_settings(get_settings())
        bot = await service.create(
            session,
            app_id=app_id,
            box=box,
            name=DEMO_BOT_NAME,
            kind="builtin",
            config=DEMO_FAQ,
        )
        await hand_new_conversations_to(session, app_id=app_id, ai_agent_id=bot.id)
        for article in DEMO_ARTICLES:
            await knowledge.create(session, app_id=app_id, **article)
    return {
        "lines": [
            f"Built-in AI agent  {DEMO_BOT_NAME} ({bot.id}) answers new conversations; "
            '"talk to a human" hands over to the online agents',
            f"Knowledge base     {len(DEMO_ARTICLES)} articles the demo bot answers from "
            '(try "do gift cards expire?")',
        ]
    }


DEMO_AGENTS = [
    ("alice@demo.relaydesk.dev", "Alice Admin", "admin", "online"),
    ("bob@demo.relaydesk.dev", "Bob Agent", "agent", "online"),
    ("carol@demo.relaydesk.dev", "Carol Agent", "agent", "away"),
]
DEMO_PASSWORD = "relaydesk-demo"


async def seed(session: AsyncSession) -> dict[str, Any]:
    """Create (or find) the demo app and its agents; returns what to print."""
    from relaydesk.agents import service as agents
    from relaydesk.apps import service as apps
    from relaydesk.apps.models import App

    app = await session.scalar(select(App).where(App.name == "relaydesk demo"))
    if app is None:
        app, _ = await apps.create(session, name="relaydesk demo")
    _, api_key = await apps.create_api_key(session, app_id=app.id, name="demo")
    for email, name, role, status in DEMO_AGENTS:
        if await agents.get_by_email(session, app_id=app.id, email=email) is None:
            await agents.create(
                session,
                app_id=app.id,
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=role,
                status=status,
            )
    return {"app_id": app.id, "api_key": api_key, **await setup(session, app.id)}
