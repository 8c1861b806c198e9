"""What ``ssl`` users expect to see: OpenSSL suite names, the ``getpeercert()`` dictionary,
``ssl.SSLError`` subclasses for tls12's errors, and an ``SSLObject``-like view of a connection.
Shared by the ssl-compatible sockets and the asyncio transport."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import ssl
from collections.abc import Iterable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from tls12.connection import ClientConnection, Connection
from tls12.crypto import suites
from tls12.crypto.suites import BY_ID, BY_NAME, CipherSuite
from tls12.errors import (
    CertificateError,
    CertificateExpired,
    TLSError,
    TruncationError,
    UnknownCA,
)
from tls12.sessions import Session

LOG = logging.getLogger("tls12")

# --- names ------------------------------------------------------------------------------------

OPENSSL_NAMES: dict[int, str] = {
    BY_NAME[iana].id: alias for alias, iana in suites.OPENSSL_NAMES.items()
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


def verify_code(exc: CertificateError) -> int:
    """OpenSSL's X509_V_ERR_* number for a refused certificate (what ``ssl`` puts in
    ``verify_code``), read from tls12's error class and message."""
    text = str(exc)
    if isinstance(exc, CertificateExpired):
        return 9 if "not valid before" in text else 10  # CERT_NOT_YET_VALID / CERT_HAS_EXPIRED
    if isinstance(exc, UnknownCA):
        if "is issued by" in text and "self-signed" in text:
            return 18  # DEPTH_ZERO_SELF_SIGNED_CERT
        if "self-signed" in text:
            return 19  # SELF_SIGNED_CERT_IN_CHAIN
        return 20  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    if text.startswith("the CRL from") and "expired" in text:
        return 12  # CRL_HAS_EXPIRED
    if "revoked" in text:
        return 23  # CERT_REVOKED
    if "no CRL" in text:
        return 3  # UNABLE_TO_GET_CRL
    if ", not for " in text or "so it is not valid for" in text:
        return 62  # HOSTNAME_MISMATCH
    if "signature does not verify" in text:
        return 7  # CERT_SIGNATURE_FAILURE
    if "EKU" in text or "extended key usage" in text.lower():
        return 26  # INVALID_PURPOSE
    if "too weak" in text or "too small" in text:
        return 66  # EE_KEY_TOO_SMALL
    return 1  # UNSPECIFIED


def ssl_error(exc: TLSError) -> TLS12SSLError:
    """The ``ssl.SSLError`` subclass that stands for ``exc`` (message: ``[TLS12: REASON]
    ...`` with tls12's explanation). A certificate we refused has ssl's reason,
    CERTIFICATE_VERIFY_FAILED, and ssl's ``verify_code``."""
    if isinstance(exc, TruncationError):
        reason = "UNEXPECTED_EOF_WHILE_READING"
    elif isinstance(exc, CertificateError):
        reason = "CERTIFICATE_VERIFY_FAILED"
    else:
        reason = exc.alert.name.upper()
    message = f"[TLS12: {reason}] {exc}"
    if isinstance(exc, CertificateError):
        message = f"[TLS12: {reason}] certificate verify failed: {exc} (alert {exc.alert.name})"
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
    if isinstance(err, TLS12CertVerificationError) and isinstance(exc, CertificateError):
        err.verify_code = verify_code(exc)
        err.verify_message = str(exc)
    return err


def want_read() -> ssl.SSLWantReadError:
    """What ``ssl`` raises when a non-blocking operation needs bytes from the peer first."""
    return ssl.SSLWantReadError(ssl.SSL_ERROR_WANT_READ, "The operation did not complete (read)")


def want_write() -> ssl.SSLWantWriteError:
    """What ``ssl`` raises when a non-blocking operation must write queued records first."""
    return ssl.SSLWantWriteError(
        ssl.SSL_ERROR_WANT_WRITE, "The operation did not complete (write)"
    )


CHANNEL_BINDING_TYPES = ["tls-unique"]


def offering_session(
    connection: Connection, session: Session | None, *, server_side: bool, started: bool, what: str
) -> Connection:
    """``ssl``'s ``session`` setter on an SSLSocket or SSLObject: a client that has not started
    its handshake gets a fresh engine offering ``session``; anything else is ssl's ValueError."""
    if server_side:
        raise ValueError(f"Cannot set session for server-side {what}")
    if started:
        raise ValueError("Cannot set session after handshake")
    if isinstance(connection, ClientConnection):
        return ClientConnection(connection.config, connection.server_name, session)
    return connection


def channel_binding(connection: Connection, cb_type: str) -> bytes | None:
    """``get_channel_binding``: RFC 5929 tls-unique, None before the handshake completed."""
    if cb_type not in CHANNEL_BINDING_TYPES:
        raise ValueError(f"Unsupported channel binding type {cb_type!r}")
    return connection.tls_unique


def handshake_logged(connection: Connection, peer: Any) -> None:
    """One DEBUG line per completed handshake on the ``tls12`` logger: peer, suite, resumed,
    ALPN."""
    n = connection.negotiated
    if n is not None and LOG.isEnabledFor(logging.DEBUG):
        LOG.debug(
            "handshake completed with %s: %s, resumed=%s, alpn=%s",
            peer,
            n.cipher_suite.name,
            n.resumed,
            n.alpn_protocol,
        )


def handshake_failure_logged(exc: TLSError, peer: Any) -> None:
    """One INFO line per failed handshake on the ``tls12`` logger, with its alert."""
    alert = "none (the transport ended)" if isinstance(exc, TruncationError) else exc.alert.name
    LOG.info("handshake with %s failed: %s (alert %s)", peer, exc, alert)


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
        """Server side: the suites both the client offered and this side enables, in this
        side's order (what OpenSSL computes); client side: None, as ``ssl`` answers."""
        n = self.connection.negotiated
        if not self.server_side or n is None:
            return None
        offered = set(n.offered_cipher_suites)
        ours = self.connection.config.cipher_suites
        return [cipher_tuple(s) for s in ours if s.id in offered]

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
