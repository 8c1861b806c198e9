"""The TLSError family.

Each error carries the alert it maps to, so the engine turns any failure into the right alert
in one place. Messages say what was wrong in words a user understands.
"""

from __future__ import annotations

from tls12.wire.enums import AlertDescription


class TLSError(Exception):
    """Base of every error the library raises. ``alert`` is what we send (or sent) to the peer."""

    alert: AlertDescription = AlertDescription.internal_error

    def __init__(self, message: str, *, alert: AlertDescription | None = None) -> None:
        super().__init__(message)
        if alert is not None:
            self.alert = alert


class DecodeError(TLSError):
    """Bytes that are not a valid encoding: bad length, truncation, trailing data."""

    alert = AlertDescription.decode_error


class UnexpectedMessage(TLSError):
    """A message, record type or ChangeCipherSpec that is not allowed in the current state."""

    alert = AlertDescription.unexpected_message


class IllegalParameter(TLSError):
    """A well-formed field whose value is not allowed (a suite we did not offer, ...)."""

    alert = AlertDescription.illegal_parameter


class HandshakeFailure(TLSError):
    """No acceptable set of security parameters could be agreed."""

    alert = AlertDescription.handshake_failure


class InsufficientSecurity(TLSError):
    alert = AlertDescription.insufficient_security


class ProtocolVersionError(TLSError):
    alert = AlertDescription.protocol_version


class BadRecordMac(TLSError):
    """A record failed authentication (or, for CBC, padding): never tells which."""

    alert = AlertDescription.bad_record_mac


class RecordOverflow(TLSError):
    alert = AlertDescription.record_overflow


class DecryptError(TLSError):
    """A handshake cryptographic check failed: Finished, a signature, CertificateVerify."""

    alert = AlertDescription.decrypt_error


class UnsupportedExtension(TLSError):
    alert = AlertDescription.unsupported_extension


class NoApplicationProtocol(TLSError):
    alert = AlertDescription.no_application_protocol


class UnknownPskIdentity(TLSError):
    """The client's PSK identity is not one the server knows (RFC 4279 §2)."""

    alert = AlertDescription.unknown_psk_identity


class InternalError(TLSError):
    alert = AlertDescription.internal_error


class CertificateError(TLSError):
    """The peer's certificate chain was refused; the subclass names the reason."""

    alert = AlertDescription.bad_certificate


class BadCertificate(CertificateError):
    alert = AlertDescription.bad_certificate


class UnsupportedCertificate(CertificateError):
    alert = AlertDescription.unsupported_certificate


class CertificateExpired(CertificateError):
    alert = AlertDescription.certificate_expired


class UnknownCA(CertificateError):
    alert = AlertDescription.unknown_ca


class CertificateRevoked(CertificateError):
    """A valid status response (a stapled OCSP response, a CRL) says the certificate is
    revoked (RFC 5246 §7.2.2)."""

    alert = AlertDescription.certificate_revoked


class BadCertificateStatusResponse(CertificateError):
    """A stapled OCSP response that is invalid or unacceptable, or one a must-staple
    certificate needs and the server did not send (RFC 6066 §8, RFC 7633 §4.2.3.1)."""

    alert = AlertDescription.bad_certificate_status_response


class FatalAlertReceived(TLSError):
    """The peer sent a fatal alert (or close_notify before the handshake completed)."""

    def __init__(
        self,
        description: AlertDescription,
        *,
        hint: str | None = None,
    ) -> None:
        if description == AlertDescription.close_notify:
            text = "peer closed the connection (close_notify) during the handshake"
        else:
            text = f"peer sent fatal alert {description.name} ({int(description)})"
        if hint:
            text += f": {hint}"
        super().__init__(text)
        self.alert = description
        self.description = description


class KeyUsageLimit(TLSError):
    """A key protected as many records as ``max_records_per_key`` allows; TLS 1.2 has no way
    to change keys without renegotiating, so the connection ends with close_notify."""

    alert = AlertDescription.close_notify


class TruncationError(TLSError):
    """The transport reached EOF without a close_notify: the data may have been cut short."""

    alert = AlertDescription.close_notify

    def __init__(self, message: str = "connection closed without close_notify (truncated)"):
        super().__init__(message)


class ConnectionClosedError(TLSError):
    """An operation on a connection that has already been closed."""

    alert = AlertDescription.close_notify


class ConfigError(TLSError, ValueError):
    """A configuration value that cannot work; raised when the config is built."""


class UsageError(TLSError):
    """The caller asked for something the connection cannot do now (send before the handshake
    completed, for example). It does not end the connection and no alert is sent."""
