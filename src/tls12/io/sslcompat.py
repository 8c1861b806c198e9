"""An ``ssl``-compatible face for tls12: ``TLS12Context`` and ``TLS12Socket``.

Code written for Python's ``ssl`` module (urllib3, http.client, urllib, http.server,
socketserver) can use tls12 by passing a ``TLS12Context`` where it expects an
``ssl.SSLContext``::

    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile="ca.pem")
    urllib3.PoolManager(ssl_context=ctx).request("GET", "https://localhost:8443/")

    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("server.pem", "server.key")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)

The context turns its ssl-style settings into a ``ClientConfig`` / ``ServerConfig`` (built once
and reused while the settings do not change, so server sessions and ticket keys persist), and
``wrap_socket`` returns a ``TLS12Socket``: a ``TLSSocket`` with the ``ssl.SSLSocket`` methods
those libraries call. Failures are raised as ``ssl.SSLError`` subclasses (certificate problems
as ``ssl.SSLCertVerificationError``) carrying the original ``TLSError`` as ``.tls_error`` and
as ``__cause__``, so ``except ssl.SSLError`` and ``except OSError`` keep working.

What differs from ``ssl`` (tls12 speaks TLS 1.2 only):
- ``minimum_version``/``maximum_version``/``options`` must leave TLS 1.2 enabled; other
  versions cannot be negotiated.
- ``set_ciphers`` selects the suites it names (OpenSSL or IANA names) among tls12's suites and
  ignores keywords (``DEFAULT``, ``HIGH``, ``!aNULL`` ...).
- With no CA loaded, a verifying client context trusts the system store.
- ``check_hostname = False`` with verification on checks the chain only; tls12 then sends no
  SNI (the engine uses one name for both).
- ``getpeercert()`` builds the ``ssl`` dictionary from the certificate with ``cryptography``.
"""

from __future__ import annotations

import contextlib
import errno
import io
import ipaddress
import os
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig, keylog_to_file
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import BY_ID, BY_NAME, DEFAULT_SUITES, CipherSuite
from tls12.errors import CertificateError, ConfigError, TLSError, TruncationError
from tls12.io.sync import RECV_SIZE, TLSSocket, _TLSRawIO
from tls12.sessions import Session
from tls12.verify import TrustStore

__all__ = [
    "OPENSSL_NAMES",
    "SSLObjectView",
    "TLS12CertVerificationError",
    "TLS12Context",
    "TLS12EOFError",
    "TLS12SSLError",
    "TLS12Socket",
    "cipher_tuple",
    "openssl_name",
    "peercert_dict",
    "ssl_error",
]

# --- names ------------------------------------------------------------------------------------

OPENSSL_NAMES: dict[int, str] = {
    0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256",
    0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
    0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305",
    0xC02F: "ECDHE-RSA-AES128-GCM-SHA256",
    0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
    0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305",
    0x009E: "DHE-RSA-AES128-GCM-SHA256",
    0x009F: "DHE-RSA-AES256-GCM-SHA384",
    0xCCAA: "DHE-RSA-CHACHA20-POLY1305",
    0xC023: "ECDHE-ECDSA-AES128-SHA256",
    0xC024: "ECDHE-ECDSA-AES256-SHA384",
    0xC009: "ECDHE-ECDSA-AES128-SHA",
    0xC00A: "ECDHE-ECDSA-AES256-SHA",
    0xC027: "ECDHE-RSA-AES128-SHA256",
    0xC028: "ECDHE-RSA-AES256-SHA384",
    0xC013: "ECDHE-RSA-AES128-SHA",
    0xC014: "ECDHE-RSA-AES256-SHA",
    0x009C: "AES128-GCM-SHA256",
    0x009D: "AES256-GCM-SHA384",
    0x003C: "AES128-SHA256",
    0x002F: "AES128-SHA",
    0x0035: "AES256-SHA",
}
"""OpenSSL's names (what ``ssl`` reports and ``set_ciphers`` takes) by suite id."""
_BY_OPENSSL_NAME = {name: BY_ID[i] for i, name in OPENSSL_NAMES.items() if i in BY_ID}


def openssl_name(suite: CipherSuite) -> str:
    """OpenSSL's name for a suite (what ``ssl.SSLSocket.cipher()`` reports)."""
    return OPENSSL_NAMES.get(suite.id, suite.name)


def cipher_tuple(suite: CipherSuite, version: str = "TLSv1.2") -> tuple[str, str, int]:
    """``(OpenSSL name, protocol, secret bits)`` as ``ssl.SSLSocket.cipher()`` returns."""
    return (openssl_name(suite), version, suite.key_len * 8)


# --- the peer certificate as ssl's dictionary -----------------------------------------------

_ATTRIBUTE_NAMES = {
    NameOID.COMMON_NAME: "commonName",
    NameOID.COUNTRY_NAME: "countryName",
    NameOID.LOCALITY_NAME: "localityName",
    NameOID.STATE_OR_PROVINCE_NAME: "stateOrProvinceName",
    NameOID.STREET_ADDRESS: "streetAddress",
    NameOID.ORGANIZATION_NAME: "organizationName",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "organizationalUnitName",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.SURNAME: "surname",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.TITLE: "title",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.DOMAIN_COMPONENT: "domainComponent",
    NameOID.USER_ID: "userId",
    NameOID.BUSINESS_CATEGORY: "businessCategory",
    NameOID.POSTAL_CODE: "postalCode",
    NameOID.JURISDICTION_COUNTRY_NAME: "jurisdictionCountryName",
    NameOID.JURISDICTION_LOCALITY_NAME: "jurisdictionLocalityName",
    NameOID.JURISDICTION_STATE_OR_PROVINCE_NAME: "jurisdictionStateOrProvinceName",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _name_tuple(name: x509.Name) -> tuple[tuple[tuple[str, str], ...], ...]:
    out = []
    for rdn in name.rdns:
        out.append(
            tuple((_ATTRIBUTE_NAMES.get(a.oid, a.oid.dotted_string), str(a.value)) for a in rdn)
        )
    return tuple(out)


def _asn1_time(when: Any) -> str:
    """OpenSSL's ASN1_TIME_print format: ``'Jan  5 09:03:00 2030 GMT'``."""
    return (
        f"{_MONTHS[when.month - 1]} {when.day:2d} {when.hour:02d}:{when.minute:02d}:"
        f"{when.second:02d} {when.year} GMT"
    )


def _ip_text(ip: ipaddress.IPv4Address | ipaddress.IPv6Address | Any) -> str:
    if isinstance(ip, ipaddress.IPv6Address):
        groups = ip.exploded.split(":")
        return ":".join(f"{int(g, 16):X}" for g in groups)
    return str(ip)


def _general_names(names: Iterable[x509.GeneralName]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for n in names:
        if isinstance(n, x509.DNSName):
            out.append(("DNS", n.value))
        elif isinstance(n, x509.IPAddress):
            out.append(("IP Address", _ip_text(n.value)))
        elif isinstance(n, x509.RFC822Name):
            out.append(("email", n.value))
        elif isinstance(n, x509.UniformResourceIdentifier):
            out.append(("URI", n.value))
        elif isinstance(n, x509.DirectoryName):
            out.append(("DirName", n.value.rfc4514_string()))
        elif isinstance(n, x509.RegisteredID):
            out.append(("Registered ID", n.value.dotted_string))
        else:
            out.append(("othername", "<unsupported>"))
    return tuple(out)


def peercert_dict(cert: x509.Certificate) -> dict[str, Any]:
    """The dictionary ``ssl.SSLSocket.getpeercert()`` returns for ``cert``."""
    d: dict[str, Any] = {
        "subject": _name_tuple(cert.subject),
        "issuer": _name_tuple(cert.issuer),
        "version": cert.version.value + 1,
        "serialNumber": f"{cert.serial_number:X}".rjust(2, "0"),
        "notBefore": _asn1_time(cert.not_valid_before_utc),
        "notAfter": _asn1_time(cert.not_valid_after_utc),
    }
    if len(d["serialNumber"]) % 2:
        d["serialNumber"] = "0" + d["serialNumber"]
    ext = cert.extensions
    with contextlib.suppress(x509.ExtensionNotFound):
        san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
        d["subjectAltName"] = _general_names(san)
    with contextlib.suppress(x509.ExtensionNotFound):
        aia = ext.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp = [
            a.access_location.value
            for a in aia
            if a.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(a.access_location, x509.UniformResourceIdentifier)
        ]
        issuers = [
            a.access_location.value
            for a in aia
            if a.access_method == AuthorityInformationAccessOID.CA_ISSUERS
            and isinstance(a.access_location, x509.UniformResourceIdentifier)
        ]
        if ocsp:
            d["OCSP"] = tuple(ocsp)
        if issuers:
            d["caIssuers"] = tuple(issuers)
    with contextlib.suppress(x509.ExtensionNotFound):
        cdp = ext.get_extension_for_class(x509.CRLDistributionPoints).value
        uris = [
            n.value
            for point in cdp
            for n in (point.full_name or ())
            if isinstance(n, x509.UniformResourceIdentifier)
        ]
        if uris:
            d["crlDistributionPoints"] = tuple(uris)
    return d


# --- errors -----------------------------------------------------------------------------------


class TLS12SSLError(ssl.SSLError):
    """A tls12 failure seen through the ``ssl`` API; ``tls_error`` is the original."""

    tls_error: TLSError


class TLS12CertVerificationError(ssl.SSLCertVerificationError, TLS12SSLError):
    """The peer's certificate was refused (``verify_message`` says why)."""


class TLS12EOFError(ssl.SSLEOFError, TLS12SSLError):
    """The peer closed the transport without close_notify."""


def ssl_error(exc: TLSError) -> TLS12SSLError:
    """The ``ssl.SSLError`` subclass that stands for ``exc`` (message: ``[TLS12: ALERT] ...``)."""
    if isinstance(exc, TruncationError):
        reason = "UNEXPECTED_EOF_WHILE_READING"
    else:
        reason = exc.alert.name.upper()
    message = f"[TLS12: {reason}] {exc}"
    cls: type[TLS12SSLError]
    if isinstance(exc, CertificateError):
        cls = TLS12CertVerificationError
    elif isinstance(exc, TruncationError):
        cls = TLS12EOFError
    else:
        cls = TLS12SSLError
    err = cls(1, message)
    err.tls_error = exc
    err.library = "TLS12"
    err.reason = reason
    if isinstance(err, TLS12CertVerificationError):
        err.verify_code = int(exc.alert)
        err.verify_message = str(exc)
    return err


# --- an SSLObject-like view of an engine --------------------------------------------------


class SSLObjectView:
    """What ``ssl.SSLObject`` tells about a connection, read from a tls12 engine. The asyncio
    layer hands it out as ``get_extra_info('ssl_object')``."""

    def __init__(
        self, connection: Connection, *, verified: bool | None = None, server_hostname: Any = None
    ) -> None:
        self.connection = connection
        self.server_side = not connection.is_client
        self.server_hostname = server_hostname
        if verified is None:
            verified = not getattr(connection.config, "insecure_skip_verify", False)
        self._verified = verified

    def version(self) -> str | None:
        n = self.connection.negotiated
        return n.version if n else None

    def cipher(self) -> tuple[str, str, int] | None:
        n = self.connection.negotiated
        return cipher_tuple(n.cipher_suite, n.version) if n else None

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        """Server side: the suites this side enables (tls12 does not keep the client's
        list); client side: None, as ``ssl`` answers."""
        if not self.server_side or self.connection.negotiated is None:
            return None
        return [cipher_tuple(s) for s in self.connection.config.cipher_suites]  # type: ignore[union-attr]

    def compression(self) -> None:
        return None

    def selected_alpn_protocol(self) -> str | None:
        n = self.connection.negotiated
        return n.alpn_protocol if n else None

    def selected_npn_protocol(self) -> None:
        return None

    def getpeercert(self, binary_form: bool = False) -> Any:
        n = self.connection.negotiated
        if n is None:
            raise ValueError("handshake not done yet")
        if not n.peer_certificates:
            return None
        leaf = n.peer_certificates[0]
        if binary_form:
            return leaf.public_bytes(Encoding.DER)
        return peercert_dict(leaf) if self._verified else {}

    @property
    def session(self) -> Session | None:
        return self.connection.session

    @property
    def session_reused(self) -> bool:
        n = self.connection.negotiated
        return bool(n and n.resumed)

    def pending(self) -> int:
        return 0


# --- the context ------------------------------------------------------------------------------

_TLS12 = ssl.TLSVersion.TLSv1_2


def _version_value(v: ssl.TLSVersion, default: int) -> int:
    if v in (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED):
        return default
    return int(v)


def _parse_ciphers(spec: str) -> list[CipherSuite] | None:
    """Suites named in an OpenSSL cipher string, in its order; None when it names none of
    ours and only uses keywords (which then change nothing)."""
    chosen: list[CipherSuite] = []
    named_unknown = False
    for token in spec.replace(",", ":").replace(" ", ":").split(":"):
        token = token.strip()
        if not token or token[0] in "!-+@":
            continue
        suite = _BY_OPENSSL_NAME.get(token) or BY_NAME.get(token)
        if suite is not None:
            if suite not in chosen:
                chosen.append(suite)
        elif "-" in token or token.startswith("TLS_"):
            named_unknown = True
    if chosen:
        return chosen
    if named_unknown:
        raise TLS12SSLError(1, "No cipher can be selected.")
    return None


def _password(password: Any) -> bytes | None:
    if callable(password):
        password = password()
    if password is None:
        return None
    return password.encode() if isinstance(password, str) else bytes(password)


@dataclass(frozen=True)
class _ConfigKey:
    generation: int
    verify_mode: int
    check_hostname: bool
    tickets: bool
    keylog: str | None
    server: bool


class TLS12Context:
    """A stand-in for ``ssl.SSLContext`` that makes tls12 connections.

    ``protocol`` is ``ssl.PROTOCOL_TLS_CLIENT`` (default: verify the server and its name),
    ``ssl.PROTOCOL_TLS_SERVER`` or ``ssl.PROTOCOL_TLS`` (either side, no verification),
    as in ``ssl``.

    tls12 additions: ``handshake_timeout`` (seconds a blocking handshake may take when the
    socket has no timeout of its own; None waits forever, as ``ssl`` does) and
    ``client_config()`` / ``server_config()``, the configurations the settings turn into.
    """

    sslsocket_class: type[TLS12Socket]

    def __init__(self, protocol: int | None = None) -> None:
        if protocol is None:
            protocol = ssl.PROTOCOL_TLS_CLIENT
        if protocol not in (ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER, ssl.PROTOCOL_TLS):
            raise ValueError(f"unsupported protocol {protocol!r} (tls12 speaks TLS 1.2)")
        self.protocol = protocol
        client = protocol == ssl.PROTOCOL_TLS_CLIENT
        self._check_hostname = client
        self._verify_mode = ssl.CERT_REQUIRED if client else ssl.CERT_NONE
        self.options = ssl.Options(
            ssl.OP_ALL | ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3 | ssl.OP_NO_COMPRESSION
        )
        self.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        self.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
        self.verify_flags = ssl.VERIFY_X509_TRUSTED_FIRST
        self.hostname_checks_common_name = False
        self.post_handshake_auth = False
        self.keylog_filename: str | None = None
        self.sni_callback: Callable[..., Any] | None = None
        self.num_tickets = 2
        self.security_level = 2
        self.handshake_timeout: float | None = None
        self._anchors: list[x509.Certificate] = []
        self._system_store = False
        self._certificates: list[CertifiedKey] = []
        self._alpn: list[str] = []
        self._suites: list[CipherSuite] | None = None
        self._generation = 0
        self._cached: tuple[_ConfigKey, ClientConfig | ServerConfig] | None = None

    # -- ssl.SSLContext's verification switches, with its consistency rules -------------

    @property
    def check_hostname(self) -> bool:
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value: bool) -> None:
        value = bool(value)
        if value and self._verify_mode == ssl.CERT_NONE:
            self._verify_mode = ssl.CERT_REQUIRED
        self._check_hostname = value

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        return ssl.VerifyMode(self._verify_mode)

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        value = ssl.VerifyMode(value)
        if value == ssl.CERT_NONE and self._check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        self._verify_mode = value

    # -- loading -----------------------------------------------------------------------

    def _changed(self) -> None:
        self._generation += 1

    def load_verify_locations(
        self,
        cafile: str | os.PathLike[str] | None = None,
        capath: str | os.PathLike[str] | None = None,
        cadata: str | bytes | None = None,
    ) -> None:
        """Trust anchors from a PEM file, a directory of PEM files, or PEM text / DER bytes."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        for path in (cafile, capath):
            if path is not None and not os.path.exists(path):
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        try:
            if cafile is not None:
                self._anchors.extend(TrustStore.from_pem_file(cafile).certs)
            if capath is not None:
                for entry in sorted(Path(capath).iterdir()):
                    if entry.is_file():
                        data = entry.read_bytes()
                        if b"-----BEGIN CERTIFICATE-----" in data:
                            self._anchors.extend(x509.load_pem_x509_certificates(data))
            if cadata is not None:
                if isinstance(cadata, str):
                    self._anchors.extend(x509.load_pem_x509_certificates(cadata.encode()))
                else:
                    self._anchors.extend(_load_der_certificates(bytes(cadata)))
        except ConfigError as exc:
            raise TLS12SSLError(1, f"[TLS12: CA_LOAD] {exc}") from exc
        except ValueError as exc:
            message = f"[TLS12: CA_LOAD] could not read CA certificates: {exc}"
            raise TLS12SSLError(1, message) from exc
        except OSError as exc:
            raise FileNotFoundError(exc.errno, exc.strerror, exc.filename) from exc
        self._changed()

    def load_default_certs(self, purpose: Any = None) -> None:
        """Trust the operating system's CA bundle (in addition to anything loaded)."""
        self._system_store = True
        self._changed()

    def set_default_verify_paths(self) -> None:
        self.load_default_certs()

    def load_cert_chain(
        self,
        certfile: str | os.PathLike[str],
        keyfile: str | os.PathLike[str] | None = None,
        password: Any = None,
    ) -> None:
        """Our certificate chain (leaf first) and its key; may be called for an RSA and an
        ECDSA chain both."""
        try:
            key = CertifiedKey.from_files(certfile, keyfile or certfile, _password(password))
        except ConfigError as exc:
            raise TLS12SSLError(1, f"[TLS12: CERT_LOAD] {exc}") from exc
        self._certificates.append(key)
        self._changed()

    def set_alpn_protocols(self, protocols: Iterable[str]) -> None:
        self._alpn = list(protocols)
        self._changed()

    def set_npn_protocols(self, protocols: Iterable[str]) -> None:
        """NPN is obsolete; accepted and ignored."""

    def set_ciphers(self, spec: str) -> None:
        suites = _parse_ciphers(spec)
        if suites is not None:
            self._suites = suites
            self._changed()

    def set_ecdh_curve(self, name: str) -> None:
        """Accepted and ignored (the configured groups are used)."""

    def get_ciphers(self) -> list[dict[str, Any]]:
        out = []
        for s in self._suites or list(DEFAULT_SUITES):
            out.append(
                {
                    "id": 0x03000000 | s.id,
                    "name": openssl_name(s),
                    "protocol": "TLSv1.2",
                    "description": s.name,
                    "strength_bits": s.key_len * 8,
                    "alg_bits": s.key_len * 8,
                    "aead": s.is_aead,
                    "kea": f"kx-{s.kx.value.lower()}",
                    "auth": f"auth-{s.auth.value.lower()}",
                }
            )
        return out

    def get_ca_certs(self, binary_form: bool = False) -> list[Any]:
        if binary_form:
            return [c.public_bytes(Encoding.DER) for c in self._anchors]
        return [peercert_dict(c) for c in self._anchors]

    def cert_store_stats(self) -> dict[str, int]:
        return {"x509": len(self._anchors), "crl": 0, "x509_ca": len(self._anchors)}

    def session_stats(self) -> dict[str, int]:
        return {}

    def set_servername_callback(self, callback: Any) -> None:
        self.sni_callback = callback

    # -- configurations ----------------------------------------------------------------

    def _check_versions(self) -> None:
        low = _version_value(self.minimum_version, 0)
        high = _version_value(self.maximum_version, 0xFFFF)
        if not low <= int(_TLS12) <= high or self.options & ssl.OP_NO_TLSv1_2:
            raise TLS12SSLError(
                1,
                "[TLS12: NO_PROTOCOLS_AVAILABLE] this context excludes TLS 1.2, "
                "the only version tls12 speaks",
            )

    def _key(self, server: bool) -> _ConfigKey:
        return _ConfigKey(
            self._generation,
            int(self._verify_mode),
            self._check_hostname,
            not (self.options & ssl.OP_NO_TICKET),
            self.keylog_filename,
            server,
        )

    def _trust(self) -> TrustStore | None:
        certs = list(self._anchors)
        if self._system_store or not certs:
            with contextlib.suppress(ConfigError):
                certs = list(TrustStore.system().certs) + certs
        return TrustStore(certs) if certs else None

    def _common(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "alpn_protocols": self._alpn,
            "session_tickets": not (self.options & ssl.OP_NO_TICKET),
        }
        if self._suites:
            kw["cipher_suites"] = self._suites
        if self.keylog_filename:
            kw["keylog"] = keylog_to_file(self.keylog_filename)
        return kw

    def client_config(self) -> ClientConfig:
        """The ClientConfig these settings make (cached until a setting changes)."""
        key = self._key(server=False)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]  # type: ignore[return-value]
        kw = self._common()
        if self._verify_mode == ssl.CERT_NONE:
            kw["insecure_skip_verify"] = True
        else:
            trust = self._trust()
            if trust is None:
                raise TLS12SSLError(1, "[TLS12: NO_CA] no trust anchors: load_verify_locations()")
            kw["trust"] = trust
        kw["client_certificates"] = self._certificates
        config = ClientConfig(**kw)
        self._cached = (key, config)
        return config

    def server_config(self) -> ServerConfig:
        """The ServerConfig these settings make (cached, so sessions and ticket keys live as
        long as the context and its settings)."""
        key = self._key(server=True)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]  # type: ignore[return-value]
        if not self._certificates:
            raise TLS12SSLError(1, "[TLS12: NO_CERTIFICATE] a server needs load_cert_chain()")
        kw = self._common()
        kw["certificates"] = self._certificates
        if self._verify_mode != ssl.CERT_NONE:
            required = self._verify_mode == ssl.CERT_REQUIRED
            kw["client_auth"] = ClientAuth.REQUIRED if required else ClientAuth.OPTIONAL
            trust = self._trust()
            if trust is None:
                raise TLS12SSLError(1, "[TLS12: NO_CA] client certificates need CA certificates")
            kw["client_trust"] = trust
        config = ServerConfig(**kw)
        self._cached = (key, config)
        return config

    def _new_connection(
        self, server_side: bool, server_hostname: str | None, session: Session | None
    ) -> Connection:
        self._check_versions()
        if server_side:
            return ServerConnection(self.server_config())
        config = self.client_config()
        if self._verify_mode != ssl.CERT_NONE and not self._check_hostname:
            name = None  # chain only (the engine would check the name it sends as SNI)
        else:
            name = server_hostname
        return ClientConnection(config, name, session)

    # -- wrapping ------------------------------------------------------------------------

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: Session | None = None,
    ) -> TLS12Socket:
        if isinstance(server_hostname, bytes):
            server_hostname = server_hostname.decode("idna")
        if server_side:
            if self.protocol == ssl.PROTOCOL_TLS_CLIENT:
                raise ValueError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context")
            if server_hostname:
                raise ValueError("server_hostname can only be specified in client mode")
            if session is not None:
                raise ValueError("session can only be specified in client mode")
        else:
            if self.protocol == ssl.PROTOCOL_TLS_SERVER:
                raise ValueError("Cannot create a client socket with a PROTOCOL_TLS_SERVER context")
            if self._check_hostname and not server_hostname:
                raise ValueError("check_hostname requires server_hostname")
        return TLS12Socket(
            sock,
            self,
            server_side=server_side,
            server_hostname=server_hostname,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            session=session,
        )


def _load_der_certificates(data: bytes) -> list[x509.Certificate]:
    """Concatenated DER certificates (what ``ssl`` accepts as binary ``cadata``)."""
    out = []
    while data:
        if len(data) < 4 or data[0] != 0x30:
            raise ValueError("cadata is neither PEM text nor DER certificates")
        if data[1] < 0x80:
            length, head = data[1], 2
        else:
            n = data[1] & 0x7F
            length, head = int.from_bytes(data[2 : 2 + n], "big"), 2 + n
        out.append(x509.load_der_x509_certificate(data[: head + length]))
        data = data[head + length :]
    return out


def _is_connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


# --- the socket -------------------------------------------------------------------------------


class TLS12Socket(TLSSocket):
    """A ``TLSSocket`` that also answers as an ``ssl.SSLSocket``: OpenSSL-style ``cipher()``,
    ``getpeercert()`` dictionaries, ``ssl.SSLError`` failures, ``accept()`` on a wrapped
    listening socket, ``connect()`` on a wrapped unconnected one, and an implicit handshake
    on first use when ``do_handshake_on_connect`` is False."""

    def __init__(
        self,
        sock: socket.socket,
        context: TLS12Context,
        *,
        server_side: bool,
        server_hostname: str | None,
        do_handshake_on_connect: bool,
        suppress_ragged_eofs: bool,
        session: Session | None,
    ) -> None:
        try:
            conn = context._new_connection(server_side, server_hostname, session)
        except TLSError as exc:
            raise ssl_error(exc) from exc
        super().__init__(sock, conn)
        self.context = context
        self.server_side = server_side
        self.server_hostname = server_hostname
        self.do_handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self._handshake_started = False
        self._io_refs = 0
        self._close_pending = False
        if do_handshake_on_connect and _is_connected(sock):
            if sock.gettimeout() == 0.0:
                raise ValueError(
                    "do_handshake_on_connect should not be specified for non-blocking sockets"
                )
            try:
                self.do_handshake()
            except (OSError, ValueError):
                self.close()
                raise

    # -- handshake ---------------------------------------------------------------------

    def do_handshake(self, block: bool = False) -> None:
        """Runs (or continues, after a timeout) the handshake; failures are ssl.SSLError."""
        if self.connection.handshake_complete:
            return
        timeout = self.context.handshake_timeout
        restore = timeout is not None and self._sock.gettimeout() is None
        if restore:
            self._sock.settimeout(timeout)
        try:
            if not self._handshake_started:
                self._handshake_started = True
                self.connection.start()
                self._flush()
            while not self.connection.handshake_complete:
                if not self._pump() and not self.connection.handshake_complete:
                    raise TruncationError("the peer closed the connection during the handshake")
        except TLSError as exc:
            self._flush_quietly()
            raise ssl_error(exc) from exc
        finally:
            if restore:
                with contextlib.suppress(OSError):
                    self._sock.settimeout(None)

    def _ensure_handshake(self) -> None:
        if not self.connection.handshake_complete:
            self.do_handshake()

    def connect(self, address: Any) -> None:
        self._sock.connect(address)
        if self.do_handshake_on_connect:
            self.do_handshake()

    def connect_ex(self, address: Any) -> int:
        rc = self._sock.connect_ex(address)
        if rc == 0 and self.do_handshake_on_connect:
            self.do_handshake()
        return rc

    def accept(self) -> tuple[TLS12Socket, Any]:
        """Accepts on a wrapped listening socket; the new connection is wrapped (and, with
        do_handshake_on_connect, handshaken) as ``ssl.SSLSocket.accept`` does."""
        newsock, addr = self._sock.accept()
        try:
            tls = self.context.wrap_socket(
                newsock,
                server_side=True,
                do_handshake_on_connect=self.do_handshake_on_connect,
                suppress_ragged_eofs=self.suppress_ragged_eofs,
            )
        except BaseException:
            newsock.close()
            raise
        return tls, addr

    # -- data --------------------------------------------------------------------------

    def recv(self, bufsize: int = RECV_SIZE, flags: int = 0) -> bytes:
        if flags:
            raise ValueError("non-zero flags not allowed in calls to recv() on TLS12Socket")
        self._ensure_handshake()
        try:
            return super().recv(bufsize)
        except TruncationError as exc:
            if self.suppress_ragged_eofs:
                return b""
            raise ssl_error(exc) from exc
        except TLSError as exc:
            raise ssl_error(exc) from exc

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if flags:
            raise ValueError("non-zero flags not allowed in calls to recv_into() on TLS12Socket")
        return super().recv_into(buffer, nbytes)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        if buffer is not None:
            return self.recv_into(buffer, len)
        return self.recv(len)

    def sendall(self, data: bytes | bytearray | memoryview, flags: int = 0) -> None:
        if flags:
            raise ValueError("non-zero flags not allowed in calls to sendall() on TLS12Socket")
        self._ensure_handshake()
        try:
            super().sendall(data)
        except TLSError as exc:
            raise ssl_error(exc) from exc

    def send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        self.sendall(data, flags)
        return len(data)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return self.send(data)

    # -- what was negotiated, as ssl reports it ------------------------------------------

    def _view(self) -> SSLObjectView:
        return SSLObjectView(
            self.connection,
            verified=self.context.verify_mode != ssl.CERT_NONE,
            server_hostname=self.server_hostname,
        )

    def cipher(self) -> tuple[str, str, int] | None:  # type: ignore[override]
        return self._view().cipher()

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        return self._view().shared_ciphers()

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's leaf certificate: ssl's dictionary ({} when it was not verified), its
        DER bytes with ``binary_form``, None when the peer sent none."""
        return self._view().getpeercert(binary_form)

    def compression(self) -> None:
        return None

    def selected_npn_protocol(self) -> None:
        return None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        raise ValueError(f"{cb_type} channel binding type not implemented")

    def verify_client_post_handshake(self) -> None:
        raise TLS12SSLError(1, "[TLS12: NOT_SUPPORTED] post-handshake authentication is TLS 1.3")

    @property
    def session(self) -> Session | None:  # type: ignore[override]
        return self.connection.session

    @session.setter
    def session(self, value: Session | None) -> None:
        if self.server_side:
            raise ValueError("Cannot set session for server-side SSLSocket")
        if self._handshake_started:
            raise ValueError("Cannot set session after handshake")
        conn = self.connection
        if isinstance(conn, ClientConnection):
            self.connection = ClientConnection(conn.config, conn.server_name, value)  # type: ignore[arg-type]

    # -- socket plumbing -----------------------------------------------------------------

    @property
    def family(self) -> socket.AddressFamily:
        return self._sock.family

    @property
    def type(self) -> socket.SocketKind:
        return self._sock.type

    @property
    def proto(self) -> int:
        return self._sock.proto

    def getsockopt(self, *args: Any) -> Any:
        return self._sock.getsockopt(*args)

    def bind(self, address: Any) -> None:
        self._sock.bind(address)

    def listen(self, backlog: int = socket.SOMAXCONN) -> None:
        self._sock.listen(backlog)

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        """As ``socket.makefile``: the file keeps the connection open until it is closed too
        (http.client closes the socket while the response is still being read)."""
        raw = _CountedRawIO(self, mode)
        self._io_refs += 1
        binary = "b" in mode
        if buffering == 0 and binary:
            return raw
        size = io.DEFAULT_BUFFER_SIZE if buffering in (None, -1, 0) else buffering
        reading, writing = "r" in mode, "w" in mode
        if reading and writing:
            buf: Any = io.BufferedRWPair(raw, raw, size)
        elif writing:
            buf = io.BufferedWriter(raw, size)
        else:
            buf = io.BufferedReader(raw, size)
        return buf if binary else io.TextIOWrapper(buf, **kwargs)

    def _decref_socketios(self) -> None:
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._close_pending and self._io_refs == 0:
            self._close_pending = False
            super().close()

    def close(self) -> None:
        """Closes (with close_notify) once no file from ``makefile`` is open any more."""
        if self._io_refs > 0:
            self._close_pending = True
            return
        super().close()

    def unwrap(self) -> socket.socket:
        try:
            return super().unwrap()
        except TLSError as exc:
            raise ssl_error(exc) from exc

    def shutdown(self, how: int) -> None:
        """Sends close_notify before shutting the write side (socketserver calls
        ``shutdown(SHUT_WR)`` before ``close()``: the peer still sees a clean TLS close)."""
        conn = self.connection
        writing = how in (socket.SHUT_WR, socket.SHUT_RDWR)
        if writing and conn.error is None and conn.handshake_complete:
            conn.close()
            self._flush_quietly()
        self._sock.shutdown(how)

    def __repr__(self) -> str:
        side = "server" if self.server_side else "client"
        try:
            fd = self._sock.fileno()
        except OSError:
            fd = -1
        return f"<TLS12Socket {side} fd={fd} version={self.version()!r}>"


class _CountedRawIO(_TLSRawIO):
    """``makefile``'s raw stream; closing it releases its hold on the socket."""

    def __init__(self, tls: TLS12Socket, mode: str) -> None:
        super().__init__(tls, mode)
        self._owner: TLS12Socket | None = tls

    def close(self) -> None:
        if not self.closed and self._owner is not None:
            owner, self._owner = self._owner, None
            super().close()
            owner._decref_socketios()
            return
        super().close()


TLS12Context.sslsocket_class = TLS12Socket
