"""Closed-loop load from ``wrk`` against a real server: the hot paths beside ``GET /healthz``.

Run from the repository root: ``.venv/bin/python -m bench.wrk_load`` (``--help`` for
flags). Needs ``wrk`` on the PATH (Debian: ``apt-get install wrk``); prints a table and
writes ``bench/results/wrk_load.json``.

``bench.ingest`` drives the server from a Python client, which on a small machine is slower
than the server's own ``/healthz`` and so flatters the ratios. Here the load comes from
``wrk`` (C, one thread per core, ``--connections`` keep-alive connections), and the same
run measures:

- ``healthz``: ``GET /healthz``, the bare endpoint (HTTP + ASGI, no database);
- ``message``: ``POST /api/v1/conversations/{id}/messages`` with the API key, a contact's
  short text, round robin over ``--conversations`` open conversations (assigned to agents,
  no AI agent);
- ``create``: ``POST /api/v1/conversations`` with a new contact each time, routed round
  robin over ``--agents`` online agents.

``--profile`` records the server under py-spy during each case (``bench/results/py-spy-<case>.txt``,
collapsed stacks; ``py-spy`` must be installed). The server's CPU time per request is
read from ``/proc`` around each case.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    Server,
    create_postgres_database,
    drop_postgres_database,
    new_app,
)

from bench.common import DEFAULT_PG, PRODUCTION_WORKERS, run_info  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "wrk_load.json"

MESSAGE_LUA = """
local ids = {%(ids)s}
local n = 0
request = function()
  n = n + 1
  local path = "/api/v1/conversations/" .. ids[(n %% #ids) + 1] .. "/messages"
  return wrk.format("POST", path, nil, '{"sender":{"type":"contact"},"text":"hello there"}')
end
"""

CREATE_LUA = """
local n = 0
local tag = "%(tag)s" .. tostring(math.random(1, 1000000000))
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/conversations", nil,
    '{"contact":{"external_id":"' .. tag .. '-' .. n .. '"},"message":{"text":"hi"}}')
end
"""

DONE_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %f, \\"errors\\": %d, "
    .. "\\"p50_ms\\": %f, \\"p90_ms\\": %f, \\"p99_ms\\": %f}\\n",
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000))
end
"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, path: str, lua: str, args: argparse.Namespace, token: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua + DONE_LUA)
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        "-H",
        "Content-Type: application/json",
        "-s",
        f.name,
        url + path,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    match = re.search(r"^JSON (.*)$", out, re.M)
    assert match, out
    result: dict[str, Any] = json.loads(match.group(1))
    result["per_second"] = result["requests"] / result["seconds"]
    return result


def _case(
    server: Server, name: str, path: str, lua: str, args: argparse.Namespace, token: str
) -> dict[str, Any]:
    assert server.proc
    pid = server.proc.pid
    _wrk(server.url, path, lua, argparse.Namespace(**{**vars(args), "seconds": 2}), token)
    spy = None
    if args.profile:
        out = ROOT / "bench" / "results" / f"py-spy-{name}.txt"
        spy = subprocess.Popen(
            ["py-spy", "record", "-p", str(pid), "-f", "raw", "-o", str(out), "-r", "200"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)
    before = _cpu_seconds(pid)
    result = _wrk(server.url, path, lua, args, token)
    result["server_cpu_ms_per_request"] = (
        1000 * (_cpu_seconds(pid) - before) / max(1, result["requests"])
    )
    if spy:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    result["case"] = name
    return result


def _seed(server: Server, args: argparse.Namespace) -> tuple[str, list[str]]:
    api = new_app(server.url, "wrk bench")
    for i in range(args.agents):
        agent = api.agent(name=f"Agent {i}")
        api.ok(api.patch(f"/api/v1/agents/{agent['id']}", {"status": "online"}))
    ids = [api.conversation(f"seed-{i}")["id"] for i in range(args.conversations)]
    assert api.token
    return api.token, ids


def measure(database_url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    env = {**PRODUCTION_WORKERS, **json.loads(args.extra_env)}
    server = Server(database_url=database_url, env=env).start()
    try:
        token, ids = _seed(server, args)
        message_lua = MESSAGE_LUA % {"ids": ",".join(f'"{i}"' for i in ids)}
        results = []
        for case in args.cases.split(","):
            if case == "healthz":
                results.append(_case(server, case, "/healthz", "", args, token))
            elif case == "message":
                path = f"/api/v1/conversations/{ids[0]}/messages"
                results.append(_case(server, case, path, message_lua, args, token))
            elif case == "create":
                lua = CREATE_LUA % {"tag": uuid.uuid4().hex[:6]}
                results.append(_case(server, case, "/api/v1/conversations", lua, args, token))
        return results
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--cases", default="healthz,message,create")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--profile", action="store_true", help="record the server with py-spy")
    parser.add_argument("--extra-env", default="{}", help="JSON of server env overrides")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    started, load = time.monotonic(), os.getloadavg()[0]
    rows: dict[str, list[dict[str, Any]]] = {}
    for backend in args.backends.split(","):
        if backend == "postgres":
            url = create_postgres_database(args.postgres_url)
            try:
                rows[backend] = measure(url, args)
            finally:
                drop_postgres_database(url)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                rows[backend] = measure(f"sqlite+aiosqlite:///{tmp}/bench.db", args)
    print("| backend | case | req/s | p50 ms | p99 ms | errors | server CPU ms/req | vs healthz |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, results in rows.items():
        base = next((r["per_second"] for r in results if r["case"] == "healthz"), None)
        for r in results:
            ratio = f"{r['per_second'] / base:.2f}×" if base else "—"
            print(
                f"| {backend} | {r['case']} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {r['errors']} | {r['server_cpu_ms_per_request']:.2f} | "
                f"{ratio} |"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"run": run_info(started, load), "args": vars(args), "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
