"""Business hours of the app and of teams: validated, reported (timezones, daylight saving,
holidays), applied by routing (away message, ``assign`` vs ``queue``, a closed team has
nobody eligible, AI agents unaffected), and the desk opening on time across processes.

The server's clock is moved only by ``RELAYDESK_TEST_CLOCK_OFFSET_S``, read by every
process: each test starts its servers at a chosen moment of the week.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.ai_agents.e2e import BILLING_DOC, ai_agent
from tests.support import Api, Server, assert_error, new_app, wait_until

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
BERLIN = {
    "timezone": "Europe/Berlin",
    "weekly": [{"day": d, "open": "09:00", "close": "17:00"} for d in WEEKDAYS],
    "holidays": [],
}
WELCOME, AWAY = "Hi! An agent will be right with you.", "We're closed; we'll answer tomorrow."


def _at(iso: str) -> dict[str, str]:
    """Server settings whose clock reads ``iso`` now (and runs on from there)."""
    target = datetime.fromisoformat(iso).timestamp()
    return {"RELAYDESK_TEST_CLOCK_OFFSET_S": str(target - time.time())}


@pytest.fixture()
def start(shared_database: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def make(iso: str, name: str = "a") -> Server:
        env = {**_at(iso), "RELAYDESK_HOURS_POLL_S": "0.2"}
        srv = Server(database_url=shared_database, env=env, workdir=tmp_path / name).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def _status(api: Api, **params: Any) -> dict[str, Any]:
    return api.ok(api.get("/api/v1/business-hours/status", params=params))  # type: ignore[no-any-return]


def test_hours_are_validated(start: Callable[..., Server]) -> None:
    api = new_app(start("2026-12-02T10:00:00+00:00").url)
    one = {"day": "mon", "open": "09:00", "close": "17:00"}
    bad = [
        {"timezone": "Mars/Olympus", "weekly": [one]},
        {"timezone": "UTC", "weekly": [{**one, "open": "25:00"}]},
        {"timezone": "UTC", "weekly": [{**one, "open": "17:00", "close": "09:00"}]},
        {"timezone": "UTC", "weekly": [{**one, "open": "09:00", "close": "09:00"}]},
        {"timezone": "UTC", "weekly": [{**one, "day": "someday"}]},
        {"timezone": "UTC", "weekly": [one], "holidays": ["2026-02-30"]},
    ]
    for hours in bad:
        assert_error(api.put("/api/v1/routing", {"business_hours": hours}), 422)
        assert_error(api.post("/api/v1/teams", {"name": "T", "business_hours": hours}), 422)
    assert_error(api.put("/api/v1/routing", {"outside_hours": "later"}), 422)
    assert api.ok(api.get("/api/v1/routing"))["business_hours"] is None
    late = {"timezone": "UTC", "weekly": [{**one, "open": "18:00", "close": "24:00"}]}
    assert api.routing(business_hours=late)["business_hours"] == {**late, "holidays": []}


def test_status_follows_the_timezone_daylight_saving_and_holidays(
    start: Callable[..., Server],
) -> None:
    # Friday 27 March 2026, 16:59:50 in Berlin (CET); Sunday the clocks go forward
    api = new_app(start("2026-03-27T15:59:50+00:00").url)
    assert _status(api) == {
        "open": True,
        "next_open_at": None,
        "next_close_at": None,
        "timezone": None,
    }  # no hours: always open
    api.routing(business_hours=BERLIN)
    now = _status(api)
    assert now["open"] is True and now["timezone"] == "Europe/Berlin"
    assert now["next_close_at"] == "2026-03-27T16:00:00Z"
    assert now["next_open_at"] == "2026-03-30T07:00:00Z"  # 09:00 CEST, after the change
    wait_until(lambda: _status(api)["open"] is False, timeout=15)  # closes on time
    assert _status(api)["next_open_at"] == "2026-03-30T07:00:00Z"

    api.routing(business_hours={**BERLIN, "holidays": ["2026-03-30"]})
    assert _status(api)["next_open_at"] == "2026-03-31T07:00:00Z"

    # a team's own hours override the app's
    tokyo = {
        "timezone": "Asia/Tokyo",
        "weekly": [{"day": "sun", "open": "00:00", "close": "24:00"}],
    }
    team = api.ok(api.post("/api/v1/teams", {"name": "Weekend", "business_hours": tokyo}), 201)
    assert team["business_hours"]["timezone"] == "Asia/Tokyo"
    weekend = _status(api, team_id=team["id"])
    assert weekend["open"] is False and weekend["next_open_at"] == "2026-03-28T15:00:00Z"
    plain = api.ok(api.post("/api/v1/teams", {"name": "Office"}), 201)
    assert _status(api, team_id=plain["id"])["timezone"] == "Europe/Berlin"
    assert_error(api.get("/api/v1/business-hours/status", params={"team_id": "team_nope"}), 404)
    api.ok(api.patch(f"/api/v1/teams/{team['id']}", {"business_hours": None}))
    assert _status(api, team_id=team["id"])["timezone"] == "Europe/Berlin"


def test_outside_hours_assign_greets_with_the_away_message_and_ai_agents_work_on(
    start: Callable[..., Server],
) -> None:
    api = new_app(start("2026-12-05T12:00:00+00:00").url)  # a Saturday: closed
    kim = api.agent(name="Kim", status="online")
    api.routing(business_hours=BERLIN, welcome_message=WELCOME, away_message=AWAY)
    conv = api.conversation(message={"text": "hello?"})
    assert conv["assignee"] == {"type": "agent", "id": kim["id"]}  # "assign": as usual
    assert [m["text"] for m in api.messages(conv["id"])][0] == AWAY

    bot = ai_agent(api, "builtin", BILLING_DOC, name="Night bot")
    api.routing(ai_routing={"enabled": True, "ai_agent_ids": [bot["id"]]})
    by_bot = api.conversation()
    assert by_bot["assignee"] == {"type": "ai_agent", "id": bot["id"]}


def test_a_closed_team_has_nobody_eligible(start: Callable[..., Server]) -> None:
    api = new_app(start("2026-12-02T10:00:00+00:00").url)  # Wednesday 11:00 in Berlin
    kim, ida = api.agent(name="Kim", status="online"), api.agent(name="Ida", status="online")
    night = {
        "timezone": "Europe/Berlin",
        "weekly": [{"day": "wed", "open": "20:00", "close": "24:00"}],
    }
    team = api.ok(api.post("/api/v1/teams", {"name": "Night", "member_ids": [ida["id"]]}), 201)
    api.ok(api.patch(f"/api/v1/teams/{team['id']}", {"business_hours": night}))
    rule = {"channel": "whatsapp", "assign_to": {"type": "team", "id": team["id"]}}
    api.routing(business_hours=BERLIN, default_agent_id=kim["id"], channel_rules=[rule])
    conv = api.conversation(channel="whatsapp")
    assert conv["assignee"] == {"type": "agent", "id": kim["id"]}
    last = api.trail(conv["id"])[-1]
    assert (last["reason"], last["detail"]) == ("channel_rule", "outside_business_hours")

    api.routing(outside_hours="queue")  # the app is open: only the team waits
    waiting = api.conversation(channel="whatsapp")
    assert waiting["status"] == "waiting" and waiting["assignee"] is None
    assert api.trail(waiting["id"])[-1]["detail"] == "outside_business_hours"
    on_web = api.conversation()
    assert on_web["status"] == "open" and on_web["assignee"] is not None


def test_queued_outside_hours_and_dequeued_once_at_the_opening_across_processes(
    start: Callable[..., Server],
) -> None:
    # Monday 08:59:30 in Berlin: the desk opens in 30 s; two processes sweep
    a = start("2026-12-07T07:59:30+00:00", "a")
    b = start("2026-12-07T07:59:30+00:00", "b")
    api = new_app(a.url)
    on_b = Api(b.url, api.token)
    kim, ida = api.agent(name="Kim", status="online"), api.agent(name="Ida", status="online")
    api.routing(business_hours=BERLIN, outside_hours="queue", away_message=AWAY)
    assert _status(api)["open"] is False
    convs = [(api if i % 2 else on_b).conversation(message={"text": f"#{i}"}) for i in range(4)]
    for conv in convs:
        assert conv["status"] == "waiting" and conv["assignee"] is None
        assert api.trail(conv["id"])[-1]["reason"] == "outside_hours"
        assert api.messages(conv["id"])[0]["text"] == AWAY
    # an agent coming online dequeues as usual, but not while the desk is closed
    api.ok(api.patch(f"/api/v1/agents/{kim['id']}", {"status": "away"}))
    api.ok(api.patch(f"/api/v1/agents/{kim['id']}", {"status": "online"}))
    assert all(
        api.ok(api.get(f"/api/v1/conversations/{c['id']}"))["status"] == "waiting" for c in convs
    )

    def all_assigned() -> bool:
        return all(
            api.ok(api.get(f"/api/v1/conversations/{c['id']}"))["status"] == "open" for c in convs
        )

    wait_until(all_assigned, timeout=60, interval=0.3)
    time.sleep(1.0)  # more sweeps of both processes
    assignees = []
    for conv in convs:
        trail = api.trail(conv["id"])
        assert [t["reason"] for t in trail] == ["outside_hours", "dequeued"]  # exactly once
        assignees.append(trail[-1]["to"]["id"])
    assert assignees == [kim["id"], ida["id"], kim["id"], ida["id"]]  # oldest first, in turn
