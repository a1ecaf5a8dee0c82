"""A local fake of Amazon Lex (V2 runtime + models, V1 runtime + models) for tests and benchmarks.

It speaks the REST paths of botocore's service models, checks SigV4 (access key id, region,
service ``lex`` and the signature itself against a known secret) and plays scripted bots.

In-thread use::

    with FakeLex() as lex:
        lex.script("hello", v2=[{"contentType": "PlainText", "content": "hi"}])
        lex.fail_next(2, status=429, error_type="ThrottlingException", retry_after=2)
        lex.garble_next(1)  # a 200 whose body is not JSON
        lex.refuse_connections(); lex.accept_connections()  # the port closed, then open
        ... endpoint_url=lex.url, access_key_id=lex.access_key_id, ...
        lex.requests  # every recorded request

As a process::

    python -m tests.fakes.lex_server --port 8123

Control endpoints (unsigned, not recorded): ``GET /_fake/info``, ``GET /_fake/requests``,
``DELETE /_fake/requests``, ``POST /_fake/script``, ``POST /_fake/fail``,
``POST /_fake/delay``, ``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY_ID = "AKIAFAKELEX000000001"
SECRET_ACCESS_KEY = "fakeLexSecretKey/0000000000000000000000"
#: valid credentials that may run bots but not read the model API (AccessDeniedException)
RUN_ONLY_ACCESS_KEY_ID = "AKIAFAKELEXRUNONLY01"
RUN_ONLY_SECRET_ACCESS_KEY = "fakeLexRunOnlySecret/000000000000000000"
REGION = "us-east-1"

# --- the wire examples (copies of /work/shared/reference/wire/, checked against botocore) --

WIRE_LEXV2_ELICIT_SLOT_CARD: dict[str, Any] = {
    "messages": [
        {"contentType": "PlainText", "content": "Which order do you need help with?"},
        {
            "contentType": "ImageResponseCard",
            "imageResponseCard": {
                "title": "Recent orders",
                "subtitle": "Pick one",
                "imageUrl": "https://example.com/orders.png",
                "buttons": [
                    {"text": "#1001 - Shoes", "value": "1001"},
                    {"text": "#1002 - Hat", "value": "1002"},
                ],
            },
        },
    ],
    "sessionState": {
        "dialogAction": {"type": "ElicitSlot", "slotToElicit": "OrderId"},
        "intent": {
            "name": "CheckOrderStatus",
            "slots": {"OrderId": None},
            "state": "InProgress",
            "confirmationState": "None",
        },
        "sessionAttributes": {"customerTier": "gold"},
        "originatingRequestId": "0e7e6d0a-3b1f-4c1d-9a57-5f7c1b0f2f11",
    },
    "interpretations": [
        {
            "nluConfidence": {"score": 0.94},
            "intent": {
                "name": "CheckOrderStatus",
                "slots": {"OrderId": None},
                "state": "InProgress",
                "confirmationState": "None",
            },
            "interpretationSource": "Lex",
        },
        {"intent": {"name": "FallbackIntent", "slots": {}}, "interpretationSource": "Lex"},
        {
            "nluConfidence": {"score": 0.31},
            "intent": {"name": "TalkToAgent", "slots": {}},
            "interpretationSource": "Lex",
        },
    ],
    "requestAttributes": {"channel": "web"},
    "sessionId": "conv-7f3a9c",
}

_SLOT_1001 = {
    "OrderId": {
        "shape": "Scalar",
        "value": {"originalValue": "1001", "interpretedValue": "1001", "resolvedValues": ["1001"]},
    }
}
WIRE_LEXV2_FULFILLED_CUSTOMPAYLOAD: dict[str, Any] = {
    "messages": [
        {"contentType": "PlainText", "content": "Order 1001 shipped yesterday."},
        {
            "contentType": "CustomPayload",
            "content": '{"type":"tracking","url":"https://example.com/t/1001"}',
        },
    ],
    "sessionState": {
        "dialogAction": {"type": "Close"},
        "intent": {
            "name": "CheckOrderStatus",
            "slots": _SLOT_1001,
            "state": "Fulfilled",
            "confirmationState": "None",
        },
        "sessionAttributes": {"customerTier": "gold", "lastOrder": "1001"},
    },
    "interpretations": [
        {
            "nluConfidence": {"score": 1.0},
            "intent": {
                "name": "CheckOrderStatus",
                "state": "Fulfilled",
                "confirmationState": "None",
                "slots": _SLOT_1001,
            },
            "interpretationSource": "Lex",
        }
    ],
    "sessionId": "conv-7f3a9c",
}

WIRE_LEXV2_FALLBACK: dict[str, Any] = {
    "messages": [
        {"contentType": "PlainText", "content": "Sorry, I didn't get that. Could you rephrase?"}
    ],
    "sessionState": {
        "dialogAction": {"type": "Close"},
        "intent": {
            "name": "FallbackIntent",
            "slots": {},
            "state": "ReadyForFulfillment",
            "confirmationState": "None",
        },
        "sessionAttributes": {},
        "originatingRequestId": "2b8f1a4e-0000-4000-8000-000000000001",
    },
    "interpretations": [
        {
            "intent": {
                "name": "FallbackIntent",
                "slots": {},
                "state": "ReadyForFulfillment",
                "confirmationState": "None",
            },
            "interpretationSource": "Lex",
        },
        {
            "nluConfidence": {"score": 0.22},
            "intent": {"name": "CheckOrderStatus", "slots": {"OrderId": None}},
            "interpretationSource": "Lex",
        },
    ],
    "sessionId": "conv-7f3a9c",
}

WIRE_LEXV1_ELICITSLOT: dict[str, Any] = {
    "intentName": "CheckOrderStatus",
    "nluIntentConfidence": {"score": 0.92},
    "alternativeIntents": [{"intentName": "AMAZON.FallbackIntent", "slots": {}}],
    "slots": {"OrderId": None},
    "sessionAttributes": {"customerTier": "gold"},
    "message": "Which order do you need help with?",
    "messageFormat": "PlainText",
    "dialogState": "ElicitSlot",
    "slotToElicit": "OrderId",
    "responseCard": {
        "version": "1",
        "contentType": "application/vnd.amazonaws.card.generic",
        "genericAttachments": [
            {
                "title": "Recent orders",
                "subTitle": "Pick one",
                "imageUrl": "https://example.com/orders.png",
                "attachmentLinkUrl": "https://example.com/orders",
                "buttons": [{"text": "#1001", "value": "1001"}, {"text": "#1002", "value": "1002"}],
            }
        ],
    },
    "sessionId": "2026-11-21T10:00:00.000Z-AbCdEfGh",
    "botVersion": "3",
}

WIRE_LEXV1_COMPOSITE: dict[str, Any] = {
    "intentName": "Greeting",
    "slots": {},
    "sessionAttributes": {},
    "message": json.dumps(
        {
            "messages": [
                {"type": "PlainText", "group": 1, "value": "Hi there!"},
                {"type": "PlainText", "group": 2, "value": "How can I help?"},
            ]
        },
        separators=(",", ":"),
    ),
    "messageFormat": "Composite",
    "dialogState": "ElicitIntent",
    "sessionId": "2026-11-21T10:00:00.000Z-AbCdEfGh",
}

WIRE_LEXV1_FAILED: dict[str, Any] = {
    "sessionAttributes": {},
    "message": "Sorry, I could not understand. Goodbye.",
    "messageFormat": "PlainText",
    "dialogState": "Failed",
    "sessionId": "2026-11-21T10:00:00.000Z-AbCdEfGh",
    "botVersion": "3",
}

# --- scripted bots --------------------------------------------------------------------


def _payload(message: str | None, metadata: dict[str, Any]) -> str:
    """A Kommunicate custom payload as a Lex CustomPayload string."""
    body: dict[str, Any] = {"platform": "kommunicate", "metadata": metadata}
    if message is not None:
        body["message"] = message
    return json.dumps(body)


HANDOFF_PAYLOADS: dict[str, str] = {
    "talk to a human": _payload("our agents will get back to you", {"KM_ASSIGN_TO": ""}),
    "talk to alice": _payload("Connecting you to Alice", {"KM_ASSIGN_TO": "alice@example.com"}),
    "talk to agent 42": _payload(None, {"KM_ASSIGN_TO": "agt_42"}),
    "billing team": _payload("Our billing team will help", {"KM_ASSIGN_TEAM": "team_billing"}),
    "sales bot": _payload(
        "Transferring you to our sales assistant",
        {"KM_ASSIGN_TO": "ai_sales", "event": {"name": "SALES_START", "data": {"plan": "pro"}}},
    ),
    "that's all": _payload("Glad I could help, bye!", {"actionRequest": "resolveConversation"}),
}

RICH_PAYLOAD = _payload(
    "Pick a size",
    {
        "contentType": "300",
        "templateId": "6",
        "payload": [{"title": "S", "message": "S"}, {"title": "M", "message": "M"}],
    },
)

GREETING = {
    "en": "Hi! I'm the support bot. How can I help?",
    "fr": "Bonjour ! Comment puis-je aider ?",
}
HANGUP_V2 = "Sorry, I still can't help with that. Goodbye."


def _v2(
    messages: list[dict[str, Any]], intent: str, state: str = "Fulfilled", dialog: str = "Close"
) -> dict[str, Any]:
    """A RecognizeText response body."""
    intent_body = {"name": intent, "slots": {}, "state": state, "confirmationState": "None"}
    return {
        "messages": messages,
        "sessionState": {"dialogAction": {"type": dialog}, "intent": intent_body},
        "interpretations": [{"intent": dict(intent_body), "interpretationSource": "Lex"}],
    }


def _plain(text: str) -> dict[str, Any]:
    return {"contentType": "PlainText", "content": text}


def default_v2_scripts() -> dict[str, dict[str, Any]]:
    """Scripted V2 answers keyed by utterance (lower case)."""
    scripts: dict[str, dict[str, Any]] = {
        "order status": copy.deepcopy(WIRE_LEXV2_ELICIT_SLOT_CARD),
        "1001": copy.deepcopy(WIRE_LEXV2_FULFILLED_CUSTOMPAYLOAD),
        "ssml": _v2(
            [
                {
                    "contentType": "SSML",
                    "content": "<speak>Hello <break time='1s'/>there &amp; welcome</speak>",
                }
            ],
            "SsmlDemo",
        ),
        "not json": _v2([{"contentType": "CustomPayload", "content": "just {text"}], "Odd"),
        "other platform": _v2(
            [{"contentType": "CustomPayload", "content": '{"platform":"facebook","message":"x"}'}],
            "Odd",
        ),
        "sizes": _v2([{"contentType": "CustomPayload", "content": RICH_PAYLOAD}], "Sizes"),
        "goodbye hangup": _v2([_plain(HANGUP_V2)], "GiveUp", state="Failed"),
        "sales_start": _v2([_plain("Welcome to sales!")], "SalesStart"),
    }
    for utterance, content in HANDOFF_PAYLOADS.items():
        scripts[utterance] = _v2([{"contentType": "CustomPayload", "content": content}], "Handoff")
    return scripts


def default_v1_scripts() -> dict[str, dict[str, Any]]:
    """Scripted V1 PostText answers keyed by utterance (lower case)."""
    scripts: dict[str, dict[str, Any]] = {
        "kmconversationstarted": {
            "intentName": "Welcome",
            "message": "Hi from the V1 bot!",
            "messageFormat": "PlainText",
            "dialogState": "Fulfilled",
        },
        "order status": copy.deepcopy(WIRE_LEXV1_ELICITSLOT),
        "hello": copy.deepcopy(WIRE_LEXV1_COMPOSITE),
        "goodbye hangup": copy.deepcopy(WIRE_LEXV1_FAILED),
        "ssml": {
            "intentName": "SsmlDemo",
            "message": "<speak>Hello <break/>V1</speak>",
            "messageFormat": "SSML",
            "dialogState": "Fulfilled",
        },
    }
    for utterance, content in HANDOFF_PAYLOADS.items():
        scripts[utterance] = {
            "intentName": "Handoff",
            "message": content,
            "messageFormat": "CustomPayload",
            "dialogState": "Fulfilled",
        }
    return scripts


@dataclass
class Alias:
    alias_id: str
    name: str
    locales: dict[str, bool]  # locale -> enabled
    version: str = "1"


@dataclass
class Bot:
    bot_id: str
    name: str
    aliases: list[Alias]


def default_bots() -> list[Bot]:
    """The V2 bots of the fake account (several aliases so ListBotAliases paginates)."""
    return [
        Bot(
            "SUPPORTBOT",
            "SupportBot",
            [
                Alias("TSTALIASID", "TestBotAlias", {"en_US": True}, "DRAFT"),
                Alias("BETAALIAS1", "beta", {"en_US": True}),
                Alias("STAGEALIAS", "staging", {"en_US": True}),
                Alias(
                    "PRODALIAS1",
                    "prod",
                    {"en_US": True, "en_GB": True, "fr_CA": True, "fr_FR": True, "de_DE": False},
                ),
            ],
        ),
        Bot("OTHERBOT01", "OtherBot", [Alias("OTHERALIAS", "prod", {"es_US": True})]),
        Bot("SUPPORTBT2", "SupportBot2", [Alias("SB2ALIAS01", "prod", {"en_US": True})]),
    ]


V1_BOTS: dict[str, set[str]] = {"SupportBotLegacy": {"prod", "$LATEST"}}

# --- the server -----------------------------------------------------------------------


@dataclass
class Fault:
    remaining: int
    status: int
    error_type: str
    message: str
    only: str | None  # "runtime", "models" or None for every Lex call
    retry_after: int | None = None  # a Retry-After header on the error answer
    raw: bytes | None = None  # answer 200 with these bytes instead of an error


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    service: str  # runtime-v2 | models-v2 | runtime-v1 | models-v1
    operation: str
    headers: dict[str, str]
    body: Any
    access_key_id: str | None
    region: str | None
    session_id: str | None = None
    locale: str | None = None
    text: str | None = None
    request_attributes: dict[str, str] = field(default_factory=dict)
    session_attributes: dict[str, str] | None = None
    status: int = 200
    at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        """A JSON-serialisable view."""
        return dict(self.__dict__)


class LexApiError(Exception):
    """An AWS error answer: HTTP status, ``x-amzn-ErrorType`` and JSON body."""

    def __init__(
        self, status: int, error_type: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        self.error_type = error_type
        self.message = message


_V2_RUNTIME = re.compile(
    r"^/bots/(?P<bot>[^/]+)/botAliases/(?P<alias>[^/]+)/botLocales/(?P<locale>[^/]+)"
    r"/sessions/(?P<session>[^/]+)/text$"
)
_V2_ALIASES = re.compile(r"^/bots/(?P<bot>[^/]+)/botaliases/?$")
_V2_ALIAS = re.compile(r"^/bots/(?P<bot>[^/]+)/botaliases/(?P<alias>[^/]+)/?$")
_V1_TEXT = re.compile(r"^/bot/(?P<bot>[^/]+)/alias/(?P<alias>[^/]+)/user/(?P<user>[^/]+)/text$")
_V1_SESSION = re.compile(
    r"^/bot/(?P<bot>[^/]+)/alias/(?P<alias>[^/]+)/user/(?P<user>[^/]+)/session/?$"
)
_V1_MODELS_ALIAS = re.compile(r"^/bots/(?P<bot>[^/]+)/aliases/(?P<alias>[^/]+)/?$")
_CREDENTIAL = re.compile(r"Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")
_SIGNATURE = re.compile(r"Signature=([0-9a-f]+)")


class FakeLex:
    """The fake Lex account: bots, scripts, faults, recorded requests and the HTTP server."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        region: str = REGION,
        verify_signature: bool = True,
        page_size: int = 2,
        fallback_limit: int | None = 3,
    ) -> None:
        self.host = host
        self.port = port
        self.region = region
        self.verify_signature = verify_signature
        self.page_size = page_size
        #: consecutive fallbacks after which the scripted bot fails the intent (None: never)
        self.fallback_limit = fallback_limit
        self.credentials: dict[str, str] = {
            ACCESS_KEY_ID: SECRET_ACCESS_KEY,
            RUN_ONLY_ACCESS_KEY_ID: RUN_ONLY_SECRET_ACCESS_KEY,
        }
        self.run_only_keys = {RUN_ONLY_ACCESS_KEY_ID}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- configuration (Python API) ---

    @property
    def access_key_id(self) -> str:
        """The access key id the fake accepts."""
        return ACCESS_KEY_ID

    @property
    def secret_access_key(self) -> str:
        """The secret the fake verifies signatures with."""
        return SECRET_ACCESS_KEY

    @property
    def url(self) -> str:
        """The base URL to pass as ``endpoint_url``."""
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        """Back to the default bots and scripts, no faults, no delay, no recorded requests."""
        with self._lock:
            self.bots = default_bots()
            self.v1_bots = {k: set(v) for k, v in V1_BOTS.items()}
            self.v2_scripts = default_v2_scripts()
            self.v1_scripts = default_v1_scripts()
            self.faults: list[Fault] = []
            self.delay_s = 0.0
            self.delay_count: int | None = None
            self.requests: list[Recorded] = []
            self.fallbacks: dict[str, int] = {}
            self.sessions: dict[str, dict[str, str]] = {}

    def script(
        self,
        utterance: str,
        *,
        v2: dict[str, Any] | list[dict[str, Any]] | None = None,
        v1: dict[str, Any] | None = None,
    ) -> None:
        """Answer ``utterance`` with a V2 body (or just its messages) and/or a V1 body."""
        key = utterance.strip().lower()
        with self._lock:
            if v2 is not None:
                self.v2_scripts[key] = _v2(v2, "Scripted") if isinstance(v2, list) else v2
            if v1 is not None:
                self.v1_scripts[key] = v1

    def fail_next(
        self,
        count: int,
        *,
        status: int = 429,
        error_type: str = "ThrottlingException",
        message: str = "Rate exceeded",
        only: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``count`` Lex calls (optionally only runtime/models) with an error
        (with a ``Retry-After`` header when given)."""
        with self._lock:
            self.faults.append(Fault(count, status, error_type, message, only, retry_after))

    def garble_next(
        self, count: int, body: bytes = b'{"messages": [', only: str = "runtime"
    ) -> None:
        """Answer the next ``count`` calls 200 with ``body`` (not a JSON object)."""
        with self._lock:
            self.faults.append(Fault(count, 200, "", "", only, raw=body))

    def set_delay(self, seconds: float, count: int | None = None) -> None:
        """Delay the next ``count`` answers (all when None) by ``seconds``."""
        with self._lock:
            self.delay_s = seconds
            self.delay_count = count

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self.requests = []

    def calls(self, operation: str) -> list[Recorded]:
        """The recorded requests of one operation (e.g. ``RecognizeText``, ``ListBots``)."""
        with self._lock:
            return [r for r in self.requests if r.operation == operation]

    # --- lifecycle ---

    def start(self) -> FakeLex:
        """Serve in a daemon thread."""
        fake = self

        class Handler(_Handler):
            lex = fake

        self._stop.clear()
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-lex", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (slow answers in flight are abandoned)."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def refuse_connections(self) -> None:
        """Close the listening socket: connecting is refused until accept_connections()."""
        self.stop()

    def accept_connections(self) -> None:
        """Listen again, on the same port."""
        self.start()

    def __enter__(self) -> FakeLex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling ---

    def _take_fault(self, service: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                kind = "models" if service.startswith("models") else "runtime"
                if fault.remaining > 0 and fault.only in (None, kind):
                    fault.remaining -= 1
                    return fault
            self.faults = [f for f in self.faults if f.remaining > 0]
        return None

    def _take_delay(self) -> float:
        with self._lock:
            if self.delay_s <= 0:
                return 0.0
            if self.delay_count is not None:
                if self.delay_count <= 0:
                    return 0.0
                self.delay_count -= 1
            return self.delay_s

    def check_auth(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, str]:
        """Verify SigV4; return (access key id, region) or raise the error AWS would."""
        auth = headers.get("authorization", "")
        match = _CREDENTIAL.search(auth)
        if not auth.startswith("AWS4-HMAC-SHA256") or not match:
            raise LexApiError(
                403, "MissingAuthenticationTokenException", "Missing Authentication Token"
            )
        key_id, _date, region, service = match.groups()
        secret = self.credentials.get(key_id)
        if secret is None:
            raise LexApiError(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        if service != "lex":
            raise LexApiError(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: 'lex'. not '{service}'",
            )
        if region != self.region:
            raise LexApiError(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not '{region}'.",
            )
        if self.verify_signature and not self._signature_ok(
            method, raw_path, headers, body, key_id, secret, region
        ):
            raise LexApiError(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method.",
            )
        return key_id, region

    def _signature_ok(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        key_id: str,
        secret: str,
        region: str,
    ) -> bool:
        auth = headers["authorization"]
        signed = _SIGNED_HEADERS.search(auth)
        given = _SIGNATURE.search(auth)
        amz_date = headers.get("x-amz-date")
        if not signed or not given or not amz_date:
            return False
        names = signed.group(1).split(";")
        signed_headers = {n: headers.get(n, "") for n in names}
        request = AWSRequest(
            method=method,
            url=f"http://{headers.get('host', self.host)}{raw_path}",
            headers=signed_headers,
            data=body,
        )
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(key_id, secret), "lex", region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return expected == given.group(1)

    def route(self, method: str, path: str) -> tuple[str, str, dict[str, str]] | None:
        """(service, operation, path params) of a Lex REST path."""
        routes: list[tuple[str, re.Pattern[str], str, str]] = [
            ("POST", _V2_RUNTIME, "runtime-v2", "RecognizeText"),
            ("POST", _V2_ALIASES, "models-v2", "ListBotAliases"),
            ("GET", _V2_ALIAS, "models-v2", "DescribeBotAlias"),
            ("POST", _V1_TEXT, "runtime-v1", "PostText"),
            ("GET", _V1_SESSION, "runtime-v1", "GetSession"),
            ("GET", _V1_MODELS_ALIAS, "models-v1", "GetBotAlias"),
        ]
        if method == "POST" and path.rstrip("/") == "/bots":
            return "models-v2", "ListBots", {}
        for verb, pattern, service, operation in routes:
            m = pattern.match(path)
            if m and verb == method:
                return service, operation, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def dispatch(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        """Answer one authenticated Lex call."""
        if rec.service.startswith("models") and rec.access_key_id in self.run_only_keys:
            raise LexApiError(
                403,
                "AccessDeniedException",
                f"User: arn:aws:iam::123456789012:user/run-only is not authorized to perform: "
                f"lex:{rec.operation}",
            )
        handler = getattr(self, f"_op_{rec.operation}")
        result: dict[str, Any] = handler(rec, params, body)
        return result

    # --- V2 models ---

    def _bot(self, bot_id: str) -> Bot:
        for bot in self.bots:
            if bot.bot_id == bot_id:
                return bot
        raise LexApiError(404, "ResourceNotFoundException", f"Could not find bot with ID {bot_id}.")

    def _page(self, items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
        start = int(token or 0)
        end = start + self.page_size
        return items[start:end], (str(end) if end < len(items) else None)

    def _op_ListBots(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        bots = list(self.bots)
        for flt in body.get("filters") or []:
            values = flt.get("values") or []
            if flt.get("name") != "BotName" or not values:
                raise LexApiError(400, "ValidationException", "Invalid filter")
            if flt.get("operator") == "EQ":
                bots = [b for b in bots if b.name == values[0]]
            else:
                bots = [b for b in bots if values[0] in b.name]
        page, token = self._page(bots, body.get("nextToken"))
        out: dict[str, Any] = {
            "botSummaries": [
                {
                    "botId": b.bot_id,
                    "botName": b.name,
                    "botStatus": "Available",
                    "latestBotVersion": "1",
                    "botType": "Bot",
                }
                for b in page
            ]
        }
        if token:
            out["nextToken"] = token
        return out

    def _op_ListBotAliases(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        bot = self._bot(params["bot"])
        page, token = self._page(bot.aliases, body.get("nextToken"))
        out: dict[str, Any] = {
            "botId": bot.bot_id,
            "botAliasSummaries": [
                {
                    "botAliasId": a.alias_id,
                    "botAliasName": a.name,
                    "botVersion": a.version,
                    "botAliasStatus": "Available",
                }
                for a in page
            ],
        }
        if token:
            out["nextToken"] = token
        return out

    def _alias(self, bot: Bot, alias_id: str) -> Alias:
        for alias in bot.aliases:
            if alias.alias_id == alias_id:
                return alias
        raise LexApiError(
            404,
            "ResourceNotFoundException",
            f"Could not find alias {alias_id} of bot {bot.bot_id}.",
        )

    def _op_DescribeBotAlias(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        bot = self._bot(params["bot"])
        alias = self._alias(bot, params["alias"])
        return {
            "botAliasId": alias.alias_id,
            "botAliasName": alias.name,
            "botVersion": alias.version,
            "botAliasLocaleSettings": {k: {"enabled": v} for k, v in alias.locales.items()},
            "botAliasStatus": "Available",
            "botId": bot.bot_id,
        }

    # --- V2 runtime ---

    def _op_RecognizeText(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        bot = self._bot(params["bot"])
        alias = self._alias(bot, params["alias"])
        locale = params["locale"]
        if not alias.locales.get(locale):
            raise LexApiError(
                404,
                "ResourceNotFoundException",
                f"Locale {locale} is not enabled on alias {alias.alias_id}.",
            )
        session = params["session"]
        if not re.fullmatch(r"[0-9a-zA-Z._:-]{2,100}", session):
            raise LexApiError(400, "ValidationException", "Invalid sessionId")
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 1024:
            raise LexApiError(400, "ValidationException", "Invalid text")
        state_in = body.get("sessionState") or {}
        attrs = self.sessions.setdefault(f"v2:{session}", {})
        if "sessionAttributes" in state_in:
            attrs.clear()
            attrs.update(state_in.get("sessionAttributes") or {})
        key = text.strip().lower()
        request_attributes = body.get("requestAttributes") or {}
        counter_key = f"v2:{session}"
        if key == "kmconversationstarted":
            greeting = GREETING["fr"] if locale.startswith("fr") else GREETING["en"]
            answer = _v2([_plain(greeting)], "Welcome")
        elif key == "kommunicatemediaevent":
            echo = request_attributes.get("attachments", "[]")
            answer = _v2([_plain(f"attachments: {echo}")], "MediaReceived")
        elif key in self.v2_scripts:
            answer = copy.deepcopy(self.v2_scripts[key])
        else:
            count = self.fallbacks.get(counter_key, 0) + 1
            self.fallbacks[counter_key] = count
            answer = copy.deepcopy(WIRE_LEXV2_FALLBACK)
            if self.fallback_limit is not None and count >= self.fallback_limit:
                answer["messages"] = [_plain(HANGUP_V2)]
                answer["sessionState"]["intent"]["state"] = "Failed"
                self.fallbacks[counter_key] = 0
            answer["sessionId"] = session
            answer["sessionState"]["sessionAttributes"] = dict(attrs)
            return answer
        self.fallbacks[counter_key] = 0
        answer["sessionId"] = session
        state = answer.setdefault("sessionState", {})
        attrs.update(state.get("sessionAttributes") or {})
        state["sessionAttributes"] = dict(attrs)
        if request_attributes and "requestAttributes" not in answer:
            answer["requestAttributes"] = request_attributes
        return answer

    # --- V1 ---

    def _v1_check(self, params: dict[str, str]) -> None:
        aliases = self.v1_bots.get(params["bot"])
        if aliases is None:
            raise LexApiError(404, "NotFoundException", f"Could not find bot {params['bot']}")
        if params["alias"] not in aliases:
            raise LexApiError(
                404,
                "NotFoundException",
                f"Could not find alias {params['alias']} of bot {params['bot']}",
            )

    def _op_GetBotAlias(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        self._v1_check(params)
        return {
            "name": params["alias"],
            "botName": params["bot"],
            "botVersion": "3",
            "checksum": "fake",
        }

    def _op_GetSession(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        self._v1_check(params)
        return {
            "sessionId": f"fake-{params['user']}",
            "sessionAttributes": self.sessions.get(f"v1:{params['user']}", {}),
        }

    def _op_PostText(
        self, rec: Recorded, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        self._v1_check(params)
        user = params["user"]
        if not re.fullmatch(r"[0-9a-zA-Z._:-]{2,100}", user):
            raise LexApiError(400, "BadRequestException", "Invalid userId")
        text = body.get("inputText")
        if not isinstance(text, str) or not 1 <= len(text) <= 1024:
            raise LexApiError(400, "BadRequestException", "Invalid inputText")
        attrs = self.sessions.setdefault(f"v1:{user}", {})
        if "sessionAttributes" in body:
            attrs.clear()
            attrs.update(body.get("sessionAttributes") or {})
        key = text.strip().lower()
        counter_key = f"v1:{user}"
        if key == "kommunicatemediaevent":
            echo = (body.get("requestAttributes") or {}).get("attachments", "[]")
            answer: dict[str, Any] = {
                "intentName": "MediaReceived",
                "message": f"attachments: {echo}",
                "messageFormat": "PlainText",
                "dialogState": "Fulfilled",
            }
        elif key in self.v1_scripts:
            answer = copy.deepcopy(self.v1_scripts[key])
            self.fallbacks[counter_key] = 0
        else:
            count = self.fallbacks.get(counter_key, 0) + 1
            self.fallbacks[counter_key] = count
            if self.fallback_limit is not None and count >= self.fallback_limit:
                answer = copy.deepcopy(WIRE_LEXV1_FAILED)
                self.fallbacks[counter_key] = 0
            else:
                answer = {
                    "message": "Sorry, can you please repeat that?",
                    "messageFormat": "PlainText",
                    "dialogState": "ElicitIntent",
                }
        attrs.update(answer.get("sessionAttributes") or {})
        answer["sessionAttributes"] = dict(attrs)
        answer["sessionId"] = f"fake-{user}"
        return answer

    # --- control endpoints ---

    def control(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Serve ``/_fake/*``."""
        if path == "/_fake/info" and method == "GET":
            return 200, {
                "url": self.url,
                "region": self.region,
                "access_key_id": ACCESS_KEY_ID,
                "secret_access_key": SECRET_ACCESS_KEY,
                "run_only_access_key_id": RUN_ONLY_ACCESS_KEY_ID,
                "run_only_secret_access_key": RUN_ONLY_SECRET_ACCESS_KEY,
                "v2_bots": [
                    {
                        "botId": b.bot_id,
                        "botName": b.name,
                        "aliases": [a.__dict__ for a in b.aliases],
                    }
                    for b in self.bots
                ],
                "v1_bots": {k: sorted(v) for k, v in self.v1_bots.items()},
                "v2_utterances": sorted(self.v2_scripts),
                "v1_utterances": sorted(self.v1_scripts),
            }
        if path == "/_fake/requests" and method == "GET":
            with self._lock:
                return 200, [r.as_json() for r in self.requests]
        if path == "/_fake/requests" and method == "DELETE":
            self.clear_requests()
            return 200, {}
        if path == "/_fake/script" and method == "POST":
            self.script(str(body["utterance"]), v2=body.get("v2"), v1=body.get("v1"))
            return 200, {}
        if path == "/_fake/fail" and method == "POST":
            self.fail_next(
                int(body.get("count", 1)),
                status=int(body.get("status", 429)),
                error_type=str(body.get("error_type", "ThrottlingException")),
                message=str(body.get("message", "Rate exceeded")),
                only=body.get("only"),
            )
            return 200, {}
        if path == "/_fake/delay" and method == "POST":
            count = body.get("count")
            self.set_delay(float(body.get("seconds", 0)), None if count is None else int(count))
            return 200, {}
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return 200, {}
        return 404, {"message": f"no control endpoint {method} {path}"}


class _Handler(BaseHTTPRequestHandler):
    """HTTP glue: parse, authenticate, record, apply faults and delays, answer JSON."""

    lex: FakeLex
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeLex/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _send(
        self,
        status: int,
        body: Any,
        error_type: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", f"fake-{time.monotonic_ns()}")
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _handle(self, method: str) -> None:
        lex = self.lex
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = split.path
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if path.startswith("/_fake/"):
            status, answer = lex.control(method, path, body if isinstance(body, dict) else {})
            self._send(status, answer)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        routed = lex.route(method, path)
        service, operation, params = routed or ("unknown", "Unknown", {})
        cred = _CREDENTIAL.search(headers.get("authorization", ""))
        rec = Recorded(
            method=method,
            path=self.path,
            service=service,
            operation=operation,
            headers=headers,
            body=body,
            access_key_id=cred.group(1) if cred else None,
            region=cred.group(3) if cred else None,
            session_id=params.get("session") or params.get("user"),
            locale=params.get("locale"),
        )
        if isinstance(body, dict):
            rec.text = body.get("text", body.get("inputText"))
            rec.request_attributes = dict(body.get("requestAttributes") or {})
            state = body.get("sessionState")
            if isinstance(state, dict) and "sessionAttributes" in state:
                rec.session_attributes = dict(state["sessionAttributes"] or {})
            elif "sessionAttributes" in body:
                rec.session_attributes = dict(body["sessionAttributes"] or {})
        if split.query:
            rec.body = {"query": parse_qs(split.query), "body": body}
        with lex._lock:
            lex.requests.append(rec)
        try:
            lex.check_auth(method, self.path, headers, raw)
            if routed is None:
                raise LexApiError(404, "UnknownOperationException", f"No route for {method} {path}")
            if not isinstance(body, dict):
                raise LexApiError(400, "SerializationException", "Body is not a JSON object")
            fault = lex._take_fault(service)
            if fault is not None and fault.raw is not None:
                self._send(200, fault.raw)
                return
            if fault is not None:
                raise LexApiError(fault.status, fault.error_type, fault.message, fault.retry_after)
            delay = lex._take_delay()
            if delay and lex._stop.wait(delay):
                return
            with lex._lock:
                answer = lex.dispatch(rec, params, body)
            self._send(200, answer)
        except LexApiError as err:
            rec.status = err.status
            extra = {} if err.retry_after is None else {"Retry-After": str(err.retry_after)}
            body = {"__type": err.error_type, "message": err.message}
            self._send(err.status, body, err.error_type, extra)


def main(argv: list[str] | None = None) -> None:
    """Run the fake until interrupted."""
    parser = argparse.ArgumentParser(description="Local fake Amazon Lex server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--region", default=REGION)
    parser.add_argument("--fallback-limit", type=int, default=3)
    parser.add_argument("--no-verify-signature", action="store_true")
    args = parser.parse_args(argv)
    fake = FakeLex(
        args.host,
        args.port,
        region=args.region,
        verify_signature=not args.no_verify_signature,
        fallback_limit=args.fallback_limit or None,
    ).start()
    print(
        json.dumps(
            {
                "url": fake.url,
                "access_key_id": ACCESS_KEY_ID,
                "secret_access_key": SECRET_ACCESS_KEY,
                "region": fake.region,
            }
        ),
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
