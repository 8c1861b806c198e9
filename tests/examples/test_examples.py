"""Every script in examples/ runs, as a user would run it, against a real peer: OpenSSL's
s_server and s_client, or (for the fleet example) our own servers. The certificates are the
ones examples/make_certs.py writes, so that example is exercised too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ocsp_support import openssl_ocsp_response
from peers import (
    Peer,
    openssl_server,
    python_client_context,
    python_tls_client,
    run_openssl_client,
)
from tls_support import pki

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT = 60


def example(name: str) -> str:
    path = EXAMPLES / name
    assert path.is_file(), f"{path} is missing"
    return str(path)


def run_example(name: str, *args: str, cwd: Path) -> str:
    out = subprocess.run(
        [sys.executable, example(name), *args],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
    )
    assert out.returncode == 0, f"{name} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
    assert "Traceback" not in out.stderr, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("example-certs")
    run_example("make_certs.py", str(directory), cwd=directory)
    for name in ("ca.pem", "server.crt", "server.key", "client.crt", "client.key"):
        assert (directory / name).is_file(), name
    return directory


def s_server_www(certs: Path, tmp_path: Path, *extra: str):  # noqa: ANN201
    return openssl_server(
        tmp_path,
        ["-cert", str(certs / "server.crt"), "-key", str(certs / "server.key"), "-www", *extra],
    )


def start_example_server(name: str, args: list[str], tmp_path: Path) -> tuple[Peer, int]:
    peer = Peer(name, [sys.executable, example(name), *args, "--port", "0"], tmp_path)
    match = peer.wait_for(rb"listening on 127\.0\.0\.1:(\d+)")
    return peer, int(match.group(1))


def test_client_against_openssl_s_server(certs: Path, tmp_path: Path) -> None:
    with s_server_www(certs, tmp_path) as server:
        out = run_example(
            "client.py", "localhost", str(server.port), "--cafile", str(certs / "ca.pem"),
            cwd=tmp_path,
        )
    assert "negotiated TLSv1.2 TLS_ECDHE_ECDSA_" in out, out
    assert "HTTP/1.0 200 ok" in out, out


def test_asyncio_client_against_openssl_s_server(certs: Path, tmp_path: Path) -> None:
    with s_server_www(certs, tmp_path) as server:
        out = run_example(
            "asyncio_client.py", "localhost", str(server.port), "--cafile", str(certs / "ca.pem"),
            cwd=tmp_path,
        )
    assert out.strip() == "HTTP/1.0 200 ok", out


def test_urllib3_client_against_openssl_s_server(certs: Path, tmp_path: Path) -> None:
    with s_server_www(certs, tmp_path) as server:
        out = run_example(
            "urllib3_client.py", f"https://localhost:{server.port}/",
            "--cafile", str(certs / "ca.pem"), cwd=tmp_path,
        )
    status, size, _ = out.split()
    assert status == "200" and int(size) > 0, out


def test_httpx_client_sync_and_async_against_openssl_s_server(certs: Path, tmp_path: Path) -> None:
    with s_server_www(certs, tmp_path) as server:
        out = run_example(
            "httpx_client.py", f"https://localhost:{server.port}/",
            "--cafile", str(certs / "ca.pem"), cwd=tmp_path,
        )
    lines = [line.split() for line in out.strip().splitlines()]
    assert [(mode, status) for mode, status, *_ in lines] == [("sync", "200"), ("async", "200")]
    assert all(int(size) > 0 for _, _, size, _ in lines), out


def test_aiohttp_client_against_openssl_s_server(certs: Path, tmp_path: Path) -> None:
    with s_server_www(certs, tmp_path) as server:
        out = run_example(
            "aiohttp_client.py", f"https://localhost:{server.port}/",
            "--cafile", str(certs / "ca.pem"), cwd=tmp_path,
        )
    status, size, _ = out.split()
    assert status == "200" and int(size) > 0, out


def server_args(certs: Path) -> list[str]:
    return ["--cert", str(certs / "server.crt"), "--key", str(certs / "server.key")]


def client_opts(certs: Path) -> list[str]:
    return ["-CAfile", str(certs / "ca.pem"), "-servername", "localhost", "-verify_return_error"]


def ask(port: int, certs: Path, line: bytes) -> bytes:
    """Python's ssl module (OpenSSL) as the client: send a line, read the answer line, close
    cleanly (close_notify), as a line-based protocol would."""
    with python_tls_client(port, python_client_context(certs / "ca.pem")) as tls:
        tls.sendall(line)
        answer = b""
        while not answer.endswith(b"\n") and (chunk := tls.recv(4096)):
            answer += chunk
        tls.unwrap()
    return answer


def test_echo_server_with_python_ssl_client(certs: Path, tmp_path: Path) -> None:
    peer, port = start_example_server("server.py", server_args(certs), tmp_path)
    with peer:
        assert ask(port, certs, b"echo me, please\n") == b"echo me, please\n"
        assert ask(port, certs, b"and again\n") == b"and again\n"


def test_asyncio_server_with_python_ssl_client(certs: Path, tmp_path: Path) -> None:
    peer, port = start_example_server("asyncio_server.py", server_args(certs), tmp_path)
    with peer:
        assert ask(port, certs, b"make me loud\n") == b"MAKE ME LOUD\n"


def test_mutual_tls_server_with_openssl_s_client(certs: Path, tmp_path: Path) -> None:
    args = [*server_args(certs), "--client-ca", str(certs / "ca.pem")]
    peer, port = start_example_server("mutual_tls_server.py", args, tmp_path)
    with peer:
        with_cert = run_openssl_client(
            tmp_path, port,
            [*client_opts(certs), "-cert", str(certs / "client.crt"),
             "-key", str(certs / "client.key"), "-quiet"],
            stdin_data=b"hello\n",
        )
        without = run_openssl_client(
            tmp_path, port, [*client_opts(certs), "-quiet"], stdin_data=b"hello\n"
        )
    assert b"hello, example client" in with_cert.stdout, with_cert.diagnostics()
    assert b"hello" not in without.stdout, "a client without a certificate was let in"
    assert "alert" in without.output.lower(), without.diagnostics()


def test_mutual_tls_client_against_openssl_s_server(certs: Path, tmp_path: Path) -> None:
    # -Verify 1: s_server requires a client certificate and checks it against the CA; with
    # -www it answers with a status page.
    with s_server_www(
        certs, tmp_path, "-Verify", "1", "-verify_return_error", "-CAfile", str(certs / "ca.pem")
    ) as server:
        out = run_example(
            "mutual_tls_client.py", "localhost", str(server.port),
            "--cafile", str(certs / "ca.pem"),
            "--cert", str(certs / "client.crt"), "--key", str(certs / "client.key"),
            cwd=tmp_path,
        )
        # s_server checked the client's chain against the CA: its verify log names the leaf
        server.wait_for(rb"depth=0 CN = example client", stream="stderr")
    assert out.strip() == "HTTP/1.0 200 ok", out


def test_mutual_tls_client_with_mutual_tls_server(certs: Path, tmp_path: Path) -> None:
    args = [*server_args(certs), "--client-ca", str(certs / "ca.pem")]
    peer, port = start_example_server("mutual_tls_server.py", args, tmp_path)
    with peer:
        out = run_example(
            "mutual_tls_client.py", "localhost", str(port), "--cafile", str(certs / "ca.pem"),
            "--cert", str(certs / "client.crt"), "--key", str(certs / "client.key"),
            cwd=tmp_path,
        )
    assert out.strip() == "hello, example client", out


def test_resumption_across_two_servers_sharing_a_ticket_key_file(
    certs: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "ticket.keys"
    out = run_example(
        "resumption_fleet.py", *server_args(certs), "--cafile", str(certs / "ca.pem"),
        "--ticket-keys", str(keys), cwd=tmp_path,
    )
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith(": full handshake"), out
    assert lines[1].endswith(": resumed"), out
    assert lines[0].split(":")[0] != lines[1].split(":")[0], "both visits went to one server"
    assert keys.is_file()


def test_ocsp_client_prints_the_staple_of_s_server(tmp_path):
    """examples/ocsp_client.py against ``openssl s_server -status_file``, with a response
    ``openssl ocsp`` made: printed when good; exit 2 when revoked; exit 1 with --require and
    nothing stapled."""
    p = pki()
    paths = p.write(tmp_path)
    base = ["-cert", str(paths["rsa.crt"]), "-key", str(paths["rsa.key"]), "-www"]
    args = ["localhost", "", "--cafile", str(paths["ca"])]
    good = openssl_ocsp_response(tmp_path, p.rsa.cert)
    with openssl_server(tmp_path, [*base, "-status_file", str(good)]) as server:
        args[1] = str(server.port)
        out = run_example("ocsp_client.py", *args, cwd=tmp_path)
    assert "OCSP Response Status: successful (0x0)" in out and "Cert Status: good" in out, out
    revoked = openssl_ocsp_response(tmp_path, p.rsa.cert, revoked=True, name="revoked.der")
    for options, extra, code in (
        (["-status_file", str(revoked)], [], 2),
        ([], ["--require"], 1),
    ):
        with openssl_server(tmp_path, [*base, *options]) as server:
            args[1] = str(server.port)
            done = subprocess.run(
                [sys.executable, example("ocsp_client.py"), *args, *extra],
                capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path,
            )  # fmt: skip
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr
