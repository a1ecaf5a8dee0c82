"""Password hashing, token hashing and encryption of stored secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

if TYPE_CHECKING:
    from relaydesk.config import Settings

_hasher = PasswordHasher()

#: a fixed key for demo/test installs that set no RELAYDESK_SECRET_KEY (documented as unsafe)
DEMO_SECRET_KEY = "relaydesk-demo-secret-key-do-not-use-in-production"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


#: verified against when no account matches, so an unknown email costs a wrong password's time
DUMMY_HASH = _hasher.hash("relaydesk: no such account")


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """API keys and session tokens are random, so a fast hash is the right one."""
    return hashlib.sha256(token.encode()).hexdigest()


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _sign_key(secret_key: str) -> str:
    return hashlib.sha256(b"relaydesk-sign:" + secret_key.encode()).hexdigest()


class SecretBox:
    """Encrypts secrets at rest with a key derived from ``RELAYDESK_SECRET_KEY``.

    Earlier keys (``RELAYDESK_SECRET_KEY_PREVIOUS``) still decrypt and still verify
    signatures, so a server keeps working across a key change; everything new is encrypted
    and signed under the current key, and :meth:`rotate` rewrites an old ciphertext.
    """

    def __init__(self, secret_key: str, previous: Sequence[str] = ()) -> None:
        older = [k for k in dict.fromkeys(previous) if k and k != secret_key]
        self._current = _fernet(secret_key)
        self._any = MultiFernet([self._current, *(_fernet(k) for k in older)])
        self._sign_key = _sign_key(secret_key)
        self._verify_keys = [self._sign_key, *(_sign_key(k) for k in older)]

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box of ``RELAYDESK_SECRET_KEY`` (the demo key when unset) and the previous keys."""
        return cls(settings.secret_key or DEMO_SECRET_KEY, settings.previous_secret_keys)

    def encrypt(self, value: Any) -> str:
        return self._current.encrypt(json.dumps(value).encode()).decode()

    def decrypt(self, token: str) -> Any:
        try:
            return json.loads(self._any.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this secret key") from exc

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is encrypted under the current key."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same secret encrypted under the current key (ValueError if no key reads it)."""
        try:
            return self._any.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this secret key") from exc

    def sign(self, message: str) -> str:
        """An HMAC under a key derived from the current secret key (signed URLs)."""
        return hmac_hex(self._sign_key, message)

    def verify(self, message: str, signature: str) -> bool:
        """Whether ``signature`` was made by :meth:`sign` under the current or a previous key."""
        return any(
            hmac.compare_digest(hmac_hex(key, message), signature) for key in self._verify_keys
        )
