"""Conformance (issue 11) with real peers: the server the conformance suite runs,
``tls12 server --www --ciphers ALL --alpn http/1.1,h2``, against ``openssl s_client``; and the
new ``--sigalgs`` / ``--groups`` options on both our commands against OpenSSL."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers import Peer, openssl_server, run_openssl_client
from tls_support import pki

TLS12 = [sys.executable, "-m", "tls12"]
REQUEST = b"GET / HTTP/1.0\r\n\r\n"


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("conformance_pki"))


@contextlib.contextmanager
def www_server(tmp_path: Path, paths: dict[str, Path], stem: str, *extra: str) -> Iterator[int]:
    args = [
        *TLS12, "server", "--port", "0", "--www", "--ciphers", "ALL", "--alpn", "http/1.1,h2",
        "--cert", str(paths[f"{stem}.crt"]), "--key", str(paths[f"{stem}.key"]), *extra,
    ]  # fmt: skip
    with Peer("tls12-server", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        yield int(match.group(1))


def s_client(tmp_path: Path, port: int, paths: dict[str, Path], *options: str) -> str:
    run = run_openssl_client(
        tmp_path,
        port,
        ["-CAfile", str(paths["ca"]), "-servername", "localhost", "-ign_eof", *options],
        stdin_data=REQUEST,
    )
    return run.output


@pytest.mark.parametrize(
    "cipher",
    ["DHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256"],
)
def test_dhe_rsa_cbc_suites_with_s_client(cipher: str, tmp_path: Path, paths) -> None:
    with www_server(tmp_path, paths, "rsa") as port:
        out = s_client(tmp_path, port, paths, "-cipher", cipher)
    assert f"Cipher is {cipher}" in out, out
    assert "HTTP/1.0 200" in out, out


@pytest.mark.parametrize("sigalg", ["ECDSA+SHA512", "ECDSA+SHA384", "ECDSA+SHA256"])
def test_p256_server_signs_with_the_hash_the_client_offers(
    sigalg: str, tmp_path: Path, paths
) -> None:
    """RFC 8422 §5.1.3: a P-256 key may sign with SHA-512 in TLS 1.2 (the client lists P-256
    among its groups, as RFC 8422 §5.1 asks for the server certificate's curve)."""
    with www_server(tmp_path, paths, "ecdsa") as port:
        out = s_client(tmp_path, port, paths, "-sigalgs", sigalg)
    assert "Verify return code: 0 (ok)" in out, out
    assert f"Peer signing digest: {sigalg.split('+')[1]}" in out, out


@pytest.mark.parametrize("sigalg", ["RSA+SHA1", "ECDSA+SHA1"])
def test_sha1_only_client_is_served_by_the_compatible_policy(
    sigalg: str, tmp_path: Path, paths
) -> None:
    stem = "rsa" if sigalg.startswith("RSA") else "ecdsa"
    with www_server(tmp_path, paths, stem) as port:
        # OpenSSL 3 refuses SHA-1 signatures above security level 0
        out = s_client(tmp_path, port, paths, "-sigalgs", sigalg, "-cipher", "ALL:@SECLEVEL=0")
    assert "Peer signing digest: SHA1" in out, out
    assert "HTTP/1.0 200" in out, out


def test_sha1_only_client_is_refused_by_the_default_policy_naming_the_option(
    tmp_path: Path, paths
) -> None:
    args = [
        *TLS12, "server", "--port", "0", "--www",
        "--cert", str(paths["rsa.crt"]), "--key", str(paths["rsa.key"]),
    ]  # fmt: skip
    with Peer("tls12-server", args, tmp_path) as server:
        port = int(server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr").group(1))
        out = s_client(tmp_path, port, paths, "-sigalgs", "RSA+SHA1", "-cipher", "ALL:@SECLEVEL=0")
        assert "handshake failure" in out, out
        server.wait_for(rb"--ciphers ALL", stream="stderr")


def test_sha1_certificate_verify_from_s_client(tmp_path: Path, paths) -> None:
    """Our CertificateRequest under --ciphers ALL lists SHA-1: s_client may sign with it."""
    trace = tmp_path / "trace.jsonl"
    with www_server(
        tmp_path, paths, "rsa", "--verify-client", "--client-cafile", str(paths["ca"]),
        "--trace-json", str(trace),
    ) as port:  # fmt: skip
        out = s_client(
            tmp_path,
            port,
            paths,
            "-cert", str(paths["client_rsa.crt"]), "-key", str(paths["client_rsa.key"]),
            "-client_sigalgs", "RSA+SHA1", "-cipher", "ALL:@SECLEVEL=0",
        )  # fmt: skip
        verifies = _trace_lines(trace, "CertificateVerify")
    assert "HTTP/1.0 200" in out, out
    assert verifies and "rsa_pkcs1_sha1" in json.dumps(verifies[0]), verifies


def _trace_lines(path: Path, message: str, timeout: float = 10.0) -> list[dict[str, object]]:
    """The server writes a connection's trace once the connection is closed: poll for it."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.exists() else ""
        lines = [json.loads(line) for line in text.splitlines() if message in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("group", "shown"),
    [("P-521", "ECDH, secp521r1"), ("secp384r1", "ECDH, secp384r1"), ("X25519", "X25519")],
)
def test_server_groups_option_with_s_client(group: str, shown: str, tmp_path: Path, paths) -> None:
    with www_server(tmp_path, paths, "ecdsa", "--groups", group) as port:
        out = s_client(tmp_path, port, paths, "-groups", f"P-256:{group}")
    assert "HTTP/1.0 200" in out, out
    assert f"Server Temp Key: {shown}" in out, out


def test_server_sigalgs_option_narrows_what_it_signs_with(tmp_path: Path, paths) -> None:
    with www_server(tmp_path, paths, "rsa", "--sigalgs", "RSA+SHA384") as port:
        out = s_client(tmp_path, port, paths)
    assert "Peer signature type: RSA\n" in out or "Peer signature type: RSA" in out, out
    assert "Peer signing digest: SHA384" in out, out


def test_server_unknown_sigalg_is_refused_with_its_name(tmp_path: Path, paths) -> None:
    proc = subprocess.run(
        [*TLS12, "server", "--port", "0", "--cert", str(paths["rsa.crt"]),
         "--key", str(paths["rsa.key"]), "--sigalgs", "DSA+SHA256"],
        capture_output=True, timeout=30,
    )  # fmt: skip
    assert proc.returncode != 0
    assert b"DSA+SHA256" in proc.stderr and b"Traceback" not in proc.stderr


def _our_client(paths: dict[str, Path], port: int, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*TLS12, "client", f"127.0.0.1:{port}", "--cafile", str(paths["ca"]),
         "--servername", "localhost", *options],
        input=b"", capture_output=True, timeout=30,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("sigalgs", "digest"), [("ECDSA+SHA512", "SHA512"), ("ecdsa_secp384r1_sha384", "SHA384")]
)
def test_client_sigalgs_option_against_s_server(
    sigalgs: str, digest: str, tmp_path: Path, paths
) -> None:
    with openssl_server(
        tmp_path, ["-cert", str(paths["ecdsa.crt"]), "-key", str(paths["ecdsa.key"]), "-www"]
    ) as server:
        proc = _our_client(paths, server.port, "--sigalgs", sigalgs, "--trace")
    text = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 0, text
    scheme = {"SHA512": "ecdsa_secp521r1_sha512", "SHA384": "ecdsa_secp384r1_sha384"}[digest]
    assert scheme in text, text


@pytest.mark.parametrize(
    ("groups", "name"), [("P-521:P-256", "secp521r1"), ("prime256v1", "secp256r1")]
)
def test_client_groups_option_against_s_server(
    groups: str, name: str, tmp_path: Path, paths
) -> None:
    with openssl_server(
        tmp_path, ["-cert", str(paths["ecdsa.crt"]), "-key", str(paths["ecdsa.key"]), "-www"]
    ) as server:
        proc = _our_client(paths, server.port, "--groups", groups, "--trace")
    text = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 0, text
    assert name in text, text
