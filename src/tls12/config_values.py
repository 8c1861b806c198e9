"""The configuration's list values: their defaults, and the parsers that resolve what a caller
may write (policy names, IANA or OpenSSL names, code points) into the types the handshake uses.

Each parser raises ConfigError naming the value it could not resolve. The ``*_FIELD``
descriptors (converted.py) put them on the configuration classes: the constructor accepts the
loose input, the field holds the resolved tuple.
"""

from __future__ import annotations

from collections.abc import Sequence

from tls12.converted import Converted
from tls12.crypto.kx import DHE_GROUPS, ECDHE_GROUPS, group_by_name
from tls12.crypto.signatures import scheme_by_name
from tls12.crypto.suites import BY_ID, DEFAULT_SUITES, POLICIES, CipherSuite, lookup
from tls12.errors import ConfigError
from tls12.wire.enums import NamedGroup, SignatureScheme

DEFAULT_GROUPS: tuple[NamedGroup, ...] = (
    NamedGroup.x25519,
    NamedGroup.secp256r1,
    NamedGroup.secp384r1,
    NamedGroup.secp521r1,
)
"""x25519 first; P-521 last, listed so that a server with a P-521 certificate is accepted
(RFC 8422 §5.1: the client's supported_groups also names the curves it can verify)."""

DEFAULT_FFDHE_GROUPS: tuple[NamedGroup, ...] = (NamedGroup.ffdhe2048, NamedGroup.ffdhe3072)

DEFAULT_SIGNATURE_SCHEMES: tuple[SignatureScheme, ...] = (
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ed25519,
    SignatureScheme.ed448,
    SignatureScheme.rsa_pss_pss_sha256,
    SignatureScheme.rsa_pss_pss_sha384,
    SignatureScheme.rsa_pss_pss_sha512,
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pkcs1_sha256,
    SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
)
"""SHA-256/384/512 with ECDSA (on any curve, RFC 8422 §5.1.3), Ed25519 and Ed448 (RFC 8422
§5.1.3), RSA-PSS for id-RSASSA-PSS and rsaEncryption keys (RFC 8446 §4.2.3), and PKCS#1 v1.5:
OpenSSL's order."""

COMPATIBLE_SIGNATURE_SCHEMES: tuple[SignatureScheme, ...] = (
    *DEFAULT_SIGNATURE_SCHEMES,
    SignatureScheme.ecdsa_sha224,
    SignatureScheme.rsa_pkcs1_sha224,
    SignatureScheme.ecdsa_sha1,
    SignatureScheme.rsa_pkcs1_sha1,
)
"""The default schemes, then SHA-224 and SHA-1 (last, so any better common scheme wins): what a
client that sends no signature_algorithms can verify (RFC 5246 §7.4.1.4.1), and what old
clients sign a CertificateVerify with. Used when the cipher suites go past the default policy."""

SuitesInput = Sequence[CipherSuite | str | int] | str
GroupsInput = Sequence[NamedGroup | int | str]
SchemesInput = Sequence[SignatureScheme | int | str] | None
AlpnInput = Sequence[str | bytes]


def parse_suites(value: SuitesInput) -> tuple[CipherSuite, ...]:
    """A policy name ("default", "compatible"), one suite's IANA or OpenSSL name, or suites
    by object, name or code point."""
    if isinstance(value, str):
        if value in POLICIES:
            return POLICIES[value]
        one = lookup(value)
        if one is None:
            raise ConfigError(
                f"unknown cipher suite policy {value!r}; use one of {', '.join(POLICIES)}, "
                "a suite name or a list of suites"
            )
        return (one,)
    out = []
    for item in value:
        suite = item if isinstance(item, CipherSuite) else _suite(item)
        if suite is None:
            raise ConfigError(f"unknown cipher suite {item!r}")
        out.append(suite)
    if not out:
        raise ConfigError("no cipher suites configured")
    return tuple(out)


def _suite(item: str | int) -> CipherSuite | None:
    return lookup(item) if isinstance(item, str) else BY_ID.get(item)


def parse_groups(value: GroupsInput, known: frozenset[int], what: str) -> tuple[NamedGroup, ...]:
    """Groups by member, code point or name, each one of the ``known`` (``what``) groups."""
    out = []
    for g in value:
        found = group_by_name(g) if isinstance(g, str) else NamedGroup.of(g)
        if found is None:
            raise ConfigError(f"unknown group {g!r}")
        group = NamedGroup(found)
        if group not in known:
            raise ConfigError(f"group {group.name} is not a supported {what} group")
        out.append(group)
    return tuple(out)


def parse_ecdhe_groups(value: GroupsInput) -> tuple[NamedGroup, ...]:
    groups = parse_groups(value, ECDHE_GROUPS, "ECDHE")
    if not groups:
        raise ConfigError("no ECDHE groups configured")
    return groups


def parse_ffdhe_groups(value: GroupsInput) -> tuple[NamedGroup, ...]:
    return parse_groups(value, DHE_GROUPS, "FFDHE")


def parse_schemes(value: SchemesInput) -> tuple[SignatureScheme, ...]:
    """Schemes by member, code point, IANA or OpenSSL name, duplicates dropped. None gives the
    empty tuple, which the configuration replaces by the default for its suites
    (``schemes_for_suites``); an empty list is an error."""
    if value is None:
        return ()
    out = []
    for item in value:
        found = scheme_by_name(item) if isinstance(item, str) else SignatureScheme.of(item)
        if found is None:
            raise ConfigError(f"unknown signature scheme {item!r}")
        out.append(SignatureScheme(found))
    if not out:
        raise ConfigError("no signature schemes configured")
    return tuple(dict.fromkeys(out))


def schemes_for_suites(suites: Sequence[CipherSuite]) -> tuple[SignatureScheme, ...]:
    """The signature schemes when none are configured: SHA-1 and SHA-224 join the defaults
    when the suites go past the default policy (see COMPATIBLE_SIGNATURE_SCHEMES)."""
    default = set(DEFAULT_SUITES)
    wide = any(s not in default and not s.uses_psk for s in suites)  # PSK suites sign nothing
    return COMPATIBLE_SIGNATURE_SCHEMES if wide else DEFAULT_SIGNATURE_SCHEMES


def parse_alpn(value: AlpnInput) -> tuple[bytes, ...]:
    """ALPN protocol names as bytes, each 1 to 255 bytes (RFC 7301 §3.1)."""
    out = []
    for p in value:
        raw = p.encode() if isinstance(p, str) else bytes(p)
        if not 1 <= len(raw) <= 255:
            raise ConfigError(f"ALPN protocol {p!r} must be 1 to 255 bytes")
        out.append(raw)
    return tuple(out)


SuitesField = Converted[SuitesInput, tuple[CipherSuite, ...]]
GroupsField = Converted[GroupsInput, tuple[NamedGroup, ...]]
SchemesField = Converted[SchemesInput, tuple[SignatureScheme, ...]]
AlpnField = Converted[AlpnInput, tuple[bytes, ...]]

SUITES_FIELD: SuitesField = Converted(parse_suites, DEFAULT_SUITES)
ECDHE_GROUPS_FIELD: GroupsField = Converted(parse_ecdhe_groups, DEFAULT_GROUPS)
FFDHE_GROUPS_FIELD: GroupsField = Converted(parse_ffdhe_groups, DEFAULT_FFDHE_GROUPS)
SCHEMES_FIELD: SchemesField = Converted(parse_schemes, None)
ALPN_FIELD: AlpnField = Converted(parse_alpn, ())
