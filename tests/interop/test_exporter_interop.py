"""RFC 5705 exporters against OpenSSL and GnuTLS, both directions, on the API and the CLI:
for one connection, both ends must print the same keying material."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from peers import OurServer, Peer, openssl_server, run_gnutls_client, run_openssl_client
from tls_support import pki

from tls12.io.sync import connect

LABEL = "EXPERIMENTAL-tls12-interop"
MATERIAL = re.compile(rb"Keying material: ([0-9A-F]+)")
SUITES = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("exporter"))


def _key_args(files: dict[str, Path], suite: str) -> list[str]:
    kind = "ecdsa" if "ECDSA" in suite else "rsa"
    return ["-cert", str(files[f"{kind}.crt"]), "-key", str(files[f"{kind}.key"])]


def _exported(text: bytes) -> bytes:
    match = MATERIAL.search(text)
    assert match, text[-2000:]
    return bytes.fromhex(match.group(1).decode())


@pytest.mark.parametrize("length", [20, 64])
@pytest.mark.parametrize("suite", SUITES)
def test_our_client_and_s_server_export_the_same(files, tmp_path, suite, length):
    options = [*_key_args(files, suite), "-keymatexport", LABEL, "-keymatexportlen", str(length)]
    with openssl_server(tmp_path, options) as server:
        config = pki().client_config(cipher_suites=[suite])
        with connect("127.0.0.1", server.port, config, server_name="localhost") as tls:
            ours = tls.connection.export_keying_material(LABEL, length)
            theirs = _exported(server.wait_for(rb"Keying material: [0-9A-F]+\n").group(0))
    assert ours == theirs and len(ours) == length


@pytest.mark.parametrize("ems", [True, False], ids=["ems", "no_ems"])
def test_s_client_and_our_server_export_the_same(files, tmp_path, ems):
    config = pki().server_config(extended_master_secret=ems)
    with OurServer(config, lambda tls: tls.connection.export_keying_material(LABEL, 32)) as srv:
        run = run_openssl_client(
            tmp_path,
            srv.port,
            ["-CAfile", str(files["ca"]), "-keymatexport", LABEL, "-keymatexportlen", "32"],
        )
        outcome = srv.next_outcome()
    assert outcome.error is None, outcome.error
    assert outcome.info["negotiated"].extended_master_secret is ems
    assert _exported(run.stdout) == outcome.value, run.diagnostics()


def test_gnutls_cli_and_our_server_export_the_same(files, tmp_path):
    with OurServer(
        pki().server_config(), lambda tls: tls.connection.export_keying_material(LABEL, 20)
    ) as srv:
        run = run_gnutls_client(
            tmp_path,
            srv.port,
            [
                "--x509cafile", str(files["ca"]), "--priority",
                "NORMAL:-VERS-ALL:+VERS-TLS1.2", "--keymatexport", LABEL,
                "--keymatexportsize", "20",
            ],
            close_stdin=True,
        )
        outcome = srv.next_outcome()
    assert outcome.error is None, outcome.error
    printed = re.search(r"Key material: ([0-9A-Fa-f]+)", run.output)
    assert printed, run.diagnostics()
    assert bytes.fromhex(printed.group(1)) == outcome.value


def _tls12(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tls12", *args], capture_output=True, timeout=timeout, input=b""
    )


def test_cli_client_prints_what_s_server_prints(files, tmp_path):
    suite = SUITES[0]
    options = [*_key_args(files, suite), "-keymatexport", LABEL, "-keymatexportlen", "24"]
    with openssl_server(tmp_path, options) as server:
        out = _tls12(
            "client", f"127.0.0.1:{server.port}", "--servername", "localhost", "--cafile",
            str(files["ca"]), "--keymatexport", LABEL, "--keymatexportlen", "24",
            "--idle-timeout", "0.2",
        )
        theirs = _exported(server.wait_for(rb"Keying material: [0-9A-F]+\n").group(0))
    assert out.returncode == 0, out.stderr
    assert f"    Label: '{LABEL}'\n    Length: 24 bytes\n".encode() in out.stderr
    assert _exported(out.stderr) == theirs


def test_cli_server_prints_what_s_client_prints(files, tmp_path):
    args = [
        sys.executable, "-m", "tls12", "server", "--port", "0", "--cert", str(files["rsa.crt"]),
        "--key", str(files["rsa.key"]), "--keymatexport", LABEL,
    ]
    with Peer("tls12-server", args, tmp_path) as server:
        port = int(server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr").group(1))
        run = run_openssl_client(
            tmp_path, port, ["-CAfile", str(files["ca"]), "-keymatexport", LABEL]
        )
        ours = server.wait_for(rb"Keying material: [0-9A-F]+\n", stream="stderr").group(0)
    assert _exported(ours) == _exported(run.stdout) and len(_exported(ours)) == 20


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--keymatexport", "master secret"], "TLS reserves"),
        (["--keymatexport", "x", "--keymatexportlen", "0"], "--keymatexportlen"),
    ],
)
def test_cli_refuses_a_bad_exporter_request_in_one_line(flags, message):
    out = _tls12("client", "127.0.0.1:1", *flags)
    lines = out.stderr.decode().strip().splitlines()
    assert out.returncode != 0 and len(lines) == 1 and message in lines[0], lines
