"""Ed25519, Ed448 (RFC 8422 §5.1.3) and id-RSASSA-PSS (rsa_pss_pss_*, RFC 8446 §4.2.3)
certificates against OpenSSL, both ways: as server certificates (ServerKeyExchange) and as
client certificates (CertificateVerify). The EdDSA certificates come from our test PKI; the
RSA-PSS ones from ``openssl genpkey -algorithm RSA-PSS``, issued by the same CA."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers import OurServer, run_openssl_client
from peers.gnutls import gnutls_server, run_gnutls_client
from peers.openssl import openssl_server, received_by_s_server
from peers.process import HOST
from pss_support import make_rsa_pss_identity
from tls_support import pki

from tls12.config import CertifiedKey, ClientAuth
from tls12.io.sync import TLSSocket, connect
from tls12.wire.enums import SignatureScheme as S

KINDS = {
    "ed25519": (S.ed25519, "ECDSA"),
    "ed448": (S.ed448, "ECDSA"),
    "rsa_pss": (S.rsa_pss_pss_sha256, "RSA"),
    "rsa_pss_sha512_only": (S.rsa_pss_pss_sha512, "RSA"),
}
"""Certificate kind -> (the scheme it signs with by default, the suite's authentication)."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("eddsa_pss")
    p = pki()
    paths = {"ca": p.ca.write(directory / "ca.pem")}
    for kind in ("ed25519", "ed448"):
        server = p.ca.issue(["localhost", "127.0.0.1"], key_type=kind)
        client = p.ca.issue(["client.example"], key_type=kind, client_auth=True, server_auth=False)
        paths[f"{kind}.crt"], paths[f"{kind}.key"] = server.write(directory, kind)
        paths[f"client_{kind}.crt"], paths[f"client_{kind}.key"] = client.write(
            directory, f"client_{kind}"
        )
    restricted = ("rsa_pss_keygen_md:sha512", "rsa_pss_keygen_mgf1_md:sha512",
                  "rsa_pss_keygen_saltlen:64")  # fmt: skip
    for kind, keygen in (("rsa_pss", ()), ("rsa_pss_sha512_only", restricted)):
        paths[f"{kind}.crt"], paths[f"{kind}.key"] = make_rsa_pss_identity(
            p.ca, directory, kind, keygen=keygen
        )
        paths[f"client_{kind}.crt"], paths[f"client_{kind}.key"] = make_rsa_pss_identity(
            p.ca, directory, f"client_{kind}", client=True, keygen=keygen
        )
    return paths


def identity(files: dict[str, Path], stem: str) -> CertifiedKey:
    return CertifiedKey.from_files(files[f"{stem}.crt"], files[f"{stem}.key"])


def echo_line(tls: TLSSocket) -> bytes:
    data = tls.recv()
    tls.sendall(data)
    return data


@pytest.mark.parametrize("kind", list(KINDS))
def test_our_client_to_s_server(kind: str, files, tmp_path) -> None:
    """s_server presents the certificate and signs its ServerKeyExchange; our client verifies
    it; s_server prints what we sent."""
    scheme, auth = KINDS[kind]
    options = ["-cert", str(files[f"{kind}.crt"]), "-key", str(files[f"{kind}.key"]),
               "-naccept", "1"]  # fmt: skip
    with openssl_server(tmp_path, options) as server:
        tls = connect(HOST, server.port, pki().client_config(), server_name="localhost", timeout=15)
        try:
            assert tls.negotiated.signature_scheme == scheme
            assert tls.negotiated.cipher_suite.auth.name == auth
            tls.sendall(kind.encode() + b"\n")
        finally:
            tls.close()
        assert server.wait() == 0, server.diagnostics()
    assert received_by_s_server(server.stdout()) == kind.encode() + b"\n"


@pytest.mark.parametrize("kind", list(KINDS))
def test_s_client_to_our_server(kind: str, files, tmp_path) -> None:
    """Our server signs with the certificate; s_client verifies chain and signature."""
    scheme, _ = KINDS[kind]
    config = pki().server_config(certificates=[identity(files, kind)])
    options = ["-ign_eof", "-servername", "localhost", "-CAfile", str(files["ca"]),
               "-verify_return_error", "-sigalgs", scheme.name]  # fmt: skip
    with OurServer(config, echo_line) as server:
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"hello\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == b"hello\n"
    assert outcome.info["negotiated"].signature_scheme == scheme
    assert "Verify return code: 0 (ok)" in run.output


@pytest.mark.parametrize("kind", list(KINDS))
def test_s_client_certificate_to_our_server(kind: str, files, tmp_path) -> None:
    """s_client signs CertificateVerify with its EdDSA / RSA-PSS client certificate."""
    scheme, _ = KINDS[kind]
    p = pki()
    config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    options = ["-ign_eof", "-servername", "localhost", "-CAfile", str(files["ca"]),
               "-cert", str(files[f"client_{kind}.crt"]),
               "-key", str(files[f"client_{kind}.key"]),
               "-client_sigalgs", scheme.name]  # fmt: skip
    with OurServer(config, echo_line) as server:
        run = run_openssl_client(tmp_path, server.port, options, stdin_data=b"signed\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == b"signed\n"
    trace = outcome.info["connection"].trace.entries
    verify = next(e for e in trace if e.name == "CertificateVerify")
    assert verify.details["signature"] == scheme.name


@pytest.mark.parametrize("kind", list(KINDS))
def test_our_client_certificate_to_s_server(kind: str, files, tmp_path) -> None:
    """s_server -Verify requires a client certificate and checks our CertificateVerify."""
    scheme, _ = KINDS[kind]
    options = ["-cert", str(files["ed25519.crt"]), "-key", str(files["ed25519.key"]),
               "-Verify", "1", "-CAfile", str(files["ca"]), "-verify_return_error",
               "-naccept", "1"]  # fmt: skip
    config = pki().client_config(client_certificates=[identity(files, f"client_{kind}")])
    with openssl_server(tmp_path, options) as server:
        tls = connect(HOST, server.port, config, server_name="localhost", timeout=15)
        try:
            trace = tls.connection.trace.entries
            verify = next(e for e in trace if e.name == "CertificateVerify")
            assert verify.details["signature"] == scheme.name
            tls.sendall(b"client " + kind.encode() + b"\n")
        finally:
            tls.close()
        assert server.wait() == 0, server.diagnostics()
    out = server.stdout()
    assert received_by_s_server(out) == b"client " + kind.encode() + b"\n"
    assert b"CN = client.example" in out or b"CN=client.example" in out, server.diagnostics()


# --- the command line: tls12 server --cert / tls12 client --cert ----------------------------


@contextlib.contextmanager
def cli_server(crt: Path, key: Path) -> Iterator[int]:
    """``tls12 server --www`` on a port the OS picked, stopped on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    args = [sys.executable, "-m", "tls12", "server", "--port", str(port),
            "--cert", str(crt), "--key", str(key), "--www"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.2):
                break
            assert time.monotonic() < deadline, "tls12 server did not listen"
            time.sleep(0.02)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize("kind", ["ed448", "rsa_pss"])
def test_cli_server_certificate_to_s_client(kind: str, files, tmp_path) -> None:
    """``tls12 server --cert`` with an Ed448 / RSA-PSS certificate, s_client verifying it."""
    scheme, _ = KINDS[kind]
    with cli_server(files[f"{kind}.crt"], files[f"{kind}.key"]) as port:
        options = ["-servername", "localhost", "-CAfile", str(files["ca"]),
                   "-verify_return_error", "-ign_eof"]  # fmt: skip
        run = run_openssl_client(tmp_path, port, options, stdin_data=b"GET / HTTP/1.0\r\n\r\n")
    assert run.returncode == 0, run.diagnostics()
    assert "Verify return code: 0 (ok)" in run.output
    assert f"Peer signature type: {_openssl_sig_type(scheme)}" in run.output, run.output


def _openssl_sig_type(scheme: S) -> str:
    return {"ed448": "ed448", "ed25519": "ed25519"}.get(scheme.name, "RSA-PSS")


@pytest.mark.parametrize("kind", ["ed25519", "rsa_pss"])
def test_cli_client_certificate_to_s_server(kind: str, files, tmp_path) -> None:
    """``tls12 client --cert`` with an Ed25519 / RSA-PSS client certificate, s_server -Verify."""
    options = ["-cert", str(files["ed448.crt"]), "-key", str(files["ed448.key"]),
               "-Verify", "1", "-CAfile", str(files["ca"]), "-verify_return_error",
               "-naccept", "1"]  # fmt: skip
    with openssl_server(tmp_path, options) as server:
        args = [
            sys.executable, "-m", "tls12", "client", f"127.0.0.1:{server.port}",
            "--servername", "localhost", "--cafile", str(files["ca"]), "--idle-timeout", "1",
            "--cert", str(files[f"client_{kind}.crt"]), "--key", str(files[f"client_{kind}.key"]),
        ]  # fmt: skip
        result = subprocess.run(args, input=b"cli\n", capture_output=True, timeout=30)
        assert result.returncode == 0, result.stderr.decode()
        assert server.wait() == 0, server.diagnostics()
    assert received_by_s_server(server.stdout()) == b"cli\n"


# --- GnuTLS: gnutls-serv and gnutls-cli ------------------------------------------------------

GNUTLS_TLS12 = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+SIGN-EDDSA-ED448"


@pytest.mark.parametrize("kind", list(KINDS))
def test_our_client_to_gnutls_serv(kind: str, files, tmp_path) -> None:
    scheme, _ = KINDS[kind]
    options = ["--x509certfile", str(files[f"{kind}.crt"]),
               "--x509keyfile", str(files[f"{kind}.key"]),
               "--disable-client-cert", "--priority", GNUTLS_TLS12]  # fmt: skip
    with gnutls_server(tmp_path, options) as server:
        tls = connect(HOST, server.port, pki().client_config(), server_name="localhost", timeout=15)
        try:
            assert tls.negotiated.signature_scheme == scheme, server.diagnostics()
            tls.sendall(b"echo " + kind.encode() + b"\n")
            got = b""
            while not got.endswith(b"\n"):
                chunk = tls.recv()
                assert chunk, "gnutls-serv closed before echoing"
                got += chunk
            assert got == b"echo " + kind.encode() + b"\n"
        finally:
            tls.close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_gnutls_cli_to_our_server_with_client_certificate(kind: str, files, tmp_path) -> None:
    """gnutls-cli verifies our EdDSA / RSA-PSS server certificate and signs CertificateVerify
    with the same kind of client certificate."""
    scheme, _ = KINDS[kind]
    p = pki()
    config = p.server_config(
        certificates=[identity(files, kind)], client_auth=ClientAuth.REQUIRED, client_trust=p.trust
    )
    options = ["--x509cafile", str(files["ca"]), "--verify-hostname", "localhost",
               "--sni-hostname", "localhost", "--priority", GNUTLS_TLS12,
               "--x509certfile", str(files[f"client_{kind}.crt"]),
               "--x509keyfile", str(files[f"client_{kind}.key"])]  # fmt: skip
    with OurServer(config, echo_line) as server:
        run = run_gnutls_client(tmp_path, server.port, options, stdin_data=b"gnutls\n")
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert outcome.result() == b"gnutls\n"
    assert run.stdout == b"gnutls\n"
    assert outcome.info["negotiated"].signature_scheme == scheme
    trace = outcome.info["connection"].trace.entries
    verify = next(e for e in trace if e.name == "CertificateVerify")
    assert verify.details["signature"] in {s.name for s in _same_family(scheme)}


def _same_family(scheme: S) -> tuple[S, ...]:
    """gnutls-cli picks its own CertificateVerify hash among those the key allows."""
    if scheme in (S.ed25519, S.ed448):
        return (scheme,)
    if scheme == S.rsa_pss_pss_sha512:
        return (scheme,)
    return (S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512)
