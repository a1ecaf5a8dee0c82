"""Actions: every change that clients hear about, one function each (as in Zulip's actions).

An action owns its transaction: it calls the domain services (which change rows in the
caller's session, queue events with ``emit`` and never commit), calls routing where the
change routes, writes the durable jobs the change causes (bot turns; webhook deliveries are
written by the outbox hook at commit), then commits with :func:`relaydesk.events.commit`,
which publishes the events and wakes the workers only after the commit.

Layering: api → actions → services → models; the routing engine is pure; connectors sit
behind ``ai_agents.registry``. Nothing below the actions imports them.
"""
