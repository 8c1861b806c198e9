"""A certificate chain and the private key of its leaf, checked to belong together.

RSA (rsaEncryption or id-RSASSA-PSS), ECDSA, Ed25519 and Ed448 keys: the ones that can sign a
TLS 1.2 key exchange or CertificateVerify (RFC 5246 §7.4.3, RFC 8422 §5.4, RFC 8446 §4.2.3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)

from tls12.crypto import rsa_pss
from tls12.crypto.signatures import PrivateKey
from tls12.crypto.suites import Auth
from tls12.errors import ConfigError
from tls12.ocsp_staple import Staple

_SIGNING_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


def signing_key(key: PrivateKeyTypes) -> PrivateKey:
    """``key`` if it is of a type that can sign TLS 1.2 messages, else ConfigError."""
    if not isinstance(key, _SIGNING_KEYS):
        raise ConfigError(
            "only RSA, RSA-PSS, ECDSA, Ed25519 and Ed448 keys can sign TLS 1.2 key "
            f"exchanges (got {type(key).__name__})"
        )
    return key


def _public_der(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class CertifiedKey:
    """A certificate chain (leaf first) and the private key of its leaf.

    RSA (rsaEncryption or id-RSASSA-PSS), ECDSA, Ed25519 and Ed448 keys. When the leaf is an
    id-RSASSA-PSS certificate, ``key`` becomes a :class:`tls12.crypto.rsa_pss.PssPrivateKey`,
    which signs only the rsa_pss_pss schemes the certificate allows (RFC 8446 §4.2.3).
    """

    chain: tuple[x509.Certificate, ...]
    key: PrivateKey = field(repr=False)
    # OCSP stapling (RFC 6066 §8): this chain's own staple (Staple or StapleFile)
    ocsp_staple: Staple | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.chain:
            raise ConfigError("a certificate chain needs at least one certificate")
        key = signing_key(self.key)
        leaf = self.chain[0]
        try:
            theirs = _public_der(leaf.public_key())
        except ValueError as exc:
            raise ConfigError(f"the certificate's key cannot be read: {exc}") from None
        if _public_der(key.public_key()) != theirs:
            raise ConfigError("the private key does not match the certificate")
        if rsa_pss.is_rsa_pss_certificate(leaf) and isinstance(key, rsa.RSAPrivateKey):
            inner = key.inner if isinstance(key, rsa_pss.PssPrivateKey) else key
            allowed = rsa_pss.restriction(leaf)
            if not allowed.schemes:
                raise ConfigError(
                    f"the RSA-PSS certificate's key parameters ({allowed.detail}) allow no TLS "
                    "signature scheme: rsa_pss_pss_* needs SHA-256/384/512, MGF1 with the same "
                    "hash, and a minimum salt no longer than the hash"
                )
            wrapped = rsa_pss.PssPrivateKey(inner, allowed)
            object.__setattr__(self, "key", wrapped)

    @cached_property
    def chain_der(self) -> tuple[bytes, ...]:
        return tuple(c.public_bytes(serialization.Encoding.DER) for c in self.chain)

    @property
    def auth(self) -> Auth:
        """RSA keys (PSS ones too) serve *_RSA suites; ECDSA and EdDSA keys the ECDHE_ECDSA
        suites (RFC 8422 §2)."""
        return Auth.RSA if isinstance(self.key, rsa.RSAPrivateKey) else Auth.ECDSA

    @classmethod
    def from_pem(
        cls, cert_pem: bytes, key_pem: bytes, password: bytes | None = None
    ) -> CertifiedKey:
        try:
            chain = tuple(x509.load_pem_x509_certificates(cert_pem))
        except ValueError as exc:
            raise ConfigError(f"could not read certificate PEM: {exc}") from None
        try:
            key = serialization.load_pem_private_key(key_pem, password)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"could not read private key PEM: {exc}") from None
        return cls(chain, signing_key(key))

    @classmethod
    def from_files(
        cls,
        cert_file: str | os.PathLike[str],
        key_file: str | os.PathLike[str],
        password: bytes | None = None,
    ) -> CertifiedKey:
        return cls.from_pem(Path(cert_file).read_bytes(), Path(key_file).read_bytes(), password)
