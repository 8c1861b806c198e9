"""Certificate revocation lists for the ssl-compatible context: ``verify_flags`` with
``VERIFY_CRL_CHECK_LEAF`` or ``VERIFY_CRL_CHECK_CHAIN`` and CRLs loaded through
``load_verify_locations`` (PEM ``X509 CRL`` blocks, as ``ssl`` reads them).

As in OpenSSL (``check_revocation`` in crypto/x509/x509_vfy.c), the check runs on the
verified path: the leaf only, or every certificate up to and including the anchor, each
needing a CRL signed by its issuer that is current; a missing or expired CRL fails closed,
like ``ssl``, and a listed serial number is ``certificate_revoked``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from tls12.errors import CertificateError
from tls12.verify import describe, describe_name
from tls12.wire.enums import AlertDescription

_CRL_BLOCK = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL)


def load_pem_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """Every PEM CRL block in ``data`` (a block that does not parse is a ValueError)."""
    return [x509.load_pem_x509_crl(block) for block in _CRL_BLOCK.findall(data)]


_ISSUER_KEYS = (
    dsa.DSAPublicKey,
    ec.EllipticCurvePublicKey,
    rsa.RSAPublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)


def _valid_signature(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        key = issuer.public_key()
        if not isinstance(key, _ISSUER_KEYS):  # X25519/X448 keys cannot sign a CRL
            return False
        return crl.is_signature_valid(key)
    except (InvalidSignature, TypeError, ValueError):
        return False


def revocation_check(
    crls: Sequence[x509.CertificateRevocationList],
    whole_chain: bool,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[[Sequence[x509.Certificate]], None]:
    """A check of a verified path (leaf first) against ``crls``; raises CertificateError."""
    crl_list = list(crls)

    def check(path: Sequence[x509.Certificate]) -> None:
        now = clock()
        last = len(path) if whole_chain else 1
        for i in range(last):
            cert = path[i]
            issuer = path[i + 1] if i + 1 < len(path) else cert
            crl = next(
                (
                    c
                    for c in crl_list
                    if c.issuer == issuer.subject and _valid_signature(c, issuer)
                ),
                None,
            )
            if crl is None:
                raise CertificateError(
                    f"no CRL from {describe_name(issuer.subject)} was loaded to check "
                    f"{describe(cert)} (verify_flags asks for CRL checks; load the CRL with "
                    "load_verify_locations)",
                    alert=AlertDescription.unknown_ca,
                )
            if crl.next_update_utc is not None and crl.next_update_utc < now:
                raise CertificateError(
                    f"the CRL from {describe_name(issuer.subject)} expired on "
                    f"{crl.next_update_utc:%Y-%m-%d}: no current revocation information for "
                    f"{describe(cert)}",
                    alert=AlertDescription.certificate_expired,
                )
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                raise CertificateError(
                    f"{describe(cert)} was revoked on {entry.revocation_date_utc:%Y-%m-%d} "
                    f"(CRL of {describe_name(issuer.subject)})",
                    alert=AlertDescription.certificate_revoked,
                )

    return check
