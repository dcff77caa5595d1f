"""The RSA key that signs access and ID tokens, and the public JWKS that verifies them.

SIAGA_JWT_KEY holds a PEM private key; when it is empty a 2048-bit key is
generated once into SIAGA_DATA_DIR/secrets, so every web worker and the CLI
sign with the same key. The key id is its RFC 7638 thumbprint: it changes
exactly when the key does, and needs no bookkeeping.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import KeySet, RSAKey

from ..config import ConfigError, Settings

ALGORITHM = "RS256"
KEY_FILE = "jwt-signing-key.pem"
KEY_BITS = 2048
MIN_KEY_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    private: RSAKey
    public: RSAKey

    @property
    def kid(self) -> str:
        return self.public.kid

    def key_set(self) -> KeySet:
        """The private key as a key set: joserfc then writes its kid into every token header."""
        return KeySet([self.private])

    def jwks(self) -> dict:
        return {"keys": [self.public.as_dict(private=False)]}


def signing_key(settings: Settings) -> SigningKey:
    """The platform's signing key; loaded once per process (verification runs on every request)."""
    return _cached_key(settings.jwt_key, settings.data_dir)


@functools.lru_cache(maxsize=4)
def _cached_key(configured: str, data_dir: Path) -> SigningKey:
    if configured:
        pem = _configured_pem(configured)
        where = "SIAGA_JWT_KEY"
    else:
        path = _stored_key_path(data_dir)
        pem = path.read_bytes()
        where = str(path)
    return _import(pem, where)


def _configured_pem(value: str) -> bytes:
    # A PEM pasted into a one-line variable often arrives with literal "\n" instead of newlines.
    if "\\n" in value and "\n" not in value:
        value = value.replace("\\n", "\n")
    return value.strip().encode() + b"\n"


def _import(pem: bytes, where: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{where} must be an unencrypted PEM RSA private key "
                          f"(e.g. `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`): {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{where} holds a {type(key).__name__}; tokens are signed with RS256, which needs an RSA key.")
    if key.key_size < MIN_KEY_BITS:
        raise ConfigError(f"{where} is a {key.key_size}-bit RSA key; use at least {MIN_KEY_BITS} bits.")
    parameters = {"alg": ALGORITHM, "use": "sig"}
    private = RSAKey.import_key(pem, parameters)
    kid = private.thumbprint()
    private = RSAKey.import_key(pem, {**parameters, "kid": kid})
    public = RSAKey.import_key(private.as_dict(private=False))
    return SigningKey(private=private, public=public)


def _stored_key_path(data_dir: Path) -> Path:
    """data_dir/secrets/jwt-signing-key.pem, generated on first use."""
    folder = data_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / KEY_FILE
    if path.exists():
        return path
    # As in secrets.stored_secret: written whole to a private draft (0600 from the start, so the key
    # is never readable by others), then linked into place; two processes agree on the first key.
    draft = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"  # unique per thread too
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(_new_pem())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path


def _new_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
