"""The outbound-URL guard: tenants' URLs reach the public internet only, unless the
operator allows internal hosts with RELAYDESK_OUTBOUND_ALLOW_HOSTS."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Api, Server, assert_error, new_app, wait_until
from tests.webhooks.receiver import Receiver

REFUSED = [
    "http://127.0.0.1:9/hook",
    "http://localhost:8000/hook",  # a name that resolves to loopback
    "http://[::1]/hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.20/hook",
    "http://172.16.3.4/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
]
LEX = {
    "access_key_id": "AKIAEXAMPLEEXAMPLE",
    "secret_access_key": "secret-for-the-url-test",
    "region": "us-east-1",
    "bot_name": "SupportBot",
    "bot_alias": "prod",
}


def _server(tmp: Path, url: str, allow: str) -> Server:
    env = {"RELAYDESK_OUTBOUND_ALLOW_HOSTS": allow}
    return Server(database_url=url, workdir=tmp, env=env).start()


@pytest.fixture()
def strict(tmp_path: Path) -> Api:
    srv = _server(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", "")
    yield new_app(srv.url)  # type: ignore[misc]
    srv.stop()


def test_internal_urls_are_refused_everywhere_a_tenant_types_one(strict: Api) -> None:
    api = strict
    for url in REFUSED:
        body = {"url": url, "events": ["*"], "secret": "s" * 20}
        error = assert_error(api.post("/api/v1/webhooks", body), 422, "url_not_allowed")
        assert error["details"] == {"field": "url"}, (url, error)
        bot = {"name": "Bot", "kind": "webhook", "config": {"url": url}}
        error = assert_error(api.post("/api/v1/ai-agents", bot), 422, "url_not_allowed")
        assert error["details"] == {"field": "config.url"}, (url, error)
    lex = {"name": "Lex", "kind": "lex_v2", "config": {**LEX, "endpoint_url": REFUSED[3]}}
    error = assert_error(api.post("/api/v1/ai-agents", lex), 422, "url_not_allowed")
    assert error["details"] == {"field": "config.endpoint_url"}
    assert api.ok(api.get("/api/v1/webhooks"))["items"] == []
    assert api.ok(api.get("/api/v1/ai-agents"))["items"] == []

    # public names are fine (this one does not even resolve here: nothing to refuse)
    fine = {"url": "https://hooks.example.com/relaydesk", "events": ["*"], "secret": "s" * 20}
    assert api.ok(api.post("/api/v1/webhooks", fine), 201)
    bot = {
        "name": "Bot",
        "kind": "webhook",
        "config": {"url": "https://bot.example.com/kommunicate"},
    }
    created = api.ok(api.post("/api/v1/ai-agents", bot), 201)
    # and an update to an internal URL is refused like a create, changing nothing
    patch = {"config": {"url": "http://10.1.1.1/kommunicate"}}
    error = assert_error(
        api.patch(f"/api/v1/ai-agents/{created['id']}", patch), 422, "url_not_allowed"
    )
    assert error["details"] == {"field": "config.url"}
    shown = api.ok(api.get(f"/api/v1/ai-agents/{created['id']}"))
    assert shown["config"]["url"] == "https://bot.example.com/kommunicate"


def test_the_allow_list_admits_hosts_ips_and_networks(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    srv = _server(tmp_path, url, "127.0.0.1, 10.1.2.0/24, intranet.local")
    try:
        api = new_app(srv.url)
        for allowed in ("http://127.0.0.1:9/x", "http://10.1.2.7/x", "http://intranet.local/x"):
            body = {"url": allowed, "events": ["*"], "secret": "s" * 20}
            assert api.ok(api.post("/api/v1/webhooks", body), 201)
        body = {"url": "http://10.9.9.9/x", "events": ["*"], "secret": "s" * 20}
        assert_error(api.post("/api/v1/webhooks", body), 422, "url_not_allowed")
    finally:
        srv.stop()


def test_urls_are_checked_again_when_called(tmp_path: Path) -> None:
    """A webhook saved while its host was allowed is not called once it no longer is."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    receiver = Receiver()
    try:
        first = _server(tmp_path / "a", url, "127.0.0.1")
        api = new_app(first.url)
        body = {"url": receiver.url + "/hook", "events": ["message.created"], "secret": "s" * 20}
        hook = api.ok(api.post("/api/v1/webhooks", body), 201)
        conv = api.conversation()
        api.say(conv["id"], "allowed")
        wait_until(lambda: receiver.of_type("message.created"))
        first.stop()

        second = _server(tmp_path / "b", url, "")
        try:
            api = Api(second.url, api.token)
            api.say(conv["id"], "refused")

            def failed() -> list:
                items = api.ok(api.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))["items"]
                return [d for d in items if d["status"] == "failed"]

            [delivery] = wait_until(failed, timeout=15)
            assert delivery["last_error"].startswith("url_not_allowed")
            assert delivery["attempts"] == 1  # not retried: it would not help
            assert len(receiver.of_type("message.created")) == 1
        finally:
            second.stop()
    finally:
        receiver.close()
