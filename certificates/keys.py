"""The Ed25519 key that signs certificate credentials, and its public half as a JWK.

Where the private key comes from, in order:

1. `CERTIFICATE_SIGNING_KEY`: a PKCS#8 PEM (an env variable may hold it with literal
   "\\n" for line breaks);
2. `CERTIFICATE_SIGNING_KEY_FILE`: the path of such a PEM (a mounted secret);
3. neither, on a development setup (DEBUG on, or the built-in dev SECRET_KEY, which
   settings refuse when DEBUG is off): a key derived deterministically from SECRET_KEY
   with HKDF, so `make run` can sign without any setup and the key survives restarts.
   It is as secret as the dev SECRET_KEY, i.e. not at all: never use it in production.
4. Otherwise `SigningKeyMissing`: the credential endpoints answer 503 and log why. We
   don't refuse to start instead, because the rest of the site (and `check --deploy`)
   must work without the key.

Generate a production key with:
`openssl genpkey -algorithm ed25519 -out kos-issuer-key.pem`.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.urls import reverse

KEY_FRAGMENT = "key-1"
# Part of the derivation: changing it would change the dev key (and break old dev JWS).
DEV_KEY_INFO = b"kos-portal certificate signing key (development only)"


class SigningKeyMissing(Exception):
    """No signing key is configured and this is not a development setup."""


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _dev_setup() -> bool:
    from kos_portal import settings as project_settings

    return bool(settings.DEBUG) or settings.SECRET_KEY == project_settings.DEV_SECRET


@functools.lru_cache(maxsize=8)
def _load(pem: str | None, path: str | None, secret: str, dev: bool) -> Ed25519PrivateKey:
    if pem:
        data = pem.replace("\\n", "\n").encode("ascii")
    elif path:
        data = Path(path).read_bytes()
    elif dev:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DEV_KEY_INFO).derive(
            secret.encode("utf-8")
        )
        return Ed25519PrivateKey.from_private_bytes(seed)
    else:
        raise SigningKeyMissing(
            "Set CERTIFICATE_SIGNING_KEY (PEM) or CERTIFICATE_SIGNING_KEY_FILE to sign "
            "certificate credentials; see docs/verification.md."
        )
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("CERTIFICATE_SIGNING_KEY must be an Ed25519 private key.")
    return key


def signing_key() -> Ed25519PrivateKey:
    """The private key from settings (cached per configuration). Raises SigningKeyMissing."""
    return _load(
        getattr(settings, "CERTIFICATE_SIGNING_KEY", None),
        getattr(settings, "CERTIFICATE_SIGNING_KEY_FILE", None),
        settings.SECRET_KEY,
        _dev_setup(),
    )


def key_document_url() -> str:
    """Absolute URL of the published public key (the JWK document)."""
    return f"{settings.SITE_URL}{reverse('certificates:issuer-key')}"


def key_id() -> str:
    """The `kid` in every JWS header: where a verifier finds the public key."""
    return f"{key_document_url()}#{KEY_FRAGMENT}"


def public_jwk() -> dict:
    """The public key as an OKP/Ed25519 JWK (RFC 8037). Raises SigningKeyMissing."""
    raw = (
        signing_key()
        .public_key()
        .public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    )
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(raw),
        "kid": key_id(),
        "alg": "EdDSA",
        "use": "sig",
    }
