"""API keys: how they look, how they are hashed, how they are compared."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "itk"
_KEY_FORMAT = re.compile(rf"{KEY_PREFIX}_(?P<key_id>[0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}")


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly made key: `secret` is shown once and never stored, only `key_hash` is."""

    key_id: str
    secret: str
    key_hash: str


def generate_api_key() -> NewApiKey:
    """Make a key `itk_<12 hex id>_<43 url-safe characters>` (256 random bits)."""
    key_id = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key_id=key_id, secret=secret, key_hash=hash_api_key(secret))


def hash_api_key(secret: str) -> str:
    """SHA-256 of the key: enough for 256-bit random keys, and lets the hash be looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The public id inside a well-formed key, or None when the text is not one of our keys."""
    match = _KEY_FORMAT.fullmatch(secret)
    return match.group("key_id") if match else None


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time (by their digests, so lengths leak nothing)."""
    return hmac.compare_digest(hash_api_key(given), hash_api_key(expected))


@dataclass(frozen=True, slots=True)
class StoredApiKey:
    """A guild key as stored and listed: never its secret."""

    key_id: str
    guild_id: int
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
