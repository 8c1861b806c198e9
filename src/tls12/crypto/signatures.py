"""Signature schemes: which ones a key can make, which one to use, and sign/verify.

In TLS 1.2 a SignatureScheme code is the (hash, signature) pair of RFC 5246 §7.4.1.4.1; unlike
TLS 1.3 an ECDSA scheme's curve is not bound to the key, so a P-256 key may sign with SHA-384.
Verification here only checks that the scheme fits the key type; whether the scheme was one we
offered is the handshake's question (negotiate.py), as it knows what was offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from tls12.errors import (
    ConfigError,
    DecryptError,
    HandshakeFailure,
    IllegalParameter,
    InternalError,
    UnsupportedCertificate,
)
from tls12.wire.enums import SignatureScheme as S

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
AnyKey = PrivateKey | PublicKey

RSA_SCHEMES = (
    S.rsa_pss_rsae_sha256,
    S.rsa_pss_rsae_sha384,
    S.rsa_pss_rsae_sha512,
    S.rsa_pkcs1_sha256,
    S.rsa_pkcs1_sha384,
    S.rsa_pkcs1_sha512,
    S.rsa_pkcs1_sha1,
)
"""PSS first (it has a security proof, and TLS 1.3 peers prefer it), SHA-1 last (legacy)."""

ECDSA_SCHEMES = (S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512)

_MATCHING_ECDSA = {
    "secp256r1": S.ecdsa_secp256r1_sha256,
    "secp384r1": S.ecdsa_secp384r1_sha384,
    "secp521r1": S.ecdsa_secp521r1_sha512,
}

_PSS = frozenset({S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512})
_PKCS1 = frozenset({S.rsa_pkcs1_sha1, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512})
_ECDSA = frozenset({*ECDSA_SCHEMES, S.ecdsa_sha1})

_HASHES: dict[S, type[hashes.HashAlgorithm]] = {
    S.rsa_pkcs1_sha1: hashes.SHA1,
    S.ecdsa_sha1: hashes.SHA1,
    S.rsa_pkcs1_sha256: hashes.SHA256,
    S.ecdsa_secp256r1_sha256: hashes.SHA256,
    S.rsa_pss_rsae_sha256: hashes.SHA256,
    S.rsa_pkcs1_sha384: hashes.SHA384,
    S.ecdsa_secp384r1_sha384: hashes.SHA384,
    S.rsa_pss_rsae_sha384: hashes.SHA384,
    S.rsa_pkcs1_sha512: hashes.SHA512,
    S.ecdsa_secp521r1_sha512: hashes.SHA512,
    S.rsa_pss_rsae_sha512: hashes.SHA512,
}

_LEGACY_DEFAULT = {"RSA": S.rsa_pkcs1_sha1, "ECDSA": S.ecdsa_sha1}
"""RFC 5246 §7.4.1.4.1: with no signature_algorithms from the client, assume SHA-1."""


def _family(key: AnyKey) -> str:
    """'RSA', 'ECDSA', 'Ed25519' or 'Ed448'; an unsupported key type is refused here."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ECDSA"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PrivateKey | ed448.Ed448PublicKey):
        return "Ed448"
    raise _unsupported(key, f"unsupported key type {type(key).__name__} for TLS signatures")


def _unsupported(key: object, message: str) -> ConfigError | UnsupportedCertificate:
    """Our own key of the wrong kind is a configuration mistake; a peer's, its certificate's."""
    if hasattr(key, "private_bytes"):
        return ConfigError(message)
    return UnsupportedCertificate(message)


def key_type_name(key: AnyKey) -> str:
    """A short name for traces: 'RSA-2048', 'ECDSA P-256', 'Ed25519'."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"ECDSA P-{key.curve.key_size}"
    return _family(key)


def schemes_for_key(key: AnyKey) -> list[S]:
    """The schemes this key can sign (or verify) with, in our order of preference."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return list(RSA_SCHEMES)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        matching = _MATCHING_ECDSA.get(key.curve.name)
        if matching is None:
            raise _unsupported(key, f"ECDSA keys on curve {key.curve.name} are not supported")
        others = [s for s in ECDSA_SCHEMES if s != matching]
        return [matching, *others, S.ecdsa_sha1]
    if _family(key) == "Ed25519":
        return [S.ed25519]
    return [S.ed448]


def choose_scheme(
    key: AnyKey,
    peer_schemes: Sequence[int] | None,
    allowed: Sequence[S] | None = None,
) -> S:
    """Our first scheme for ``key`` that the peer accepts (and policy ``allowed``, if given).

    ``peer_schemes`` is None when the peer sent no signature_algorithms: then RFC 5246's
    SHA-1 default applies, which a policy without SHA-1 will refuse.
    """
    ours = schemes_for_key(key)
    if allowed is not None:
        permitted = {int(s) for s in allowed}
        ours = [s for s in ours if s in permitted]
    if peer_schemes is None:
        legacy = _LEGACY_DEFAULT.get(_family(key))
        if legacy is None:
            raise HandshakeFailure(
                "the peer sent no signature_algorithms, and RFC 5246 gives no default "
                f"scheme for our {key_type_name(key)} key"
            )
        if legacy not in ours:
            raise HandshakeFailure(
                "the peer sent no signature_algorithms, which means it accepts only "
                f"{legacy.name}, and our policy does not allow it (we can sign with "
                f"{_names(ours)})"
            )
        return legacy
    accepted = {int(s) for s in peer_schemes}
    for scheme in ours:
        if scheme in accepted:
            return scheme
    raise HandshakeFailure(
        f"no signature scheme in common: we can sign with {_names(ours)} "
        f"({key_type_name(key)} key), peer accepts {_names(S(s) for s in peer_schemes)}"
    )


def hash_for(scheme: int) -> hashes.HashAlgorithm | None:
    """The hash a scheme signs with; None for EdDSA, which hashes the message itself."""
    known = _known(scheme)
    if known in (S.ed25519, S.ed448):
        return None
    factory = _HASHES.get(known)
    if factory is None:
        raise IllegalParameter(f"signature scheme {known.name} is not supported")
    return factory()


def sign(private_key: PrivateKey, scheme: int, data: bytes) -> bytes:
    """Sign ``data`` (the message itself: each scheme does its own hashing)."""
    known = _known(scheme)
    if known not in schemes_for_key(private_key):
        raise InternalError(
            f"cannot sign with {known.name} using a {key_type_name(private_key)} key"
        )
    algorithm = hash_for(known)
    if known in _PSS:
        return private_key.sign(data, _pss(algorithm), algorithm)
    if known in _PKCS1:
        return private_key.sign(data, padding.PKCS1v15(), algorithm)
    if known in _ECDSA:
        return private_key.sign(data, ec.ECDSA(algorithm))
    return private_key.sign(data)


def verify(public_key: PublicKey, scheme: int, signature: bytes, data: bytes) -> None:
    """Check a peer's signature; DecryptError if it does not verify.

    IllegalParameter if the scheme cannot be made by this kind of key (an ECDSA scheme on an
    RSA certificate): the peer chose something its own certificate cannot produce.
    """
    known = _known(scheme)
    if known not in schemes_for_key(public_key):
        raise IllegalParameter(
            f"peer signed with {known.name}, which does not fit its {key_type_name(public_key)} key"
        )
    algorithm = hash_for(known)
    try:
        if known in _PSS:
            public_key.verify(signature, data, _pss(algorithm), algorithm)
        elif known in _PKCS1:
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif known in _ECDSA:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            public_key.verify(signature, data)
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        raise DecryptError(
            f"{known.name} signature did not verify with the peer's {key_type_name(public_key)} key"
        ) from None


def _pss(algorithm: hashes.HashAlgorithm) -> padding.PSS:
    """RSASSA-PSS with MGF1 of the same hash and salt = hash length (RFC 8446 §4.2.3)."""
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)


def _known(scheme: int) -> S:
    return scheme if isinstance(scheme, S) else S(scheme)


def _names(schemes: Iterable[int]) -> str:
    return ", ".join(S(s).name for s in schemes) or "none"
