"""The throwaway PKI: extensions real verifiers insist on, files, and OpenSSL's opinion."""

from __future__ import annotations

import ipaddress
import ssl
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from tls12.errors import ConfigError
from tls12.pki import CertificateAuthority, Identity, make_ca


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return make_ca()


@pytest.fixture(scope="module")
def inter(ca: CertificateAuthority) -> CertificateAuthority:
    return ca.intermediate()


def ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.Extension:
    return cert.extensions.get_extension_for_class(kind)


def test_root_ca_is_a_self_signed_ca(ca: CertificateAuthority) -> None:
    cert = ca.cert
    assert cert.issuer == cert.subject
    assert isinstance(ca.key, ec.EllipticCurvePrivateKey)
    assert ca.key.curve.name == "secp256r1"
    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = ext(cert, x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key())
    cert.verify_directly_issued_by(cert)
    assert ca.root is cert
    assert ca.intermediates == []


def test_default_validity_is_yesterday_to_a_month(ca: CertificateAuthority) -> None:
    now = datetime.now(UTC)
    leaf = ca.issue(["localhost"]).cert
    for cert in (ca.cert, leaf):
        assert now - timedelta(days=1, minutes=5) < cert.not_valid_before_utc < now
        assert now + timedelta(days=29) < cert.not_valid_after_utc < now + timedelta(days=31)


@pytest.mark.parametrize(
    ("key_type", "check"),
    [
        ("rsa", lambda k: isinstance(k, rsa.RSAPrivateKey) and k.key_size == 2048),
        ("ecdsa", lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.key_size == 256),
        (
            "ecdsa384",
            lambda k: isinstance(k, ec.EllipticCurvePrivateKey) and k.curve.key_size == 384,
        ),
        ("ed25519", lambda k: isinstance(k, ed25519.Ed25519PrivateKey)),
    ],
)
def test_issue_key_types(ca: CertificateAuthority, key_type: str, check) -> None:
    ident = ca.issue(["localhost"], key_type)
    assert check(ident.key)
    assert ident.cert.public_key() == ident.key.public_key()
    ku = ext(ident.cert, x509.KeyUsage).value
    assert ku.digital_signature
    assert ku.key_encipherment == (key_type == "rsa")


def test_leaf_extensions(ca: CertificateAuthority) -> None:
    ident = ca.issue(["localhost", "127.0.0.1", "::1"], client_auth=True)
    cert = ident.cert
    assert cert.issuer == ca.cert.subject
    cert.verify_directly_issued_by(ca.cert)
    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    san = ext(cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    eku = ext(cert, x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    aki = ext(cert, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(ca.cert, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(
        ident.key.public_key()
    )
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert cn == "localhost"


def test_client_only_certificate(ca: CertificateAuthority) -> None:
    cert = ca.issue([], client_auth=True, server_auth=False, common_name="alice").cert
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.SubjectAlternativeName)
    assert "CN=alice" in cert.subject.rfc4514_string()


def test_explicit_validity(ca: CertificateAuthority) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    end = datetime(2020, 6, 1, tzinfo=UTC)
    cert = ca.issue(["localhost"], not_before=start, not_after=end).cert
    assert cert.not_valid_before_utc == start
    assert cert.not_valid_after_utc == end


def test_intermediate_chain(ca: CertificateAuthority, inter: CertificateAuthority) -> None:
    assert inter.cert.issuer == ca.cert.subject
    assert inter.root is ca.cert
    assert inter.parent is ca
    bc = ext(inter.cert, x509.BasicConstraints).value
    assert bc.ca and bc.path_length == 0
    assert ext(inter.cert, x509.AuthorityKeyIdentifier).value.key_identifier == (
        ext(ca.cert, x509.SubjectKeyIdentifier).value.digest
    )
    ident = inter.issue(["localhost"])
    assert ident.chain == [ident.cert, inter.cert]
    assert len(ident.chain_der()) == 2
    ident.cert.verify_directly_issued_by(inter.cert)
    deeper = ca.intermediate("level 1", path_length=None).intermediate("level 2")
    leaf = deeper.issue(["localhost"])
    assert len(leaf.chain) == 3
    assert deeper.root is ca.cert


def test_serialisation_round_trip(ca: CertificateAuthority, inter: CertificateAuthority) -> None:
    ident = inter.issue(["localhost"], "rsa")
    certs = x509.load_pem_x509_certificates(ident.cert_pem())
    assert certs == ident.chain
    assert [x509.load_der_x509_certificate(d) for d in ident.chain_der()] == ident.chain
    assert b"BEGIN PRIVATE KEY" in ident.key_pem()  # PKCS#8, unencrypted
    key = serialization.load_pem_private_key(ident.key_pem(), password=None)
    assert key.public_key() == ident.key.public_key()
    assert x509.load_pem_x509_certificate(ca.pem()) == ca.cert


def test_write_files(tmp_path: Path, ca: CertificateAuthority) -> None:
    ident = ca.issue(["localhost"])
    crt, key = ident.write(tmp_path, "server")
    assert (crt, key) == (tmp_path / "server.crt", tmp_path / "server.key")
    assert crt.read_bytes() == ident.cert_pem()
    assert key.read_bytes() == ident.key_pem()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    ca_path = ca.write(tmp_path / "ca.pem")
    assert ca_path.read_bytes() == ca.pem()
    # Python's ssl (OpenSSL) loads them as a server identity.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    ctx.load_verify_locations(ca_path)


def test_bad_arguments(ca: CertificateAuthority) -> None:
    with pytest.raises(ConfigError, match="unknown key type"):
        ca.issue(["localhost"], "dsa")
    with pytest.raises(ConfigError, match="at least one"):
        ca.issue([])
    with pytest.raises(ConfigError, match="server_auth, client_auth"):
        ca.issue(["x"], server_auth=False)
    with pytest.raises(ConfigError, match="not ASCII"):
        ca.issue(["bücher.example"])
    with pytest.raises(ConfigError):
        make_ca(key_type="rsa4096")


# --- OpenSSL accepts what we make ----------------------------------------------------------


def openssl_verify(tmp_path: Path, ca: CertificateAuthority, ident: Identity, *args: str) -> str:
    ca_file = ca.write(tmp_path / "ca.pem")
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(ident.cert.public_bytes(serialization.Encoding.PEM))
    command = ["openssl", "verify", "-CAfile", str(ca_file)]
    if len(ident.chain) > 1:
        untrusted = tmp_path / "inter.pem"
        untrusted.write_bytes(
            b"".join(c.public_bytes(serialization.Encoding.PEM) for c in ident.chain[1:])
        )
        command += ["-untrusted", str(untrusted)]
    result = subprocess.run(
        [*command, *args, str(leaf)], capture_output=True, text=True, timeout=30, check=False
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize("key_type", ["rsa", "ecdsa", "ecdsa384", "ed25519"])
def test_openssl_accepts_server_certificates(
    tmp_path: Path, ca: CertificateAuthority, inter: CertificateAuthority, key_type: str
) -> None:
    ident = inter.issue(["localhost", "127.0.0.1"], key_type)
    out = openssl_verify(
        tmp_path,
        ca,
        ident,
        "-purpose",
        "sslserver",
        "-verify_hostname",
        "localhost",
        "-x509_strict",
    )
    assert out.strip().endswith(": OK"), out
    out = openssl_verify(tmp_path, ca, ident, "-purpose", "sslserver", "-verify_ip", "127.0.0.1")
    assert out.strip().endswith(": OK"), out


@pytest.mark.parametrize("ca_type", ["rsa", "ecdsa384"])
def test_openssl_accepts_other_ca_key_types(tmp_path: Path, ca_type: str) -> None:
    root = make_ca(key_type=ca_type)
    ident = root.intermediate(key_type=ca_type).issue(["localhost"])
    out = openssl_verify(tmp_path, root, ident, "-purpose", "sslserver", "-x509_strict")
    assert out.strip().endswith(": OK"), out


def test_openssl_accepts_client_certificate(tmp_path: Path, ca: CertificateAuthority) -> None:
    ident = ca.issue([], client_auth=True, server_auth=False, common_name="alice")
    out = openssl_verify(tmp_path, ca, ident, "-purpose", "sslclient", "-x509_strict")
    assert out.strip().endswith(": OK"), out


def test_openssl_refuses_wrong_purpose_and_name(tmp_path: Path, ca: CertificateAuthority) -> None:
    client = ca.issue(["localhost"], client_auth=True, server_auth=False)
    assert ": OK" not in openssl_verify(tmp_path, ca, client, "-purpose", "sslserver")
    server = ca.issue(["localhost"])
    assert ": OK" not in openssl_verify(tmp_path, ca, server, "-verify_hostname", "example.com")
