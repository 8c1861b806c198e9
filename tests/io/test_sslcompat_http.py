"""The ssl-compatible wrapper with the HTTP stacks people use: the real urllib3 and
http.client as clients of a Python ``ssl`` server, and ``http.server`` served through tls12
to curl and to Python's own ``ssl``. Everything is pinned to TLS 1.2."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from cryptography.hazmat.primitives.serialization import Encoding
from tls_support import pki

from tls12.errors import UnknownCA
from tls12.io.sslcompat import (
    TLS12CertVerificationError,
    TLS12Context,
    TLS12EOFError,
    TLS12Socket,
    TLS12SSLError,
)

HOST = "127.0.0.1"


class PageHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a body naming the path; records what the TLS layer says."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        tls = self.request
        self.server.seen.append(  # type: ignore[attr-defined]
            {
                "path": self.path,
                "type": type(tls),
                "version": tls.version(),
                "cipher": tls.cipher(),
                "alpn": tls.selected_alpn_protocol(),
            }
        )
        body = f"page {self.path} over {tls.version()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def https_server(context: Any) -> Iterator[http.server.ThreadingHTTPServer]:
    """http.server whose listening socket is wrapped by ``context`` (ssl's or ours)."""
    httpd = http.server.ThreadingHTTPServer((HOST, 0), PageHandler)
    httpd.seen = []  # type: ignore[attr-defined]
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def port(httpd: http.server.HTTPServer) -> int:
    return int(httpd.server_address[1])


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


def python_server_context(paths: dict[str, Path], stem: str = "rsa") -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(paths[f"{stem}.crt"], paths[f"{stem}.key"])
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def python_client_context(paths: dict[str, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(paths["ca"]))
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def tls12_server_context(paths: dict[str, Path], stem: str = "ecdsa") -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(paths[f"{stem}.crt"], paths[f"{stem}.key"])
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.handshake_timeout = 5
    return ctx


def tls12_client_context(paths: dict[str, Path]) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(paths["ca"]))
    return ctx


# --- urllib3 and http.client through TLS12Context, against Python's ssl ---------------------


def test_urllib3_fetches_through_the_wrapper(paths):
    with https_server(python_server_context(paths)) as httpd:
        pool = urllib3.PoolManager(ssl_context=TLS12Context(), ca_certs=str(paths["ca"]))
        url = f"https://localhost:{port(httpd)}"
        first = pool.request("GET", url + "/first", retries=False)
        second = pool.request("GET", url + "/second", retries=False)
        assert (first.status, first.data) == (200, b"page /first over TLSv1.2\n")
        assert (second.status, second.data) == (200, b"page /second over TLSv1.2\n")
        # both requests went over one kept-alive tls12 socket
        conns = [c for c in pool.connection_from_url(url).pool.queue if c is not None]
        assert len(conns) == 1
        sock = conns[0].sock
        assert isinstance(sock, TLS12Socket)
        assert sock.version() == "TLSv1.2"
        assert sock.selected_alpn_protocol() == "http/1.1"  # urllib3 asked for it
        assert conns[0].is_verified
        server_side = httpd.seen  # type: ignore[attr-defined]
        assert [s["path"] for s in server_side] == ["/first", "/second"]
        assert server_side[0]["version"] == "TLSv1.2"
        assert server_side[0]["cipher"] == sock.cipher()
        pool.clear()


def test_urllib3_refuses_an_unknown_ca(paths):
    from tls12.pki import make_ca

    with https_server(python_server_context(paths)) as httpd:
        ctx = TLS12Context()
        ctx.load_verify_locations(cadata=make_ca("some stranger").pem().decode())
        pool = urllib3.PoolManager(ssl_context=ctx)
        with pytest.raises(urllib3.exceptions.SSLError) as info:
            pool.request("GET", f"https://localhost:{port(httpd)}/", retries=False)
        cause = info.value.__cause__ or info.value.args[0]
        assert isinstance(cause, TLS12CertVerificationError)
        assert isinstance(cause, ssl.SSLCertVerificationError)
        assert isinstance(cause.tls_error, UnknownCA)
        assert cause.reason == "CERTIFICATE_VERIFY_FAILED"  # ssl's reason, our explanation
        assert "unknown_ca" in str(cause)


def test_urllib3_checks_names_with_getpeercert(paths):
    """With assert_hostname urllib3 turns check_hostname off and matches the name itself
    against getpeercert()'s dictionary."""
    with https_server(python_server_context(paths)) as httpd:
        url = f"https://127.0.0.1:{port(httpd)}/ip"
        ok = urllib3.PoolManager(
            ssl_context=tls12_client_context(paths), assert_hostname="localhost"
        )
        assert ok.request("GET", url, retries=False).data == b"page /ip over TLSv1.2\n"
        bad = urllib3.PoolManager(
            ssl_context=tls12_client_context(paths), assert_hostname="elsewhere.example"
        )
        with pytest.raises(urllib3.exceptions.SSLError, match="elsewhere.example"):
            bad.request("GET", url, retries=False)


def test_http_client_and_urllib_use_the_wrapper(paths):
    with https_server(python_server_context(paths)) as httpd:
        ctx = tls12_client_context(paths)
        conn = http.client.HTTPSConnection("localhost", port(httpd), context=ctx, timeout=10)
        conn.request("GET", "/http.client")
        assert conn.getresponse().read() == b"page /http.client over TLSv1.2\n"
        assert isinstance(conn.sock, TLS12Socket)
        conn.close()
        # urllib closes the socket before the body is read: makefile keeps it alive
        with urllib.request.urlopen(f"https://localhost:{port(httpd)}/urllib", context=ctx) as r:
            assert r.read() == b"page /urllib over TLSv1.2\n"


# --- http.server served through tls12 -----------------------------------------------------


def test_curl_fetches_from_http_server_through_tls12(paths):
    curl = shutil.which("curl")
    assert curl, "curl is not installed"
    with https_server(tls12_server_context(paths)) as httpd:
        out = subprocess.run(
            [
                curl, "-sS", "-v", "--tlsv1.2", "--tls-max", "1.2",
                "--cacert", str(paths["ca"]),
                f"https://localhost:{port(httpd)}/curl",
            ],
            capture_output=True,
            timeout=20,
        )
        log = out.stderr.decode(errors="replace")
        assert out.returncode == 0, log
        assert out.stdout == b"page /curl over TLSv1.2\n"
        assert "SSL connection using TLSv1.2 / ECDHE-ECDSA-" in log, log
        assert "ALPN: server accepted http/1.1" in log or "ALPN, server accepted" in log, log
        seen = httpd.seen[0]  # type: ignore[attr-defined]
        assert seen["type"] is TLS12Socket
        assert seen["alpn"] == "http/1.1"


def test_python_urllib_with_ssl_fetches_from_http_server_through_tls12(paths):
    with https_server(tls12_server_context(paths, "rsa")) as httpd:
        ctx = python_client_context(paths)
        url = f"https://localhost:{port(httpd)}/python-ssl"
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            assert r.read() == b"page /python-ssl over TLSv1.2\n"
        seen = httpd.seen[0]  # type: ignore[attr-defined]
        assert seen["type"] is TLS12Socket
        assert seen["cipher"][0].startswith("ECDHE-RSA-")


def test_a_failed_handshake_does_not_stop_the_server(paths):
    with https_server(tls12_server_context(paths)) as httpd:
        untrusting = ssl.create_default_context()  # the system CAs do not know our test CA
        untrusting.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(urllib.error.URLError) as info:
            urllib.request.urlopen(f"https://localhost:{port(httpd)}/", context=untrusting)
        assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
        ctx = python_client_context(paths)
        with urllib.request.urlopen(f"https://localhost:{port(httpd)}/next", context=ctx) as r:
            assert r.read() == b"page /next over TLSv1.2\n"


def test_a_silent_client_does_not_block_accept_forever(paths):
    ctx = tls12_server_context(paths)
    ctx.handshake_timeout = 0.3
    with https_server(ctx) as httpd:
        with socket.create_connection((HOST, port(httpd))) as silent:
            silent.settimeout(5)
            assert silent.recv(100) == b""  # dropped after the handshake timeout
        with urllib.request.urlopen(
            f"https://localhost:{port(httpd)}/after", context=python_client_context(paths)
        ) as r:
            assert r.read() == b"page /after over TLSv1.2\n"


# --- what the socket reports ----------------------------------------------------------------


@pytest.mark.parametrize("stem", ["rsa", "ecdsa"])
def test_getpeercert_is_what_python_ssl_returns(paths, stem):
    with https_server(python_server_context(paths, stem)) as httpd:
        with socket.create_connection((HOST, port(httpd))) as raw:
            theirs = python_client_context(paths).wrap_socket(raw, server_hostname="localhost")
            want, want_der = theirs.getpeercert(), theirs.getpeercert(binary_form=True)
            theirs.close()
        with socket.create_connection((HOST, port(httpd))) as raw:
            ours = tls12_client_context(paths).wrap_socket(raw, server_hostname="localhost")
            assert ours.getpeercert() == want
            assert ours.getpeercert(binary_form=True) == want_der
            assert ours.version() == "TLSv1.2"
            name, proto, bits = ours.cipher()
            assert proto == "TLSv1.2" and bits in (128, 256)
            assert name.startswith("ECDHE-RSA-" if stem == "rsa" else "ECDHE-ECDSA-")
            assert ours.shared_ciphers() is None and ours.compression() is None
            assert ours.server_hostname == "localhost" and not ours.server_side
            ours.close()


def test_unverified_peer_gives_an_empty_dict_but_the_der(paths):
    with https_server(python_server_context(paths)) as httpd:
        ctx = TLS12Context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection((HOST, port(httpd))) as raw:
            tls = ctx.wrap_socket(raw)
            assert tls.getpeercert() == {}
            der = pki().rsa.chain[0].public_bytes(Encoding.DER)
            assert tls.getpeercert(binary_form=True) == der
            tls.close()


def test_session_resumption_and_tickets_through_the_wrapper(paths):
    with https_server(python_server_context(paths)) as httpd:
        ctx = tls12_client_context(paths)
        with socket.create_connection((HOST, port(httpd))) as raw:
            first = ctx.wrap_socket(raw, server_hostname="localhost")
            session = first.session
            assert not first.session_reused and session.ticket
            first.close()
        with socket.create_connection((HOST, port(httpd))) as raw:
            again = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
            assert again.session_reused
            again.close()
        ctx.options |= ssl.OP_NO_TICKET
        with socket.create_connection((HOST, port(httpd))) as raw:
            plain = ctx.wrap_socket(raw, server_hostname="localhost")
            assert not plain.session.ticket
            plain.close()


def test_set_ciphers_pins_a_suite_and_refuses_unknown_ones(paths):
    with https_server(python_server_context(paths)) as httpd:
        ctx = tls12_client_context(paths)
        ctx.set_ciphers("ECDHE-RSA-CHACHA20-POLY1305")
        with socket.create_connection((HOST, port(httpd))) as raw:
            tls = ctx.wrap_socket(raw, server_hostname="localhost")
            assert tls.cipher() == ("ECDHE-RSA-CHACHA20-POLY1305", "TLSv1.2", 256)
            tls.close()
        assert [c["name"] for c in ctx.get_ciphers()] == ["ECDHE-RSA-CHACHA20-POLY1305"]
        ctx.set_ciphers("ECDHE+AESGCM:!aECDSA")  # OpenSSL's grammar (test_cipher_string.py)
        assert [c["name"] for c in ctx.get_ciphers()] == [
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ]
        with pytest.raises(ssl.SSLError, match="No cipher can be selected"):
            ctx.set_ciphers("DES-CBC3-SHA:RC4-MD5")


def test_ragged_eof_is_suppressed_or_raised(paths):
    """A Python ssl server closes TCP without close_notify (its shutdown() does not send one)."""

    def serve_once(listener: socket.socket, ctx: ssl.SSLContext) -> None:
        conn, _ = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"bye")
            tls.shutdown(socket.SHUT_RDWR)

    for suppress in (True, False):
        with socket.create_server((HOST, 0)) as listener:
            t = threading.Thread(target=serve_once, args=(listener, python_server_context(paths)))
            t.start()
            raw = socket.create_connection(listener.getsockname())
            tls = tls12_client_context(paths).wrap_socket(
                raw, server_hostname="localhost", suppress_ragged_eofs=suppress
            )
            data = b""
            while len(data) < 3:
                data += tls.recv(10)
            assert data == b"bye"
            if suppress:
                assert tls.recv(10) == b""
            else:
                with pytest.raises(TLS12EOFError) as info:
                    tls.recv(10)
                assert isinstance(info.value, ssl.SSLEOFError)
            tls.close()
            t.join(5)


def test_makefile_keeps_the_socket_open_until_closed(paths):
    with (
        https_server(python_server_context(paths)) as httpd,
        socket.create_connection((HOST, port(httpd))) as raw,
    ):
        tls = tls12_client_context(paths).wrap_socket(raw, server_hostname="localhost")
        tls.sendall(b"GET /mk HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        f = tls.makefile("rb")
        tls.close()  # deferred: the file still uses the connection
        assert f.readline() == b"HTTP/1.1 200 OK\r\n"
        assert f.read().endswith(b"page /mk over TLSv1.2\n")
        assert tls.fileno() != -1
        f.close()
        assert tls._sock.fileno() == -1, "closing the last file closed the socket"


def test_do_handshake_on_connect_false_and_connect(paths):
    with https_server(python_server_context(paths)) as httpd:
        ctx = tls12_client_context(paths)
        tls = ctx.wrap_socket(
            socket.socket(), server_hostname="localhost", do_handshake_on_connect=False
        )
        tls.connect((HOST, port(httpd)))
        with pytest.raises(ValueError, match="handshake not done"):
            tls.getpeercert()
        tls.sendall(b"GET /lazy HTTP/1.1\r\nHost: localhost\r\n\r\n")  # handshakes first
        assert tls.version() == "TLSv1.2"
        assert b"page /lazy" in tls.recv(4096) + tls.recv(4096)
        tls.close()


def test_context_settings_follow_ssl_rules(paths, tmp_path):
    ctx = TLS12Context()
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    with pytest.raises(ValueError, match="check_hostname is enabled"):
        ctx.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="check_hostname requires server_hostname"):
        ctx.wrap_socket(socket.socket())
    with pytest.raises(ValueError, match="PROTOCOL_TLS_CLIENT"):
        ctx.wrap_socket(socket.socket(), server_side=True)
    server = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    assert not server.check_hostname and server.verify_mode == ssl.CERT_NONE
    with pytest.raises(ssl.SSLError, match="load_cert_chain"):
        server.wrap_socket(socket.socket(), server_side=True)
    with pytest.raises(TypeError):
        ctx.load_verify_locations()
    with pytest.raises(FileNotFoundError):
        ctx.load_verify_locations(cafile=str(tmp_path / "missing.pem"))
    with pytest.raises(ssl.SSLError, match="private key"):
        server.load_cert_chain(paths["rsa.crt"], paths["ecdsa.key"])
    # DER cadata and a capath directory are read as ssl reads them
    der = pki().ca.cert.public_bytes(Encoding.DER)
    ctx.load_verify_locations(cadata=der)
    (tmp_path / "cas").mkdir()
    (tmp_path / "cas" / "ca.pem").write_bytes(paths["ca"].read_bytes())
    ctx.load_verify_locations(capath=str(tmp_path / "cas"))
    assert ctx.cert_store_stats()["x509"] == 2
    assert ctx.get_ca_certs(binary_form=True) == [der, der]
    # only TLS 1.2 can be spoken
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with pytest.raises(ssl.SSLError, match="NO_PROTOCOLS_AVAILABLE"):
        ctx.wrap_socket(socket.socket(), server_hostname="localhost")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_TLSv1_2
    with pytest.raises(TLS12SSLError):
        ctx.wrap_socket(socket.socket(), server_hostname="localhost")


def test_keylog_filename_writes_client_random_lines(paths, tmp_path):
    keylog = tmp_path / "keys.log"
    with https_server(python_server_context(paths)) as httpd:
        ctx = tls12_client_context(paths)
        ctx.keylog_filename = str(keylog)
        with socket.create_connection((HOST, port(httpd))) as raw:
            ctx.wrap_socket(raw, server_hostname="localhost").close()
    lines = keylog.read_text().splitlines()
    assert len(lines) == 1
    label, client_random, master = lines[0].split()
    assert label == "CLIENT_RANDOM" and len(client_random) == 64 and len(master) == 96


def test_server_side_socket_with_client_certificates(paths):
    """A TLS12Context server that requires client certificates, against Python's ssl client:
    the server reads the client's certificate as ssl would, then both unwrap cleanly."""
    ctx = tls12_server_context(paths, "rsa")
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(paths["ca"]))
    result: dict[str, Any] = {}

    def serve(listener: socket.socket) -> None:
        try:
            tls, _ = listener.accept()
            result["peercert"] = tls.getpeercert()
            result["shared"] = tls.shared_ciphers()
            result["server_side"] = tls.server_side
            data = tls.recv(5)
            result["pending"] = tls.pending()
            result["data"] = data + tls.recv(100)
            tls.sendall(b"bye")
            plain = tls.unwrap()
            result["unwrapped"] = isinstance(plain, socket.socket)
            plain.close()
        except BaseException as exc:  # reported below
            result["error"] = exc

    with socket.create_server((HOST, 0)) as raw_listener:
        listener = ctx.wrap_socket(raw_listener, server_side=True)
        t = threading.Thread(target=serve, args=(listener,))
        t.start()
        client_ctx = python_client_context(paths)
        client_ctx.load_cert_chain(paths["client_rsa.crt"], paths["client_rsa.key"])
        with socket.create_connection(raw_listener.getsockname()) as raw:
            theirs = client_ctx.wrap_socket(raw, server_hostname="localhost")
            own_cert = ssl._ssl._test_decode_cert(str(paths["client_rsa.crt"]))
            theirs.sendall(b"hello world")
            assert theirs.recv(10) == b"bye"
            theirs.unwrap()
        t.join(10)
    assert "error" not in result, result.get("error")
    assert result["peercert"] == own_cert
    assert result["shared"] and all(c[1] == "TLSv1.2" for c in result["shared"])
    assert result["server_side"] is True
    assert result["data"] == b"hello world"
    assert result["pending"] == 6, "one record held 11 bytes; recv(5) left 6 buffered"
    assert result["unwrapped"]


def test_cipher_names_are_openssls():
    """Every tls12 suite has the name Python's ssl (OpenSSL) gives it."""
    from tls12.crypto.suites import ALL_SUITES
    from tls12.io.sslcompat import openssl_name

    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.set_ciphers("ALL:@SECLEVEL=0")
    theirs = {c["id"] & 0xFFFF: c["name"] for c in probe.get_ciphers()}
    for suite in ALL_SUITES:
        assert openssl_name(suite) == theirs[suite.id], suite.name
