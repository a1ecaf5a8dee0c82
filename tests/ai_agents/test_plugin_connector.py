"""A third-party connector installed as a package (entry point ``relaydesk.connectors``).

The example package in ``examples/echo-connector`` is laid out on a real server's
``PYTHONPATH`` the way pip installs it (the module plus a ``.dist-info`` whose
``entry_points.txt`` comes from the example's ``pyproject.toml``). Everything else goes
through HTTP: the ``echo`` kind is created, answers turns, keeps its state and hands over.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ai_agents import e2e
from tests.support import Api, Server, assert_error, new_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "echo-connector"
SECRET = "echo-secret-key-42"


def _install(site: Path, dist: str, entry_points: dict[str, str]) -> None:
    info = site / f"{dist}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[relaydesk.connectors]\n{lines}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("plugin-connector")
    site = tmp / "site-packages"
    shutil.copytree(EXAMPLE / "echo_connector", site / "echo_connector")
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    _install(site, "relaydesk_echo", project["project"]["entry-points"]["relaydesk.connectors"])
    # a package claiming a built-in kind is ignored; one that cannot be imported is refused
    _install(site, "relaydesk_rogue", {"webhook": "echo_connector:EchoConnector"})
    _install(site, "relaydesk_broken", {"broken": "nowhere_to_be_found:Missing"})
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    env = {**e2e.E2E_ENV, "PYTHONPATH": path}
    srv = Server(database_url=f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}", workdir=tmp, env=env)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def api(server: Server) -> Api:
    return new_app(server.url, "plugin app")


def test_installed_connector_answers_turns_and_hands_over(api: Api) -> None:
    kim = api.agent(name="Kim", status="online")
    echo = e2e.ai_agent(api, "echo", {"prefix": "Echo: ", "api_key": SECRET}, name="Echo")
    assert echo["kind"] == "echo"
    assert echo["config"] == {"prefix": "Echo: ", "api_key": "****"}  # the secret is masked
    e2e.route_new_to(api, echo["id"])

    conv = api.conversation()
    [welcome] = e2e.bot_messages(api, conv["id"], 1)
    assert welcome["text"] == "Echo bot here."
    assert welcome["metadata"]["templateId"] == "6"  # rich content from the plugin's helpers
    api.say(conv["id"], "hello")
    api.say(conv["id"], "again")
    replies = [m["text"] for m in e2e.bot_messages(api, conv["id"], 3)]
    assert replies[1:] == ["Echo: hello (#1)", "Echo: again (#2)"]  # state kept between turns

    api.say(conv["id"], "human")
    e2e.trail_until(api, conv["id"], "ai_handoff")
    assert (e2e.assignee(api, conv["id"]) or {}).get("id") == kim["id"]


def test_installed_connector_config_is_validated(api: Api) -> None:
    body = {"name": "Echo", "kind": "echo", "config": {"prefix": "x"}}
    assert_error(api.post("/api/v1/ai-agents", body), 422)  # api_key missing
    body["config"] = {"api_key": SECRET, "colour": "red"}
    assert_error(api.post("/api/v1/ai-agents", body), 422)  # unknown field
    assert api.ok(api.get("/api/v1/ai-agents"))["items"] == []


def test_built_in_kinds_cannot_be_replaced_and_broken_packages_are_refused(api: Api) -> None:
    # "webhook" is still relaydesk's: its config needs a url, which the echo config forbids
    body = {"name": "Hook", "kind": "webhook", "config": {"api_key": SECRET}}
    error = assert_error(api.post("/api/v1/ai-agents", body), 422)
    assert error["code"] != "unknown_kind"
    assert "url" in str(error), error
    body = {"name": "Broken", "kind": "broken", "config": {}}
    assert_error(api.post("/api/v1/ai-agents", body), 422, "unknown_kind")
    body = {"name": "Nope", "kind": "not_installed", "config": {}}
    assert_error(api.post("/api/v1/ai-agents", body), 422, "unknown_kind")
    assert api.ok(api.get("/healthz"), 200)
