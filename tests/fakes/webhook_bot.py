"""A local fake custom bot answering in the Kommunicate array format.

In-process (tests)::

    with FakeWebhookBot(required_headers={"X-Bot-Token": "s3cret"}) as bot:
        bot.script(text="hi", reply=[{"message": "Hello"}])    # or event="WELCOME"
        bot.script(text="raw", raw_body=b"not json")             # a broken answer
        bot.fail_next(2, status=503); bot.slow_next(1, 2.0)
        bot.fail_next(1, status=429, retry_after=2); bot.garble_next(1)  # a 200 not JSON
        bot.refuse_connections(); bot.accept_connections()  # the port closed, then open
        bot.requests                                             # the request log
        # bot.hook_url is the URL to configure

Standalone: ``python -m tests.fakes.webhook_bot --port 8912 --header X-Bot-Token=s3cret``.
Control endpoints: ``POST /_fake/script {text | event, reply | raw_body}``,
``POST /_fake/faults {status, count} | {delay, count}``, ``GET /_fake/requests``,
``POST /_fake/reset``. Unscripted texts are echoed back (``"You said: <text>"``);
a request missing a required header gets 401.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import time
from typing import Any

from tests.fakes.dialogflow_server import FakeHTTPServer

HOOK_PATH = "/bot"


class FakeWebhookBot(FakeHTTPServer):
    """A scripted custom bot at ``POST /bot``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        required_headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.required_headers = {k.lower(): v for k, v in (required_headers or {}).items()}
        self._scripts: dict[str, Any] = {}

    @property
    def hook_url(self) -> str:
        """The URL to configure in the webhook AI agent."""
        return f"{self.url}{HOOK_PATH}"

    def script(
        self,
        *,
        reply: Any = None,
        text: str | None = None,
        event: str | None = None,
        raw_body: bytes | None = None,
        status: int = 200,
    ) -> None:
        """Answer this text (or event name) with ``reply`` (JSON) or ``raw_body`` bytes."""
        key = f"event:{event}" if event is not None else (text or "")
        with self.lock:
            self._scripts[key] = {"reply": reply, "raw": raw_body, "status": status}

    def reset(self) -> None:
        """No scripts, faults or log."""
        super().reset()
        with self.lock:
            self._scripts.clear()

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies the bot received."""
        return [r["body"] for r in self.logged(HOOK_PATH)]

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """``/_fake/script`` then the common control endpoints."""
        if method == "POST" and path == "/_fake/script":
            raw = body.get("raw_body")
            self.script(
                reply=body.get("reply"),
                text=body.get("text"),
                event=body.get("event"),
                raw_body=raw.encode() if isinstance(raw, str) else None,
                status=int(body.get("status", 200)),
            )
            return 200, {"ok": True}
        return super().control(method, path, body)

    def route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """The bot endpoint."""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.log(
            {"method": method, "path": path, "headers": headers, "body": body, "at": time.time()}
        )
        if path != HOOK_PATH or method != "POST":
            return 404, {"error": "not found"}, {}
        fault = self.take_fault()
        if fault and "delay" in fault:
            time.sleep(fault["delay"])
        elif fault and "raw" in fault:
            return 200, fault["raw"], {"Content-Type": "text/plain"}
        elif fault and "status" in fault:
            extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            return fault["status"], {"error": "injected fault"}, extra
        for name, value in self.required_headers.items():
            if headers.get(name) != value:
                return 401, {"error": f"missing or wrong {name}"}, {}
        if not isinstance(body, dict):
            return 400, {"error": "expected a JSON object"}, {}
        event = body.get("eventName")
        key = f"event:{event}" if event else str(body.get("message", ""))
        with self.lock:
            scripted = copy.deepcopy(self._scripts.get(key))
        if scripted is None:
            if event:
                return 200, [], {}
            return 200, [{"message": f"You said: {body.get('message', '')}"}], {}
        if scripted["raw"] is not None:
            return scripted["status"], scripted["raw"], {"Content-Type": "text/plain"}
        return scripted["status"], scripted["reply"], {}


def main(argv: list[str] | None = None) -> None:
    """Run the fake bot standalone."""
    ap = argparse.ArgumentParser(description="Fake Kommunicate-format custom bot")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--header", action="append", default=[], help="required header NAME=VALUE")
    args = ap.parse_args(argv)
    required = dict(h.split("=", 1) for h in args.header)
    bot = FakeWebhookBot(args.host, args.port, required_headers=required)
    print(f"fake webhook bot listening on {bot.hook_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        bot.serve_forever()


if __name__ == "__main__":
    main()
