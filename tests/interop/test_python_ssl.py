"""tls12 against Python's ``ssl`` module (OpenSSL underneath), both directions, TLS 1.2 pinned
on the ``ssl`` side with ``maximum_version``.

Each connection moves 1 MiB each way: the client sends 1 MiB, the server reads exactly that
much, answers with a different 1 MiB and close_notify; the client reads to close_notify.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from peers import (
    OurServer,
    PythonTLSServer,
    assert_same_bytes,
    encrypt_then_mac_in_use,
    openssl_cipher_name,
    py_echo_handler,
    py_receive_handler,
    py_send_handler,
    python_client_context,
    python_server_context,
    python_tls_client,
    recv_exactly,
    recv_until_eof,
    ssl_unwrap_quietly,
    write_ffdhe2048_params,
)
from tls_support import pki

from tls12 import errors
from tls12.config import ClientAuth
from tls12.crypto.suites import ALL_SUITES, Auth, CipherSuite, KeyExchange
from tls12.io.sync import TLSSocket, connect
from tls12.wire.enums import AlertDescription, NamedGroup

MiB = 1 << 20
UP = os.urandom(MiB)
DOWN = os.urandom(MiB)
SUITE_IDS = [s.name for s in ALL_SUITES]
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("python-ssl")
    paths = pki().write(directory)
    other = pki().other_ca.issue(
        ["client.example"], key_type="ecdsa", client_auth=True, server_auth=False
    )
    paths["stranger.crt"], paths["stranger.key"] = other.write(directory, "stranger")
    # ssl has no automatic DH group: without parameters it offers no DHE suite
    paths["dh"] = write_ffdhe2048_params(directory / "ffdhe2048.pem")
    return paths


def pair(files: dict[str, Path], stem: str) -> tuple[Path, Path]:
    return files[f"{stem}.crt"], files[f"{stem}.key"]


def server_certs(files: dict[str, Path]) -> list[tuple[Path, Path]]:
    return [pair(files, "rsa"), pair(files, "ecdsa")]


def exchange_handler(tls: ssl.SSLSocket | TLSSocket) -> bytes:
    """Server side: read 1 MiB, send the other 1 MiB; returns what it read."""
    data = recv_exactly(tls, MiB)
    tls.sendall(DOWN)
    if isinstance(tls, ssl.SSLSocket):
        tls.unwrap()
    return data


@pytest.fixture
def our_client() -> Iterator[Callable[..., TLSSocket]]:
    """Connects our client (config from the test PKI plus keyword overrides); every socket
    it made is closed when the test ends, whatever happened."""
    opened: list[TLSSocket] = []

    def make(port: int, server_name: str = "localhost", **config: object) -> TLSSocket:
        config_ = pki().client_config(**config)
        tls = connect(HOST, port, config_, server_name=server_name, timeout=15)
        opened.append(tls)
        return tls

    yield make
    for tls in opened:
        tls.close()


def client_exchange(tls: TLSSocket | ssl.SSLSocket) -> None:
    """Client side of the 1 MiB each way exchange, checked byte-exact."""
    tls.sendall(UP)
    got = recv_until_eof(tls)
    assert_same_bytes(got, DOWN, "bytes the client received")


def leaf_for(suite: CipherSuite):
    return pki().rsa.cert if suite.auth is Auth.RSA else pki().ecdsa.cert


# --- our client, Python ssl server ------------------------------------------------------------


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_our_client_every_suite(suite: CipherSuite, files, our_client) -> None:
    name = openssl_cipher_name(suite.id)
    ctx = python_server_context(server_certs(files), ciphers=name, dh_params=files["dh"])
    with PythonTLSServer(ctx, exchange_handler) as server:
        tls = our_client(server.port, cipher_suites=ALL_SUITES)
        assert tls.negotiated.cipher_suite == suite
        assert tls.peer_certificates[0] == leaf_for(suite)
        # ssl (OpenSSL) accepts encrypt-then-MAC by default
        assert encrypt_then_mac_in_use(tls.connection) is (None if suite.is_aead else True)
        client_exchange(tls)
        assert tls.connection.closed_by_peer
        tls.close()
        outcome = server.next_outcome()
    assert_same_bytes(outcome.result(), UP, "bytes the ssl server received")
    assert outcome.info["cipher"][0] == name
    # cipher()[1] is the version that introduced the suite (SSLv3 for AES128-SHA); version()
    # is the one negotiated
    assert outcome.info["version"] == "TLSv1.2"
    if suite.kx is KeyExchange.DHE:
        assert tls.negotiated.group == NamedGroup.ffdhe2048  # the numbers of the loaded file


def test_our_client_download_through_makefile(files, our_client) -> None:
    """The ssl server sends 1 MiB and close_notify; we read it through makefile("rb")."""
    ctx = python_server_context(server_certs(files))
    with PythonTLSServer(ctx, py_send_handler(DOWN)) as server:
        tls = our_client(server.port)
        with tls.makefile("rb") as f:
            got = f.read()
        assert_same_bytes(got, DOWN, "bytes read through makefile")
        tls.close()
        assert server.result() == MiB


def test_our_client_upload_through_makefile(files, our_client) -> None:
    """We write 1 MiB through makefile("wb"); the ssl server reads it and answers OK."""
    ctx = python_server_context(server_certs(files))
    with PythonTLSServer(ctx, py_receive_handler(MiB, reply=b"OK")) as server:
        tls = our_client(server.port)
        with tls.makefile("wb") as f:
            for i in range(0, MiB, 1000):
                f.write(UP[i : i + 1000])
        assert recv_until_eof(tls) == b"OK"
        tls.close()
        assert_same_bytes(server.result(), UP, "bytes the ssl server received")


def test_our_client_alpn(files, our_client) -> None:
    ctx = python_server_context(server_certs(files), alpn=["h2", "http/1.1"])
    with PythonTLSServer(ctx, py_echo_handler) as server:
        tls = our_client(server.port, alpn_protocols=["http/1.1", "h2"])
        assert tls.negotiated.alpn_protocol == "h2"  # OpenSSL: the server's preference
        tls.sendall(b"alpn")
        assert recv_exactly(tls, 4) == b"alpn"
        tls.unwrap().close()
        outcome = server.next_outcome()
    assert outcome.result() == b"alpn"
    assert outcome.info["alpn"] == "h2"


def test_our_client_alpn_no_overlap(files, our_client) -> None:
    """Python's ssl server ignores an ALPN offer it cannot meet (no extension in ServerHello)."""
    ctx = python_server_context(server_certs(files), alpn=["h2"])
    with PythonTLSServer(ctx, py_echo_handler) as server:
        tls = our_client(server.port, alpn_protocols=["foo"])
        assert tls.negotiated.alpn_protocol is None
        tls.sendall(b"x")
        assert tls.recv() == b"x"
        tls.unwrap().close()
        outcome = server.next_outcome()
    assert outcome.result() == b"x"
    assert outcome.info["alpn"] is None


@pytest.mark.parametrize("stem", ["client_rsa", "client_ecdsa"])
def test_our_client_certificate_to_ssl_server(stem: str, files, our_client) -> None:
    identity = getattr(pki(), stem)
    ctx = python_server_context(server_certs(files), client_ca=files["ca"])
    with PythonTLSServer(ctx, exchange_handler) as server:
        tls = our_client(server.port, client_certificates=[pki().certified(identity)])
        client_exchange(tls)
        tls.close()
        outcome = server.next_outcome()
    assert_same_bytes(outcome.result(), UP, "bytes the ssl server received")
    subject = dict(item[0] for item in outcome.info["peercert"]["subject"])
    assert subject["commonName"] == "client.example"


def test_our_client_without_certificate_refused(files, our_client) -> None:
    ctx = python_server_context(server_certs(files), client_ca=files["ca"])
    with PythonTLSServer(ctx, py_echo_handler) as server:
        with pytest.raises(errors.FatalAlertReceived) as info:
            tls = our_client(server.port)
            tls.recv()  # the refusal may come after our Finished
        outcome = server.next_outcome()
    assert info.value.description == AlertDescription.handshake_failure
    assert isinstance(outcome.error, ssl.SSLError), outcome
    assert "peer did not return a certificate" in str(outcome.error)


# --- our server, Python ssl client ------------------------------------------------------------


@pytest.mark.parametrize("suite", ALL_SUITES, ids=SUITE_IDS)
def test_our_server_every_suite(suite: CipherSuite, files) -> None:
    name = openssl_cipher_name(suite.id)
    config = pki().server_config(cipher_suites=ALL_SUITES)
    with OurServer(config, exchange_handler) as server:
        ctx = python_client_context(files["ca"], ciphers=name)
        with python_tls_client(server.port, ctx) as tls:
            assert tls.cipher()[0] == name
            assert tls.version() == "TLSv1.2"
            client_exchange(tls)
            ssl_unwrap_quietly(tls)
        outcome = server.next_outcome()
    assert outcome.info["negotiated"].cipher_suite == suite
    etm = encrypt_then_mac_in_use(outcome.info["connection"])
    assert etm is (None if suite.is_aead else True)
    assert_same_bytes(outcome.result(), UP, "bytes our server received")


def test_ssl_client_clean_shutdown(files) -> None:
    """The ssl client sends close_notify with unwrap() and waits for ours: no error, and our
    server saw the end of the data as b"" after close_notify."""

    def handler(tls: TLSSocket) -> bytes:
        data = recv_until_eof(tls)
        assert tls.connection.closed_by_peer
        return data

    with OurServer(pki().server_config(), handler) as server:
        with python_tls_client(server.port, python_client_context(files["ca"])) as tls:
            tls.sendall(b"goodbye")
            tls.unwrap()  # raises if our close_notify does not come
        outcome = server.next_outcome()
    assert outcome.result() == b"goodbye"


def test_our_server_alpn(files) -> None:
    config = pki().server_config(alpn_protocols=["http/1.1", "h2"])
    with OurServer(config, lambda tls: tls.sendall(b"hi")) as server:
        ctx = python_client_context(files["ca"], alpn=["h2", "http/1.1"])
        with python_tls_client(server.port, ctx) as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"  # ours: the server's preference
            assert recv_until_eof(tls) == b"hi"
        outcome = server.next_outcome()
    outcome.result()
    assert outcome.info["negotiated"].alpn_protocol == "http/1.1"


def test_our_server_alpn_no_overlap(files) -> None:
    """RFC 7301 §3.2: we refuse with no_application_protocol; the ssl client reports it."""
    config = pki().server_config(alpn_protocols=["h2"])
    with OurServer(config, lambda tls: tls.sendall(b"never")) as server:
        ctx = python_client_context(files["ca"], alpn=["foo"])
        with pytest.raises(ssl.SSLError, match="no application protocol"):  # noqa: SIM117
            with python_tls_client(server.port, ctx) as tls:
                tls.recv(10)
        outcome = server.next_outcome()
    assert isinstance(outcome.error, errors.NoApplicationProtocol), outcome


@pytest.mark.parametrize("stem", ["client_rsa", "client_ecdsa"])
@pytest.mark.parametrize("mode", [ClientAuth.REQUIRED, ClientAuth.OPTIONAL])
def test_our_server_requests_client_certificate(stem: str, mode: ClientAuth, files) -> None:
    p = pki()
    config = p.server_config(client_auth=mode, client_trust=p.trust)
    with OurServer(config, exchange_handler) as server:
        ctx = python_client_context(files["ca"], cert=pair(files, stem))
        with python_tls_client(server.port, ctx) as tls:
            client_exchange(tls)
            ssl_unwrap_quietly(tls)
        outcome = server.next_outcome()
    assert_same_bytes(outcome.result(), UP, "bytes our server received")
    peer = outcome.info["negotiated"].peer_certificates
    assert peer and peer[0] == getattr(p, stem).cert


def test_our_server_optional_client_certificate_absent(files) -> None:
    p = pki()
    config = p.server_config(client_auth=ClientAuth.OPTIONAL, client_trust=p.trust)
    with OurServer(config, lambda tls: tls.sendall(b"anonymous")) as server:
        with python_tls_client(server.port, python_client_context(files["ca"])) as tls:
            assert recv_until_eof(tls) == b"anonymous"
        outcome = server.next_outcome()
    outcome.result()
    assert outcome.info["negotiated"].peer_certificates == ()


def test_our_server_required_client_certificate_absent(files) -> None:
    p = pki()
    config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    with OurServer(config, lambda tls: tls.sendall(b"never")) as server:
        with pytest.raises(ssl.SSLError, match="handshake failure"):  # noqa: SIM117
            with python_tls_client(server.port, python_client_context(files["ca"])) as tls:
                tls.recv(10)
        outcome = server.next_outcome()
    assert isinstance(outcome.error, errors.HandshakeFailure), outcome


def test_our_server_refuses_client_certificate_from_unknown_ca(files) -> None:
    p = pki()
    config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    with OurServer(config, lambda tls: tls.sendall(b"never")) as server:
        ctx = python_client_context(files["ca"], cert=pair(files, "stranger"))
        with pytest.raises(ssl.SSLError, match="unknown ca"):  # noqa: SIM117
            with python_tls_client(server.port, ctx) as tls:
                tls.recv(10)
        outcome = server.next_outcome()
    assert isinstance(outcome.error, errors.UnknownCA), outcome


# --- default (TLS 1.3 capable) ssl contexts ---------------------------------------------------


def test_our_client_with_default_ssl_server(files, our_client) -> None:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*pair(files, "ecdsa"))
    with PythonTLSServer(ctx, exchange_handler) as server:
        tls = our_client(server.port)
        assert tls.version() == "TLSv1.2"
        client_exchange(tls)
        tls.close()
        outcome = server.next_outcome()
    assert_same_bytes(outcome.result(), UP, "bytes the ssl server received")
    assert outcome.info["version"] == "TLSv1.2"


def test_our_server_with_default_ssl_client(files) -> None:
    ctx = ssl.create_default_context(cafile=str(files["ca"]))
    with OurServer(pki().server_config(), exchange_handler) as server:
        with python_tls_client(server.port, ctx) as tls:
            assert tls.version() == "TLSv1.2"
            client_exchange(tls)
            ssl_unwrap_quietly(tls)
        outcome = server.next_outcome()
    assert_same_bytes(outcome.result(), UP, "bytes our server received")


def test_our_client_reads_in_every_size_with_recv_and_recv_into(files, our_client) -> None:
    """The ssl server sends 1 MiB and close_notify; we read it with recv and recv_into in
    sizes that cut records anywhere (smaller than a record, a whole one, across several),
    and ``pending()`` always counts what is decrypted but unread."""
    ctx = python_server_context(server_certs(files))
    sizes = [1, 7, 100, 16384, 16385, 65536, 20000, 3]
    with PythonTLSServer(ctx, py_send_handler(DOWN)) as server:
        tls = our_client(server.port)
        got = bytearray()
        buf = bytearray(70000)
        i = 0
        while True:
            n = sizes[i % len(sizes)]
            before = tls.pending()
            if i % 2:
                k = tls.recv_into(buf, n)
                chunk = bytes(buf[:k])
            else:
                chunk = tls.recv(n)
            i += 1
            if not chunk:
                break
            assert len(chunk) <= n
            if before:  # nothing is read from the socket: all from what is pending
                assert len(chunk) == min(n, before)
                assert tls.pending() == before - len(chunk)
            got += chunk
        assert tls.pending() == 0
        assert_same_bytes(bytes(got), DOWN, "bytes read with recv and recv_into")
        tls.close()
        assert server.result() == MiB
