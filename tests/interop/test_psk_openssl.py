"""PSK (RFC 4279) and ECDHE_PSK (RFC 5489) against OpenSSL in both directions: every PSK suite
OpenSSL has, with and without an identity hint, no certificate on either side; resumption;
and the failures a user meets (unknown identity, wrong key) with the alerts on the wire."""

from __future__ import annotations

from pathlib import Path

import pytest
from peers import OurServer, openssl_cipher_name, openssl_server, received_by_s_server
from peers.openssl import run_openssl_client

from tls12 import errors
from tls12.config import ClientConfig, ServerConfig
from tls12.crypto.suites import PSK_SUITES, CipherSuite, KeyExchange
from tls12.io.sync import TLSSocket, connect
from tls12.wire.enums import AlertDescription

IDENTITY = b"Client_identity"  # s_client's default identity
KEY = bytes.fromhex("1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819"[:48])
PAYLOAD = b"pre-shared hello " * 1000

NO_PEER = {0xD001, 0xD002, 0xD003, 0xD005}
"""RFC 8442's ECDHE_PSK AES-GCM/CCM suites: OpenSSL 3.0 and GnuTLS 3.7 lack them (tested
ours against ours in tests/handshake/test_psk.py)."""
OPENSSL_SUITES = [s for s in PSK_SUITES if s.id not in NO_PEER]


def test_openssl_has_every_psk_suite_we_test_against_it():
    """The suite list is not filtered by what OpenSSL has: a missing one fails here."""
    names = {openssl_cipher_name(s.id) for s in OPENSSL_SUITES}
    assert len(names) == len(OPENSSL_SUITES) == 16
    assert "ECDHE-PSK-CHACHA20-POLY1305" in names and "PSK-AES128-CCM8" in names


def _psk_args(identity: bytes = IDENTITY, key: bytes = KEY) -> list[str]:
    return ["-psk_identity", identity.decode(), "-psk", key.hex()]


def _client(**kw: object) -> ClientConfig:
    kw.setdefault("psk_identity", IDENTITY)
    kw.setdefault("psk", KEY)
    return ClientConfig(**kw)  # type: ignore[arg-type]


def _server(**kw: object) -> ServerConfig:
    kw.setdefault("psk_keys", {IDENTITY: KEY})
    return ServerConfig(**kw)  # type: ignore[arg-type]


def _hint_cases() -> list[object]:
    out: list[object] = [pytest.param(s, None, id=s.name) for s in OPENSSL_SUITES]
    # a hint: plain PSK then sends ServerKeyExchange (RFC 4279 §2), ECDHE_PSK fills its field
    for name in ("TLS_PSK_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"):
        suite = next(s for s in PSK_SUITES if s.name == name)
        out.append(pytest.param(suite, b"our hint", id=f"{name}-hint"))
    return out


@pytest.mark.parametrize(("suite", "hint"), _hint_cases())
def test_our_client_to_s_server_nocert(suite: CipherSuite, hint: bytes | None, tmp_path: Path):
    options = ["-nocert", *_psk_args(), "-cipher", openssl_cipher_name(suite.id), "-naccept", "1"]
    if hint:
        options += ["-psk_hint", hint.decode()]
    hints: list[bytes | None] = []

    def answer(given: bytes | None) -> tuple[bytes, bytes]:
        hints.append(given)
        return IDENTITY, KEY

    config = ClientConfig(psk_callback=answer, cipher_suites=[suite])
    with openssl_server(tmp_path, options) as server:
        tls = connect("127.0.0.1", server.port, config, timeout=15)
        assert hints == [hint]  # the hint from ServerKeyExchange, or None without one
        negotiated = tls.negotiated
        assert negotiated.cipher_suite == suite
        assert negotiated.psk_identity == IDENTITY
        assert negotiated.peer_certificates == ()
        assert negotiated.extended_master_secret
        assert negotiated.signature_scheme is None
        if suite.kx is KeyExchange.ECDHE_PSK:
            assert negotiated.group is not None
        tls.sendall(PAYLOAD)
        tls.close()
        assert server.wait() == 0, server.diagnostics()
        assert received_by_s_server(server.stdout()) == PAYLOAD


def _send_payload(tls: TLSSocket) -> int:
    tls.sendall(PAYLOAD)
    return len(PAYLOAD)


@pytest.mark.parametrize(("suite", "hint"), _hint_cases())
def test_s_client_to_our_server_without_certificate(
    suite: CipherSuite, hint: bytes | None, tmp_path: Path
):
    config = _server(cipher_suites=[suite], psk_identity_hint=hint)
    with OurServer(config, _send_payload) as server:
        options = ["-quiet", *_psk_args(), "-cipher", openssl_cipher_name(suite.id)]
        run = run_openssl_client(tmp_path, server.port, options)
        outcome = server.next_outcome()
    assert outcome.error is None, outcome.error
    negotiated = outcome.info["negotiated"]
    assert negotiated.cipher_suite == suite
    assert negotiated.psk_identity == IDENTITY
    assert run.stdout == PAYLOAD, run.diagnostics()


@pytest.mark.parametrize("hint", [b"the-hint", None])
def test_s_client_sees_our_hint_or_none(hint: bytes | None, tmp_path: Path):
    """s_client -debug reports the hint from ServerKeyExchange, or that there was none (no
    ServerKeyExchange at all for plain PSK without a hint)."""
    config = _server(psk_identity_hint=hint, cipher_suites=["TLS_PSK_WITH_AES_128_GCM_SHA256"])
    with OurServer(config, lambda tls: 0) as server:
        run = run_openssl_client(
            tmp_path, server.port, ["-debug", *_psk_args(), "-cipher", "PSK-AES128-GCM-SHA256"]
        )
        assert server.next_outcome().error is None
    if hint:
        assert "Received PSK identity hint 'the-hint'" in run.output, run.diagnostics()
    else:
        assert "NULL received PSK identity hint" in run.output, run.diagnostics()


def test_default_policies_meet_openssl_defaults(tmp_path: Path):
    """Neither side names a suite: our "default" PSK suites (ECDHE_PSK AEAD) meet s_server's
    default list at ECDHE-PSK-CHACHA20-POLY1305."""
    with openssl_server(tmp_path, ["-nocert", *_psk_args(), "-naccept", "1"]) as server:
        tls = connect("127.0.0.1", server.port, _client(), timeout=15)
        assert tls.negotiated.cipher_suite.name == "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"
        tls.close()
        assert server.wait() == 0, server.diagnostics()


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session_id"])
def test_our_client_resumes_a_psk_session_with_s_server(tickets: bool, tmp_path: Path):
    options = ["-nocert", *_psk_args(), "-cipher", "PSK-AES128-GCM-SHA256", "-naccept", "2"]
    if not tickets:
        options.append("-no_ticket")
    config = _client(cipher_suites=["TLS_PSK_WITH_AES_128_GCM_SHA256"])
    with openssl_server(tmp_path, options) as server:
        first = connect("127.0.0.1", server.port, config, timeout=15)
        first.sendall(b"one")
        session = first.session
        first.close()
        assert session is not None and session.psk_identity == IDENTITY
        assert bool(session.ticket) == tickets
        second = connect("127.0.0.1", server.port, config, session=session, timeout=15)
        assert second.negotiated.resumed
        assert second.negotiated.psk_identity == IDENTITY
        assert second.negotiated.extended_master_secret
        second.sendall(b"two")
        second.close()
        assert server.wait() == 0, server.diagnostics()


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session_id"])
def test_s_client_resumes_a_psk_session_with_our_server(tickets: bool, tmp_path: Path):
    config = _server(cipher_suites=["TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"])
    options = [*_psk_args(), "-reconnect", "-cipher", "ECDHE-PSK-CHACHA20-POLY1305"]
    if not tickets:
        options.append("-no_ticket")
    with OurServer(config, lambda tls: 0) as server:
        run = run_openssl_client(tmp_path, server.port, options)
        outcomes = [server.next_outcome() for _ in range(6)]
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    assert run.output.count("Reused, TLSv1.2") == 5, run.diagnostics()
    # One full handshake, then five resumptions: the server records each connection's outcome
    # from that connection's thread, so they may arrive out of order (count, not sequence).
    assert sorted(o.info["negotiated"].resumed for o in outcomes) == [False] + [True] * 5
    assert {o.info["negotiated"].psk_identity for o in outcomes} == {IDENTITY}


# -- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["PSK-AES128-GCM-SHA256", "ECDHE-PSK-AES128-CBC-SHA256"])
def test_our_client_with_the_wrong_key_gets_a_clear_error(name: str, tmp_path: Path):
    options = ["-nocert", *_psk_args(), "-cipher", name, "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        config = _client(psk=b"not the key", cipher_suites=[name])
        with pytest.raises(errors.FatalAlertReceived) as caught:
            connect("127.0.0.1", server.port, config, timeout=15)
    assert caught.value.description in (
        AlertDescription.bad_record_mac,
        AlertDescription.decrypt_error,
    )
    assert "pre-shared key" in str(caught.value)


def test_our_server_refuses_an_unknown_identity_from_s_client(tmp_path: Path):
    config = _server(cipher_suites=["TLS_PSK_WITH_AES_128_GCM_SHA256"])
    with OurServer(config, _send_payload) as server:
        run = run_openssl_client(
            tmp_path,
            server.port,
            [*_psk_args(identity=b"stranger"), "-cipher", "PSK-AES128-GCM-SHA256"],
        )
        outcome = server.next_outcome()
    assert isinstance(outcome.error, errors.UnknownPskIdentity), outcome.error
    assert "'stranger'" in str(outcome.error)
    assert "unknown psk identity" in run.output.lower(), run.diagnostics()


def test_our_server_sees_s_client_with_the_wrong_key(tmp_path: Path):
    config = _server(cipher_suites=["TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"])
    with OurServer(config, _send_payload) as server:
        run = run_openssl_client(
            tmp_path,
            server.port,
            [*_psk_args(key=b"\x01" * 16), "-cipher", "ECDHE-PSK-CHACHA20-POLY1305"],
        )
        outcome = server.next_outcome()
    assert isinstance(outcome.error, errors.BadRecordMac), outcome.error
    assert "bad record mac" in run.output.lower(), run.diagnostics()
