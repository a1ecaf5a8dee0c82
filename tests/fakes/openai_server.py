"""A local fake OpenAI-compatible server: ``GET /v1/models`` and ``POST /v1/chat/completions``
with scripted answers and tool calls, a bearer-key check, usage figures and faults.

In-process (tests)::

    with FakeOpenAI(api_key="sk-test", models=["gpt-test"]) as llm:
        llm.script("where is my order", [tool("search_knowledge", query="order"),
                                         answer("It ships in two days.")])
        llm.fail_next(1, status=429, retry_after=1)      # faults from FakeHTTPServer
        llm.chat_requests()                               # the chat bodies received
        # llm.base_url is what the AI agent's config.base_url names

A script is keyed by the text of the request's last ``user`` message; its step is the number
of assistant tool-call messages after that message (so a search, then an answer). The last
step repeats. Unscripted texts are answered ``"You said: <text>"``. Usage: prompt tokens =
10 per request message, completion tokens = 3 per step.

Standalone: ``python -m tests.fakes.openai_server --port 8913 --key sk-local --model llama3``
(for trying the dashboard without a real model server).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import time
from typing import Any

from tests.fakes.dialogflow_server import FakeHTTPServer

PROMPT_TOKENS_PER_MESSAGE = 10
COMPLETION_TOKENS = 3


def answer(content: str | None) -> dict[str, Any]:
    """A step that answers with text (None: an empty answer)."""
    return {"content": content}


def tool(name: str, **arguments: Any) -> dict[str, Any]:
    """A step that calls one tool."""
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def refusal(text: str) -> dict[str, Any]:
    return {"content": None, "refusal": text}


class FakeOpenAI(FakeHTTPServer):
    """The chat-completions API of an OpenAI-compatible server."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = "sk-test-key",
        models: list[str] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.models = list(models or ["gpt-test"])
        self._scripts: dict[str, list[dict[str, Any]]] = {}

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def script(self, user_text: str, steps: list[dict[str, Any]]) -> None:
        with self.lock:
            self._scripts[user_text] = copy.deepcopy(steps)

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._scripts.clear()

    def chat_requests(self, containing: str = "") -> list[dict[str, Any]]:
        """Chat bodies received whose messages mention ``containing``."""
        return [
            r["body"]
            for r in self.logged("/chat/completions")
            if isinstance(r["body"], dict) and containing in json.dumps(r["body"]["messages"])
        ]

    def _error(self, status: int, message: str, code: str) -> tuple[int, Any, dict[str, str]]:
        body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
        return status, body, {}

    def route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.log(
            {"method": method, "path": path, "headers": headers, "body": body, "at": time.time()}
        )
        fault = self.take_fault()
        if fault and "delay" in fault:
            time.sleep(fault["delay"])
        elif fault and "status" in fault:
            extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            return fault["status"], {"error": {"message": "injected fault"}}, extra
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "Incorrect API key provided.", "invalid_api_key")
        if method == "GET" and path == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models
            ]
            return 200, {"object": "list", "data": data}, {}
        if method == "POST" and path == "/v1/chat/completions":
            return self._chat(body)
        return 404, {"error": {"message": f"no route {method} {path}"}}, {}

    def _chat(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return self._error(400, "messages is required", "invalid_request")
        if body.get("model") not in self.models:
            return self._error(
                404, f"The model {body.get('model')!r} does not exist", "model_not_found"
            )
        messages = body["messages"]
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        text = str(messages[last_user].get("content") or "") if last_user >= 0 else ""
        step_index = sum(
            1
            for m in messages[last_user + 1 :]
            if m.get("role") == "assistant" and m.get("tool_calls")
        )
        with self.lock:
            steps = copy.deepcopy(self._scripts.get(text))
        step = steps[min(step_index, len(steps) - 1)] if steps else answer(f"You said: {text}")
        message: dict[str, Any] = {
            "role": "assistant",
            "content": step.get("content"),
            "refusal": step.get("refusal"),
        }
        finish = "stop"
        if step.get("tool_calls"):
            message["tool_calls"] = [
                {
                    "id": f"call_{step_index}_{n}",
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                }
                for n, c in enumerate(step["tool_calls"])
            ]
            finish = "tool_calls"
        prompt = PROMPT_TOKENS_PER_MESSAGE * len(messages)
        return (
            200,
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": COMPLETION_TOKENS,
                    "total_tokens": prompt + COMPLETION_TOKENS,
                },
            },
            {},
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Fake OpenAI-compatible chat server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", default=None, help="required bearer key (none: any)")
    ap.add_argument("--model", action="append", default=[])
    args = ap.parse_args(argv)
    fake = FakeOpenAI(args.host, args.port, api_key=args.key, models=args.model or None)
    print(f"fake OpenAI-compatible server at {fake.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_forever()


if __name__ == "__main__":
    main()
