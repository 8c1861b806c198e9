"""Key exchange: the premaster secret, by ECDHE, finite-field DHE or RSA key transport.

ECDHE and DHE use one small object per handshake that makes a key share and turns the peer's
share into the premaster secret. RSA key transport is two functions, one per side.

Peer values are checked before use: an EC point must be an uncompressed point on the curve
(``cryptography`` validates it), and an X25519 result of all zeros (a low-order point) is refused,
as RFC 7748 §6.1 allows and RFC 8422 §5.11 asks. A DH public value must lie in 2..p-2
(RFC 7919 §5.1); a server's own DH group must be at least 2048 bits. The RSA premaster is
decrypted the way RFC 5246 §7.4.7.1 prescribes against Bleichenbacher's attack: whatever the
ciphertext, the server gets 48 bytes and no error.

DHE's arithmetic is GMP's constant-time ``mpz_powm_sec`` (through gmpy2), not ``cryptography``'s
finite-field DH, which ``cryptography`` 50 deprecated: docs/DHE.md says why and what else was
weighed.
"""

from __future__ import annotations

import hmac
import os

import gmpy2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x448, x25519

from tls12.errors import (
    HandshakeFailure,
    IllegalParameter,
    InsufficientSecurity,
    InternalError,
    UnsupportedCertificate,
)
from tls12.wire.enums import TLS12_VERSION, NamedGroup

_CURVES: dict[int, type[ec.EllipticCurve]] = {
    NamedGroup.secp256r1: ec.SECP256R1,
    NamedGroup.secp384r1: ec.SECP384R1,
    NamedGroup.secp521r1: ec.SECP521R1,
}

ECDHE_GROUPS: frozenset[int] = frozenset({*_CURVES, NamedGroup.x25519, NamedGroup.x448})


class EcdheKeyShare:
    """Our ephemeral private key for one named group, and its public encoding."""

    __slots__ = ("group", "_private", "public")

    def __init__(self, group: int) -> None:
        self.group = NamedGroup(group)
        self._private: x25519.X25519PrivateKey | x448.X448PrivateKey | ec.EllipticCurvePrivateKey
        if group == NamedGroup.x25519:
            x25519_key = x25519.X25519PrivateKey.generate()
            self._private = x25519_key
            self.public = x25519_key.public_key().public_bytes_raw()
        elif group == NamedGroup.x448:
            x448_key = x448.X448PrivateKey.generate()
            self._private = x448_key
            self.public = x448_key.public_key().public_bytes_raw()
        elif group in _CURVES:
            ec_key = ec.generate_private_key(_CURVES[group]())
            self._private = ec_key
            self.public = ec_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        else:
            raise InternalError(f"group {self.group.name} is not an ECDHE group we support")

    def exchange(self, peer_public: bytes) -> bytes:
        """The premaster secret; a malformed or weak peer share is illegal_parameter."""
        name = self.group.name
        private = self._private
        try:
            if isinstance(private, x25519.X25519PrivateKey):
                if len(peer_public) != 32:
                    raise ValueError("X25519 public key must be 32 bytes")
                shared = private.exchange(x25519.X25519PublicKey.from_public_bytes(peer_public))
            elif isinstance(private, x448.X448PrivateKey):
                if len(peer_public) != 56:
                    raise ValueError("X448 public key must be 56 bytes")
                shared = private.exchange(x448.X448PublicKey.from_public_bytes(peer_public))
            else:
                if peer_public[:1] != b"\x04":
                    raise ValueError("only uncompressed points are accepted")
                curve = _CURVES[self.group]()
                point = ec.EllipticCurvePublicKey.from_encoded_point(curve, peer_public)
                shared = private.exchange(ec.ECDH(), point)
        except ValueError as exc:
            raise IllegalParameter(f"peer's {name} key share is invalid: {exc}") from None
        if not any(shared):
            raise IllegalParameter(f"peer's {name} key share gives an all-zero secret")
        return shared


_GROUP_ALIASES: dict[str, NamedGroup] = {
    "p-256": NamedGroup.secp256r1,
    "prime256v1": NamedGroup.secp256r1,
    "p-384": NamedGroup.secp384r1,
    "p-521": NamedGroup.secp521r1,
}


def group_by_name(name: str) -> NamedGroup | None:
    """A group by its IANA name (``secp256r1``, ``x25519``, ``ffdhe2048``) or OpenSSL's
    (``P-256``, ``prime256v1``, ``X25519``), case-insensitively; None when unknown."""
    key = name.strip().lower()
    if key in _GROUP_ALIASES:
        return _GROUP_ALIASES[key]
    member = NamedGroup.__members__.get(key)
    return member


# -- finite-field Diffie-Hellman (DHE) ------------------------------------------------------------

# cryptography 50 deprecated all of finite-field DH, and its ``dh`` module is to leave the default
# API (docs/DHE.md), so DHE does not use it: the two modular exponentiations are GMP's
# mpz_powm_sec through gmpy2 (same time and cache pattern for same-size arguments), the primality
# checks GMP's Miller-Rabin. What DHE needs from a library is exactly that much.


def _powmod_sec(base: int, exponent: int, modulus: int) -> int:
    """base ** exponent mod modulus in constant time (GMP ``mpz_powm_sec``); the exponent must be
    positive and the modulus odd."""
    return int(gmpy2.powmod_sec(base, exponent, modulus))


# GMP's mpz_probab_prime_p with 25 repetitions: since GMP 6.2 (the gmpy2 wheels bundle 6.3) a
# Baillie-PSW test, for which no composite that passes is known, plus one Miller-Rabin round.
_PRIME_ROUNDS = 25


def _is_probable_prime(n: int) -> bool:
    return bool(gmpy2.is_prime(n, _PRIME_ROUNDS))


def _hex(text: str) -> int:
    return int("".join(text.split()), 16)


# RFC 7919 Appendix A, p = 2^b - 2^(b-64) + {[2^(b-130) e] + X} * 2^64 - 1, generator 2. The
# tests rebuild each prime from that formula and check it is a safe prime.
_FFDHE2048 = _hex(
    """
    FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1 D8B9C583 CE2D3695
    A9E13641 146433FB CC939DCE 249B3EF9 7D2FE363 630C75D8 F681B202 AEC4617A
    D3DF1ED5 D5FD6561 2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
    984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735 30ACCA4F 483A797A
    BC0AB182 B324FB61 D108A94B B2C8E3FB B96ADAB7 60D7F468 1D4F42A3 DE394DF4
    AE56EDE7 6372BB19 0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
    9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73 3BB5FCBC 2EC22005
    C58EF183 7D1683B2 C6F34A26 C1B2EFFA 886B4238 61285C97 FFFFFFFF FFFFFFFF
    """
)
_FFDHE3072 = _hex(
    """
    FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1 D8B9C583 CE2D3695
    A9E13641 146433FB CC939DCE 249B3EF9 7D2FE363 630C75D8 F681B202 AEC4617A
    D3DF1ED5 D5FD6561 2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
    984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735 30ACCA4F 483A797A
    BC0AB182 B324FB61 D108A94B B2C8E3FB B96ADAB7 60D7F468 1D4F42A3 DE394DF4
    AE56EDE7 6372BB19 0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
    9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73 3BB5FCBC 2EC22005
    C58EF183 7D1683B2 C6F34A26 C1B2EFFA 886B4238 611FCFDC DE355B3B 6519035B
    BC34F4DE F99C0238 61B46FC9 D6E6C907 7AD91D26 91F7F7EE 598CB0FA C186D91C
    AEFE1309 85139270 B4130C93 BC437944 F4FD4452 E2D74DD3 64F2E21E 71F54BFF
    5CAE82AB 9C9DF69E E86D2BC5 22363A0D ABC52197 9B0DEADA 1DBF9A42 D5C4484E
    0ABCD06B FA53DDEF 3C1B20EE 3FD59D7C 25E41D2B 66C62E37 FFFFFFFF FFFFFFFF
    """
)
_FFDHE4096 = _hex(
    """
    FFFFFFFF FFFFFFFF ADF85458 A2BB4A9A AFDC5620 273D3CF1 D8B9C583 CE2D3695
    A9E13641 146433FB CC939DCE 249B3EF9 7D2FE363 630C75D8 F681B202 AEC4617A
    D3DF1ED5 D5FD6561 2433F51F 5F066ED0 85636555 3DED1AF3 B557135E 7F57C935
    984F0C70 E0E68B77 E2A689DA F3EFE872 1DF158A1 36ADE735 30ACCA4F 483A797A
    BC0AB182 B324FB61 D108A94B B2C8E3FB B96ADAB7 60D7F468 1D4F42A3 DE394DF4
    AE56EDE7 6372BB19 0B07A7C8 EE0A6D70 9E02FCE1 CDF7E2EC C03404CD 28342F61
    9172FE9C E98583FF 8E4F1232 EEF28183 C3FE3B1B 4C6FAD73 3BB5FCBC 2EC22005
    C58EF183 7D1683B2 C6F34A26 C1B2EFFA 886B4238 611FCFDC DE355B3B 6519035B
    BC34F4DE F99C0238 61B46FC9 D6E6C907 7AD91D26 91F7F7EE 598CB0FA C186D91C
    AEFE1309 85139270 B4130C93 BC437944 F4FD4452 E2D74DD3 64F2E21E 71F54BFF
    5CAE82AB 9C9DF69E E86D2BC5 22363A0D ABC52197 9B0DEADA 1DBF9A42 D5C4484E
    0ABCD06B FA53DDEF 3C1B20EE 3FD59D7C 25E41D2B 669E1EF1 6E6F52C3 164DF4FB
    7930E9E4 E58857B6 AC7D5F42 D69F6D18 7763CF1D 55034004 87F55BA5 7E31CC7A
    7135C886 EFB4318A ED6A1E01 2D9E6832 A907600A 918130C4 6DC778F9 71AD0038
    092999A3 33CB8B7A 1A1DB93D 7140003C 2A4ECEA9 F98D0ACC 0A8291CD CEC97DCF
    8EC9B55A 7F88A46B 4DB5A851 F44182E1 C68A007E 5E655F6A FFFFFFFF FFFFFFFF
    """
)

FFDHE_GENERATOR = 2
FFDHE_PRIMES: dict[NamedGroup, int] = {
    NamedGroup.ffdhe2048: _FFDHE2048,
    NamedGroup.ffdhe3072: _FFDHE3072,
    NamedGroup.ffdhe4096: _FFDHE4096,
}
_FFDHE_BY_PRIME: dict[int, NamedGroup] = {p: group for group, p in FFDHE_PRIMES.items()}
DHE_GROUPS: frozenset[int] = frozenset(FFDHE_PRIMES)

# A server's DH prime must have at least this many bits (Logjam; RFC 7919 has nothing smaller).
MIN_DH_BITS = 2048
# Groups that are not RFC 7919 groups are checked before use (p and (p-1)/2 prime), which costs
# about 0.06 s at 2048 bits, 0.2 s at 3072 and 0.6 s at 4096 and grows with the cube of the size;
# so a client accepts them only up to this size unless told otherwise.
MAX_CUSTOM_DH_BITS = 4096


def known_ffdhe_group(p: int, g: int) -> NamedGroup | None:
    """The RFC 7919 group whose prime and generator these are, or None (for traces and
    policy: a server that sends a well-known group's numbers without naming it)."""
    group = _FFDHE_BY_PRIME.get(p)
    return group if group is not None and g == FFDHE_GENERATOR else None


def strip_leading_zeros(secret: bytes) -> bytes:
    """The DH premaster secret: Z with its leading zero bytes removed (RFC 5246 §8.1.2).

    Z as a number has no leading zeros, so about one handshake in 256
    has a shorter premaster. That length difference changes the PRF's timing (the Raccoon
    attack, 2020); it is harmless only because every DHE key here is ephemeral, used for one
    handshake and then dropped. Never reuse a ``DheKeyShare``.
    """
    return secret.lstrip(b"\x00")


class DheKeyShare:
    """Our ephemeral DH key in one group, and its public value ``public`` (big-endian, left-padded
    to the length of p, as RFC 7919 §5 asks).

    Build it with ``for_group`` (a server choosing an RFC 7919 group) or ``for_params`` (a client
    taking the (p, g) a ServerKeyExchange carried). ``group`` names the RFC 7919 group when the
    numbers are one, else None.
    """

    __slots__ = ("p", "g", "group", "public", "_private")

    def __init__(self, p: int, g: int, group: NamedGroup | None) -> None:
        self.p = p
        self.g = g
        self.group = group
        if group is None and not (_is_probable_prime(p) and _is_probable_prime((p - 1) // 2)):
            raise IllegalParameter(
                f"the DH group with a {p.bit_length()}-bit modulus and generator "
                f"{_short(g)} is not valid (p and (p-1)/2 must be prime)"
            )
        # x < q = (p-1)/2 with its top bit fixed: every key has the same size, so the
        # exponentiation takes the same time for every key; 2 bits fewer than p is ample entropy.
        # Drawn from os.urandom (looked up at each call, so the fuzz corpus can seed it).
        bits = p.bit_length() - 2
        drawn = int.from_bytes(os.urandom((bits + 7) // 8), "big")
        self._private = (1 << (bits - 1)) | (drawn & ((1 << (bits - 1)) - 1))
        self.public = _powmod_sec(g, self._private, p).to_bytes(self.p_len, "big")

    @classmethod
    def for_group(cls, group: int) -> DheKeyShare:
        """A fresh key in an RFC 7919 group (ffdhe2048, ffdhe3072, ffdhe4096)."""
        named = NamedGroup(group)
        p = FFDHE_PRIMES.get(named)
        if p is None:
            raise InternalError(f"group {named.name} is not an FFDHE group we support")
        return cls(p, FFDHE_GENERATOR, named)

    @classmethod
    def for_params(cls, p: int, g: int, *, max_bits: int = MAX_CUSTOM_DH_BITS) -> DheKeyShare:
        """A fresh key in the group a server chose: the client side of DHE.

        Refused: a prime under 2048 bits (insufficient_security), an even modulus or a generator
        outside 2..p-2 (illegal_parameter), a modulus that is not a safe prime (illegal_parameter,
        found by Miller-Rabin), and a group that is not an RFC 7919 group and is larger than
        ``max_bits`` (handshake_failure: checking it would take seconds).
        """
        bits = p.bit_length()
        if bits < MIN_DH_BITS:
            raise InsufficientSecurity(
                f"server's DH group is only {bits} bits; at least {MIN_DH_BITS} are required"
            )
        if p % 2 == 0:
            raise IllegalParameter(f"server's {bits}-bit DH modulus is even, so not a prime")
        if not 1 < g < p - 1:
            raise IllegalParameter(f"server's DH generator {_short(g)} is not in 2..p-2")
        group = known_ffdhe_group(p, g)
        if group is None and bits > max_bits:
            raise HandshakeFailure(
                f"server's DH group is {bits} bits; a group that is not an RFC 7919 group is "
                f"accepted up to {max_bits} bits"
            )
        return cls(p, g, group)

    @property
    def p_len(self) -> int:
        """The length of p in bytes: the length of ``public`` and of a well-formed peer value."""
        return (self.p.bit_length() + 7) // 8

    @property
    def p_bytes(self) -> bytes:
        """p as ServerDHParams.dh_p carries it: big-endian, no leading zeros."""
        return self.p.to_bytes(self.p_len, "big")

    @property
    def g_bytes(self) -> bytes:
        """g as ServerDHParams.dh_g carries it: big-endian, no leading zeros."""
        return self.g.to_bytes((self.g.bit_length() + 7) // 8, "big")

    def exchange(self, peer_public: bytes) -> bytes:
        """The premaster secret: Z without its leading zero bytes (RFC 5246 §8.1.2).

        A peer value outside 2..p-2 is illegal_parameter (RFC 7919 §5.1): 0, 1 and p-1 would
        force a known secret, and anything at or above p is not a group element.
        """
        y = int.from_bytes(peer_public, "big")
        if not 1 < y < self.p - 1:
            raise IllegalParameter("peer's DH public value is not in 2..p-2")
        z = _powmod_sec(y, self._private, self.p)
        premaster = strip_leading_zeros(z.to_bytes(self.p_len, "big"))
        if not premaster:
            raise IllegalParameter("peer's DH public value gives an all-zero secret")
        return premaster


def _short(n: int) -> str:
    """A number for an error message: itself if small, else its size."""
    return str(n) if n < 1 << 64 else f"of {n.bit_length()} bits"


# -- RSA key transport --------------------------------------------------------------------------

PREMASTER_LEN = 48
_RANDOM_LEN = PREMASTER_LEN - 2
_PREMASTER_LEN_BYTES = PREMASTER_LEN.to_bytes(4, "big")


def _version_bytes(client_version: int) -> bytes:
    if not 0 <= client_version <= 0xFFFF:
        raise InternalError(f"client_version must be a 16-bit value, got {client_version}")
    return client_version.to_bytes(2, "big")


def rsa_encrypt_premaster(
    public_key: rsa.RSAPublicKey, client_version: int = TLS12_VERSION
) -> tuple[bytes, bytes]:
    """The client's side: a fresh premaster (client_version + 46 random bytes, RFC 5246 §7.4.7.1)
    and its PKCS#1 v1.5 encryption to the server's key, for EncryptedPreMasterSecret.

    ``client_version`` is the version the ClientHello offered, not the negotiated one.
    """
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UnsupportedCertificate(
            "RSA key exchange needs an RSA key in the server certificate, "
            f"not {type(public_key).__name__}"
        )
    premaster = _version_bytes(client_version) + os.urandom(_RANDOM_LEN)
    return premaster, public_key.encrypt(premaster, padding.PKCS1v15())


def rsa_decrypt_premaster(
    private_key: rsa.RSAPrivateKey, encrypted: bytes, client_version: int
) -> bytes:
    """The server's side: always 48 bytes, never an exception, whatever ``encrypted`` holds.

    RFC 5246 §7.4.7.1, the construction it RECOMMENDS (the one that does not compare the
    version, which Klima et al. showed can itself be an oracle):

    1. R = 46 random bytes, drawn before the ciphertext is looked at;
    2. M = the PKCS#1 v1.5 decryption of ``encrypted``;
    3. if decryption failed or M is not 48 bytes: premaster = client_version + R,
       else: premaster = client_version + M[2:48].

    A client that put a wrong version in M thus ends with a different premaster from ours,
    and the handshake fails at Finished (decrypt_error / bad_record_mac), exactly as it does
    for a forged ciphertext: the attacker learns nothing about which check failed.
    ``client_version`` is ClientHello.client_version, not the negotiated version.

    Both candidates are always computed and one is chosen by mask arithmetic, not by an
    ``if``; the length test uses ``hmac.compare_digest``. Nothing is logged.

    Limits. Python promises no constant time: the copies and the integer arithmetic take the
    same steps on both paths but their nanoseconds may differ slightly. The larger question is
    the RSA decryption itself. OpenSSL 3.2 and later (the ``cryptography`` wheels bundle such a
    version) do "implicit rejection": a badly padded
    ciphertext decrypts to a synthetic message derived from the key and the ciphertext, with no
    error and in about the same time, so step 2 only raises for public reasons (a ciphertext
    whose length is not the modulus length, or a value not below the modulus). With an older
    OpenSSL, a padding failure raises ``ValueError`` and the raise-and-catch path is slower
    than the success path by a measurable amount (the Marvin attack, 2023): prefer ECDHE
    suites there, and keep RSA key exchange off by default.
    """
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise InternalError(f"RSA key exchange needs an RSA private key, not {type(private_key)}")
    version = _version_bytes(client_version)
    fallback = os.urandom(_RANDOM_LEN)  # step 1, before anything depends on the ciphertext
    try:
        message = private_key.decrypt(bytes(encrypted), padding.PKCS1v15())
    except ValueError:
        message = b""
    usable = hmac.compare_digest(len(message).to_bytes(4, "big"), _PREMASTER_LEN_BYTES)
    candidate = (message + bytes(PREMASTER_LEN))[2:PREMASTER_LEN]
    return version + _select(usable, candidate, fallback)


def _select(take_first: bool, first: bytes, second: bytes) -> bytes:
    """``first`` if ``take_first`` else ``second`` (equal lengths), by masking, not branching."""
    mask = -int(take_first)  # all ones or zero
    a = int.from_bytes(first, "big")
    b = int.from_bytes(second, "big")
    return ((a & mask) | (b & ~mask)).to_bytes(len(first), "big")
