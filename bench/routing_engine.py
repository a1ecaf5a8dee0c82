"""Micro-benchmark of the pure routing engine: decisions per second for 10, 100, 1000 agents.

Run: ``.venv/bin/python bench/routing_engine.py``. Prints a table and writes
``bench/results/routing_engine.json``. Each figure is the best of several repeats.

Cases (same agent list per size; 60% online, 20% away, 20% offline; capacities None or
3..8 with random loads below them, fixed seed):
- ``baseline_scan``: one plain Python pass over the agent list checking eligibility
  (what any implementation must at least do in its worst case), the yardstick;
- ``automatic``: ``route_new`` in automatic mode (round robin over all agents), with the
  pointer at a different agent on each call;
- ``team_rule``: ``route_new`` through a channel rule to a team holding every 10th agent;
- ``queued_worst``: ``route_new`` when every agent is online at capacity, so the rotation
  scans the whole list and queues (the engine's worst case, comparable to the baseline);
- ``arrival_applied``: ``route_new`` + ``apply_decision`` (load and pointer moved), i.e. a
  simulated sequence of arrivals including building the next snapshot.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python bench/routing_engine.py``
    sys.path.insert(0, str(ROOT))

from bench.common import run_info  # noqa: E402
from relaydesk.routing.engine import (  # noqa: E402
    APP_SCOPE,
    Agent,
    Conversation,
    RoutingSettings,
    Snapshot,
    Target,
    Team,
    apply_decision,
    route_new,
    team_scope,
)

SIZES = (10, 100, 1000)
REPEATS = 5
MIN_SECONDS = 0.2
RESULTS = Path(__file__).parent / "results" / "routing_engine.json"


def make_agents(n: int, rng: random.Random) -> tuple[Agent, ...]:
    """n agents with mixed statuses, capacities and loads."""
    out = []
    for i in range(n):
        status = rng.choices(["online", "away", "offline"], weights=[6, 2, 2])[0]
        cap = rng.choice([None, None, 3, 5, 8])
        load = rng.randint(0, cap) if cap is not None else rng.randint(0, 6)
        out.append(
            Agent(
                id=f"agent-{i:05d}",
                email=f"agent{i}@example.test",
                status=status,  # type: ignore[arg-type]
                open_count=load,
                max_concurrent=cap,
            )
        )
    return tuple(out)


def timed(fn: Callable[[int], object]) -> float:
    """Calls per second of fn(i), best of REPEATS runs of at least MIN_SECONDS each."""
    best = 0.0
    for _ in range(REPEATS):
        count = 0
        batch = 256
        start = time.perf_counter()
        while True:
            for i in range(count, count + batch):
                fn(i)
            count += batch
            elapsed = time.perf_counter() - start
            if elapsed >= MIN_SECONDS:
                break
        best = max(best, count / elapsed)
    return best


def bench_size(n: int) -> dict[str, float]:
    """All cases for one agent count."""
    rng = random.Random(n)
    agents = make_agents(n, rng)
    ids = [a.id for a in agents]
    team = Team(id="t", member_ids=frozenset(ids[::10]))
    base = Snapshot(
        settings=RoutingSettings(default_agent_id=ids[0]),
        agents=agents,
        teams={"t": team},
    )
    team_base = replace(
        base, settings=replace(base.settings, channel_rules={"web": Target(type="team", id="t")})
    )
    # Pre-built snapshots with the pointer at different agents, so every call starts elsewhere.
    pointers = [ids[(i * 7919) % n] for i in range(64)]
    auto_snaps = [replace(base, pointers={APP_SCOPE: p}) for p in pointers]
    team_snaps = [replace(team_base, pointers={team_scope("t"): p}) for p in pointers]
    conversation = Conversation(id="c")

    def baseline(i: int) -> object:
        for a in agents:
            if a.status == "online" and (
                a.max_concurrent is None or a.open_count < a.max_concurrent
            ):
                pass
        return None

    def automatic(i: int) -> object:
        return route_new(auto_snaps[i & 63], conversation)

    def team_rule(i: int) -> object:
        return route_new(team_snaps[i & 63], conversation)

    saturated = Snapshot(
        agents=tuple(replace(a, status="online", max_concurrent=1, open_count=1) for a in agents),
        pointers={APP_SCOPE: ids[0]},
    )

    def queued_worst(i: int) -> object:
        return route_new(saturated, conversation)

    state = {"s": base}

    def arrival(i: int) -> object:
        s = state["s"]
        d = route_new(s, conversation)
        s = apply_decision(s, d)
        # keep loads bounded so the run stays representative instead of saturating
        state["s"] = base if i % 512 == 511 else s
        return d

    return {
        "baseline_scan": timed(baseline),
        "automatic": timed(automatic),
        "team_rule": timed(team_rule),
        "queued_worst": timed(queued_worst),
        "arrival_applied": timed(arrival),
    }


def main() -> None:
    """Run every size, print the table, write the JSON results."""
    started, load_before = time.monotonic(), os.getloadavg()[0]
    results = {n: bench_size(n) for n in SIZES}
    cases = list(next(iter(results.values())))
    header = f"{'agents':>7} " + " ".join(f"{c:>16}" for c in cases) + f" {'auto/baseline':>14}"
    print("decisions (or baseline scans) per second, best of", REPEATS)
    print(header)
    for n, row in results.items():
        ratio = row["automatic"] / row["baseline_scan"]
        print(f"{n:>7} " + " ".join(f"{row[c]:>16,.0f}" for c in cases) + f" {ratio:>14.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "routing_engine",
                "unit": "calls_per_second",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "repeats": REPEATS,
                "results": {str(n): row for n, row in results.items()},
                "run": run_info(started, load_before),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
