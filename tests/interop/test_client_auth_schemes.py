"""Client authentication against real peers, one test per CertificateVerify scheme: our
server restricts its CertificateRequest to one scheme and ``openssl s_client -cert`` must sign
with it; and the command-line pair ``tls12 server --verify-client`` / ``tls12 client --cert``."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from peers import OurServer, run_openssl_client
from tls_support import pki

from tls12.config import ClientAuth
from tls12.io.sync import TLSSocket
from tls12.wire.enums import SignatureScheme

CASES = [
    ("client_rsa", SignatureScheme.rsa_pss_rsae_sha256),
    ("client_rsa", SignatureScheme.rsa_pss_rsae_sha384),
    ("client_rsa", SignatureScheme.rsa_pkcs1_sha256),
    ("client_rsa", SignatureScheme.rsa_pkcs1_sha384),
    ("client_ecdsa", SignatureScheme.ecdsa_secp256r1_sha256),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("client_auth"))


def echo_line(tls: TLSSocket) -> bytes:
    data = tls.recv()
    tls.sendall(data)
    return data


@pytest.mark.parametrize(("stem", "scheme"), CASES, ids=lambda v: getattr(v, "name", v))
def test_s_client_signs_with_the_requested_scheme(stem, scheme, files, tmp_path):
    p = pki()
    server_schemes = [
        scheme,
        SignatureScheme.rsa_pss_rsae_sha256,
        SignatureScheme.ecdsa_secp256r1_sha256,
    ]
    config = p.server_config(
        client_auth=ClientAuth.REQUIRED,
        client_trust=p.trust,
        signature_schemes=list(dict.fromkeys(server_schemes)),
    )
    # s_client picks its CertificateVerify scheme from our list; -client_sigalgs narrows its own
    # choice to the scheme under test, so both sides must agree on exactly that one.
    options = [
        "-ign_eof", "-cert", str(files[f"{stem}.crt"]), "-key", str(files[f"{stem}.key"]),
        "-client_sigalgs", scheme.name,
        "-servername", "localhost", "-CAfile", str(files["ca"]), "-verify_return_error",
    ]  # fmt: skip
    with OurServer(config, echo_line) as server:
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"signed\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == b"signed\n"
    negotiated = outcome.info["negotiated"]
    assert negotiated.peer_certificates[0] == getattr(p, stem).cert
    trace = outcome.info["connection"].trace.entries
    verify = next(e for e in trace if e.name == "CertificateVerify")
    assert verify.details["signature"] == scheme.name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert proc.poll() is None, "tls12 server exited early"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise AssertionError("tls12 server did not listen")


@contextlib.contextmanager
def cli_server(files: dict[str, Path], *extra: str):
    port = _free_port()
    args = [
        sys.executable, "-m", "tls12", "server", "--port", str(port),
        "--cert", str(files["rsa.crt"]), "--key", str(files["rsa.key"]), "--www", *extra,
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(port, proc)
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stderr:
            proc.stderr.close()


def cli_client(port: int, files: dict[str, Path], *extra: str) -> subprocess.CompletedProcess:
    args = [
        sys.executable, "-m", "tls12", "client", f"127.0.0.1:{port}", "--servername", "localhost",
        "--cafile", str(files["ca"]), "--idle-timeout", "1", *extra,
    ]  # fmt: skip
    return subprocess.run(args, input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=30)


@pytest.mark.parametrize("stem", ["client_rsa", "client_ecdsa"])
def test_cli_pair_with_a_client_certificate(stem, files):
    client_ca = ("--verify-client", "--require-client-cert", "--client-cafile", str(files["ca"]))
    with cli_server(files, *client_ca) as (port, _):
        result = cli_client(
            port, files, "--cert", str(files[f"{stem}.crt"]), "--key", str(files[f"{stem}.key"])
        )
    page = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Client certificate: CN=client.example" in page, page


def test_cli_server_refuses_a_client_without_certificate(files):
    client_ca = ("--verify-client", "--require-client-cert", "--client-cafile", str(files["ca"]))
    with cli_server(files, *client_ca) as (port, _):
        result = cli_client(port, files)
    assert result.returncode == 1
    assert "handshake_failure" in result.stderr.decode()
