"""``tls12 client --maxfraglen N`` (like ``openssl s_client -maxfraglen``), ``tls12 server
--max-send-fragment N``, and ``--record-size-limit N`` on both: parsed into the configuration,
refused by name when out of range (no traceback), reported after the handshake and in
``--trace``, against real peers (OpenSSL's s_server, OpenSSL's s_client)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from peers import Peer
from peers.openssl import openssl_server, run_openssl_client
from tls_support import pki

from tls12.cli import build_parser
from tls12.cli import client as cli_client
from tls12.cli import server as cli_server
from tls12.errors import ConfigError


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("cli_record_size"))


def _server(files: dict[str, Path], *extra: str):  # type: ignore[no-untyped-def]
    args = build_parser().parse_args(
        ["server", "--port", "0", "--cert", str(files["ecdsa.crt"]),
         "--key", str(files["ecdsa.key"]), *extra]
    )  # fmt: skip
    return cli_server.config_from_args(args)


def _client(*extra: str):  # type: ignore[no-untyped-def]
    return cli_client.config_from_args(build_parser().parse_args(["client", "h:1", *extra]))


def test_options_reach_the_configuration(files: dict[str, Path]) -> None:
    config = _client("--maxfraglen", "512", "--record-size-limit", "1000")
    assert (config.max_fragment_length, config.record_size_limit) == (512, 1000)
    assert (_client().max_fragment_length, _client().record_size_limit) == (None, None)
    config = _server(files, "--max-send-fragment", "2048", "--record-size-limit", "64")
    assert (config.max_fragment_length, config.record_size_limit) == (2048, 64)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--maxfraglen", "0"], "--maxfraglen"),
        (["--maxfraglen", "5"], "--maxfraglen"),
        (["--maxfraglen", "16384"], "--maxfraglen"),
        (["--record-size-limit", "63"], "--record-size-limit"),
        (["--record-size-limit", "16385"], "--record-size-limit"),
    ],
)
def test_client_refuses_bad_values_by_name(argv: list[str], flag: str) -> None:
    with pytest.raises(ConfigError, match=flag):
        _client(*argv)


def test_server_refuses_bad_values_by_name(files: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match="--max-send-fragment"):
        _server(files, "--max-send-fragment", "1000")
    with pytest.raises(ConfigError, match="--record-size-limit"):
        _server(files, "--record-size-limit", "10")


def test_a_bad_value_ends_the_command_without_a_traceback() -> None:
    for argv in (["client", "--maxfraglen", "5", "127.0.0.1:1"],
                 ["client", "--maxfraglen", "x", "127.0.0.1:1"]):  # fmt: skip
        out = subprocess.run(
            [sys.executable, "-m", "tls12", *argv], capture_output=True, text=True, timeout=60
        )
        assert out.returncode != 0
        assert "--maxfraglen" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_help_lists_the_options() -> None:
    for command, flags in (
        ("client", ("--maxfraglen", "--record-size-limit")),
        ("server", ("--max-send-fragment", "--record-size-limit")),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "tls12", command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert all(flag in out.stdout for flag in flags), out.stdout


def test_client_maxfraglen_against_openssl_server(files: dict[str, Path], tmp_path: Path) -> None:
    options = ["-cert", str(files["ecdsa.crt"]), "-key", str(files["ecdsa.key"]), "-www"]
    with openssl_server(tmp_path, options) as server:
        out = subprocess.run(
            [sys.executable, "-m", "tls12", "client", "--cafile", str(files["ca"]),
             "--servername", "localhost", "--maxfraglen", "512", "--trace",
             f"127.0.0.1:{server.port}"],
            input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True, timeout=60,
        )  # fmt: skip
    stderr = out.stderr.decode(errors="replace")
    assert out.returncode == 0, stderr
    assert b"HTTP/1.0 200 ok" in out.stdout
    assert "Record sizes: max_fragment_length 512, send <= 512, receive <= 512" in stderr
    assert "max_fragment_length=512" in stderr  # the --trace drawing


def test_openssl_client_maxfraglen_against_our_cli_server(
    files: dict[str, Path], tmp_path: Path
) -> None:
    args = [
        sys.executable, "-m", "tls12", "server", "--port", "0", "--www",
        "--cert", str(files["ecdsa.crt"]), "--key", str(files["ecdsa.key"]),
        "--record-size-limit", "1000",
    ]  # fmt: skip
    with Peer("tls12-server", args, tmp_path) as server:
        port = int(server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr").group(1))
        run = run_openssl_client(
            tmp_path,
            port,
            ["-maxfraglen", "1024", "-quiet", "-CAfile", str(files["ca"])],
            stdin_data=b"GET / HTTP/1.0\r\n\r\n",
        )
        server.wait_for(rb"connected: .*Record sizes", stream="stderr")
    page = run.stdout.decode(errors="replace")
    assert "Record sizes: max_fragment_length 1024, send <= 1024, receive <= 1024" in page, page
    assert "Record sizes: max_fragment_length 1024" in server.output()
