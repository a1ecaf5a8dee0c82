"""Service-account access tokens, over a google-auth transport on httpx (no ``requests``).

The OAuth2 access token comes from the service-account key's own ``token_uri`` (so a local
fake can stand in for Google); it is fetched off the event loop and cached until it expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from relaydesk.ai_agents.base import PermanentError, TransientError
from relaydesk.ai_agents.blocking import run_blocking

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


class _AuthResponse(google.auth.transport.Response):
    """google-auth's view of an httpx response."""

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp

    @property
    def status(self) -> int:
        """HTTP status."""
        return self._resp.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers."""
        return self._resp.headers

    @property
    def data(self) -> bytes:
        """Response body."""
        return self._resp.content


class _AuthRequest(google.auth.transport.Request):
    """A synchronous google-auth transport on httpx with an explicit timeout."""

    def __init__(self, timeout_s: float) -> None:
        self._client = httpx.Client(timeout=timeout_s)

    def __call__(  # type: ignore[override]
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _AuthResponse:
        """Make one HTTP request for google-auth."""
        try:
            resp = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout or self._client.timeout,
            )
        except httpx.HTTPError as exc:
            raise google.auth.exceptions.TransportError(f"{type(exc).__name__}: {exc}") from exc
        return _AuthResponse(resp)

    def close(self) -> None:
        """Close the underlying client."""
        self._client.close()


class _TokenSource:
    """Service-account access tokens, refreshed off the event loop and cached until expiry."""

    def __init__(self, key: dict[str, Any], timeout_s: float) -> None:
        self._key = key
        self._timeout_s = timeout_s
        self._creds: service_account.Credentials | None = None
        self._request: _AuthRequest | None = None
        self._lock = asyncio.Lock()

    def _credentials(self) -> service_account.Credentials:
        """Build the credentials from the key; PermanentError when the key is unusable."""
        if self._creds is None:
            try:
                self._creds = service_account.Credentials.from_service_account_info(
                    self._key, scopes=SCOPES
                )
            except (ValueError, TypeError, KeyError) as exc:
                email = self._key.get("client_email", "?")
                raise PermanentError(
                    f"service account key for {email} is unusable ({type(exc).__name__}: "
                    "the private key could not be loaded)"
                ) from None
        return self._creds

    def _refresh(self, creds: service_account.Credentials) -> None:
        """Fetch a fresh token (runs in a worker thread)."""
        if self._request is None:
            self._request = _AuthRequest(self._timeout_s)
        creds.refresh(self._request)

    async def token(self) -> str:
        """A valid access token, fetched from ``token_uri`` when needed."""
        async with self._lock:
            creds = self._credentials()
            if not creds.valid:
                try:
                    await run_blocking(self._refresh, creds)
                except google.auth.exceptions.RefreshError as exc:
                    detail = _refresh_detail(exc)
                    email = self._key.get("client_email", "?")
                    if getattr(exc, "retryable", False):
                        raise TransientError(f"token endpoint busy for {email}: {detail}") from None
                    raise PermanentError(
                        f"Google refused the service account {email}: {detail}"
                    ) from None
                except google.auth.exceptions.TransportError as exc:
                    raise TransientError(f"token endpoint unreachable: {exc}") from None
            return str(creds.token)

    def invalidate(self) -> None:
        """Forget the cached token (after the API refused it)."""
        if self._creds is not None:
            self._creds.token = None
            self._creds.expiry = None

    def close(self) -> None:
        """Close the token transport."""
        if self._request is not None:
            self._request.close()
            self._request = None


def _refresh_detail(exc: Exception) -> str:
    """A short, key-free reason from a google-auth RefreshError."""
    args = exc.args
    if len(args) >= 2 and isinstance(args[1], dict):
        body = args[1]
        err = body.get("error")
        desc = body.get("error_description")
        if err or desc:
            return ": ".join(str(x) for x in (err, desc) if x)
    return str(args[0] if args else exc)[:300]
