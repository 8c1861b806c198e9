"""Certificate validation: each failure maps to the error (and alert) that names its cause."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tls12.errors import (
    BadCertificate,
    CertificateExpired,
    ConfigError,
    UnknownCA,
    UnsupportedCertificate,
)
from tls12.pki import CertificateAuthority, make_ca
from tls12.verify import (
    TrustStore,
    describe,
    verify_client_chain,
    verify_server_chain,
)
from tls12.wire.enums import AlertDescription

NOW = datetime.now(UTC)
_DER = Encoding.DER


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return make_ca()


@pytest.fixture(scope="module")
def trust(ca: CertificateAuthority) -> TrustStore:
    return TrustStore.from_certificates([ca.cert])


@pytest.fixture(scope="module")
def server_der(ca: CertificateAuthority) -> list[bytes]:
    return ca.issue(["localhost", "127.0.0.1", "::1"]).chain_der()


# --- valid chains ---------------------------------------------------------------------------


def test_valid_chain(ca: CertificateAuthority, trust: TrustStore, server_der) -> None:
    path = verify_server_chain(server_der, "localhost", trust)
    assert [c.subject for c in path] == [
        x509.load_der_x509_certificate(server_der[0]).subject,
        ca.cert.subject,
    ]


@pytest.mark.parametrize("name", ["LocalHost", "localhost.", "127.0.0.1", "::1", "[::1]"])
def test_name_forms(trust: TrustStore, server_der, name: str) -> None:
    verify_server_chain(server_der, name, trust)


@pytest.mark.parametrize("key_type", ["rsa", "ecdsa384", "ed25519"])
def test_leaf_key_types(ca: CertificateAuthority, trust: TrustStore, key_type: str) -> None:
    verify_server_chain(ca.issue(["localhost"], key_type).chain_der(), "localhost", trust)


def test_chain_through_intermediates(ca: CertificateAuthority, trust: TrustStore) -> None:
    inter = ca.intermediate()
    ident = inter.issue(["localhost"], "rsa")
    path = verify_server_chain(ident.chain_der(), "localhost", trust)
    assert path == [ident.cert, inter.cert, ca.cert]
    deeper = ca.intermediate("one", path_length=None).intermediate("two")
    ident = deeper.issue(["localhost"])
    assert len(verify_server_chain(ident.chain_der(), "localhost", trust)) == 4


def test_trust_in_intermediate_is_enough(ca: CertificateAuthority) -> None:
    inter = ca.intermediate()
    ident = inter.issue(["localhost"])
    verify_server_chain(ident.chain_der()[:1], "localhost", TrustStore([inter.cert]))


def test_ip_san(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue(["127.0.0.1"])
    verify_server_chain(ident.chain_der(), "127.0.0.1", trust)
    with pytest.raises(BadCertificate, match="valid for 127.0.0.1, not for 127.0.0.2"):
        verify_server_chain(ident.chain_der(), "127.0.0.2", trust)
    # An IP literal never matches a DNS SAN that spells the same address.
    dns_only = ca.issue(["localhost"])
    with pytest.raises(BadCertificate, match="not for 127.0.0.1"):
        verify_server_chain(dns_only.chain_der(), "127.0.0.1", trust)


def test_wildcard(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue(["*.example.com"])
    verify_server_chain(ident.chain_der(), "www.example.com", trust)
    for name in ("example.com", "a.b.example.com"):
        with pytest.raises(BadCertificate, match=f"not for {name}"):
            verify_server_chain(ident.chain_der(), name, trust)
    verify_server_chain(ident.chain_der(), None, trust)


def test_no_server_name_checks_path_only(trust: TrustStore, server_der) -> None:
    assert len(verify_server_chain(server_der, None, trust)) == 2
    other = make_ca("other").issue(["localhost"])
    with pytest.raises(UnknownCA):
        verify_server_chain(other.chain_der(), None, trust)


def test_explicit_now(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue(
        ["localhost"],
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2020, 2, 1, tzinfo=UTC),
    )
    # The CA itself is only valid from yesterday: at 2020-01-15 the path fails on the root.
    with pytest.raises(CertificateExpired, match="not valid before"):
        verify_server_chain(ident.chain_der(), "localhost", trust, datetime(2020, 1, 15))


# --- refusals -------------------------------------------------------------------------------


def test_unknown_ca(trust: TrustStore) -> None:
    other = make_ca("Evil CA")
    ident = other.issue(["localhost"])
    with pytest.raises(UnknownCA, match="issued by CN=Evil CA.*not a trusted authority") as info:
        verify_server_chain(ident.chain_der(), "localhost", trust)
    assert info.value.alert == AlertDescription.unknown_ca
    through = other.intermediate("Evil Intermediate").issue(["localhost"])
    with pytest.raises(UnknownCA, match="chains up to CN=Evil CA"):
        verify_server_chain(through.chain_der(), "localhost", trust)


def test_missing_intermediate_is_unknown_ca(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.intermediate("Missing Intermediate").issue(["localhost"])
    with pytest.raises(UnknownCA, match="CN=Missing Intermediate.*did not send it"):
        verify_server_chain(ident.chain_der()[:1], "localhost", trust)


def test_self_signed_leaf_is_unknown_ca(trust: TrustStore) -> None:
    lonely = make_ca("lonely")
    # A CA certificate as a leaf fails earlier (no SAN); a pinned-style self-signed leaf:
    ident = lonely.issue(["localhost"])
    with pytest.raises(UnknownCA, match="self-signed"):
        verify_server_chain([*ident.chain_der(), lonely.cert.public_bytes(_DER)], None, trust)


def test_impostor_ca_with_trusted_name(ca: CertificateAuthority, trust: TrustStore) -> None:
    impostor = make_ca("tls12 test CA")
    assert impostor.cert.subject == ca.cert.subject
    with pytest.raises(BadCertificate, match="signature does not verify"):
        verify_server_chain(impostor.issue(["localhost"]).chain_der(), "localhost", trust)


def test_wrong_host(trust: TrustStore, ca: CertificateAuthority) -> None:
    ident = ca.issue(["localhost", "127.0.0.1"])
    with pytest.raises(
        BadCertificate, match="valid for localhost, 127.0.0.1, not for example.com"
    ) as info:
        verify_server_chain(ident.chain_der(), "example.com", trust)
    assert info.value.alert == AlertDescription.bad_certificate


def test_expired(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue(
        ["localhost"], not_before=NOW - timedelta(days=3), not_after=NOW - timedelta(days=1)
    )
    day = (NOW - timedelta(days=1)).strftime("%Y-%m-%d")
    with pytest.raises(
        CertificateExpired, match=f"server certificate expired on {day}.*CN=localhost"
    ) as info:
        verify_server_chain(ident.chain_der(), "localhost", trust)
    assert info.value.alert == AlertDescription.certificate_expired


def test_not_yet_valid(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue(["localhost"], not_before=NOW + timedelta(days=1))
    with pytest.raises(CertificateExpired, match="not valid before"):
        verify_server_chain(ident.chain_der(), "localhost", trust)


def test_expired_intermediate(ca: CertificateAuthority, trust: TrustStore) -> None:
    inter = ca.intermediate(
        "Old Intermediate", not_before=NOW - timedelta(days=3), not_after=NOW - timedelta(hours=1)
    )
    ident = inter.issue(["localhost"])
    with pytest.raises(CertificateExpired, match="CA certificate.*expired.*Old Intermediate"):
        verify_server_chain(ident.chain_der(), "localhost", trust)


def test_stale_extra_certificate_is_ignored(ca: CertificateAuthority, trust: TrustStore) -> None:
    """Peers send old cross-signs; only the path that validates matters."""
    stale = make_ca("Stale", not_before=NOW - timedelta(days=9), not_after=NOW - timedelta(days=2))
    ident = ca.issue(["localhost"])
    verify_server_chain([*ident.chain_der(), stale.cert.public_bytes(_DER)], "localhost", trust)


def test_garbage_der(trust: TrustStore, server_der) -> None:
    with pytest.raises(BadCertificate, match="could not parse the server's certificate"):
        verify_server_chain([b"\x30\x03\x02\x01\x00"], "localhost", trust)
    with pytest.raises(BadCertificate, match=r"could not parse.*#2"):
        verify_server_chain([server_der[0], b"junk"], "localhost", trust)


def test_empty_chain(trust: TrustStore) -> None:
    with pytest.raises(BadCertificate, match="server sent no certificate"):
        verify_server_chain([], "localhost", trust)
    with pytest.raises(BadCertificate, match="client sent no certificate"):
        verify_client_chain([], trust)


def test_client_certificate_refused_as_server(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue(["localhost"], client_auth=True, server_auth=False)
    with pytest.raises(UnsupportedCertificate, match="not allowed for server authentication"):
        verify_server_chain(ident.chain_der(), "localhost", trust)


def test_weak_rsa_leaf(ca: CertificateAuthority, trust: TrustStore) -> None:
    """cryptography's verifier checks key size on issuers only; we check the leaf too."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca.key, hashes.SHA256())
    )
    with pytest.raises(UnsupportedCertificate, match="1024-bit RSA key"):
        verify_server_chain([cert.public_bytes(_DER)], "localhost", trust)


def test_invalid_server_name(trust: TrustStore, server_der) -> None:
    with pytest.raises(ConfigError, match="not a valid"):
        verify_server_chain(server_der, "bad name!", trust)


# --- client certificates ----------------------------------------------------------------------


def test_client_chain(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.intermediate().issue(["alice.example"], client_auth=True, server_auth=False)
    path = verify_client_chain(ident.chain_der(), trust)
    assert path[0] == ident.cert and path[-1] == ca.cert


def test_client_chain_without_san(ca: CertificateAuthority, trust: TrustStore) -> None:
    ident = ca.issue([], client_auth=True, server_auth=False, common_name="alice")
    assert verify_client_chain(ident.chain_der(), trust)[0] == ident.cert


def test_server_only_certificate_refused_as_client(
    ca: CertificateAuthority, trust: TrustStore
) -> None:
    ident = ca.issue(["localhost"])
    with pytest.raises(UnsupportedCertificate, match="not allowed for client authentication"):
        verify_client_chain(ident.chain_der(), trust)


def test_client_errors_map_like_server_errors(ca: CertificateAuthority, trust: TrustStore) -> None:
    other = make_ca("Stranger CA").issue([], client_auth=True, server_auth=False)
    with pytest.raises(UnknownCA, match="client certificate.*Stranger CA"):
        verify_client_chain(other.chain_der(), trust)
    old = ca.issue([], client_auth=True, server_auth=False, not_after=NOW - timedelta(minutes=1))
    with pytest.raises(CertificateExpired, match="client certificate expired"):
        verify_client_chain(old.chain_der(), trust)


# --- trust stores and helpers -------------------------------------------------------------------


def test_trust_store_from_pem_file(tmp_path: Path, ca: CertificateAuthority) -> None:
    other = make_ca("second")
    path = tmp_path / "bundle.pem"
    path.write_bytes(ca.pem() + other.pem())
    store = TrustStore.from_pem_file(path)
    assert len(store) == 2
    assert store.subjects_der == [ca.cert.subject.public_bytes(), other.cert.subject.public_bytes()]
    verify_server_chain(other.issue(["localhost"]).chain_der(), "localhost", store)


def test_trust_store_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="could not read"):
        TrustStore.from_pem_file(tmp_path / "missing.pem")
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing here\n")
    with pytest.raises(ConfigError, match="no PEM certificate"):
        TrustStore.from_pem_file(empty)
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="could not parse"):
        TrustStore.from_pem_file(broken)
    with pytest.raises(ConfigError, match="at least one"):
        TrustStore([])


def test_system_store_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nowhere = str(tmp_path / "none.pem")
    paths = ssl.DefaultVerifyPaths(nowhere, None, "SSL_CERT_FILE", nowhere, "SSL_CERT_DIR", None)
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths)
    with pytest.raises(ConfigError, match="no system CA bundle"):
        TrustStore.system()


def test_system_store_loads_when_present() -> None:
    paths = ssl.get_default_verify_paths()
    if not any(p and Path(p).is_file() for p in (paths.cafile, paths.openssl_cafile)):
        pytest.skip("no system CA bundle on this machine")
    store = TrustStore.system()
    assert len(store) > 10
    assert len(store.subjects_der) == len(store)


def test_describe(ca: CertificateAuthority) -> None:
    assert describe(ca.cert) == "CN=tls12 test CA, O=tls12 test PKI"


@pytest.mark.parametrize("tag", [0x0D, 0x0E, 0x1F])
@pytest.mark.parametrize("profile", ["webpki", "rfc5280"])
def test_a_name_string_of_unknown_type_is_bad_certificate(
    trust: TrustStore, server_der, tag: int, profile: str
) -> None:
    """A name attribute whose ASN.1 string tag is no string type (RELATIVE-OID 0x0D, ...):
    cryptography 45 raises KeyError for it when the name is read, later versions ValueError;
    either way it is a bad certificate, not an internal error (found by the mutation tests
    under the minimum cryptography)."""
    leaf = bytearray(server_der[0])
    cn = bytes.fromhex("0603550403")  # the commonName OID, then the string's tag byte
    at = leaf.index(cn) + len(cn)  # the first is the issuer's
    leaf[at] = tag
    with pytest.raises(BadCertificate) as info:
        verify_server_chain([bytes(leaf), *server_der[1:]], "localhost", trust, profile=profile)
    assert info.value.alert == AlertDescription.bad_certificate
