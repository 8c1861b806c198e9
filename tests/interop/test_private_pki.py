"""Certificates from private PKIs (issue 11 §4), with Python's ``ssl`` (OpenSSL) as the reference.

Three kinds that small CAs and scripts make, each accepted by ``ssl`` against the anchors the
user names, and so by tls12 under verify_profile "auto" (rfc5280 for user-supplied anchors);
the strict "webpki" profile, kept for the system store, refuses them:

- ``openssl req -x509`` with its defaults: self-signed, basicConstraints CA:TRUE, no
  subjectAltName; listed itself as the trust anchor (a client certificate, and a server's).
- ``openssl x509 -req`` without extensions: a version 1 leaf (OpenSSL 3.0) named by its CN.
- ``cryptography``'s CertificateBuilder without key identifiers: no Authority or Subject Key
  Identifier anywhere.
"""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from peers import OurServer, PythonTLSServer, python_tls_client
from peers.process import openssl_binary
from tls_support import pki

from tls12 import errors
from tls12.config import CertifiedKey, ClientAuth, ClientConfig
from tls12.io.sync import TLSSocket, connect
from tls12.verify import TrustStore, verify_client_chain, verify_server_chain


def _openssl(*args: str | Path) -> None:
    subprocess.run([openssl_binary(), *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("private_pki")
    out = {"files": d}
    # openssl req -x509 with its defaults (the config adds SKI, AKI, CA:TRUE): CN=localhost
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        d / "self.key",
        "-out",
        d / "self.pem",
        "-days",
        "30",
    )
    # a private CA, and a leaf signed with openssl x509 -req and no extensions (version 1)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=Private CA",
        "-keyout",
        d / "ca.key",
        "-out",
        d / "ca.pem",
        "-days",
        "30",
    )
    _openssl(
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        d / "v1.key",
        "-out",
        d / "v1.csr",
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        d / "v1.csr",
        "-CA",
        d / "ca.pem",
        "-CAkey",
        d / "ca.key",
        "-CAcreateserial",
        "-out",
        d / "v1.pem",
        "-days",
        "30",
    )
    _no_key_identifiers(d)
    (d / "test_pki").mkdir()
    pki_files = pki().write(d / "test_pki")
    out.update({k: v for k, v in pki_files.items()})
    for stem in ("self", "ca", "v1", "nokid_ca", "nokid"):
        out[stem] = d / f"{stem}.pem"
    return out


def _no_key_identifiers(d: Path) -> None:
    """A CA and a server leaf from cryptography's builder, without any key identifier."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Builder CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (d / "nokid_ca.pem").write_bytes(ca.public_bytes(pem))
    (d / "nokid.pem").write_bytes(leaf.public_bytes(pem))
    (d / "nokid.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _der(path: Path) -> list[bytes]:
    return [
        c.public_bytes(serialization.Encoding.DER)
        for c in x509.load_pem_x509_certificates(path.read_bytes())
    ]


def _python_server(cert: Path, key: Path) -> PythonTLSServer:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return PythonTLSServer(ctx, lambda tls: tls.sendall(b"ok"))


def _python_client_accepts(port: int, cafile: Path) -> None:
    ctx = ssl.create_default_context(cafile=str(cafile))
    with python_tls_client(port, ctx, "localhost") as tls:
        assert tls.recv(2) == b"ok"


SERVER_CASES = {
    "openssl-req-x509-self-signed": ("self", "self"),
    "openssl-x509-req-version-1": ("v1", "ca"),
    "cryptography-no-key-identifiers": ("nokid", "nokid_ca"),
}


@pytest.mark.parametrize("case", list(SERVER_CASES))
def test_our_client_accepts_what_python_ssl_accepts(case: str, made: dict[str, Path]) -> None:
    stem, anchor = SERVER_CASES[case]
    with _python_server(made[stem], made["files"] / f"{stem}.key") as server:
        _python_client_accepts(server.port, made[anchor])  # the reference
        tls = connect(
            "127.0.0.1",
            server.port,
            ClientConfig(cafile=made[anchor]),
            server_name="localhost",
            timeout=10,
        )
        with tls:
            assert tls.recv(2) == b"ok"
            assert tls.negotiated is not None


@pytest.mark.parametrize("case", list(SERVER_CASES))
def test_the_webpki_profile_still_refuses_them(case: str, made: dict[str, Path]) -> None:
    stem, anchor = SERVER_CASES[case]
    trust = TrustStore.from_pem_file(made[anchor])
    with pytest.raises(errors.CertificateError):
        verify_server_chain(_der(made[stem]), "localhost", trust, profile="webpki")
    assert verify_server_chain(_der(made[stem]), "localhost", trust, profile="rfc5280")


def test_the_system_store_is_checked_with_the_webpki_profile(made: dict[str, Path]) -> None:
    """ "auto" means webpki for the system store: the same self-signed certificate, were it in
    the system store, would be refused."""
    cert = x509.load_pem_x509_certificate(made["self"].read_bytes())
    as_system = TrustStore([cert], system=True)
    with pytest.raises(errors.CertificateError):
        verify_server_chain(_der(made["self"]), "localhost", as_system)
    assert verify_server_chain(_der(made["self"]), "localhost", TrustStore([cert]))


def test_a_version_1_leaf_must_still_be_signed_by_the_anchor(made: dict[str, Path]) -> None:
    with pytest.raises(errors.UnknownCA):
        verify_server_chain(_der(made["v1"]), "localhost", TrustStore.from_pem_file(made["self"]))


def test_the_common_name_fallback_still_checks_the_name(made: dict[str, Path]) -> None:
    trust = TrustStore.from_pem_file(made["ca"])
    with pytest.raises(errors.BadCertificate, match="common name"):
        verify_server_chain(_der(made["v1"]), "elsewhere.example", trust)


def _client_handler(tls: TLSSocket) -> bytes:
    tls.sendall(b"ok")
    return b"done"


def test_self_signed_client_certificate_as_its_own_anchor(made: dict[str, Path]) -> None:
    """``openssl req -x509`` defaults (CA:TRUE) as a client certificate, listed as the trust
    anchor: Python's ssl server accepts it, and so does ours."""
    # the reference: a Python ssl server requiring a client certificate
    ref = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ref.maximum_version = ssl.TLSVersion.TLSv1_2
    ref.load_cert_chain(made["rsa.crt"], made["rsa.key"])
    ref.verify_mode = ssl.CERT_REQUIRED
    ref.load_verify_locations(cafile=str(made["self"]))
    client_ctx = ssl.create_default_context(cafile=str(made["ca"].parent / "test_pki" / "ca.pem"))
    client_ctx.load_cert_chain(made["self"], made["files"] / "self.key")
    with (
        PythonTLSServer(ref, lambda tls: tls.sendall(b"ok")) as server,
        python_tls_client(server.port, client_ctx, "localhost") as tls,
    ):
        assert tls.recv(2) == b"ok"
    # ours, driven by the same Python ssl client
    config = pki().server_config(
        client_auth=ClientAuth.REQUIRED, client_trust=TrustStore.from_pem_file(made["self"])
    )
    with OurServer(config, _client_handler) as ours:
        with python_tls_client(ours.port, client_ctx, "localhost") as tls:
            assert tls.recv(2) == b"ok"
        outcome = ours.next_outcome()
        assert outcome.error is None, outcome.error
        peer = outcome.info["negotiated"].peer_certificates
        assert peer[0].subject.rfc4514_string() == "CN=localhost"


def test_self_signed_client_certificate_refused_by_the_webpki_profile(
    made: dict[str, Path],
) -> None:
    trust = TrustStore.from_pem_file(made["self"])
    with pytest.raises(errors.CertificateError):
        verify_client_chain(_der(made["self"]), trust, profile="webpki")
    assert len(verify_client_chain(_der(made["self"]), trust)) == 1


def test_our_client_presents_a_version_1_certificate_to_our_server(made: dict[str, Path]) -> None:
    """Both sides ours: a v1 client certificate (no extensions) from the private CA."""
    client_cert = CertifiedKey.from_files(made["v1"], made["files"] / "v1.key")
    config = pki().server_config(
        client_auth=ClientAuth.REQUIRED, client_trust=TrustStore.from_pem_file(made["ca"])
    )
    with OurServer(config, _client_handler) as ours:
        client = pki().client_config(client_certificates=[client_cert])
        with connect("127.0.0.1", ours.port, client, server_name="localhost", timeout=10) as tls:
            assert tls.recv(2) == b"ok"
        outcome = ours.next_outcome()
        assert outcome.error is None, outcome.error
