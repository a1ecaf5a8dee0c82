"""The ``relaydesk`` command: serve, db upgrade, app create, ai-agent import,
rotate-secret-key, demo."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import secrets
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from relaydesk.config import Settings, get_settings

cli = typer.Typer(help="relaydesk: customer-support conversations routed to AI agents and humans.")
db_cli = typer.Typer(help="Database schema.")
app_cli = typer.Typer(help="Apps (tenants).")
ai_agent_cli = typer.Typer(help="AI agents.")
cli.add_typer(db_cli, name="db")
cli.add_typer(app_cli, name="app")
cli.add_typer(ai_agent_cli, name="ai-agent")
console = Console(stderr=True)


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from relaydesk.app import create_app
    from relaydesk.serving import uvicorn_options

    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    # relaydesk's own loggers (workers, routing, connectors) go where uvicorn's go
    log_config["loggers"]["relaydesk"] = {
        "handlers": ["default"],
        "level": settings.log_level.upper(),
        "propagate": False,
    }
    # access lines carry URLs, and sockets and downloads carry tokens in them
    log_config.setdefault("filters", {})["redact"] = {"()": "relaydesk.logs.RedactSecrets"}
    for handler in log_config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    json_logs = settings.log_format.lower() == "json"
    if json_logs:  # every line one JSON object; relaydesk.requests replaces the access log
        for name in log_config["formatters"]:
            log_config["formatters"][name] = {"()": "relaydesk.logs.JsonFormatter"}
    else:  # the access log already has a line per request
        log_config["loggers"]["relaydesk.requests"] = {"level": "WARNING"}
    # uvicorn drains on SIGTERM, then raises the signal again to die by it; a drained stop
    # is a clean one: exit 0 (also for a SIGTERM that arrives before uvicorn listens)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        log_config=log_config,
        ws="websockets-sansio",
        # per-socket zlib state costs ~37 KiB; our frames are small JSON
        ws_per_message_deflate=settings.ws_compression,
        lifespan="on",
        access_log=not json_logs,
        # on SIGTERM: stop accepting, let requests in flight finish for this long, then
        # stop the workers (their running turns are handed back at once)
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        # slow clients, keep-alive, head and WebSocket frame sizes
        **uvicorn_options(settings),
    )


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the API, WebSocket, dashboard and widget (creates the schema on an empty database)."""
    _serve(get_settings(), host, port)


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema of RELAYDESK_DATABASE_URL."""
    from relaydesk.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


async def _with_session(settings: Settings, work: Any) -> Any:
    """Run an action (which commits) in a session of its own, without a broker."""
    from relaydesk.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


def _ensure_schema(settings: Settings) -> None:
    from relaydesk.migrate import upgrade

    upgrade(settings.database_url)


@app_cli.command("create")
def app_create(name: str) -> None:
    """Create an app and print ``{id, name, api_key}`` as JSON."""
    from relaydesk.actions.apps import create_app

    settings = get_settings()
    _ensure_schema(settings)

    async def work(session: Any) -> dict[str, str]:
        app, key = await create_app(session, None, name=name)
        return {"id": app.id, "name": app.name, "api_key": key}

    typer.echo(json.dumps(asyncio.run(_with_session(settings, work))))


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error for a person and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


@ai_agent_cli.command("import")
def ai_agent_import(
    file: Annotated[Path, typer.Argument(help="A Kompose import document (JSON).")],
    app_id: Annotated[str, typer.Option("--app-id", help="The app to add the AI agent to.")],
    name: Annotated[str, typer.Option("--name", help="The AI agent's name.")],
    handle_new_conversations: Annotated[
        bool,
        typer.Option(
            "--handle-new-conversations",
            help="Turn AI routing on with this AI agent alone: it receives every new "
            "conversation (no channel rule or explicit assignee applying).",
        ),
    ] = False,
    language: Annotated[str, typer.Option(help="Default language (BCP 47).")] = "en-US",
) -> None:
    """Import a Kompose file as a built-in AI agent and print it as JSON (exit 2 on bad input)."""
    from relaydesk.actions.people import import_ai_agent
    from relaydesk.ai_agents.builtin import KomposeError, parse_kompose
    from relaydesk.audit.schemas import Actor
    from relaydesk.errors import ApiError
    from relaydesk.security import SecretBox

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        config = parse_kompose(raw).model_dump(mode="json", exclude_unset=True)
    except KomposeError as exc:
        raise _fail(f"{file}: {exc}") from None

    settings = get_settings()
    _ensure_schema(settings)
    box = SecretBox.from_settings(settings)

    async def work(session: Any) -> dict[str, Any]:
        from relaydesk.apps.models import App

        if await session.get(App, app_id) is None:
            raise _fail(f"no app with id {app_id}")
        try:
            out = await import_ai_agent(
                session,
                None,
                app_id=app_id,
                box=box,
                fields={"name": name, "kind": "builtin", "config": config, "language": language},
                handle_new_conversations=handle_new_conversations,
                actor=Actor(type="system", name="relaydesk ai-agent import"),
            )
        except ApiError as exc:
            raise _fail(f"{file}: {exc}") from None
        return out.model_dump(mode="json")

    typer.echo(json.dumps(asyncio.run(_with_session(settings, work))))


@cli.command("rotate-secret-key")
def rotate_secret_key(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = 200,
) -> None:
    """Re-encrypt every stored secret under RELAYDESK_SECRET_KEY (counts as JSON).

    Run it once every server runs with the new RELAYDESK_SECRET_KEY and the old
    key in RELAYDESK_SECRET_KEY_PREVIOUS. Safe while they serve, and to repeat.
    Exit 1 if a secret could be read with none of those keys (it is left alone).
    """
    from relaydesk.actions.secrets import rotate_secret_key as rotate
    from relaydesk.security import SecretBox

    settings = get_settings()
    if not settings.secret_key:
        raise _fail("RELAYDESK_SECRET_KEY must be set (the key to re-encrypt under)")
    _ensure_schema(settings)
    box = SecretBox.from_settings(settings)

    async def work(session: Any) -> list[Any]:
        with console.status("re-encrypting stored secrets…") as status:
            return await rotate(
                session,
                box,
                batch_size=batch_size,
                progress=lambda t: status.update(f"{t.table}.{t.column}: {t.rotated} rotated"),
            )

    tallies = [t.as_json() for t in asyncio.run(_with_session(settings, work))]
    for t in tallies:
        console.print(
            f"{t['table']}.{t['column']}: {t['rotated']} rotated, "
            f"{t['already_current']} already current, {t['unreadable']} unreadable",
            highlight=False,
        )
    unreadable = sum(t["unreadable"] for t in tallies)
    rotated = sum(t["rotated"] for t in tallies)
    typer.echo(json.dumps({"rotated": rotated, "unreadable": unreadable, "columns": tallies}))
    if unreadable:
        raise _fail(
            f"{unreadable} stored secret(s) could not be decrypted with RELAYDESK_SECRET_KEY or "
            "RELAYDESK_SECRET_KEY_PREVIOUS; add the key they were saved under, or enter them "
            "again",
            code=1,
        )


@cli.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run a ready-to-use server on the embedded defaults, with a demo app and agents."""
    os.environ.setdefault("RELAYDESK_DEMO", "true")
    key_file = Path(".relaydesk-demo-secret")
    if "RELAYDESK_SECRET_KEY" not in os.environ:
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(32))
            key_file.chmod(0o600)
        os.environ["RELAYDESK_SECRET_KEY"] = key_file.read_text().strip()
    get_settings.cache_clear()
    settings = get_settings()
    _ensure_schema(settings)
    from relaydesk.actions.seed import seed_demo
    from relaydesk.demo import DEMO_AGENTS, DEMO_PASSWORD

    info = asyncio.run(_with_session(settings, seed_demo))
    base = f"http://{host}:{port}"
    console.rule("[bold]relaydesk demo")
    console.print(f"Dashboard      {base}/")
    console.print(f"Chat widget    {base}/widget/demo")
    console.print(f"API docs       {base}/docs")
    console.print(f"App id         {info['app_id']}")
    console.print(f"API key        {info['api_key']}")
    for email, _, role, status in DEMO_AGENTS:
        console.print(f"Log in as      {email} / {DEMO_PASSWORD}  ({role}, {status})")
    for line in info.get("lines", []):
        console.print(line)
    console.rule()
    _serve(settings, host, port)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
