"""id-RSASSA-PSS certificates: which rsa_pss_pss schemes their parameters allow (RFC 4055
§3.1, RFC 8446 §4.2.3), read from certificates made by OpenSSL."""

from __future__ import annotations

import pytest
from cryptography import x509
from pss_support import make_rsa_pss_identity
from tls_support import pki

from tls12 import errors
from tls12.config import CertifiedKey
from tls12.crypto import rsa_pss
from tls12.crypto.signatures import key_type_name, schemes_for_key, sign, verify
from tls12.wire.enums import SignatureScheme as S

CASES = [
    ((), (S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512)),
    (("rsa_pss_keygen_md:sha256", "rsa_pss_keygen_mgf1_md:sha256"), (S.rsa_pss_pss_sha256,)),
    (
        ("rsa_pss_keygen_md:sha384", "rsa_pss_keygen_mgf1_md:sha384", "rsa_pss_keygen_saltlen:48"),
        (S.rsa_pss_pss_sha384,),
    ),
    (
        ("rsa_pss_keygen_md:sha512", "rsa_pss_keygen_mgf1_md:sha512", "rsa_pss_keygen_saltlen:20"),
        (S.rsa_pss_pss_sha512,),
    ),
]


@pytest.mark.parametrize(("keygen", "schemes"), CASES, ids=["any", "sha256", "sha384", "sha512"])
def test_parameters_choose_the_schemes(keygen, schemes, tmp_path):
    crt, key = make_rsa_pss_identity(pki().ca, tmp_path, "pss", keygen=keygen)
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    assert rsa_pss.is_rsa_pss_certificate(cert)
    assert rsa_pss.restriction(cert).schemes == schemes
    public = rsa_pss.certificate_public_key(cert)
    assert isinstance(public, rsa_pss.PssPublicKey)
    assert schemes_for_key(public) == list(schemes)
    certified = CertifiedKey.from_files(crt, key)
    assert isinstance(certified.key, rsa_pss.PssPrivateKey)
    assert key_type_name(certified.key) == "RSA-PSS-2048"
    for scheme in schemes:
        verify(public, scheme, sign(certified.key, scheme, b"data"), b"data")
    for other in set(rsa_pss.PSS_PSS_SCHEMES) - set(schemes):
        with pytest.raises(errors.IllegalParameter, match="does not fit"):
            verify(public, other, sign(certified.key.inner, S.rsa_pss_rsae_sha256, b"d"), b"d")


@pytest.mark.parametrize(
    "keygen",
    [
        ("rsa_pss_keygen_md:sha256", "rsa_pss_keygen_saltlen:40"),
        ("rsa_pss_keygen_md:sha256", "rsa_pss_keygen_mgf1_md:sha384"),
        ("rsa_pss_keygen_md:sha1",),
        # OpenSSL leaves maskGenAlgorithm out (and writes salt 20), which means MGF1 with SHA-1
        # (RFC 4055 §3.1): no TLS scheme. Tried by hand against s_server with such a key, its
        # rsa_pss_pss_sha256 signature did not verify as TLS's MGF1-SHA-256, 32-byte salt.
        ("rsa_pss_keygen_md:sha256",),
    ],
    ids=["salt-40", "mgf1-sha384", "sha1", "sha256-default-mgf1"],
)
def test_parameters_that_allow_no_scheme(keygen, tmp_path):
    """TLS's PSS is MGF1 with the same hash, salt = hash length, SHA-256/384/512: a key that
    demands a longer salt, another MGF1 hash or SHA-1 fits no TLS scheme."""
    crt, key = make_rsa_pss_identity(pki().ca, tmp_path, "pss", keygen=keygen)
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    assert rsa_pss.restriction(cert).schemes == ()
    with pytest.raises(errors.UnsupportedCertificate, match="allow no TLS signature scheme"):
        schemes_for_key(rsa_pss.certificate_public_key(cert))  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigError, match="allow no TLS signature scheme"):
        CertifiedKey.from_files(crt, key)


def test_rsa_encryption_keys_never_use_pss_pss_schemes():
    key = pki().rsa.key
    assert not set(rsa_pss.PSS_PSS_SCHEMES) & set(schemes_for_key(key))
    assert rsa_pss.certificate_public_key(pki().rsa.cert) == pki().rsa.cert.public_key()


@pytest.mark.parametrize("key_type", ["ed25519", "ed448"])
def test_eddsa_certified_keys(key_type):
    p = pki()
    ident = p.ca.issue(["localhost"], key_type=key_type)
    certified = p.certified(ident)
    assert certified.auth.name == "ECDSA"  # RFC 8422: EdDSA serves the ECDHE_ECDSA suites
    other = p.ca.issue(["localhost"], key_type=key_type)
    with pytest.raises(errors.ConfigError, match="does not match"):
        CertifiedKey(tuple(ident.chain), other.key)
