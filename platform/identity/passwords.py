"""Password hashing with argon2id (memory-hard), through argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..refusals import N_, Invalid

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults
MIN_LENGTH = 12
# Hashed once so that checking an unknown e-mail costs as much as checking a wrong password.
_DUMMY_HASH = _hasher.hash("siaga112 timing equaliser")


class WeakPassword(Invalid):
    def __init__(self, template: str, **params):
        super().__init__(template, "password", **params)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(N_("A password needs at least %(count)s characters."), count=MIN_LENGTH)
    if password.strip() != password or not password.isprintable():
        raise WeakPassword(N_("A password cannot start or end with spaces or contain control characters."))


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
