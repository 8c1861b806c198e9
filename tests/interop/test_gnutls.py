"""tls12 against GnuTLS (``gnutls-serv`` and ``gnutls-cli``, Debian package gnutls-bin), both
directions, every suite, and encrypt-then-MAC on and off for every CBC suite.

Our client → ``gnutls-serv --echo``: the server's priority string pins the suite (we offer
every suite tls12 has, the _CCM_8 ones included); a text payload goes out and must come back
byte-exact (the echo server handles lines as C strings: no NUL bytes). gnutls-serv prints a
block per connection (``- Description: (TLS1.2-X.509)-(RSA)-(AES-128-CBC)-(SHA1)``,
``- Options: ..., EtM,``) that says what it negotiated.

``gnutls-cli`` → our server: the client's priority string pins the suite; it sends binary
data from stdin, our server echoes it, and gnutls-cli's stdout must hold exactly it; its
--logfile has the same per-connection block.

Encrypt-then-MAC, for every CBC suite, three ways: both sides willing (used), our side
unwilling (``encrypt_then_mac=False``), GnuTLS unwilling (``%NO_ETM``). Whether it was used is
checked on both sides: ours from the record layer's protection (``encrypt_then_mac_in_use``),
GnuTLS's from its ``Options`` line; and the data getting through proves both sides framed the
records the same way. AEAD suites run once: EtM offered by us but never used with them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from peers import (
    ETM_MODES,
    HOST,
    OurServer,
    assert_same_bytes,
    encrypt_then_mac_in_use,
    gnutls_priority,
    gnutls_priority_suites,
    gnutls_server,
    gnutls_sessions,
    recv_exactly,
    run_gnutls_client,
)
from tls_support import pki

from tls12 import errors
from tls12.crypto.suites import ALL_SUITES, BY_NAME, Auth, CipherSuite
from tls12.io.sync import TLSSocket, connect
from tls12.wire.enums import AlertDescription

MiB = 1 << 20
SUITE_IDS = [s.name for s in ALL_SUITES]
CBC_SUITES = [s for s in ALL_SUITES if not s.is_aead]


def text_payload(approx: int) -> bytes:
    """Random printable lines (base64, 76 characters and a newline): what echo mode can carry."""
    return base64.encodebytes(os.urandom(approx * 3 // 4))


SMALL_TEXT = text_payload(24 * 1024)
BIG_TEXT = text_payload(MiB)
SMALL = os.urandom(16 * 1024)
BIG = os.urandom(MiB)

CASES = [pytest.param(s, None, id=s.name) for s in ALL_SUITES if s.is_aead] + [
    pytest.param(s, mode, id=f"{s.name}-{mode}") for s in CBC_SUITES for mode in ETM_MODES
]
# A few suites move 1 MiB each way: one per key exchange, AEAD and CBC, EtM and MtE.
BIG_CASES = [
    pytest.param(BY_NAME[name], mode, id=f"{name}-{mode}" if mode else name)
    for name, mode in [
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", None),
        ("TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", None),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "etm"),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", "no_etm_theirs"),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", None),
    ]
]


def settings(mode: str | None) -> tuple[bool, bool, bool | None]:
    """(our encrypt_then_mac, GnuTLS's, what ``encrypt_then_mac_in_use`` must say)."""
    if mode is None:  # AEAD: both willing, never used
        return True, True, None
    return ETM_MODES[mode]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("gnutls")
    paths = pki().write(directory)
    paths["big.bin"] = directory / "big.bin"
    paths["big.bin"].write_bytes(BIG)
    return paths


def server_certificates(files: dict[str, Path]) -> list[str]:
    """Both chains; gnutls-serv takes the one that fits the suite."""
    out: list[str] = []
    for stem in ("rsa", "ecdsa"):
        out += ["--x509certfile", str(files[f"{stem}.crt"])]
        out += ["--x509keyfile", str(files[f"{stem}.key"])]
    return out + ["--disable-client-cert"]


def cli_verify_options(files: dict[str, Path]) -> list[str]:
    """gnutls-cli connects to 127.0.0.1 and verifies the certificate for "localhost"."""
    return [
        "--x509cafile", str(files["ca"]),
        "--verify-hostname", "localhost",
        "--sni-hostname", "localhost",
    ]  # fmt: skip


def leaf_for(suite: CipherSuite):
    return pki().rsa.cert if suite.auth is Auth.RSA else pki().ecdsa.cert


@pytest.fixture
def our_client() -> Iterator[Callable[..., TLSSocket]]:
    """Connects our client (config from the test PKI plus keyword overrides); every socket
    it made is closed when the test ends, whatever happened."""
    opened: list[TLSSocket] = []

    def make(port: int, **config: object) -> TLSSocket:
        tls = connect(
            HOST, port, pki().client_config(**config), server_name="localhost", timeout=15
        )
        opened.append(tls)
        return tls

    yield make
    for tls in opened:
        tls.close()


def echo_round_trip(tls: TLSSocket, payload: bytes, chunk: int = 64 * 1024) -> None:
    """Sends ``payload`` to an echo server a piece at a time (each piece ends with a newline,
    so the echo comes back whole) and checks every byte that comes back."""
    got = bytearray()
    start = 0
    while start < len(payload):
        end = payload.find(b"\n", min(start + chunk, len(payload)) - 1) + 1 or len(payload)
        tls.sendall(payload[start:end])
        got += recv_exactly(tls, end - start)
        start = end
    assert_same_bytes(bytes(got), payload, "bytes gnutls-serv echoed")


def echo_handler(size: int) -> Callable[[TLSSocket], bytes]:
    """Our server: read exactly ``size`` bytes, send them back, close; returns them."""

    def handler(tls: TLSSocket) -> bytes:
        data = recv_exactly(tls, size)
        tls.sendall(data)
        return data

    return handler


# --- the priority strings select exactly the suite -----------------------------------------------


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_priority_string_selects_exactly_the_suite(suite: CipherSuite) -> None:
    for etm in (True, False):
        assert gnutls_priority_suites(gnutls_priority(suite, encrypt_then_mac=etm)) == [suite.id]


# --- our client, gnutls-serv ---------------------------------------------------------------------


def check_our_client_against_gnutls_serv(
    suite: CipherSuite, mode: str | None, payload: bytes, files, tmp_path, our_client
) -> None:
    ours, theirs, expected = settings(mode)
    priority = gnutls_priority(suite, encrypt_then_mac=theirs)
    with gnutls_server(tmp_path, [*server_certificates(files), "--priority", priority]) as server:
        tls = our_client(server.port, cipher_suites=ALL_SUITES, encrypt_then_mac=ours)
        assert tls.negotiated.cipher_suite == suite, server.diagnostics()
        assert tls.negotiated.version == "TLSv1.2"
        assert tls.peer_certificates[0] == leaf_for(suite)
        assert encrypt_then_mac_in_use(tls.connection) is expected
        echo_round_trip(tls, payload)
        tls.close()
        session = server.only_session()
    session.check_suite(suite)
    assert session.fields.get("Version") == "TLS1.2", session
    assert session.encrypt_then_mac is bool(expected), session


@pytest.mark.parametrize(("suite", "mode"), CASES)
def test_our_client_every_suite(suite: CipherSuite, mode, files, tmp_path, our_client) -> None:
    check_our_client_against_gnutls_serv(suite, mode, SMALL_TEXT, files, tmp_path, our_client)


@pytest.mark.parametrize(("suite", "mode"), BIG_CASES)
def test_our_client_1mib_each_way(suite: CipherSuite, mode, files, tmp_path, our_client) -> None:
    check_our_client_against_gnutls_serv(suite, mode, BIG_TEXT, files, tmp_path, our_client)


@pytest.mark.parametrize(("suite", "mode"), BIG_CASES)
def test_our_client_downloads_1mib_binary(suite, mode, files, tmp_path, our_client) -> None:
    """``gnutls-serv --http --httpdata FILE`` answers a GET with 1 MiB of binary data and
    closes with close_notify."""
    ours, theirs, expected = settings(mode)
    options = [
        *server_certificates(files),
        "--priority", gnutls_priority(suite, encrypt_then_mac=theirs),
        "--httpdata", str(files["big.bin"]),
    ]  # fmt: skip
    with gnutls_server(tmp_path, options, mode="http") as server:
        tls = our_client(server.port, cipher_suites=ALL_SUITES, encrypt_then_mac=ours)
        assert tls.negotiated.cipher_suite == suite
        assert encrypt_then_mac_in_use(tls.connection) is expected
        tls.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
        response = bytearray()
        while chunk := tls.recv():
            response += chunk
        assert tls.connection.closed_by_peer  # the stream ended with close_notify
        tls.close()
        session = server.only_session()
    head, sep, body = bytes(response).partition(b"\r\n\r\n")
    assert sep and head.startswith(b"HTTP/1.0 200 OK"), head[:200]
    assert f"Content-Length: {MiB}".encode() in head, head
    assert_same_bytes(body, BIG, "body served by gnutls-serv --http")
    session.check_suite(suite)
    assert session.encrypt_then_mac is bool(expected)


# --- gnutls-cli, our server ----------------------------------------------------------------------


def check_gnutls_cli_against_our_server(
    suite: CipherSuite, mode: str | None, payload: bytes, files, tmp_path
) -> None:
    ours, theirs, expected = settings(mode)
    config = pki().server_config(cipher_suites=ALL_SUITES, encrypt_then_mac=ours)
    options = [
        *cli_verify_options(files),
        "--priority",
        gnutls_priority(suite, encrypt_then_mac=theirs),
    ]
    with OurServer(config, echo_handler(len(payload))) as server:
        run = run_gnutls_client(tmp_path, server.port, options, stdin_data=payload)
        outcome = server.next_outcome()
    assert run.returncode == 0, run.diagnostics()
    assert_same_bytes(outcome.result(), payload, "bytes our server received")
    assert_same_bytes(run.stdout, payload, "bytes gnutls-cli received")
    negotiated = outcome.info["negotiated"]
    assert negotiated.cipher_suite == suite
    assert negotiated.version == "TLSv1.2"
    assert encrypt_then_mac_in_use(outcome.info["connection"]) is expected
    sessions = gnutls_sessions(run.log)
    assert len(sessions) == 1, run.diagnostics()
    sessions[0].check_suite(suite)
    assert sessions[0].encrypt_then_mac is bool(expected), run.diagnostics()
    assert "The certificate is trusted" in run.log, run.diagnostics()


@pytest.mark.parametrize(("suite", "mode"), CASES)
def test_our_server_every_suite(suite: CipherSuite, mode, files, tmp_path) -> None:
    check_gnutls_cli_against_our_server(suite, mode, SMALL, files, tmp_path)


@pytest.mark.parametrize(("suite", "mode"), BIG_CASES)
def test_our_server_1mib_each_way(suite: CipherSuite, mode, files, tmp_path) -> None:
    check_gnutls_cli_against_our_server(suite, mode, BIG, files, tmp_path)


# --- the default policy refuses legacy-only peers ------------------------------------------------

LEGACY_ONLY = [
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
]


@pytest.mark.parametrize("name", LEGACY_ONLY)
def test_default_server_refuses_legacy_only_client(name: str, files, tmp_path) -> None:
    """A gnutls-cli that offers only a CBC or RSA key transport suite: our default server
    answers handshake_failure and says which option would allow the suite."""
    options = [*cli_verify_options(files), "--priority", gnutls_priority(BY_NAME[name])]
    with OurServer(pki().server_config(), echo_handler(1)) as server:
        run = run_gnutls_client(tmp_path, server.port, options, stdin_data=b"x")
        outcome = server.next_outcome()
    assert run.returncode != 0
    assert "Received alert [40]: Handshake failed" in run.output, run.diagnostics()
    assert isinstance(outcome.error, errors.HandshakeFailure), outcome
    assert "cipher_suites='compatible'" in str(outcome.error)
    assert name in str(outcome.error)


@pytest.mark.parametrize("name", LEGACY_ONLY)
def test_default_client_refused_by_legacy_only_server(name: str, files, tmp_path, our_client):
    """A gnutls-serv that allows only a CBC or RSA key transport suite: our default client
    offers none of them, and the server refuses with handshake_failure."""
    options = [*server_certificates(files), "--priority", gnutls_priority(BY_NAME[name])]
    with gnutls_server(tmp_path, options) as server:
        with pytest.raises(errors.FatalAlertReceived) as info:
            our_client(server.port)
        assert info.value.description == AlertDescription.handshake_failure
        server.stop()
        assert "no supported cipher suites" in server.output().lower(), server.diagnostics()
