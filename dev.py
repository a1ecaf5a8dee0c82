#!/usr/bin/env python3
"""One entry point for a fresh machine (needs only Python 3.11+).

    python3 dev.py demo    # set up .venv, then run the demo server (SQLite, built-in bot)
    python3 dev.py test    # set up .venv, then run the whole test suite
    python3 dev.py bench   # set up .venv, run every benchmark (shortened, ~6 min on 2 cores)
                           # and write docs/benchmarks.md; `bench ingest ai_turns`: only those

Any further arguments are passed on (to ``relaydesk demo``, to ``pytest``, or to
``bench/run.py``: the names of the benchmarks to run). The benchmarks use PostgreSQL at
$RELAYDESK_TEST_DATABASE_URL and Redis at $RELAYDESK_TEST_REDIS_URL (local defaults).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".relaydesk-installed"


def ensure_env() -> None:
    """Create .venv and install relaydesk with its dev extras when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on any python3
        sys.exit(f"relaydesk needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("installing relaydesk and its dependencies into .venv …", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(digest)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "bench", "serve", "shell"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_env()
    os.chdir(ROOT)
    if command == "test":
        workers = os.environ.get("RELAYDESK_TEST_WORKERS", "2")
        # whole files per worker: many modules start their own servers and fakes
        args = [str(PY), "-m", "pytest", "-n", workers, "--dist", "loadfile", *rest]
    elif command == "bench":
        args = [str(PY), "-m", "bench.run", *rest]
    elif command == "shell":
        args = [str(BIN / "python"), *rest]
    else:
        args = [str(BIN / "relaydesk"), command, *rest]
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main())
