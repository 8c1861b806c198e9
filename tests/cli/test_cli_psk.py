"""``tls12 client --psk-identity ID --psk HEX`` and ``tls12 server --psk HEX [--psk-hint H]``
(no --cert) as processes, against ``openssl s_server -nocert -psk`` and ``s_client -psk``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from peers import Peer, openssl_server
from peers.openssl import run_openssl_client

from tls12.cli import build_parser
from tls12.cli import client as cli_client
from tls12.cli import server as cli_server
from tls12.errors import ConfigError

TLS12 = [sys.executable, "-m", "tls12"]
KEY_HEX = "0123456789abcdef0123456789abcdef"


def run_cli(*args: str, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*TLS12, *args], input=stdin, capture_output=True, timeout=timeout)


def test_cli_server_without_certificate_serves_s_client(tmp_path: Path):
    # --ciphers PSK: plain PSK too (the default policy has only ECDHE_PSK with an AEAD)
    args = [*TLS12, "server", "--port", "0", "--www", "--psk", KEY_HEX, "--psk-hint", "lab"]
    args += ["--ciphers", "PSK"]
    with Peer("tls12-server", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        run = run_openssl_client(
            tmp_path,
            int(match.group(1)),
            ["-quiet", "-psk", KEY_HEX, "-cipher", "PSK-AES256-GCM-SHA384"],  # identity default
            stdin_data=b"GET / HTTP/1.0\r\n\r\n",
        )
    page = run.stdout.decode()
    assert "Cipher: TLS_PSK_WITH_AES_256_GCM_SHA384" in page, run.diagnostics()
    assert "PSK identity: Client_identity" in page


def test_cli_client_to_s_server_nocert(tmp_path: Path):
    options = ["-nocert", "-psk", KEY_HEX, "-psk_identity", "sensor-1", "-www", "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        out = run_cli(
            "client",
            f"127.0.0.1:{server.port}",
            "--psk-identity",
            "sensor-1",
            "--psk",
            KEY_HEX,
            "--idle-timeout",
            "2",
            stdin=b"GET / HTTP/1.0\r\n\r\n",
        )
    err = out.stderr.decode()
    assert out.returncode == 0, err
    assert "Cipher is TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256" in err
    assert "PSK identity: sensor-1" in err
    assert b"ECDHE-PSK-CHACHA20-POLY1305" in out.stdout  # s_server -www's page names it


def test_cli_client_with_the_wrong_key_is_one_clear_line(tmp_path: Path):
    options = ["-nocert", "-psk", KEY_HEX, "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        out = run_cli(
            "client", f"127.0.0.1:{server.port}", "--psk-identity", "x", "--psk", "ff" * 16
        )
    lines = out.stderr.decode().splitlines()
    assert out.returncode == 1 and len(lines) == 1, lines
    assert "pre-shared key probably differs" in lines[0]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["client", "h:1", "--psk", "zz", "--psk-identity", "a"], "--psk must be hex"),
        (["client", "h:1", "--psk-identity", "a"], "--psk-identity needs --psk"),
        (["client", "h:1", "--psk", "00"], "--psk needs --psk-identity"),
        (["server", "--port", "0", "--psk-hint", "h"], "--psk-hint needs --psk"),
        (["server", "--port", "0"], "--cert and --key are required (or --psk"),
        (["server", "--port", "0", "--psk", "00", "--status-file", "x.der"], "--status-file needs"),
    ],
)
def test_bad_psk_options_are_refused_by_name(argv: list[str], words: str):
    args = build_parser().parse_args(argv)
    module = cli_client if argv[0] == "client" else cli_server
    with pytest.raises(ConfigError) as caught:
        module.config_from_args(args)
    assert words in str(caught.value)


def test_options_become_the_config():
    args = build_parser().parse_args(
        [
            "server",
            "--port",
            "0",
            "--psk",
            "0x" + KEY_HEX,
            "--psk-identity",
            "dev",
            "--psk-hint",
            "h",
        ]
    )
    config = cli_server.config_from_args(args)
    assert config.psk_lookup is not None and config.psk_lookup(b"dev") == bytes.fromhex(KEY_HEX)
    assert config.psk_identity_hint == b"h" and not config.certificates
    client = cli_client.config_from_args(
        build_parser().parse_args(["client", "h:1", "--psk-identity", "dev", "--psk", KEY_HEX])
    )
    assert client.psk_identity == b"dev" and client.psk == bytes.fromhex(KEY_HEX)


@pytest.mark.parametrize("command", ["client", "server"])
def test_help_lists_the_psk_options(command: str):
    text = run_cli(command, "--help").stdout.decode()
    assert "--psk-identity" in text and "--psk HEX" in text
    assert ("--psk-hint" in text) == (command == "server")


def test_a_mistyped_key_is_not_repeated_in_the_error():
    key = "00112233445566778899aabbccddeefz"
    args = build_parser().parse_args(["client", "h:1", "--psk", key, "--psk-identity", "a"])
    with pytest.raises(ConfigError) as caught:
        cli_client.config_from_args(args)
    assert "--psk must be hex digits" in str(caught.value)
    assert key[:8] not in str(caught.value)
