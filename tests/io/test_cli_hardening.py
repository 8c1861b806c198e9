"""``tls12 client`` and ``tls12 server`` against bad input and hostile peers (issue 16: D4,
D6, D9, D13 and the messages a user reads). Every bad flag or file is one line on stderr and
a failure exit code, never a traceback."""

from __future__ import annotations

import contextlib
import datetime
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hostile_clients import trickling_server
from peers import Peer
from tls_support import pki

from tls12.config import ClientAuth
from tls12.io.sync import TLSSocket, connect
from tls12.io.sync_server import TLSServer

HOST = "127.0.0.1"
TLS12 = [sys.executable, "-m", "tls12"]


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("pki")
    out = pki().write(directory)
    (directory / "bad.bin").write_bytes(b"\xff\xfe\x00 not text \x80")
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    out["rsa1024.crt"] = directory / "rsa1024.crt"
    out["rsa1024.key"] = directory / "rsa1024.key"
    out["rsa1024.crt"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out["rsa1024.key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return out


def run_cli(*args: str, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*TLS12, *args], input=stdin, capture_output=True, timeout=timeout)


def one_line_failure(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode()
    assert result.returncode != 0, err
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err.strip()


def server_args(paths: dict[str, Path], *extra: str) -> list[str]:
    return ["server", "--cert", str(paths["rsa.crt"]), "--key", str(paths["rsa.key"]), *extra]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--port", "99999"], "99999 is not a TCP port"),
        (["--port", "-1"], "is not a TCP port"),
        (["--port", "http"], "is not a port number"),
        (["--port", "0", "--ticket-keys", "{bad.bin}"], "--ticket-keys"),
        (["--port", "0", "--verify-client"], "--client-cafile"),
        (["--port", "0", "--require-client-cert"], "--client-cafile"),
        (["--port", "0", "--keylog", "/nonexistent/dir/keys"], "--keylog"),
        (["--port", "0", "--trace-json", "/nonexistent/dir/t.jsonl"], "--trace-json"),
        (["--port", "0", "--host", "256.1.1.1"], "cannot listen on 256.1.1.1"),
        (["--port", "0", "--max-connections", "0"], "--max-connections"),
        (["--port", "0", "--max-handshakes", "x"], "--max-handshakes"),
    ],
)
def test_server_bad_flags_and_files_are_one_line(
    paths: dict[str, Path], extra: list[str], expected: str
) -> None:
    extra = [e.replace("{bad.bin}", str(paths["ca"].parent / "bad.bin")) for e in extra]
    line = one_line_failure(run_cli(*server_args(paths, *extra), timeout=10))
    assert expected in line, line


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["127.0.0.1:99999"], "a TCP port is 1 to 65535"),
        (["127.0.0.1:1", "--timeout", "-1"], "--timeout"),
        (["127.0.0.1:1", "--timeout", "0"], "--timeout"),
        (["127.0.0.1:1", "--idle-timeout", "nan"], "--idle-timeout"),
        (["127.0.0.1:1", "--sess-in", "{bad.bin}"], "not a tls12 session file"),
        (["127.0.0.1:1", "--keylog", "/nonexistent/dir/keys"], "--keylog"),
        (["127.0.0.1:1", "--sess-out", "/nonexistent/dir/s"], "--sess-out"),
        (["127.0.0.1:1", "--trace-json", "/nonexistent/dir/t"], "--trace-json"),
    ],
)
def test_client_bad_flags_and_files_are_one_line(
    paths: dict[str, Path], extra: list[str], expected: str
) -> None:
    extra = [e.replace("{bad.bin}", str(paths["ca"].parent / "bad.bin")) for e in extra]
    line = one_line_failure(run_cli("client", *extra, timeout=10))
    assert expected in line, line


def test_server_refuses_an_rsa_key_under_2048_bits(paths: dict[str, Path]) -> None:
    result = run_cli(
        "server", "--port", "0", "--cert", str(paths["rsa1024.crt"]),
        "--key", str(paths["rsa1024.key"]), timeout=10,
    )  # fmt: skip
    line = one_line_failure(result)
    assert "1024-bit RSA key" in line and "2048" in line, line


@contextlib.contextmanager
def cli_server(tmp_path: Path, args: list[str]) -> Iterator[tuple[Peer, int]]:
    with Peer("tls12-server", [*TLS12, *args], tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        yield server, int(match.group(1))


def test_server_warns_about_expired_and_unusable_certificates(
    tmp_path: Path, paths: dict[str, Path]
) -> None:
    expired = ["server", "--port", "0", "--cert", str(paths["expired.crt"]),
               "--key", str(paths["expired.key"])]  # fmt: skip
    with cli_server(tmp_path, expired) as (server, _):
        lines = server.stderr().decode().splitlines()
    assert "warning" in lines[0] and "expired on" in lines[0], lines
    rsa_only = ["server", "--port", "0", "--cert", str(paths["ecdsa.crt"]),
                "--key", str(paths["ecdsa.key"]),
                "--ciphers", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]  # fmt: skip
    with cli_server(tmp_path, rsa_only) as (server, _):
        lines = server.stderr().decode().splitlines()
    assert "no enabled cipher suite can use the ECDSA certificate" in lines[0], lines


# -- D4: --timeout holds against a server that trickles ----------------------------------------

def test_client_timeout_bounds_connect_and_handshake(paths: dict[str, Path]) -> None:
    with trickling_server(10.0) as port:
        started = time.monotonic()
        result = run_cli(
            "client", f"127.0.0.1:{port}", "--cafile", str(paths["ca"]),
            "--servername", "localhost", "--timeout", "1", timeout=20,
        )  # fmt: skip
        took = time.monotonic() - started
    line = one_line_failure(result)
    assert "--timeout 1" in line, line
    assert took < 1 + 3, f"--timeout 1 returned after {took:.1f} s"  # 3 s: interpreter start


# -- D6: --www reads a bounded request head -----------------------------------------------------


def test_www_refuses_an_endless_request_head(tmp_path: Path, paths: dict[str, Path]) -> None:
    with cli_server(tmp_path, server_args(paths, "--port", "0", "--www")) as (server, port):
        tls = connect(HOST, port, pki().client_config(), server_name="localhost", timeout=10)
        with tls:
            tls.sendall(b"GET / HTTP/1.0\r\n")
            answer = b""
            with contextlib.suppress(OSError):
                for _ in range(64):  # 1 MiB of header lines, never the blank line
                    tls.sendall(b"X-Filler: " + b"a" * 16370 + b"\r\n")
            with contextlib.suppress(OSError):
                while chunk := tls.recv():
                    answer += chunk
        assert answer.startswith(b"HTTP/1.0 431 "), answer[:100]
        # a normal request still gets its page
        with connect(HOST, port, pki().client_config(), server_name="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.0\n\n")  # bare LF lines are accepted too
            page = b""
            while chunk := tls.recv():
                page += chunk
        assert page.startswith(b"HTTP/1.0 200 ok")
        assert "answered 431" in server.stderr().decode()


# -- messages -----------------------------------------------------------------------------------


def test_truncation_names_no_alert(paths: dict[str, Path]) -> None:
    """A server that drops TCP without close_notify: no alert was exchanged, none is named."""

    def rude(tls: TLSSocket) -> None:
        tls.recv()
        tls._sock.shutdown(socket.SHUT_RDWR)

    with TLSServer(pki().server_config(), rude) as server:
        server.start()
        result = run_cli(
            "client", f"127.0.0.1:{server.port}", "--cafile", str(paths["ca"]),
            "--servername", "localhost", "--quiet", stdin=b"hello", timeout=20,
        )  # fmt: skip
    line = one_line_failure(result)
    assert "TruncationError" in line and "alert" not in line, line


def test_client_hints_when_the_server_wanted_a_certificate(paths: dict[str, Path]) -> None:
    config = pki().server_config(client_auth=ClientAuth.REQUIRED, client_trust=pki().trust)
    with TLSServer(config, lambda tls: None) as server:
        server.start()
        result = run_cli(
            "client", f"127.0.0.1:{server.port}", "--cafile", str(paths["ca"]),
            "--servername", "localhost", timeout=20,
        )  # fmt: skip
    err = result.stderr.decode()
    assert result.returncode != 0 and "Traceback" not in err, err
    assert "hint: the server asked for a client certificate" in err and "--cert" in err, err


def test_bad_certificate_and_key_files_are_one_line_naming_the_flag(
    paths: dict[str, Path],
) -> None:
    bad = str(paths["ca"].parent / "bad.bin")
    cases = [
        (["server", "--port", "0", "--cert", "/nonexistent", "--key", str(paths["rsa.key"])],
         "--cert/--key /nonexistent: No such file"),
        (["server", "--port", "0", "--cert", bad, "--key", str(paths["rsa.key"])],
         "could not read certificate PEM"),
        (["server", "--port", "0", "--cert", str(paths["rsa.crt"]),
          "--key", str(paths["ecdsa.key"])], "the private key does not match"),
        (["client", "127.0.0.1:1", "--cert", bad], "could not read certificate PEM"),
    ]  # fmt: skip
    for args, expected in cases:
        line = one_line_failure(run_cli(*args, timeout=10))
        assert expected in line and "https://" not in line, line
