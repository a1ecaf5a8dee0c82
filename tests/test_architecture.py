"""The house rules (README "Architecture"), checked on the source itself.

- no import cycles between relaydesk modules (lazy imports inside functions count too);
- the layering: api → actions → services → models, checked by import-linter with the
  contracts in ``pyproject.toml`` (services never import the actions or an api module, the
  engine imports no other relaydesk module, the AI-agent core imports no connector);
- only the actions commit a change clients hear about: ``events.commit`` and
  ``session.commit()`` appear only in ``relaydesk.actions``, ``relaydesk.events``, the two
  workers (their own leases and retries) and the migrations;
- the routing engine is pure: it imports the standard library and itself, nothing else;
- every Python and JavaScript module stays under 400 lines (399 at most).

Each checker also runs on a small tree that breaks its rule, so a checker that cannot fail
fails here.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
MAX_LINES = 400
#: modules that may commit: the actions own client-visible transactions; events.commit is the
#: commit; the workers commit their own claims, leases and retries; migrations are Alembic's
MAY_COMMIT = (
    "relaydesk.actions",
    "relaydesk.events",
    "relaydesk.ai_agents.worker",
    "relaydesk.webhooks.delivery",
    "relaydesk.uploads.cleanup",
    "relaydesk.migrations",
)
ENGINE = "relaydesk.routing.engine"


def _modules(src: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((src / "relaydesk").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if "versions" in parts:  # Alembic revisions are data
            continue
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """relaydesk modules imported by one module (anywhere in it but TYPE_CHECKING blocks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "relaydesk":
                found.add(target)
                break
    return found


def import_cycles(src: Path) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    modules = _modules(src)
    graph = {name: _imported(name, path, set(modules)) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in sorted(graph):
        if name not in index:
            visit(name)
    return groups


def _may_commit(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in MAY_COMMIT)


def stray_commits(src: Path) -> list[str]:
    """``module:line`` of every commit outside the modules that may commit."""
    found = []
    for name, path in _modules(src).items():
        if _may_commit(name):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        commit_names = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "relaydesk.events"
            for alias in node.names
            if alias.name == "commit"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "commit") or (
                isinstance(func, ast.Name) and func.id in commit_names
            ):
                found.append(f"{name}:{node.lineno}")
    return found


def impure_engine_imports(src: Path) -> list[str]:
    """Imports of the routing engine that are neither the standard library nor the engine."""
    found = []
    for name, path in _modules(src).items():
        if name != ENGINE and not name.startswith(ENGINE + "."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = ["." * node.level + (node.module or "")]
            else:
                continue
            for target in targets:
                top = target.split(".")[0]
                inside = target.startswith(".") or target.startswith(ENGINE)
                if not inside and top not in sys.stdlib_module_names:
                    found.append(f"{name}: {target}")
    return found


def oversized(src: Path) -> list[str]:
    found = []
    for path in sorted((src / "relaydesk").rglob("*")):
        if path.suffix not in {".py", ".js"} or "versions" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= MAX_LINES:
            found.append(f"{path.relative_to(src)}: {lines} lines")
    return found


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """import-linter with the project's contracts, on the package under ``src``."""
    exe = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(exe), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the rules hold on relaydesk ------------------------------------------------------------


def test_no_import_cycles() -> None:
    assert import_cycles(SRC) == []


def test_layering_contracts_are_kept() -> None:
    result = lint_imports(SRC)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_only_actions_and_workers_commit() -> None:
    assert stray_commits(SRC) == []


def test_routing_engine_is_pure() -> None:
    assert impure_engine_imports(SRC) == []


def test_every_module_is_small() -> None:
    assert oversized(SRC) == []


# --- each checker fails on a tree that breaks its rule --------------------------------------


def _broken_tree(tmp: Path) -> Path:
    """A copy of src/relaydesk with one break of every rule."""
    src = tmp / "src"
    shutil.copytree(SRC / "relaydesk", src / "relaydesk", ignore=shutil.ignore_patterns("*.pyc"))
    pkg = src / "relaydesk"
    service = pkg / "conversations" / "service.py"
    service.write_text(
        service.read_text(encoding="utf-8")
        + "\n\nasync def _sneaky(session):\n"
        + "    from relaydesk.actions import messages  # a service importing an action\n"
        + "    await session.commit()  # and committing\n",
        encoding="utf-8",
    )
    snapshot = pkg / "routing" / "snapshot.py"
    snapshot.write_text(
        snapshot.read_text(encoding="utf-8") + "\nfrom relaydesk.routing import cleanup  # cycle\n",
        encoding="utf-8",
    )
    rules = pkg / "routing" / "engine" / "rules.py"
    rules.write_text("import sqlalchemy  # I/O in the engine\n" + rules.read_text("utf-8"), "utf-8")
    big = pkg / "routing" / "big.py"
    big.write_text("\n".join(f"X{i} = {i}" for i in range(MAX_LINES)) + "\n", "utf-8")
    return src


def test_checkers_catch_each_break(tmp_path: Path) -> None:
    src = _broken_tree(tmp_path)
    pair = {"relaydesk.routing.snapshot", "relaydesk.routing.cleanup"}
    assert any(pair <= set(group) for group in import_cycles(src))
    assert [s for s in stray_commits(src) if s.startswith("relaydesk.conversations.service:")]
    assert impure_engine_imports(src) == ["relaydesk.routing.engine.rules: sqlalchemy"]
    assert oversized(src) == [f"relaydesk/routing/big.py: {MAX_LINES} lines"]
    result = lint_imports(src)
    assert result.returncode != 0
    assert "relaydesk.conversations.service -> relaydesk.actions.messages" in result.stdout
