"""PSK and ECDHE_PSK against GnuTLS in both directions: ``gnutls-serv --pskpasswd`` and
``gnutls-cli --pskusername --pskkey``, every PSK suite GnuTLS 3.7 lists, with an identity hint;
and GnuTLS's answer to an identity it does not know."""

from __future__ import annotations

from pathlib import Path

import pytest
from peers import OurServer, gnutls_priority_suites, gnutls_server, recv_exactly, run_gnutls_client

from tls12 import errors
from tls12.config import ClientConfig, ServerConfig
from tls12.crypto.suites import BY_ID, CipherSuite, KeyExchange
from tls12.io.sync import TLSSocket, connect
from tls12.wire.enums import AlertDescription

IDENTITY = b"dev1"
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
ALL_PSK = "NONE:+VERS-TLS1.2:+PSK:+ECDHE-PSK:+CIPHER-ALL:+MAC-ALL:+SIGN-ALL:+COMP-NULL:+GROUP-ALL"
GNUTLS_SUITES = [BY_ID[i] for i in (0x00A8, 0x00A9, 0xCCAB, 0xC0A4, 0xC0A5, 0x008C, 0x008D,
                                    0xCCAC, 0xC035, 0xC036)]  # fmt: skip
_CIPHER = {
    "AES_128_GCM": "AES-128-GCM",
    "AES_256_GCM": "AES-256-GCM",
    "CHACHA20_POLY1305": "CHACHA20-POLY1305",
    "AES_128_CCM": "AES-128-CCM",
    "AES_256_CCM": "AES-256-CCM",
    "AES_128_CBC": "AES-128-CBC",
    "AES_256_CBC": "AES-256-CBC",
}


def priority(suite: CipherSuite) -> str:
    kx = "ECDHE-PSK" if suite.kx is KeyExchange.ECDHE_PSK else "PSK"
    mac = suite.mac or "AEAD"
    return (
        f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+{kx}:-CIPHER-ALL:+{_CIPHER[suite.cipher.value]}"
        f":-MAC-ALL:+{mac}"
    )


def test_gnutls_lists_the_psk_suites_we_test():
    """Not filtered by what GnuTLS has: a suite it no longer lists fails here."""
    assert sorted(gnutls_priority_suites(ALL_PSK)) == sorted(s.id for s in GNUTLS_SUITES)
    for suite in GNUTLS_SUITES:
        assert gnutls_priority_suites(priority(suite)) == [suite.id], suite.name


@pytest.fixture
def passwd(tmp_path: Path) -> Path:
    path = tmp_path / "psk.passwd"
    path.write_text(f"{IDENTITY.decode()}:{KEY.hex()}\n")
    return path


@pytest.mark.parametrize("suite", GNUTLS_SUITES, ids=str)
def test_our_client_to_gnutls_serv(suite: CipherSuite, passwd: Path, tmp_path: Path):
    options = [
        "--pskpasswd",
        str(passwd),
        "--pskhint",
        "gnutls-hint",
        "--priority",
        priority(suite),
    ]
    with gnutls_server(tmp_path, options) as server:
        hints: list[bytes | None] = []

        def answer(hint: bytes | None) -> tuple[bytes, bytes]:
            hints.append(hint)
            return IDENTITY, KEY

        config = ClientConfig(psk_callback=answer, cipher_suites=[suite])
        tls = connect("127.0.0.1", server.port, config, timeout=15)
        assert hints == [b"gnutls-hint"]
        assert tls.negotiated.cipher_suite == suite
        assert tls.negotiated.psk_identity == IDENTITY
        tls.sendall(b"hello gnutls\r\n")
        assert tls.recv() == b"hello gnutls\r\n"  # --echo --crlf
        tls.close()
        session = server.only_session()
    assert f"Connected as '{IDENTITY.decode()}'" in server.output(), server.diagnostics()
    assert "extended master secret" in session.options


def _echo_once(tls: TLSSocket) -> bytes:
    data = recv_exactly(tls, 5)
    tls.sendall(data)
    return data


CLI_SUITES = [s for s in GNUTLS_SUITES if s.kx is KeyExchange.PSK]
"""gnutls-cli 3.7.9 crashes (SIGSEGV) in every ECDHE-PSK handshake, against gnutls-serv and
OpenSSL too, so ECDHE_PSK meets GnuTLS as a server only (and OpenSSL both ways)."""


@pytest.mark.parametrize("suite", CLI_SUITES, ids=str)
def test_gnutls_cli_to_our_server(suite: CipherSuite, tmp_path: Path):
    config = ServerConfig(
        psk_keys={IDENTITY: KEY}, psk_identity_hint=b"our-hint", cipher_suites=[suite]
    )
    with OurServer(config, _echo_once) as server:
        run = run_gnutls_client(
            tmp_path,
            server.port,
            [
                "--pskusername",
                IDENTITY.decode(),
                "--pskkey",
                KEY.hex(),
                "--priority",
                priority(suite),
            ],
            stdin_data=b"ping\n",
        )
        outcome = server.next_outcome()
    assert outcome.error is None, outcome.error
    assert outcome.info["negotiated"].cipher_suite == suite
    assert outcome.info["negotiated"].psk_identity == IDENTITY
    assert run.stdout == b"ping\n", run.diagnostics()
    assert "PSK hint 'our-hint'" in run.log, run.diagnostics()


def test_gnutls_serv_hides_an_unknown_identity_behind_bad_record_mac(passwd: Path, tmp_path: Path):
    """RFC 4279 §2 lets a server hide unknown identities: GnuTLS goes on with a random key, so
    our client sees the Finished fail, and says the key is the likely cause."""
    suite = BY_ID[0x00A8]
    with gnutls_server(tmp_path, ["--pskpasswd", str(passwd), "--priority", priority(suite)]) as s:
        config = ClientConfig(psk_identity=b"nobody", psk=KEY, cipher_suites=[suite])
        with pytest.raises(errors.FatalAlertReceived) as caught:
            connect("127.0.0.1", s.port, config, timeout=15)
    assert caught.value.description == AlertDescription.bad_record_mac
    assert "pre-shared key probably differs" in str(caught.value)


def test_gnutls_cli_sees_our_unknown_psk_identity_alert(tmp_path: Path):
    suite = BY_ID[0x00A8]
    config = ServerConfig(psk_keys={IDENTITY: KEY}, cipher_suites=[suite])
    with OurServer(config, _echo_once) as server:
        run = run_gnutls_client(
            tmp_path,
            server.port,
            ["--pskusername", "nobody", "--pskkey", KEY.hex(), "--priority", priority(suite)],
            stdin_data=b"ping\n",
        )
        outcome = server.next_outcome()
    assert isinstance(outcome.error, errors.UnknownPskIdentity), outcome.error
    assert run.returncode != 0
    assert "Received alert [115]" in run.output, run.diagnostics()
