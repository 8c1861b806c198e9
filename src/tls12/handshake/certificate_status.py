"""OCSP stapling in the handshake (RFC 6066 §8, RFC 7633): what each side decides, kept out
of the state classes, which only call these functions.

Server: a staple is sent only when the client's ClientHello carried status_request for ocsp
and the chosen certified key has a current response for its own leaf; then, and only then,
the ServerHello echoes an empty status_request and CertificateStatus follows Certificate. No
staple is never an error: the server just does not echo the extension.

Client: with ``ocsp_status_request`` (or ``require_ocsp_staple``) the ClientHello carries an
empty-list status_request. A server that echoes it may staple (RFC 6066 §8 lets it leave the
message out even then); a CertificateStatus from a server that did not echo it is refused
by the state machine from the message header (unexpected_message). The response is checked
by tls12.ocsp. A good staple is required when ``require_ocsp_staple`` is set, and when the
leaf is must-staple (RFC 7633 §4.2.3.1: a TLS Feature extension listing status_request, a
feature the client offered): no staple, or an "unknown" one, is then
bad_certificate_status_response.
"""

from __future__ import annotations

from cryptography import x509

from tls12.config import CertifiedKey, ClientConfig, ServerConfig
from tls12.errors import BadCertificateStatusResponse, CertificateRevoked, DecodeError
from tls12.messages import extensions as ext
from tls12.messages.handshake import CertificateStatus, ClientHello, ServerHello
from tls12.ocsp import CertStatus, OcspResponse, must_staple, verify_response
from tls12.wire.enums import CertificateStatusType

# -- server ----------------------------------------------------------------------------------


def staple_for(config: ServerConfig, hello: ClientHello, certified: CertifiedKey) -> bytes | None:
    """The OCSP response to staple in this full handshake, or None (no status_request for
    ocsp, no staple configured for this chain, or none that is current for its leaf)."""
    request = hello.extensions.get(ext.StatusRequest)
    if request is None or request.status_type != CertificateStatusType.ocsp:
        return None
    source = certified.ocsp_staple or config.ocsp_staple
    if source is None:
        return None
    leaf = certified.chain[0]
    return source.for_leaf(leaf, leaf_issuer(certified.chain), config.clock())


# -- client ----------------------------------------------------------------------------------


def requests_status(config: ClientConfig) -> bool:
    return config.ocsp_status_request or config.require_ocsp_staple


def status_request(config: ClientConfig) -> list[ext.Extension]:
    """The ClientHello's status_request, when the configuration asks for one."""
    return [ext.StatusRequest()] if requests_status(config) else []


def server_will_staple(hello: ServerHello) -> bool:
    """The server echoed status_request, so a CertificateStatus may follow its Certificate;
    its echo must be empty (RFC 6066 §8)."""
    echo = hello.extensions.get(ext.StatusRequest)
    if echo is None:
        return False
    if echo.status_type is not None:
        raise DecodeError("server's status_request extension is not empty (RFC 6066 §8)")
    return True


def check_staple(
    config: ClientConfig, certificates: tuple[x509.Certificate, ...], msg: CertificateStatus
) -> OcspResponse:
    """The stapled response checked for the server's leaf; a revoked certificate is
    certificate_revoked, an unusable response bad_certificate_status_response."""
    leaf = certificates[0]
    issuer = leaf_issuer(certificates)
    if issuer is None:
        raise BadCertificateStatusResponse(
            "cannot check the stapled OCSP response: the issuer of the server's certificate "
            "is not in its chain"
        )
    result = verify_response(msg.ocsp_response, leaf, issuer, config.clock())
    if result.cert_status is CertStatus.REVOKED:
        at = result.revocation_time
        when = f" at {at:%Y-%m-%d %H:%M:%S} UTC" if at else ""
        reason = f" ({result.revocation_reason})" if result.revocation_reason else ""
        raise CertificateRevoked(
            f"the server's certificate (serial {leaf.serial_number:X}) was revoked{when}"
            f"{reason}, says its stapled OCSP response"
        )
    if result.cert_status is CertStatus.UNKNOWN and _good_staple_required(config, leaf):
        raise BadCertificateStatusResponse(
            "the stapled OCSP response says the server's certificate is unknown to the "
            f"responder, and {_why_required(config)} needs a good one"
        )
    return result


def check_no_staple(config: ClientConfig, certificates: tuple[x509.Certificate, ...]) -> None:
    """The server sent no CertificateStatus: refused when a good staple is required."""
    if requests_status(config) and _good_staple_required(config, certificates[0]):
        raise BadCertificateStatusResponse(
            f"the server stapled no OCSP response, and {_why_required(config)} needs one"
        )


def _good_staple_required(config: ClientConfig, leaf: x509.Certificate) -> bool:
    return config.require_ocsp_staple or must_staple(leaf)


def _why_required(config: ClientConfig) -> str:
    if config.require_ocsp_staple:
        return "require_ocsp_staple"
    return "its must-staple certificate (RFC 7633 TLS Feature status_request)"


def leaf_issuer(chain: tuple[x509.Certificate, ...]) -> x509.Certificate | None:
    """The leaf's issuer among the chain (the verified path puts it second), or the leaf
    itself when it is self-issued."""
    leaf = chain[0]
    for cert in chain[1:]:
        if cert.subject == leaf.issuer:
            return cert
    return leaf if leaf.issuer == leaf.subject else None
