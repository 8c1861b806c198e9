"""Frozen client and server configurations, validated once when built.

Secure by default: only forward-secret AEAD suites, extended master secret, renegotiation
indication, certificate and hostname validation. Anything weaker is a named option.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from tls12 import psk_config
from tls12.crypto import rsa_pss
from tls12.crypto.kx import DHE_GROUPS, ECDHE_GROUPS, group_by_name
from tls12.crypto.signatures import scheme_by_name
from tls12.crypto.suites import BY_ID, DEFAULT_SUITES, POLICIES, Auth, CipherSuite, lookup
from tls12.errors import ConfigError
from tls12.ocsp_staple import Staple
from tls12.record.limits import check_config as check_record_limits
from tls12.sessions import (
    DEFAULT_LIFETIME,
    ClientSessionCache,
    Clock,
    InMemorySessionStore,
    ServerSessionStore,
)
from tls12.tickets import TicketKeys
from tls12.verify_profiles import PROFILES
from tls12.wire.enums import NamedGroup, SignatureScheme

if TYPE_CHECKING:
    from tls12.verify import TrustStore

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

VERIFY_PROFILES = PROFILES
"""How peer chains are validated: "webpki" is the CA/Browser Forum profile (``cryptography``'s
web PKI defaults); "rfc5280" is plain RFC 5280 path validation, as OpenSSL does it; "auto" uses
webpki for the system trust store and rfc5280 for anchors the user supplies."""

KeyLogCallback = Callable[[str], None]
"""Receives one NSS key log line (without newline) per connection."""


def _suites(value: Sequence[CipherSuite | str | int] | str) -> tuple[CipherSuite, ...]:
    if isinstance(value, str):
        if value not in POLICIES:
            raise ConfigError(
                f"unknown cipher suite policy {value!r}; use one of {', '.join(POLICIES)} "
                "or a list of suites"
            )
        return POLICIES[value]
    out = []
    for item in value:
        if isinstance(item, CipherSuite):
            out.append(item)
        elif isinstance(item, str) and lookup(item) is not None:
            out.append(lookup(item))  # type: ignore[arg-type]
        elif isinstance(item, int) and item in BY_ID:
            out.append(BY_ID[item])
        else:
            raise ConfigError(f"unknown cipher suite {item!r}")
    if not out:
        raise ConfigError("no cipher suites configured")
    return tuple(out)


def _groups(
    value: Sequence[NamedGroup | int | str], known: frozenset[int], what: str
) -> tuple[NamedGroup, ...]:
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


def _schemes(value: Sequence[SignatureScheme | int | str]) -> tuple[SignatureScheme, ...]:
    out = []
    for item in value:
        found = scheme_by_name(item) if isinstance(item, str) else SignatureScheme.of(item)
        if found is None:
            raise ConfigError(f"unknown signature scheme {item!r}")
        out.append(SignatureScheme(found))
    return tuple(dict.fromkeys(out))


def _wider_than_default(suites: Sequence[CipherSuite]) -> bool:
    default = set(DEFAULT_SUITES)
    return any(s not in default and not s.uses_psk for s in suites)  # PSK suites sign nothing


def _alpn(value: Sequence[str | bytes]) -> tuple[bytes, ...]:
    out = []
    for p in value:
        raw = p.encode() if isinstance(p, str) else bytes(p)
        if not 1 <= len(raw) <= 255:
            raise ConfigError(f"ALPN protocol {p!r} must be 1 to 255 bytes")
        out.append(raw)
    return tuple(out)


PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)

_SIGNING_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)


def _public_der(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
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
        if not isinstance(self.key, _SIGNING_KEYS):
            raise ConfigError(
                "only RSA, RSA-PSS, ECDSA, Ed25519 and Ed448 keys can sign TLS 1.2 key "
                f"exchanges (got {type(self.key).__name__})"
            )
        leaf = self.chain[0]
        try:
            theirs = _public_der(leaf.public_key())
        except ValueError as exc:
            raise ConfigError(f"the certificate's key cannot be read: {exc}") from None
        if _public_der(self.key.public_key()) != theirs:
            raise ConfigError("the private key does not match the certificate")
        if rsa_pss.is_rsa_pss_certificate(leaf) and isinstance(self.key, rsa.RSAPrivateKey):
            inner = self.key.inner if isinstance(self.key, rsa_pss.PssPrivateKey) else self.key
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
        return cls(chain, key)  # type: ignore[arg-type]

    @classmethod
    def from_files(
        cls,
        cert_file: str | os.PathLike[str],
        key_file: str | os.PathLike[str],
        password: bytes | None = None,
    ) -> CertifiedKey:
        return cls.from_pem(Path(cert_file).read_bytes(), Path(key_file).read_bytes(), password)


def keylog_from_environment() -> KeyLogCallback | None:
    """A key log writer for the file named by SSLKEYLOGFILE, or None when it is not set."""
    path = os.environ.get("SSLKEYLOGFILE")
    return keylog_to_file(path) if path else None


def keylog_to_file(path: str | os.PathLike[str]) -> KeyLogCallback:
    def write(line: str) -> None:
        with open(path, "a", encoding="ascii") as f:
            f.write(line + "\n")

    return write


@dataclass(frozen=True)
class _Common:
    cipher_suites: Sequence[CipherSuite | str | int] | str = DEFAULT_SUITES
    """Suites in preference order, or a policy name: "default" (forward-secret AEAD only) or
    "compatible" (adds CBC and RSA key transport for legacy peers)."""
    groups: Sequence[NamedGroup | int | str] = DEFAULT_GROUPS
    """ECDHE groups in preference order."""
    ffdhe_groups: Sequence[NamedGroup | int | str] = DEFAULT_FFDHE_GROUPS
    """RFC 7919 groups for DHE suites, in preference order."""
    encrypt_then_mac: bool = True
    """Offer (client) or accept (server) RFC 7366 for CBC suites."""
    signature_schemes: Sequence[SignatureScheme | int | str] | None = None
    """Schemes we sign with and accept, in preference order (IANA or OpenSSL names). None
    follows the suites: DEFAULT_SIGNATURE_SCHEMES, or COMPATIBLE_SIGNATURE_SCHEMES (adding
    SHA-224 and SHA-1) when the cipher suites go past the default policy ("compatible")."""
    alpn_protocols: Sequence[str | bytes] = ()
    extended_master_secret: bool = True
    """Offer (client) or accept (server) RFC 7627; on by default."""
    require_extended_master_secret: bool = False
    """Refuse peers that do not support RFC 7627."""
    allow_legacy_renegotiation_peer: bool = False
    """Accept a peer that does not send renegotiation_info (RFC 5746)."""
    max_handshake_message_size: int | None = None
    """Largest handshake message accepted (bytes), of any type. None: each type's own
    maximum (record/framing.py): the wire's limit where it has one (a ClientHello may be
    131,396 bytes), and OpenSSL's 102,400 bytes for a Certificate or ServerKeyExchange. A value
    caps every type (and lifts the Certificate limit, for very long chains)."""
    max_certificate_chain_length: int = 10
    """Most certificates accepted in a peer's chain."""
    max_extensions: int = 16383
    """Most extensions accepted in a hello; the default is all that fit in one."""
    max_list_entries: int = 32767
    """Most entries accepted in a hello's lists (suites, groups, schemes, ALPN) and in a
    CertificateRequest's lists; the default is all that fit (32,767 suites)."""
    verify_profile: str = "auto"
    """How the peer's chain is validated (VERIFY_PROFILES): "webpki" (CA/Browser Forum),
    "rfc5280" (OpenSSL-like path validation) or "auto": webpki for the system store, rfc5280
    for trust anchors given in the configuration (trust, cafile, client_trust)."""
    max_warning_alerts: int = 5
    """Warning alerts accepted in a row with nothing else between (a flood is unexpected)."""
    max_empty_records: int = 32
    """Empty application data records accepted in a row."""
    max_refused_renegotiations: int = 16
    """Server only: renegotiating ClientHellos refused (no_renegotiation) on one connection
    before the next one ends it: a client that keeps asking after being told no is making us
    work for nothing."""
    max_records_per_key: int = 1 << 24
    """Records sent or received under one key before the connection is closed (there is no
    rekeying in TLS 1.2 without renegotiation); 2^24 keeps AES-GCM far inside its bounds."""
    session_tickets: bool = True
    """Offer (client) or issue (server) RFC 5077 session tickets."""
    clock: Clock = time.time
    """Seconds since the epoch; session lifetimes are measured with it."""
    keylog: KeyLogCallback | None = None
    """Receives NSS key log lines; when None, SSLKEYLOGFILE is honoured."""
    # Record size control (RFC 6066 §4, RFC 8449), checked in tls12.record.limits.
    max_fragment_length: int | None = None
    """512/1024/2048/4096. Client: asked for (RFC 6066), binding both ways once echoed.
    Server: the largest record plaintext it sends (a client's request is honoured anyway)."""
    record_size_limit: int | None = None
    """64..16384: the largest protected record plaintext we accept (RFC 8449). A server
    answers every client that offers the extension (16384 when this is None)."""

    # The fields as validated by __post_init__, typed for the handshake code: the fields
    # themselves keep the wide types a caller may pass.
    @property
    def suites(self) -> tuple[CipherSuite, ...]:
        return cast("tuple[CipherSuite, ...]", self.cipher_suites)

    @property
    def ecdhe_groups(self) -> tuple[NamedGroup, ...]:
        return cast("tuple[NamedGroup, ...]", self.groups)

    @property
    def dhe_groups(self) -> tuple[NamedGroup, ...]:
        return cast("tuple[NamedGroup, ...]", self.ffdhe_groups)

    @property
    def schemes(self) -> tuple[SignatureScheme, ...]:
        return cast("tuple[SignatureScheme, ...]", self.signature_schemes)

    @property
    def alpn(self) -> tuple[bytes, ...]:
        return cast("tuple[bytes, ...]", self.alpn_protocols)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "cipher_suites", _suites(self.cipher_suites))
        set_(self, "groups", _groups(self.groups, ECDHE_GROUPS, "ECDHE"))
        set_(self, "ffdhe_groups", _groups(self.ffdhe_groups, DHE_GROUPS, "FFDHE"))
        if not self.groups:
            raise ConfigError("no ECDHE groups configured")
        schemes = self.signature_schemes
        if schemes is None:
            wide = _wider_than_default(self.cipher_suites)  # type: ignore[arg-type]
            schemes = COMPATIBLE_SIGNATURE_SCHEMES if wide else DEFAULT_SIGNATURE_SCHEMES
        set_(self, "signature_schemes", _schemes(schemes))
        if self.verify_profile not in VERIFY_PROFILES:
            raise ConfigError(
                f"unknown verify_profile {self.verify_profile!r}; use one of "
                + ", ".join(VERIFY_PROFILES)
            )
        set_(self, "alpn_protocols", _alpn(self.alpn_protocols))
        if not self.signature_schemes:
            raise ConfigError("no signature schemes configured")
        if self.max_handshake_message_size is not None and self.max_handshake_message_size < 1:
            raise ConfigError("max_handshake_message_size must be at least 1")
        for limit in (
            "max_certificate_chain_length",
            "max_extensions",
            "max_list_entries",
            "max_warning_alerts",
            "max_empty_records",
            "max_refused_renegotiations",
            "max_records_per_key",
        ):
            if getattr(self, limit) < 1:
                raise ConfigError(f"{limit} must be at least 1")
        if self.require_extended_master_secret and not self.extended_master_secret:
            raise ConfigError("require_extended_master_secret needs extended_master_secret")
        if self.keylog is None:
            set_(self, "keylog", keylog_from_environment())
        check_record_limits(self.max_fragment_length, self.record_size_limit)


@dataclass(frozen=True)
class ClientConfig(_Common):
    trust: TrustStore | None = None
    """Trust anchors for the server's chain; None means the system store."""
    cafile: str | os.PathLike[str] | None = None
    """A PEM file of trust anchors, loaded into ``trust`` when that is not given."""
    insecure_skip_verify: bool = False
    """Accept any server certificate, for any name. Only for tests and debugging."""
    check_hostname: bool = True
    """Check the certificate against the server name. Off: the chain is still validated
    (like ``ssl`` with check_hostname=False and CERT_REQUIRED); SNI is still sent."""
    client_certificates: Sequence[CertifiedKey] = ()
    """Chains to offer when the server asks for a client certificate."""
    client_certificate_chooser: Callable[[Any], CertifiedKey | None] | None = None
    """Called with the server's CertificateRequest (its certificate_types,
    signature_algorithms and certificate_authorities); returns the chain to send, or None to
    send an empty Certificate. When unset, the first fitting ``client_certificates`` entry is
    used, preferring one issued by an authority the server named."""
    session_cache: ClientSessionCache | None = None
    """Where ``connect`` finds and keeps sessions, by server name and port (off when None)."""
    # PSK (RFC 4279, RFC 5489): checked in psk_config.py, docs/PSK.md
    psk_identity: bytes | None = None
    """Our PSK identity (UTF-8, sent in clear); with ``psk``, PSK suites are offered first."""
    psk: bytes | None = field(default=None, repr=False)
    psk_callback: Callable[[bytes | None], tuple[bytes, bytes] | None] | None = None
    """Or: the server's hint (None without one) → (identity, key), or None to abort."""
    # OCSP stapling (RFC 6066 §8, RFC 7633): handshake/certificate_status.py, tls12/ocsp.py
    ocsp_status_request: bool = False
    """Send status_request and check any stapled OCSP response (a revoked one fails)."""
    require_ocsp_staple: bool = False
    """Fail unless the server staples a good OCSP response (implies ocsp_status_request)."""

    def __post_init__(self) -> None:
        psk_config.prepare_client(self)
        super().__post_init__()
        psk_config.check_client(self)
        if self.cafile is not None and self.trust is None:
            from tls12.verify import TrustStore

            object.__setattr__(self, "trust", TrustStore.from_pem_file(Path(self.cafile)))
        object.__setattr__(self, "client_certificates", tuple(self.client_certificates))

    @cached_property
    def trust_store(self) -> TrustStore:
        """The anchors actually used: the configured ones, or the system's (loaded once)."""
        from tls12.verify import TrustStore

        return self.trust if self.trust is not None else TrustStore.system()


class ClientAuth(Enum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class ServerConfig(_Common):
    certificates: Sequence[CertifiedKey] = ()
    """Default chains (an RSA and an ECDSA one may be given together)."""
    sni_certificates: Mapping[str, Sequence[CertifiedKey]] = field(default_factory=dict)
    """Chains by server name; ``*.example.com`` keys match one label."""
    prefer_client_order: bool = False
    """Choose the suite by the client's preference instead of ours."""
    client_auth: ClientAuth = ClientAuth.NONE
    """Whether to send a CertificateRequest, and whether an empty answer is acceptable."""
    client_trust: TrustStore | None = None
    """Anchors for client certificates (required when client_auth is not NONE)."""
    send_ca_names: bool = True
    """List the client_trust anchors in CertificateRequest.certificate_authorities."""
    session_store: ServerSessionStore | None = field(default_factory=InMemorySessionStore)
    """Sessions by ID for resumption; None turns session-ID resumption off."""
    session_lifetime: int = DEFAULT_LIFETIME
    """Seconds a session (ID or ticket) may be resumed."""
    ticket_keys: TicketKeys | None = None
    """Keys that seal tickets; a fresh rotating ring is made when None."""
    server_name_callback: Callable[[str | None], Sequence[CertifiedKey] | None] | None = None
    """Called with the client's server name (None without SNI) when a full handshake picks
    its certificate; returns the chains to use, or None for the usual choice. Raising a
    TLSError aborts the handshake with its alert (the ssl-compatible context's
    ``sni_callback`` is built on this)."""
    # PSK (RFC 4279, RFC 5489): checked in psk_config.py, docs/PSK.md
    psk_lookup: Callable[[bytes], bytes | None] | None = None
    """Client identity → key, or None (unknown_psk_identity); PSK suites are chosen first."""
    psk_keys: Mapping[bytes, bytes] = field(default_factory=dict, repr=False)
    psk_identity_hint: bytes | None = None
    max_psk_identity_length: int = psk_config.DEFAULT_MAX_IDENTITY
    # OCSP stapling (RFC 6066 §8): for the chain the response answers for (ocsp_staple.py)
    ocsp_staple: Staple | None = None
    """A Staple or StapleFile used when the chosen CertifiedKey has none of its own."""

    def __post_init__(self) -> None:
        psk_config.prepare_server(self)
        super().__post_init__()
        object.__setattr__(self, "certificates", tuple(self.certificates))
        sni = {name.lower().rstrip("."): tuple(c) for name, c in self.sni_certificates.items()}
        object.__setattr__(self, "sni_certificates", sni)
        psk_config.check_server(self)
        if not self.certificates and not sni and self.psk_lookup is None:
            raise ConfigError("a server needs at least one certificate chain (or a PSK)")
        object.__setattr__(self, "client_auth", ClientAuth(self.client_auth))
        if self.session_tickets and self.ticket_keys is None:
            object.__setattr__(self, "ticket_keys", TicketKeys(clock=self.clock))
        if self.session_lifetime <= 0:
            raise ConfigError("session_lifetime must be positive")
        if self.client_auth is not ClientAuth.NONE and self.client_trust is None:
            raise ConfigError("client_auth needs client_trust, the anchors for client chains")

    def certificates_named(self, server_name: str | None) -> tuple[CertifiedKey, ...] | None:
        """The sni_certificates chains for this name (exact, then wildcard), or None: whether
        the name chose among our certificates, the one case in which the server "used the
        information" and acknowledges server_name (RFC 6066 §3)."""
        sni: dict[str, tuple[CertifiedKey, ...]] = self.sni_certificates  # type: ignore[assignment]
        if server_name:
            name = server_name.lower().rstrip(".")
            if name in sni:
                return sni[name]
            head, _, rest = name.partition(".")
            if rest and f"*.{rest}" in sni:
                return sni[f"*.{rest}"]
        return None

    def certificates_for(self, server_name: str | None) -> tuple[CertifiedKey, ...]:
        """Chains for the name the client asked for: what ``server_name_callback`` returns,
        then exact, then wildcard, then the default."""
        if self.server_name_callback is not None:
            chosen = self.server_name_callback(server_name)
            if chosen:
                return tuple(chosen)
        named = self.certificates_named(server_name)
        if named is not None:
            return named
        sni: dict[str, tuple[CertifiedKey, ...]] = self.sni_certificates  # type: ignore[assignment]
        if self.certificates or not sni:
            return self.certificates  # type: ignore[return-value]
        return next(iter(sni.values()))


def replace(config: Any, **changes: Any) -> Any:
    """dataclasses.replace for configs (re-validates)."""
    import dataclasses

    return dataclasses.replace(config, **changes)
