"""Checking a stapled OCSP response (RFC 6960) for one certificate, with
``cryptography.x509.ocsp``.

A client that asked for status (RFC 6066 §8) and got a CertificateStatus accepts its response
only when all of RFC 6960 §3.2 holds:

1. it is a successful basic response with a SingleResponse for the server's leaf: the CertID
   names the leaf's serial number and its issuer (hash of the issuer's name and of its public
   key, with the hash the response used);
2. its signature verifies;
3. the signer is the leaf's issuer itself, or a responder certificate that the issuer signed
   directly, that carries id-kp-OCSPSigning and is valid now (RFC 6960 §4.2.2.2);
4. thisUpdate is not in the future and nextUpdate is not in the past, each with
   ``CLOCK_SKEW`` seconds of allowance for clocks that disagree a little. A response
   without nextUpdate says newer information is always available (RFC 6960 §4.2.2.1); it
   is accepted as current, as OpenSSL does.

Anything else is ``BadCertificateStatusResponse`` (bad_certificate_status_response(113), the
alert RFC 6066 §8 names). A response that passes all of that is a fact about the certificate:
``CertificateStatus.REVOKED`` is then raised by the handshake as certificate_revoked(44), the
RFC 5246 §7.2.2 alert for exactly that ("a certificate was revoked by its signer"), since
nothing is wrong with the response itself. The result is an ``OcspResponse``: what a user
reads on the connection and what ``tls12 client --status`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from tls12.errors import BadCertificateStatusResponse

CLOCK_SKEW = 300
"""Seconds by which thisUpdate may lie in the future and nextUpdate in the past: five
minutes, the allowance OpenSSL's ``ocsp -validity_period`` default (also 300 s) gives."""

TLS_FEATURE_STATUS_REQUEST = 5
"""The TLS Feature (RFC 7633) value for status_request: the extension's code point."""


class CertStatus(Enum):
    """What the responder says about the certificate (RFC 6960 §4.2.1 CertStatus)."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OcspResponse:
    """A stapled OCSP response that passed the RFC 6960 checks, for one certificate."""

    cert_status: CertStatus
    serial_number: int
    this_update: datetime
    next_update: datetime | None
    """None: the responder gave no nextUpdate (RFC 6960 §4.2.2.1)."""
    produced_at: datetime
    responder: str
    """"the issuer", or the subject of the delegated responder certificate that signed."""
    revocation_time: datetime | None = None
    revocation_reason: str | None = None
    der: bytes = field(default=b"", repr=False)
    """The DER OCSPResponse as it was stapled."""

    response_status: str = "successful"
    """Always "successful": no other status passes the checks (RFC 6960 §4.2.1)."""

    def describe(self) -> list[str]:
        """Lines in the shape ``openssl s_client -status`` prints them."""
        lines = [
            f"OCSP Response Status: {self.response_status} (0x0)",
            "Response Type: Basic OCSP Response",
            f"Responder: {self.responder}",
            f"Produced At: {_stamp(self.produced_at)}",
            f"Serial Number: {self.serial_number:X}",
            f"Cert Status: {self.cert_status.value}",
        ]
        if self.revocation_time is not None:
            lines.append(f"Revocation Time: {_stamp(self.revocation_time)}")
        if self.revocation_reason is not None:
            lines.append(f"Revocation Reason: {self.revocation_reason}")
        lines.append(f"This Update: {_stamp(self.this_update)}")
        next_update = _stamp(self.next_update) if self.next_update else "(none)"
        lines.append(f"Next Update: {next_update}")
        return lines


def _stamp(when: datetime) -> str:
    return when.strftime("%b %d %H:%M:%S %Y GMT")


def must_staple(leaf: x509.Certificate) -> bool:
    """The leaf carries the TLS Feature extension (RFC 7633, 1.3.6.1.5.5.7.1.24) listing
    status_request: a client that asked for status must then get a good staple. A leaf whose
    extensions cannot be read counts as must-staple (failing closed)."""
    try:
        features = leaf.extensions.get_extension_for_class(x509.TLSFeature).value
    except x509.ExtensionNotFound:
        return False
    except ValueError:  # a malformed extension: cryptography refuses to parse it
        return True
    return any(int(f.value) == TLS_FEATURE_STATUS_REQUEST for f in features)


def load_response(der: bytes) -> ocsp.OCSPResponse:
    """The DER OCSPResponse parsed, or BadCertificateStatusResponse naming why not."""
    try:
        return ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise BadCertificateStatusResponse(
            f"the stapled OCSP response is not a valid DER OCSPResponse: {exc}"
        ) from None


def single_for(
    response: ocsp.OCSPResponse, leaf: x509.Certificate, issuer: x509.Certificate | None
) -> ocsp.OCSPSingleResponse | None:
    """The SingleResponse whose CertID is the leaf's: its serial, the hash of the leaf's issuer
    name, and (when the issuer certificate is known) the hash of the issuer's key."""
    issuer_name = leaf.issuer.public_bytes()
    key_bits = _key_bits(issuer) if issuer is not None else None
    for single in response.responses:
        if single.serial_number != leaf.serial_number:
            continue
        algorithm = single.hash_algorithm
        if single.issuer_name_hash != _digest(algorithm, issuer_name):
            continue
        if key_bits is not None and single.issuer_key_hash != _digest(algorithm, key_bits):
            continue
        return single
    return None


def verify_response(
    der: bytes, leaf: x509.Certificate, issuer: x509.Certificate, now: float
) -> OcspResponse:
    """Checks ``der`` as the status of ``leaf`` (issued by ``issuer``) at ``now`` (seconds
    since the epoch, the configuration's clock); see the module docstring for what is
    checked. Raises BadCertificateStatusResponse naming the first check that failed."""
    response = load_response(der)
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise BadCertificateStatusResponse(
            "the stapled OCSP response is not successful: the responder said "
            f"{response.response_status.name.lower()}"
        )
    single = single_for(response, leaf, issuer)
    if single is None:
        raise BadCertificateStatusResponse(
            "the stapled OCSP response is not for the server's certificate (no CertID "
            f"matches serial {leaf.serial_number:X} and its issuer)"
        )
    when = datetime.fromtimestamp(now, UTC)
    responder = _responder(response, issuer, when)
    _check_signature(response, responder)
    _check_times(single, when)
    status = _STATUS[single.certificate_status]
    reason = single.revocation_reason
    return OcspResponse(
        cert_status=status,
        serial_number=single.serial_number,
        this_update=single.this_update_utc,
        next_update=single.next_update_utc,
        produced_at=response.produced_at_utc,
        responder="the issuer" if responder is issuer else responder.subject.rfc4514_string(),
        revocation_time=single.revocation_time_utc,
        revocation_reason=reason.value if reason is not None else None,
        der=der,
    )


_STATUS = {
    ocsp.OCSPCertStatus.GOOD: CertStatus.GOOD,
    ocsp.OCSPCertStatus.REVOKED: CertStatus.REVOKED,
    ocsp.OCSPCertStatus.UNKNOWN: CertStatus.UNKNOWN,
}


def _check_times(single: ocsp.OCSPSingleResponse, when: datetime) -> None:
    skew = timedelta(seconds=CLOCK_SKEW)
    if single.this_update_utc > when + skew:
        raise BadCertificateStatusResponse(
            f"the stapled OCSP response's thisUpdate ({single.this_update_utc:%Y-%m-%d %H:%M:%S}"
            " UTC) is in the future"
        )
    next_update = single.next_update_utc
    if next_update is not None and next_update < when - skew:
        raise BadCertificateStatusResponse(
            f"the stapled OCSP response expired: its nextUpdate ({next_update:%Y-%m-%d %H:%M:%S}"
            " UTC) has passed"
        )


def _responder(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, when: datetime
) -> x509.Certificate:
    """The certificate that signed: the issuer, or a delegated responder the issuer certified
    for OCSP signing (RFC 6960 §4.2.2.2). The response names it by name or by key hash."""
    if _names_signer(response, issuer):
        return issuer
    for candidate in response.certificates:
        if not _names_signer(response, candidate):
            continue
        _check_delegate(candidate, issuer, when)
        return candidate
    raise BadCertificateStatusResponse(
        "the stapled OCSP response is signed neither by the certificate's issuer nor by a "
        "responder certificate included in it"
    )


def _names_signer(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    key_hash = response.responder_key_hash
    return key_hash is not None and key_hash == _digest(hashes.SHA1(), _key_bits(cert))


def _check_delegate(cert: x509.Certificate, issuer: x509.Certificate, when: datetime) -> None:
    name = cert.subject.rfc4514_string()
    if cert.issuer != issuer.subject:
        raise BadCertificateStatusResponse(
            f"the OCSP responder certificate {name} is not issued by the certificate's issuer"
        )
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        raise BadCertificateStatusResponse(
            f"the OCSP responder certificate {name} is not signed by the certificate's issuer"
        ) from None
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        usages = x509.ExtendedKeyUsage([])
    if ExtendedKeyUsageOID.OCSP_SIGNING not in usages:
        raise BadCertificateStatusResponse(
            f"the OCSP responder certificate {name} lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)"
        )
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise BadCertificateStatusResponse(
            f"the OCSP responder certificate {name} is not valid now"
        )


def _check_signature(response: ocsp.OCSPResponse, signer: x509.Certificate) -> None:
    key = signer.public_key()
    data, signature = response.tbs_response_bytes, response.signature
    try:
        algorithm = response.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            raise BadCertificateStatusResponse(
                "the stapled OCSP response's signature algorithm "
                f"{response.signature_algorithm_oid.dotted_string} is not supported for a "
                f"{type(key).__name__} responder key"
            )
    except InvalidSignature:
        raise BadCertificateStatusResponse(
            "the stapled OCSP response's signature does not verify"
        ) from None
    except UnsupportedAlgorithm as exc:
        raise BadCertificateStatusResponse(
            f"the stapled OCSP response's signature algorithm is not supported: {exc}"
        ) from None


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's contents, which CertID and ResponderID hash
    (RFC 6960 §4.1.1): the SubjectPublicKeyInfo DER minus its algorithm."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return _bit_string_contents(spki)


def _bit_string_contents(spki: bytes) -> bytes:
    """SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the algorithm,
    then the BIT STRING's header and its unused-bits byte."""
    pos = _header_end(spki, 0)
    pos = _skip(spki, pos)  # the AlgorithmIdentifier
    return spki[_header_end(spki, pos) + 1 :]


def _header_end(der: bytes, pos: int) -> int:
    length = der[pos + 1]
    if length < 0x80:
        return pos + 2
    return pos + 2 + (length & 0x7F)


def _skip(der: bytes, pos: int) -> int:
    length = der[pos + 1]
    start = _header_end(der, pos)
    if length >= 0x80:
        length = int.from_bytes(der[pos + 2 : start], "big")
    return start + length
