"""Throwaway OCSP responses for the demo and the tests, next to pki.py's throwaway CA: made
with ``cryptography``'s OCSPResponseBuilder, signed by the issuer or by a delegated responder.
Real deployments get their responses from their CA's responder (``openssl ocsp`` makes them
too: the tests use both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from tls12.pki import CertificateAuthority, Identity, PrivateKey, _signing_hash


def ocsp_response(
    issuer: CertificateAuthority,
    leaf: x509.Certificate,
    *,
    status: str = "good",
    this_update: datetime | None = None,
    next_update: datetime | None | bool = True,
    revoked_at: datetime | None = None,
    responder: Identity | None = None,
    by_key_hash: bool = False,
    include_responder: bool = True,
) -> bytes:
    """A DER OCSPResponse about ``leaf`` from ``issuer`` ("good", "revoked" or "unknown").

    ``this_update`` defaults to an hour ago, ``next_update`` (True) to a day after it; None
    leaves nextUpdate out. ``responder`` signs instead of the issuer (a delegated responder,
    from ``delegated_responder``), its certificate included unless ``include_responder`` is
    false; ``by_key_hash`` names the signer by key hash, not name.
    """
    now = datetime.now(UTC)
    this = this_update or now - timedelta(hours=1)
    if next_update is True:
        following: datetime | None = this + timedelta(days=1)
    else:
        following = next_update or None
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    revoked = status == "revoked"
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf,
        issuer=issuer.cert,
        algorithm=hashes.SHA1(),
        cert_status=cert_status,
        this_update=this,
        next_update=following,
        revocation_time=(revoked_at or this) if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    )
    signer_cert, signer_key = issuer.cert, issuer.key
    if responder is not None:
        signer_cert, signer_key = responder.cert, responder.key
        if include_responder:
            builder = builder.certificates([responder.cert])
    encoding = ocsp.OCSPResponderEncoding.HASH if by_key_hash else ocsp.OCSPResponderEncoding.NAME
    builder = builder.responder_id(encoding, signer_cert)
    return _sign(builder, signer_key).public_bytes(Encoding.DER)


def _sign(builder: ocsp.OCSPResponseBuilder, key: PrivateKey) -> ocsp.OCSPResponse:
    return builder.sign(key, _signing_hash(key))


def delegated_responder(
    issuer: CertificateAuthority, name: str = "OCSP responder", *, ocsp_signing: bool = True
) -> Identity:
    """A responder certificate the issuer signs, with id-kp-OCSPSigning unless told not to
    (RFC 6960 §4.2.2.2)."""
    usage = ExtendedKeyUsageOID.OCSP_SIGNING if ocsp_signing else ExtendedKeyUsageOID.SERVER_AUTH
    return _reissued(issuer, issuer.issue([name]), x509.ExtendedKeyUsage([usage]))


def must_staple_leaf(
    issuer: CertificateAuthority, names: list[str], key_type: str = "ecdsa"
) -> Identity:
    """A server certificate with RFC 7633's TLS Feature extension listing status_request."""
    features = x509.TLSFeature([x509.TLSFeatureType.status_request])
    return _reissued(issuer, issuer.issue(names, key_type), features)


def _reissued(
    issuer: CertificateAuthority, identity: Identity, extra: x509.ExtensionType
) -> Identity:
    """``identity``'s certificate signed again with ``extra`` added (or replacing the
    extension of its kind)."""
    cert = identity.cert
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(cert.issuer)
        .public_key(cert.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
    )
    for extension in cert.extensions:
        if extension.oid != extra.oid:
            builder = builder.add_extension(extension.value, extension.critical)
    builder = builder.add_extension(extra, critical=False)
    signed = builder.sign(issuer.key, _signing_hash(issuer.key))
    return Identity(cert=signed, key=identity.key, chain=[signed, *identity.chain[1:]])
