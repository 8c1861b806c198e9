"""The messages a user reads when a peer is not what was expected (issue 16): plain HTTP on
the TLS port, TLS 1.3 suites and signalling values by name, a SHA-1-signed certificate, a
scanner's close alert with an old record version. Real peers where there are some: curl, the
openssl command, Python's http.server; the certificate is made by the openssl command (the
``cryptography`` package refuses to sign with SHA-1)."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from peers import openssl_binary
from tls_support import pki

from tls12.config import CertifiedKey, ClientConfig, ServerConfig
from tls12.connection import ClientConnection
from tls12.crypto.suites import suite_name
from tls12.errors import FatalAlertReceived, TLSError, UnexpectedMessage, UnsupportedCertificate
from tls12.io.sync import connect
from tls12.io.sync_server import TLSServer

HOST = "127.0.0.1"


def curl_binary() -> str:
    path = shutil.which("curl")
    if path is None:
        raise AssertionError("the curl command is not installed (Debian package curl)")
    return path


class Failures:
    """A TLSServer's on_error, collecting what ended each connection."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.seen = threading.Event()

    def __call__(self, exc: BaseException) -> None:
        self.errors.append(exc)
        self.seen.set()

    def wait(self) -> BaseException:
        assert self.seen.wait(10), "the server reported no failure"
        return self.errors[0]


def test_plain_http_on_the_tls_port_is_named() -> None:
    failures = Failures()
    with TLSServer(pki().server_config(), lambda tls: None, on_error=failures) as server:
        server.start()
        subprocess.run(
            [curl_binary(), "-s", "-m", "5", f"http://{HOST}:{server.port}/"],
            capture_output=True,
            timeout=20,
        )
        error = failures.wait()
    assert isinstance(error, UnexpectedMessage)
    assert "plain HTTP request" in str(error) and "unknown content type" not in str(error)


def test_a_plain_http_server_is_named_by_the_client() -> None:
    httpd = http.server.HTTPServer((HOST, 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(TLSError) as caught:
            connect(HOST, httpd.server_address[1], pki().client_config(), timeout=10)
    finally:
        httpd.shutdown()
        httpd.server_close()
    # http.server answers a request line it cannot parse the HTTP/0.9 way: a bare HTML page
    assert "plain text b'<!DOCTYPE HTML>" in str(caught.value), caught.value
    assert "wrong version number" in str(caught.value)


def test_tls13_suites_and_scsv_are_named() -> None:
    assert suite_name(0x1302) == "TLS_AES_256_GCM_SHA384"
    assert suite_name(0x00FF) == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
    assert suite_name(0x5600) == "TLS_FALLBACK_SCSV"
    assert suite_name(0x3A3A) == "GREASE 0x3a3a"
    failures = Failures()
    with TLSServer(pki().server_config(), lambda tls: None, on_error=failures) as server:
        server.start()
        # TLS 1.3 suites only, so TLS 1.2 has no suite in common
        subprocess.run(
            [openssl_binary(), "s_client", "-connect", f"{HOST}:{server.port}",
             "-cipher", "eNULL", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
            input=b"", capture_output=True, timeout=20,
        )  # fmt: skip
        error = failures.wait()
    assert "TLS_AES_256_GCM_SHA384" in str(error), error
    assert "unknown suite 0x1302" not in str(error)


def test_a_scanners_close_alert_with_record_version_0301_is_a_close() -> None:
    """ClientHello, read the server's flight, then close_notify in a {3, 1} record, as
    scanners do: that is the peer closing, not a protocol_version failure."""
    failures = Failures()
    with TLSServer(pki().server_config(), lambda tls: None, on_error=failures) as server:
        server.start()
        client = ClientConnection(pki().client_config(), "localhost")
        client.start()
        with socket.create_connection((HOST, server.port), timeout=10) as sock:
            sock.sendall(client.data_to_send())
            sock.recv(65536)
            sock.sendall(b"\x15\x03\x01\x00\x02\x01\x00")
            error = failures.wait()
    assert isinstance(error, FatalAlertReceived), error
    assert "close_notify" in str(error)


@pytest.fixture(scope="module")
def sha1_chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sha1")
    openssl = openssl_binary()

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=d, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "30", "-subj", "/CN=SHA1 test CA", "-sha256",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "basicConstraints=critical,CA:TRUE")  # fmt: skip
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")  # fmt: skip
    (d / "ext.cnf").write_text(
        "subjectAltName=DNS:localhost\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-sha1",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "30", "-extfile", "ext.cnf")  # fmt: skip
    return d


def test_a_sha1_signed_certificate_is_refused_in_words(sha1_chain: Path) -> None:
    config = ServerConfig(
        certificates=[CertifiedKey.from_files(sha1_chain / "leaf.pem", sha1_chain / "leaf.key")]
    )
    with TLSServer(config, lambda tls: None) as server:
        server.start()
        with pytest.raises(UnsupportedCertificate) as caught:
            connect(
                HOST, server.port, ClientConfig(cafile=str(sha1_chain / "ca.pem")),
                server_name="localhost", timeout=10,
            )  # fmt: skip
    message = str(caught.value)
    assert "signed with SHA-1 (sha1WithRSAEncryption)" in message, message
    assert "AlgorithmIdentifier" not in message and "PhantomData" not in message
