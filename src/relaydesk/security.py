"""Password hashing, token hashing and encryption of stored secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

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


class SecretBox:
    """Encrypts secrets at rest with a key derived from ``RELAYDESK_SECRET_KEY``."""

    def __init__(self, secret_key: str) -> None:
        self._f = _fernet(secret_key)
        self._sign_key = hashlib.sha256(b"relaydesk-sign:" + secret_key.encode()).hexdigest()

    def encrypt(self, value: Any) -> str:
        return self._f.encrypt(json.dumps(value).encode()).decode()

    def decrypt(self, token: str) -> Any:
        try:
            return json.loads(self._f.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this secret key") from exc

    def sign(self, message: str) -> str:
        """An HMAC under a key derived from the secret key (signed URLs)."""
        return hmac_hex(self._sign_key, message)
