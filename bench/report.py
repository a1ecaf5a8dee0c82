"""docs/benchmarks.md from bench/results/*.json: one table per benchmark, every row a measured
figure beside its baseline from the same run and the ratio of the two.

Run from the repository root: ``.venv/bin/python -m bench.report`` (``python3 dev.py bench``
runs the benchmarks first, then this). Only reads the result files; a benchmark without one
is listed as missing.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OUTPUT = ROOT / "docs" / "benchmarks.md"

#: in the order they are run and documented
ORDER = ["ingest", "routing_engine", "routing_http", "ai_turns", "fanout"]

Row = tuple[str, str, str, str]  # case, measured, baseline, ratio


def num(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if abs(x) >= 10_000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b or math.isnan(a) or math.isnan(b):
        return "–"
    r = a / b
    return f"{r:.2f}×" if r < 100 else f"{r:.0f}×"


def table(rows: list[Row], header: Row) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


# --- one function per benchmark: (title, rows, notes) ---------------------------------------


def ingest(d: dict[str, Any]) -> tuple[str, list[Row], list[str]]:
    rows: list[Row] = []
    for backend, data in d["results"].items():
        for level, lv in data["levels"].items():
            m, h, r = lv["messages"], lv["healthz"], lv["raw_insert"]
            case = f"{backend}, {level} client{'s' if level != '1' else ''}"
            measured = f"POST message {num(m['per_second'])}/s, p50 {num(m['p50_ms'], 2)} ms"
            rows.append(
                (
                    case,
                    measured,
                    f"raw INSERT {num(r['per_second'])}/s, p50 {num(r['p50_ms'], 2)} ms",
                    ratio(m["per_second"], r["per_second"]),
                )
            )
            rows.append(
                (
                    case,
                    measured,
                    f"GET /healthz {num(h['per_second'])}/s, p50 {num(h['p50_ms'], 2)} ms",
                    ratio(m["per_second"], h["per_second"]),
                )
            )
    notes = [
        "Ratio = throughput of the measured case over the baseline's (1.00× = as fast). "
        "The raw INSERT is the server's own statement from the benchmark process; "
        "`/healthz` is HTTP + ASGI + the client without a database."
    ]
    return "Message ingest through the real server", rows, notes


def routing_engine(d: dict[str, Any]) -> tuple[str, list[Row], list[str]]:
    rows: list[Row] = []
    for size, row in d["results"].items():
        base = row["baseline_scan"]
        for case in ("automatic", "team_rule", "queued_worst", "arrival_applied"):
            if case in row:
                rows.append(
                    (
                        f"{size} agents, `{case}`",
                        f"{num(row[case], 0)} decisions/s",
                        f"eligibility scan {num(base, 0)}/s",
                        ratio(row[case], base),
                    )
                )
    notes = [
        f"Best of {d.get('repeats', '?')} repeats. Ratio = decisions per second over scans "
        "per second of the same agent list (above 1× means the rotation stops before the "
        "end of the list)."
    ]
    return "Routing engine (pure), decisions per second", rows, notes


def routing_http(d: dict[str, Any]) -> tuple[str, list[Row], list[str]]:
    by = {(c["case"], c["concurrency"]): c for c in d["cases"]}
    rows: list[Row] = []
    for lvl in sorted({c["concurrency"] for c in d["cases"]}):
        raw = by.get(("raw SQL", lvl))
        if raw is None:
            continue
        for case in ("create 1 proc", "create 2 procs", "raw SQL + lock"):
            c = by.get((case, lvl))
            if c is None:
                continue
            rows.append(
                (
                    f"c={lvl}, {case}",
                    f"{num(c['per_second'])}/s, p50 {num(c['p50_ms'])} ms",
                    f"raw SQL {num(raw['per_second'])}/s, p50 {num(raw['p50_ms'])} ms",
                    ratio(c["per_second"], raw["per_second"]),
                )
            )
    check = d.get("routed_once_check") or {}
    notes = [
        "Conversations created (and routed) per second on PostgreSQL. Raw SQL = the same "
        "rows in one transaction without routing or HTTP; `raw SQL + lock` adds the per-app "
        "`FOR UPDATE` that routing takes.",
        f"Routed-once check: {check.get('conversations', '?')} conversations, "
        f"{check.get('audit_rows', '?')} audit rows, {check.get('unassigned', '?')} unassigned.",
    ]
    return "Conversations created and routed over HTTP", rows, notes


def ai_turns(d: dict[str, Any]) -> tuple[str, list[Row], list[str]]:
    samples = d["samples"]
    base = {(s["delay_ms"], s["concurrency"]): s for s in samples if s["target"] == "boto3"}
    rows: list[Row] = []
    for s in samples:
        b = base.get((s["delay_ms"], s["concurrency"]))
        if s["target"] != "relaydesk" or b is None:
            continue
        rows.append(
            (
                f"{s['backend']}, bot {s['delay_ms']} ms, {s['concurrency']} at once",
                f"p50 {num(s['p50_ms'])} / p99 {num(s['p99_ms'])} ms, "
                f"{num(s['turns_per_s'])} turns/s",
                f"boto3 p50 {num(b['p50_ms'])} / p99 {num(b['p99_ms'])} ms, "
                f"{num(b['turns_per_s'])}/s",
                f"{ratio(s['p50_ms'], b['p50_ms'])} (+{num(s['p50_ms'] - b['p50_ms'])} ms p50)",
            )
        )
    notes = [
        "Latency = contact message POSTed → the AI agent's reply on the app's WebSocket; "
        "baseline = a direct boto3 `RecognizeText` to the same fake Lex at the same "
        "concurrency. Ratio = p50 over the baseline's p50, with the difference."
    ]
    return "AI-agent turns (fake Lex)", rows, notes


def ai_turns_hol(d: dict[str, Any]) -> tuple[str, list[Row], list[str]] | None:
    hol = d.get("head_of_line") or []
    if not hol:
        return None
    rows: list[Row] = []
    for h in hol:
        a, m = h["all_fast"], h["mixed_fast"]
        goal = "met" if h["goal_met"] else "**not met**"
        rows.append(
            (
                f"{h['backend']}, {h['conversations']} at once, "
                f"{h['slow_conversations']} on the {h['slow_delay_ms']} ms bot",
                f"fast ones p50 {num(m['p50_ms'])} / p99 {num(m['p99_ms'])} ms "
                f"({m['turns']} turns)",
                f"all fast p50 {num(a['p50_ms'])} / p99 {num(a['p99_ms'])} ms ({a['turns']} turns)",
                f"{ratio(m['p99_ms'], a['p99_ms'])} p99, rise {h['p99_rise_ms']:+.1f} ms "
                f"(goal < {h['goal_p99_rise_ms']:.0f}: {goal})",
            )
        )
    h0 = hol[0]
    notes = [
        f"The same {h0['conversations']} conversations' worth of load twice on one server: "
        "all talking to the fast bot, then "
        f"{h0['slow_conversations']} of them replaced by conversations on a bot answering after "
        f"{h0['slow_delay_ms']} ms. Each conversation pauses {h0['think_ms']} ms (jittered) "
        f"between turns; {h0.get('rounds', 1)} round(s) in ABBA order, "
        f"{num(h0['seconds'], 0)} s measured per side. The slow conversations' own p50 was "
        + ", ".join(f"{num(h['mixed_slow']['p50_ms'], 0)} ms ({h['backend']})" for h in hol)
        + ". Goal of issue #12: p99 rise under 50 ms."
    ]
    return "AI-agent turns: head of line (fast conversations beside slow-bot ones)", rows, notes


def fanout(d: dict[str, Any]) -> tuple[str, list[Row], list[str]]:
    lat = d["latency"]
    redis = {r["rate"]: r for r in lat if r["case"] == "redis rtt"}
    rows: list[Row] = []
    for r in lat:
        b = redis.get(r["rate"])
        if r["case"] == "redis rtt" or b is None:
            continue
        rows.append(
            (
                f"{r['case']}, {num(r['rate'], 0)} msg/s",
                f"p50 {num(r['p50_ms'], 2)} / p99 {num(r['p99_ms'], 2)} ms "
                f"({r['received']}/{r['sent']})",
                f"Redis pub/sub p50 {num(b['p50_ms'], 2)} / p99 {num(b['p99_ms'], 2)} ms",
                ratio(r["p50_ms"], b["p50_ms"]) + " p50",
            )
        )
    for s in d.get("idle_sockets", []):
        rows.append(
            (
                f"{s['sockets']} idle sockets",
                f"RSS {num(s['rss_mib'])} MiB ({num(s['kib_per_socket'])} KiB/socket)",
                f"RSS before {num(s['rss_base_mib'])} MiB",
                ratio(s["rss_mib"], s["rss_base_mib"]),
            )
        )
    notes = [
        f"Backend {d.get('backend', '?')}, Redis between the processes. Latency = message "
        "POSTed → `message.created` on an API-key WebSocket (`2 procs`: POST on one process, "
        "socket on the other). Ratio = p50 over a Redis PUBLISH → SUBSCRIBE round trip at "
        "the same rate."
    ]
    return "Real-time fan-out", rows, notes


SECTIONS: dict[str, Callable[[dict[str, Any]], tuple[str, list[Row], list[str]]]] = {
    "ingest": ingest,
    "routing_engine": routing_engine,
    "routing_http": routing_http,
    "ai_turns": ai_turns,
    "fanout": fanout,
}


# --- the run records ------------------------------------------------------------------------


def run_record(d: dict[str, Any]) -> dict[str, Any]:
    """The run record, or what an older result file has of it."""
    if "run" in d:
        return d["run"]  # type: ignore[no-any-return]
    load = d.get("loadavg_1m") or {}
    start = (d.get("machine") or {}).get("loadavg_at_start")
    return {
        "timestamp": d.get("timestamp") or d.get("when"),
        "commit": d.get("commit"),
        "uncommitted": None,
        "loadavg_1m": {
            "before": load.get("before", start[0] if start else None),
            "after": load.get("after"),
        },
        "wall_seconds": d.get("wall_seconds") or d.get("total_seconds") or d.get("seconds"),
        "argv": None,
    }


def when(run: dict[str, Any]) -> str:
    """When the run started (older files: when it ended), UTC."""
    stamp = run.get("started") or run.get("timestamp") or "?"
    return str(stamp).replace("T", " ").rstrip("Z")


def describe(name: str, run: dict[str, Any]) -> str:
    load = run.get("loadavg_1m") or {}
    commit = (run.get("commit") or "?")[:10]
    dirty = run.get("uncommitted")
    if dirty:
        commit += f" + uncommitted {', '.join(f'`{p}`' for p in dirty)}"
    elif dirty is None:
        commit += " (worktree state not recorded)"
    if run.get("commit_at_end"):
        commit += f"; HEAD moved to {run['commit_at_end'][:10]} during the run"
    elif "uncommitted_at_end" in run:
        commit += "; the worktree changed during the run"
    argv = run.get("argv")
    cmd = f"`python -m bench.{name}{' ' + ' '.join(argv) if argv else ''}`"
    wall = run.get("wall_seconds")
    return (
        f"Run {when(run)} UTC, "
        f"{cmd}{' (flags not recorded)' if argv is None else ''}, "
        f"{num(wall, 0)} s; load average (1 min) {num(load.get('before'), 2)} before, "
        f"{num(load.get('after'), 2)} after; commit {commit}."
    )


def render(this_run: dict[str, float] | None = None, total_seconds: float | None = None) -> str:
    """The whole page. ``this_run``: benchmark -> seconds, for those just run."""
    loaded = {}
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if path.exists():
            loaded[name] = json.loads(path.read_text())
    out = [
        "# Benchmarks",
        "",
        "Generated by `python3 dev.py bench` (`bench/run.py`, then `bench/report.py`) from "
        "`bench/results/*.json`; do not edit by hand. Every row puts a figure next to a "
        "baseline measured in the same run, on the same machine, and their ratio. The "
        "client, the server, the database and the fakes share the machine, so a run on a "
        "busy machine (see each load average) is not comparable with one on a quiet one. "
        "`dev.py bench` uses shortened durations (the flags in each section); the "
        "benchmarks' own defaults run longer and give steadier figures. What each case "
        "does is in [`bench/README.md`](../bench/README.md) and each module's docstring.",
        "",
    ]
    if this_run is not None:
        ran = ", ".join(f"{n} ({s:.0f} s)" for n, s in this_run.items())
        total = f"{total_seconds:.0f} s" if total_seconds is not None else "?"
        out += [f"Last `dev.py bench`: {ran}; {total} in all.", ""]
    out += [
        "| benchmark | run (UTC) | load avg before → after | commit | seconds |",
        "|---|---|---|---|---|",
    ]
    for name in ORDER:
        if name not in loaded:
            out.append(f"| {name} | missing | | | |")
            continue
        run = run_record(loaded[name])
        load = run.get("loadavg_1m") or {}
        out.append(
            f"| [{name}](#{name}) | "
            f"{when(run)} | "
            f"{num(load.get('before'), 2)} → {num(load.get('after'), 2)} | "
            f"{(run.get('commit') or '?')[:10]}"
            f"{'*' if run.get('uncommitted') or 'uncommitted_at_end' in run else ''}"
            f"{'†' if run.get('commit_at_end') else ''} | "
            f"{num(run.get('wall_seconds'), 0)} |"
        )
    records = [run_record(d) for d in loaded.values()]
    notes = []
    if any(r.get("uncommitted") or "uncommitted_at_end" in r for r in records):
        notes.append("\\* measured with uncommitted changes to the files listed in its section.")
    if any(r.get("commit_at_end") for r in records):
        notes.append("† HEAD moved during the run (commit = HEAD when it started).")
    if notes:
        out += ["", " ".join(notes)]
    header: Row = ("case", "measured", "baseline (same run)", "ratio")
    for name in ORDER:
        if name not in loaded:
            continue
        d = loaded[name]
        title, rows, notes = SECTIONS[name](d)
        out += ["", f"## {name}", "", f"{title}. {describe(name, run_record(d))}", ""]
        out += table(rows, header)
        for note in notes:
            out += ["", note]
        if name == "ai_turns":
            hol = ai_turns_hol(d)
            if hol is not None:
                hol_title, hol_rows, hol_notes = hol
                out += ["", f"### {hol_title}", ""]
                out += table(hol_rows, ("case", "mixed run", "all-fast run (same run)", "ratio"))
                for note in hol_notes:
                    out += ["", note]
    return "\n".join(out) + "\n"


def write(this_run: dict[str, float] | None = None, total_seconds: float | None = None) -> Path:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(this_run, total_seconds))
    return OUTPUT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    path = write()
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
