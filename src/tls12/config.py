"""Frozen client and server configurations, validated once when built.

Secure by default: only forward-secret AEAD suites, extended master secret, renegotiation
indication, certificate and hostname validation. Anything weaker is a named option.

The list fields accept names, code points or a policy (``cipher_suites="compatible"``) and
hold the resolved tuples (config_values.py parses them; converted.py is the field type that
does it at construction). CertifiedKey lives in certified_key.py and the key log helpers in
keylog.py; both are importable from here as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from tls12 import psk_config
from tls12.certified_key import CertifiedKey
from tls12.config_values import (
    ALPN_FIELD,
    COMPATIBLE_SIGNATURE_SCHEMES,
    DEFAULT_FFDHE_GROUPS,
    DEFAULT_GROUPS,
    DEFAULT_SIGNATURE_SCHEMES,
    ECDHE_GROUPS_FIELD,
    FFDHE_GROUPS_FIELD,
    SCHEMES_FIELD,
    SUITES_FIELD,
    AlpnField,
    GroupsField,
    SchemesField,
    SuitesField,
    schemes_for_suites,
)
from tls12.converted import Converted
from tls12.crypto.signatures import PrivateKey
from tls12.errors import ConfigError
from tls12.keylog import KeyLogCallback, keylog_from_environment, keylog_to_file
from tls12.messages.handshake import CertificateRequest
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
from tls12.trust import TrustStore
from tls12.verify_profiles import PROFILES

__all__ = [
    "COMPATIBLE_SIGNATURE_SCHEMES",
    "DEFAULT_FFDHE_GROUPS",
    "DEFAULT_GROUPS",
    "DEFAULT_SIGNATURE_SCHEMES",
    "VERIFY_PROFILES",
    "CertifiedKey",
    "ClientAuth",
    "ClientConfig",
    "KeyLogCallback",
    "PrivateKey",
    "ServerConfig",
    "keylog_from_environment",
    "keylog_to_file",
]

VERIFY_PROFILES = PROFILES
"""How peer chains are validated: "webpki" is the CA/Browser Forum profile (``cryptography``'s
web PKI defaults); "rfc5280" is plain RFC 5280 path validation, as OpenSSL does it; "auto" uses
webpki for the system trust store and rfc5280 for anchors the user supplies."""


def _chains(value: Sequence[CertifiedKey]) -> tuple[CertifiedKey, ...]:
    return tuple(value)


CertifiedKeysField = Converted[Sequence[CertifiedKey], tuple[CertifiedKey, ...]]


@dataclass(frozen=True)
class _Common:
    cipher_suites: SuitesField = SUITES_FIELD
    """Suites in preference order (IANA or OpenSSL names, code points), one suite's name, or a
    policy name: "default" (forward-secret AEAD only) or "compatible" (adds CBC and RSA key
    transport for legacy peers)."""
    groups: GroupsField = ECDHE_GROUPS_FIELD
    """ECDHE groups in preference order."""
    ffdhe_groups: GroupsField = FFDHE_GROUPS_FIELD
    """RFC 7919 groups for DHE suites, in preference order."""
    encrypt_then_mac: bool = True
    """Offer (client) or accept (server) RFC 7366 for CBC suites."""
    signature_schemes: SchemesField = SCHEMES_FIELD
    """Schemes we sign with and accept, in preference order (IANA or OpenSSL names). None
    follows the suites: DEFAULT_SIGNATURE_SCHEMES, or COMPATIBLE_SIGNATURE_SCHEMES (adding
    SHA-224 and SHA-1) when the cipher suites go past the default policy ("compatible")."""
    alpn_protocols: AlpnField = ALPN_FIELD
    """Protocols to offer (client) or accept (server), in preference order (RFC 7301)."""
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

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not self.signature_schemes:  # None: follow the suites
            set_(self, "signature_schemes", schemes_for_suites(self.cipher_suites))
        if self.verify_profile not in VERIFY_PROFILES:
            raise ConfigError(
                f"unknown verify_profile {self.verify_profile!r}; use one of "
                + ", ".join(VERIFY_PROFILES)
            )
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
    if TYPE_CHECKING:
        # mypy types the fields a frozen dataclass inherits by their __init__ type, which for
        # a Converted field is the loose input (python/mypy#17601, open); naming the same
        # descriptors here keeps them read as the resolved tuples. Never run.
        cipher_suites: SuitesField = SUITES_FIELD
        groups: GroupsField = ECDHE_GROUPS_FIELD
        ffdhe_groups: GroupsField = FFDHE_GROUPS_FIELD
        signature_schemes: SchemesField = SCHEMES_FIELD
        alpn_protocols: AlpnField = ALPN_FIELD

    trust: TrustStore | None = None
    """Trust anchors for the server's chain; None means the system store."""
    cafile: str | os.PathLike[str] | None = None
    """A PEM file of trust anchors, loaded into ``trust`` when that is not given."""
    insecure_skip_verify: bool = False
    """Accept any server certificate, for any name. Only for tests and debugging."""
    check_hostname: bool = True
    """Check the certificate against the server name. Off: the chain is still validated
    (like ``ssl`` with check_hostname=False and CERT_REQUIRED); SNI is still sent."""
    client_certificates: CertifiedKeysField = Converted(_chains, ())
    """Chains to offer when the server asks for a client certificate."""
    client_certificate_chooser: Callable[[CertificateRequest], CertifiedKey | None] | None = None
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
            object.__setattr__(self, "trust", TrustStore.from_pem_file(Path(self.cafile)))

    @cached_property
    def trust_store(self) -> TrustStore:
        """The anchors actually used: the configured ones, or the system's (loaded once)."""
        return self.trust if self.trust is not None else TrustStore.system()


class ClientAuth(Enum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class ServerConfig(_Common):
    if TYPE_CHECKING:
        # mypy types the fields a frozen dataclass inherits by their __init__ type, which for
        # a Converted field is the loose input (python/mypy#17601, open); naming the same
        # descriptors here keeps them read as the resolved tuples. Never run.
        cipher_suites: SuitesField = SUITES_FIELD
        groups: GroupsField = ECDHE_GROUPS_FIELD
        ffdhe_groups: GroupsField = FFDHE_GROUPS_FIELD
        signature_schemes: SchemesField = SCHEMES_FIELD
        alpn_protocols: AlpnField = ALPN_FIELD

    certificates: CertifiedKeysField = Converted(_chains, ())
    """Default chains (an RSA and an ECDSA one may be given together)."""
    sni_certificates: Mapping[str, Sequence[CertifiedKey]] = field(default_factory=dict)
    """Chains by server name; ``*.example.com`` keys match one label."""
    prefer_client_order: bool = False
    """Choose the suite by the client's preference instead of ours."""
    client_auth: Converted[ClientAuth | str, ClientAuth] = Converted(ClientAuth, ClientAuth.NONE)
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
        sni = {name.lower().rstrip("."): tuple(c) for name, c in self.sni_certificates.items()}
        object.__setattr__(self, "sni_certificates", sni)
        psk_config.check_server(self)
        if not self.certificates and not sni and self.psk_lookup is None:
            raise ConfigError("a server needs at least one certificate chain (or a PSK)")
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
        sni = self.sni_certificates
        if server_name:
            name = server_name.lower().rstrip(".")
            if name in sni:
                return tuple(sni[name])
            head, _, rest = name.partition(".")
            if rest and f"*.{rest}" in sni:
                return tuple(sni[f"*.{rest}"])
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
        if self.certificates or not self.sni_certificates:
            return self.certificates
        return tuple(next(iter(self.sni_certificates.values())))

