"""tls12.ocsp: the RFC 6960 §3.2 checks of a stapled response, one by one, and must-staple
(RFC 7633) detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x509_ocsp
from tls_support import pki

from tls12.errors import BadCertificateStatusResponse
from tls12.ocsp import CLOCK_SKEW, CertStatus, must_staple, verify_response
from tls12.pki_ocsp import delegated_responder, must_staple_leaf, ocsp_response

NOW = datetime.now(UTC)


def check(der: bytes, when: datetime = NOW):
    p = pki()
    return verify_response(der, p.rsa.cert, p.ca.cert, when.timestamp())


def test_a_good_response_from_the_issuer():
    result = check(ocsp_response(pki().ca, pki().rsa.cert))
    assert result.cert_status is CertStatus.GOOD
    assert result.serial_number == pki().rsa.cert.serial_number
    assert result.responder == "the issuer"
    assert result.describe()[0] == "OCSP Response Status: successful (0x0)"
    assert "Cert Status: good" in result.describe()


def test_revoked_and_unknown_are_results_not_errors():
    revoked = check(ocsp_response(pki().ca, pki().rsa.cert, status="revoked"))
    assert revoked.cert_status is CertStatus.REVOKED
    assert revoked.revocation_reason == "keyCompromise" and revoked.revocation_time is not None
    unknown = check(ocsp_response(pki().ca, pki().rsa.cert, status="unknown"))
    assert unknown.cert_status is CertStatus.UNKNOWN


def test_responder_named_by_key_hash():
    result = check(ocsp_response(pki().ca, pki().rsa.cert, by_key_hash=True))
    assert result.responder == "the issuer"
    delegate = delegated_responder(pki().ca)
    result = check(ocsp_response(pki().ca, pki().rsa.cert, responder=delegate, by_key_hash=True))
    assert "OCSP responder" in result.responder


def test_no_next_update_is_current():
    result = check(ocsp_response(pki().ca, pki().rsa.cert, next_update=None))
    assert result.next_update is None
    assert "Next Update: (none)" in result.describe()


def test_clock_skew_allowance_both_ways():
    this = NOW - timedelta(days=1)
    der = ocsp_response(pki().ca, pki().rsa.cert, this_update=this, next_update=NOW)
    check(der, NOW + timedelta(seconds=CLOCK_SKEW - 10))
    with pytest.raises(BadCertificateStatusResponse, match="expired"):
        check(der, NOW + timedelta(seconds=CLOCK_SKEW + 10))
    ahead = ocsp_response(pki().ca, pki().rsa.cert, this_update=NOW + timedelta(seconds=60))
    check(ahead)
    with pytest.raises(BadCertificateStatusResponse, match="in the future"):
        check(ahead, NOW - timedelta(seconds=CLOCK_SKEW))


def test_an_unsuccessful_response_is_refused():
    der = x509_ocsp.OCSPResponseBuilder.build_unsuccessful(
        x509_ocsp.OCSPResponseStatus.TRY_LATER
    ).public_bytes(Encoding.DER)
    with pytest.raises(BadCertificateStatusResponse, match="not successful.*try_later"):
        check(der)


def test_a_response_for_another_serial_or_issuer_is_refused():
    with pytest.raises(BadCertificateStatusResponse, match="not for the server's certificate"):
        check(ocsp_response(pki().ca, pki().ecdsa.cert))
    p = pki()
    der = ocsp_response(p.ca, p.rsa.cert)
    with pytest.raises(BadCertificateStatusResponse, match="not for the server's certificate"):
        verify_response(der, p.rsa.cert, p.other_ca.cert, NOW.timestamp())  # another key hash


def test_a_delegate_that_is_not_valid_now_is_refused():
    delegate = delegated_responder(pki().ca)
    der = ocsp_response(pki().ca, pki().rsa.cert, responder=delegate)
    with pytest.raises(BadCertificateStatusResponse, match="not valid now"):
        check(der, NOW + timedelta(days=60))


def test_must_staple_reads_the_tls_feature_extension():
    assert must_staple(must_staple_leaf(pki().ca, ["localhost"]).cert)
    assert not must_staple(pki().rsa.cert)
