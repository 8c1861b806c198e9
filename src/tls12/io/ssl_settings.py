"""Which ``ssl.SSLContext`` settings tls12 honours, and the loud refusal of the others.

A setting that is silently ignored is worse than a missing one (a security option that seems
to be on but is not), so every value ``TLS12Context`` accepts changes what tls12 does or is
what tls12 always does; anything else raises NotImplementedError naming the setting.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from tls12.crypto.suites import CipherSuite

HONOURED_OPTIONS = {
    ssl.OP_ALL: "bug workarounds (tls12 needs none)",
    ssl.OP_NO_SSLv2: "tls12 never speaks SSLv2",
    ssl.OP_NO_SSLv3: "tls12 never speaks SSLv3",
    ssl.OP_NO_TLSv1: "tls12 never speaks TLS 1.0",
    ssl.OP_NO_TLSv1_1: "tls12 never speaks TLS 1.1",
    ssl.OP_NO_TLSv1_3: "tls12 never speaks TLS 1.3",
    ssl.OP_NO_TLSv1_2: "refused at connection time: TLS 1.2 is all tls12 speaks",
    ssl.OP_NO_COMPRESSION: "tls12 never compresses",
    ssl.OP_NO_TICKET: "turns session tickets off (RFC 5077)",
    ssl.OP_CIPHER_SERVER_PREFERENCE: "server picks by its own order (else the client's)",
    ssl.OP_SINGLE_DH_USE: "every (EC)DHE key is fresh",
    ssl.OP_SINGLE_ECDH_USE: "every (EC)DHE key is fresh",
    ssl.OP_NO_RENEGOTIATION: "tls12 never renegotiates",
    ssl.OP_ENABLE_MIDDLEBOX_COMPAT: "a TLS 1.3 option, without effect on TLS 1.2 (as in ssl)",
    ssl.OP_IGNORE_UNEXPECTED_EOF: "an EOF without close_notify reads as a clean end",
}
_KNOWN_OPTIONS = 0
for _flag in HONOURED_OPTIONS:
    _KNOWN_OPTIONS |= int(_flag)


def checked_options(value: int) -> ssl.Options:
    """``value`` as ssl.Options, or NotImplementedError naming the bits tls12 cannot honour."""
    unknown = int(value) & ~_KNOWN_OPTIONS
    if unknown:
        raise NotImplementedError(
            f"SSLContext.options: bits {unknown:#x} are not supported by tls12 (it honours "
            + ", ".join(f.name or hex(f) for f in HONOURED_OPTIONS)
            + ")"
        )
    return ssl.Options(value)


HONOURED_VERIFY_FLAGS = {
    ssl.VERIFY_DEFAULT: "",
    ssl.VERIFY_X509_TRUSTED_FIRST: "anchors are always preferred when building the chain",
    ssl.VERIFY_X509_STRICT: "cryptography's verifier is always RFC 5280 strict",
    ssl.VERIFY_X509_PARTIAL_CHAIN: "any loaded CA certificate is an anchor",
    ssl.VERIFY_CRL_CHECK_LEAF: "the leaf is checked against the CRLs loaded (ssl_crl.py)",
    ssl.VERIFY_CRL_CHECK_CHAIN: "every certificate is checked against the CRLs loaded",
}
_KNOWN_FLAGS = 0
for _vflag in HONOURED_VERIFY_FLAGS:
    _KNOWN_FLAGS |= int(_vflag)


def checked_verify_flags(value: int) -> ssl.VerifyFlags:
    unknown = int(value) & ~_KNOWN_FLAGS
    if unknown:
        raise NotImplementedError(
            f"SSLContext.verify_flags: {ssl.VerifyFlags(unknown)!r} is not supported by tls12"
        )
    return ssl.VerifyFlags(value)


def refuse(what: str, why: str) -> NotImplementedError:
    return NotImplementedError(f"{what} is not supported by tls12: {why}")


@dataclass
class SessionStats:
    """What ``SSLContext.session_stats()`` counts, kept by tls12's context."""

    connect: int = 0
    connect_good: int = 0
    accept: int = 0
    accept_good: int = 0
    hits: int = 0
    misses: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self, number: int) -> dict[str, int]:
        return {
            "number": number,
            "connect": self.connect,
            "connect_good": self.connect_good,
            "connect_renegotiate": 0,
            "accept": self.accept,
            "accept_good": self.accept_good,
            "accept_renegotiate": 0,
            "hits": self.hits,
            "misses": self.misses,
            "timeouts": 0,
            "cache_full": 0,
        }


def cipher_dict(suite: CipherSuite, name: str) -> dict[str, object]:
    """One entry of ``SSLContext.get_ciphers()``."""
    return {
        "id": 0x03000000 | suite.id,
        "name": name,
        "protocol": "TLSv1.2",
        "description": suite.name,
        "strength_bits": suite.key_len * 8,
        "alg_bits": suite.key_len * 8,
        "aead": suite.is_aead,
        "symmetric": suite.cipher.value.lower().replace("_", "-"),
        "digest": None if suite.is_aead else f"{(suite.mac or '').lower()}",
        "kea": f"kx-{suite.kx.value.lower()}",
        "auth": f"auth-{suite.auth.value.lower()}",
    }
