"""Secrets at rest: provider credentials encrypted with rotatable Fernet keys (MultiFernet),
and gateway keys (and cache keys built from credentials) reduced to SHA-256 digests."""

import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def secret_digest(secret: str) -> str:
    """SHA-256 of `secret` in hex, "" for no secret; lone surrogates digest too, never raise."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest() if secret else ""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def _current() -> MultiFernet:
    # The first key encrypts; every listed key decrypts, so old keys can be retired after rotation.
    return _fernet(tuple(settings.GATEWAY_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a stored credential; raises DecryptionError when no configured key opens it."""
    return _decrypt(token, tuple(settings.GATEWAY_ENCRYPTION_KEYS))


@lru_cache(maxsize=1024)
def _decrypt(token: str, keys: tuple[str, ...]) -> str:
    # Memoised: a virtual key is decrypted on every provider request.
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored credential cannot be decrypted with GATEWAY_ENCRYPTION_KEYS: "
            "the key that encrypted it was removed before rotation."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt a token under the first (newest) key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("A stored credential cannot be decrypted for rotation.") from None


class DecryptionError(Exception):
    pass
