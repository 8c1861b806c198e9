"""Signature schemes: which ones a key can make, which one to use, and sign/verify.

In TLS 1.2 a SignatureScheme code is the (hash, signature) pair of RFC 5246 §7.4.1.4.1; unlike
TLS 1.3 an ECDSA scheme's curve is not bound to the key, so a P-256 key may sign with SHA-384.
Verification here only checks that the scheme fits the key type; whether the scheme was one we
offered is the handshake's question (negotiate.py), as it knows what was offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from tls12.crypto.rsa_pss import (
    PSS_PSS_SCHEMES,
    PssPrivateKey,
    PssPublicKey,
    certificate_public_key,
)
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
PUBLIC_KEYS = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)
"""The members of PublicKey, for isinstance."""

EDDSA_KEYS = (
    ed25519.Ed25519PrivateKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PrivateKey,
    ed448.Ed448PublicKey,
)
"""EdDSA keys: they serve the ECDHE_ECDSA suites (RFC 8422 §2, §5.1.3)."""
EDDSA_PUBLIC = ed25519.Ed25519PublicKey | ed448.Ed448PublicKey

RSA_SCHEMES = (
    S.rsa_pss_rsae_sha256,
    S.rsa_pss_rsae_sha384,
    S.rsa_pss_rsae_sha512,
    S.rsa_pkcs1_sha256,
    S.rsa_pkcs1_sha384,
    S.rsa_pkcs1_sha512,
    S.rsa_pkcs1_sha224,
    S.rsa_pkcs1_sha1,
)
"""PSS first (it has a security proof, and TLS 1.3 peers prefer it), SHA-224 and SHA-1 last
(legacy: only the compatible policy allows them)."""

ECDSA_SCHEMES = (S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512)
"""In TLS 1.2 these are (sha256|sha384|sha512, ecdsa) for a key on any curve (RFC 5246
§7.4.1.4.1, RFC 8422 §5.1.3): the curve in their TLS 1.3 names binds nothing here."""

LEGACY_ECDSA_SCHEMES = (S.ecdsa_sha224, S.ecdsa_sha1)

_MATCHING_ECDSA = {
    "secp256r1": S.ecdsa_secp256r1_sha256,
    "secp384r1": S.ecdsa_secp384r1_sha384,
    "secp521r1": S.ecdsa_secp521r1_sha512,
}

_PSS = frozenset(
    {S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512, *PSS_PSS_SCHEMES}
)
_PKCS1 = frozenset(
    {
        S.rsa_pkcs1_sha1,
        S.rsa_pkcs1_sha224,
        S.rsa_pkcs1_sha256,
        S.rsa_pkcs1_sha384,
        S.rsa_pkcs1_sha512,
    }
)
_ECDSA = frozenset({*ECDSA_SCHEMES, *LEGACY_ECDSA_SCHEMES})

_HASHES: dict[S, type[hashes.HashAlgorithm]] = {
    S.rsa_pkcs1_sha1: hashes.SHA1,
    S.ecdsa_sha1: hashes.SHA1,
    S.rsa_pkcs1_sha224: hashes.SHA224,
    S.ecdsa_sha224: hashes.SHA224,
    S.rsa_pkcs1_sha256: hashes.SHA256,
    S.ecdsa_secp256r1_sha256: hashes.SHA256,
    S.rsa_pss_rsae_sha256: hashes.SHA256,
    S.rsa_pss_pss_sha256: hashes.SHA256,
    S.rsa_pkcs1_sha384: hashes.SHA384,
    S.ecdsa_secp384r1_sha384: hashes.SHA384,
    S.rsa_pss_rsae_sha384: hashes.SHA384,
    S.rsa_pss_pss_sha384: hashes.SHA384,
    S.rsa_pkcs1_sha512: hashes.SHA512,
    S.ecdsa_secp521r1_sha512: hashes.SHA512,
    S.rsa_pss_rsae_sha512: hashes.SHA512,
    S.rsa_pss_pss_sha512: hashes.SHA512,
}

_LEGACY = frozenset({S.rsa_pkcs1_sha1, S.ecdsa_sha1, S.rsa_pkcs1_sha224, S.ecdsa_sha224})
"""SHA-1 and SHA-224 schemes: allowed only under the compatible policy."""

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


def _unsupported(key: AnyKey, message: str) -> ConfigError | UnsupportedCertificate:
    """Our own key of the wrong kind is a configuration mistake; a peer's, its certificate's."""
    if hasattr(key, "private_bytes"):
        return ConfigError(message)
    return UnsupportedCertificate(message)


def peer_signing_key(cert: x509.Certificate, whose: str) -> PublicKey:
    """The public key of a peer's leaf certificate (a PssPublicKey for id-RSASSA-PSS), or
    UnsupportedCertificate when it is of a type that cannot sign TLS 1.2 messages (DSA, X25519,
    ...); ``whose`` names the certificate in the message."""
    key = certificate_public_key(cert)
    if not isinstance(key, PUBLIC_KEYS):
        raise UnsupportedCertificate(
            f"the {whose} certificate's key ({type(key).__name__}) is not RSA, ECDSA, Ed25519 "
            "or Ed448"
        )
    return key


def key_type_name(key: AnyKey) -> str:
    """A short name for traces: 'RSA-2048', 'RSA-PSS-2048', 'ECDSA P-256', 'Ed25519'."""
    if isinstance(key, PssPrivateKey | PssPublicKey):
        return f"RSA-PSS-{key.key_size}"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"ECDSA P-{key.curve.key_size}"
    return _family(key)


def schemes_for_key(key: AnyKey) -> list[S]:
    """The schemes this key can sign (or verify) with, in our order of preference.

    An RSA key certified as id-RSASSA-PSS signs only rsa_pss_pss_* (and only those its
    parameters allow); an rsaEncryption key, rsa_pss_rsae_* and PKCS#1 (RFC 8446 §4.2.3).
    EdDSA keys sign ed25519 or ed448 (RFC 8422 §5.1.3).
    """
    if isinstance(key, PssPrivateKey | PssPublicKey):
        if not key.allowed.schemes:
            raise _unsupported(
                key,
                f"the RSA-PSS key's parameters ({key.allowed.detail}) allow no TLS signature "
                "scheme (rsa_pss_pss_* needs SHA-256/384/512, MGF1 with the same hash, and "
                "a minimum salt no longer than the hash)",
            )
        return list(key.allowed.schemes)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return list(RSA_SCHEMES)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        matching = _MATCHING_ECDSA.get(key.curve.name)
        if matching is None:
            raise _unsupported(key, f"ECDSA keys on curve {key.curve.name} are not supported")
        others = [s for s in ECDSA_SCHEMES if s != matching]
        return [matching, *others, *LEGACY_ECDSA_SCHEMES]
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
        pss_only = isinstance(key, PssPrivateKey | PssPublicKey)
        legacy = None if pss_only else _LEGACY_DEFAULT.get(_family(key))
        if legacy is None:
            raise HandshakeFailure(
                "the peer sent no signature_algorithms, and RFC 5246 gives no default "
                f"scheme for our {key_type_name(key)} key"
            )
        if legacy not in ours:
            raise HandshakeFailure(
                "the peer sent no signature_algorithms, which means it accepts only "
                f"{legacy.name} (RFC 5246 §7.4.1.4.1), and our signature schemes do not "
                f"include it (we can sign with {_names(ours)}); cipher_suites='compatible' "
                f"(CLI: --ciphers ALL) or {legacy.name} in signature_schemes would allow it"
            )
        return legacy
    accepted = {int(s) for s in peer_schemes}
    for scheme in ours:
        if scheme in accepted:
            return scheme
    theirs = list(dict.fromkeys(S.of(s) for s in peer_schemes))
    hint = ""
    if any(s in _LEGACY for s in theirs) and not any(s in _LEGACY for s in ours):
        hint = "; cipher_suites='compatible' (CLI: --ciphers ALL) would allow SHA-1 and SHA-224"
    shown = _names(theirs[:12]) + (f" and {len(theirs) - 12} more" if len(theirs) > 12 else "")
    raise HandshakeFailure(
        f"the peer offered no signature scheme we accept: we can sign with {_names(ours)} "
        f"({key_type_name(key)} key), peer accepts {shown}{hint}"
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
    if isinstance(private_key, rsa.RSAPrivateKey) and algorithm is not None:
        pad = _pss(algorithm) if known in _PSS else padding.PKCS1v15()
        return private_key.sign(data, pad, algorithm)
    if isinstance(private_key, ec.EllipticCurvePrivateKey) and algorithm is not None:
        return private_key.sign(data, ec.ECDSA(algorithm))
    if isinstance(private_key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return private_key.sign(data)
    raise InternalError(f"cannot sign with {known.name} using a {key_type_name(private_key)} key")


_RSA_SET = frozenset(RSA_SCHEMES)
_KINDS: dict[type, str] = {}
"""Each concrete key class seen by ``verify``: "rsa" (an rsaEncryption key), "ec", or
"other" (PSS-certified RSA, EdDSA, unknown: the general path). ABC isinstance checks cost
~0.6 us each; the class of a key does not change its kind."""
_KINDS_MAX = 64


def _kind(key: AnyKey) -> str:
    cls = type(key)
    kind = _KINDS.get(cls)
    if kind is None:
        if isinstance(key, PssPrivateKey | PssPublicKey):
            kind = "other"
        elif isinstance(key, rsa.RSAPublicKey):
            kind = "rsa"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            kind = "ec"
        else:
            kind = "other"
        if len(_KINDS) < _KINDS_MAX:
            _KINDS[cls] = kind
    return kind


def _fits(public_key: PublicKey, known: S) -> bool:
    """``known in schemes_for_key(public_key)``, without building the list for the common
    keys; the same answer and the same errors (an unsupported curve) as that call."""
    kind = _kind(public_key)
    if kind == "rsa":
        return known in _RSA_SET
    if kind == "ec" and cast(ec.EllipticCurvePublicKey, public_key).curve.name in _MATCHING_ECDSA:
        return known in _ECDSA  # every ECDSA scheme, in another order per curve
    return known in schemes_for_key(public_key)


_HASH_OBJECTS: dict[S, hashes.HashAlgorithm] = {}
"""One hash object per scheme (they hold no state): ``hash_for`` makes a new one per call."""


def _hash_object(known: S) -> hashes.HashAlgorithm | None:
    algorithm = _HASH_OBJECTS.get(known)
    if algorithm is None:
        algorithm = hash_for(known)
        if algorithm is not None:
            _HASH_OBJECTS[known] = algorithm
    return algorithm


def verify(public_key: PublicKey, scheme: int, signature: bytes, data: bytes) -> None:
    """Check a peer's signature; DecryptError if it does not verify.

    IllegalParameter if the scheme cannot be made by this kind of key (an ECDSA scheme on an
    RSA certificate): the peer chose something its own certificate cannot produce. An empty
    signature is well-formed (``opaque signature<0..2^16-1>``) and simply does not verify.
    """
    known = _known(scheme)
    if not _fits(public_key, known):
        raise IllegalParameter(
            f"peer signed with {known.name}, which does not fit its {key_type_name(public_key)} key"
        )
    algorithm = _hash_object(known)
    try:
        if not signature:
            raise InvalidSignature("empty signature")
        if isinstance(public_key, rsa.RSAPublicKey) and algorithm is not None:
            public_key.verify(signature, data, _verify_padding(known, algorithm), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and algorithm is not None:
            public_key.verify(signature, data, _verify_padding(known, algorithm))
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        else:
            raise InvalidSignature(known.name)
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        raise DecryptError(
            f"{known.name} signature did not verify with the peer's {key_type_name(public_key)} key"
            + (" (the signature is empty)" if not signature else "")
        ) from None


_PADDINGS: dict[S, padding.AsymmetricPadding | ec.ECDSA] = {}
"""The padding (RSA) or signature algorithm (ECDSA) object per scheme, made once: they hold
only their parameters."""


def _verify_padding(known: S, algorithm: hashes.HashAlgorithm) -> Any:
    pad = _PADDINGS.get(known)
    if pad is None:
        if known in _ECDSA:
            pad = ec.ECDSA(algorithm)
        else:
            pad = _pss(algorithm) if known in _PSS else padding.PKCS1v15()
        _PADDINGS[known] = pad
    return pad


def _pss(algorithm: hashes.HashAlgorithm) -> padding.PSS:
    """RSASSA-PSS with MGF1 of the same hash and salt = hash length (RFC 8446 §4.2.3)."""
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)


def _known(scheme: int) -> S:
    return scheme if isinstance(scheme, S) else S(scheme)


def _names(schemes: Iterable[int]) -> str:
    return ", ".join(S.of(s).name for s in schemes) or "none"


_OPENSSL_SIG = {
    "RSA": "rsa_pkcs1",
    "ECDSA": "ecdsa",
    "RSA-PSS": "rsa_pss_rsae",
    "PSS": "rsa_pss_rsae",
}
_ECDSA_BY_HASH = {
    "sha1": S.ecdsa_sha1,
    "sha224": S.ecdsa_sha224,
    "sha256": S.ecdsa_secp256r1_sha256,
    "sha384": S.ecdsa_secp384r1_sha384,
    "sha512": S.ecdsa_secp521r1_sha512,
}


def scheme_by_name(name: str) -> S | None:
    """A scheme by IANA name (``rsa_pss_rsae_sha256``, ``ecdsa_secp256r1_sha256``) or by
    OpenSSL's ``-sigalgs`` form (``RSA+SHA256``, ``ECDSA+SHA384``, ``RSA-PSS+SHA256``),
    case-insensitively; None when unknown."""
    text = name.strip()
    member = S.__members__.get(text.lower())
    if member is not None:
        return member
    sig, plus, digest = text.partition("+")
    if not plus:
        return None
    family = _OPENSSL_SIG.get(sig.upper())
    digest = digest.lower()
    if family == "ecdsa":
        return _ECDSA_BY_HASH.get(digest)
    if family is None:
        return None
    return S.__members__.get(f"{family}_{digest}")
