"""ssl parity where code depends on it (issue 12 item 4), each compared with Python's ``ssl`` on
the same connection or the same failure: tls-unique, session objects, session_stats,
shared_ciphers, verify_code, SSLKEYLOGFILE, certifi, sni_callback."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import certifi
import pytest
from peers import HOST, PythonTLSServer, python_client_context
from tls_support import pki

from tls12.io.sslcompat import TLS12Context


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


def python_server(paths: dict[str, Path], stem: str = "rsa", **kw: Any) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(paths[f"{stem}.crt"]), str(paths[f"{stem}.key"]))
    return ctx


def ours_client(paths: dict[str, Path], cafile: str | None = None) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=cafile or str(paths["ca"]))
    return ctx


def ours_server(paths: dict[str, Path], stem: str = "rsa") -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(paths[f"{stem}.crt"]), str(paths[f"{stem}.key"]))
    return ctx


def connect(ctx: ssl.SSLContext, port: int, **kw: Any) -> Any:
    raw = socket.create_connection((HOST, port), timeout=15)
    return ctx.wrap_socket(raw, server_hostname="localhost", **kw)


def binding_handler(tls: ssl.SSLSocket) -> bytes | None:
    value = tls.get_channel_binding("tls-unique")
    tls.recv(10)
    return value


def test_tls_unique_equals_python_ssl_on_the_same_connection(paths: dict[str, Path]) -> None:
    """RFC 5929: the first Finished of the handshake, the client's on a full handshake and
    the server's on a resumed one."""
    ctx = ours_client(paths)
    with PythonTLSServer(python_server(paths), binding_handler) as server:
        last = None
        for _ in ("full", "resumed"):
            offered = last
            tls = connect(ctx, server.port, session=offered)
            ours = tls.get_channel_binding("tls-unique")
            resumed = tls.session_reused
            last = tls.session
            tls.send(b"x")
            tls.close()
            theirs = server.result()
            assert ours is not None and len(ours) == 12
            assert ours == theirs
            assert resumed == (offered is not None)
    with pytest.raises(ValueError):
        tls.get_channel_binding("tls-server-end-point")


def test_session_object_and_session_stats(paths: dict[str, Path]) -> None:
    ctx = ours_client(paths)
    with PythonTLSServer(python_server(paths), lambda tls: tls.recv(10)) as server:
        first = connect(ctx, server.port)
        session = first.session
        first.send(b"x")
        first.close()
        server.result()
        second = connect(ctx, server.port, session=session)
        assert second.session_reused
        second.send(b"x")
        second.close()
        server.result()
    assert session.has_ticket  # Python's ssl server issues RFC 5077 tickets
    assert session.ticket_lifetime_hint > 0
    assert abs(session.time - time.time()) < 60
    assert session.timeout > 0
    assert isinstance(session.id, bytes)
    stats = ctx.session_stats()
    assert (stats["connect"], stats["connect_good"]) == (2, 2)
    assert set(stats) == set(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).session_stats())


def test_server_session_stats_and_shared_ciphers(paths: dict[str, Path]) -> None:
    server_ctx = ours_server(paths)
    listener = socket.create_server((HOST, 0))
    listener.settimeout(15)
    client_ctx = python_client_context(
        paths["ca"], ciphers="ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"
    )
    session = None
    shared = []
    for _ in range(2):
        raw = socket.create_connection(listener.getsockname(), timeout=15)
        conn, _ = listener.accept()
        result: list[Any] = []

        def serve(conn: socket.socket = conn, result: list[Any] = result) -> None:
            tls = server_ctx.wrap_socket(conn, server_side=True)
            result.append(tls.shared_ciphers())
            tls.recv(10)
            tls.close()

        thread = threading.Thread(target=serve)
        thread.start()
        tls = client_ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        tls.send(b"x")
        session = tls.session
        thread.join(15)
        tls.close()
        shared.append(result[0])
    stats = server_ctx.session_stats()
    assert (stats["accept"], stats["accept_good"], stats["hits"], stats["misses"]) == (2, 2, 1, 0)
    server_ctx.options |= ssl.OP_NO_TICKET  # a new configuration: the old session is unknown
    raw = socket.create_connection(listener.getsockname(), timeout=15)
    conn, _ = listener.accept()
    thread = threading.Thread(target=lambda: server_ctx.wrap_socket(conn, server_side=True))
    thread.start()
    tls = client_ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    assert not tls.session_reused
    thread.join(15)
    tls.close()
    conn.close()
    assert server_ctx.session_stats()["misses"] == 1
    # What the client offered and we enable, in our order; AES128-SHA is not in our default.
    listener.close()
    names = [c[0] for c in shared[0]]
    assert names == ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]


@pytest.mark.parametrize(
    ("stem", "cafile_of"),
    [("rsa", "other"), ("expired", "ca"), ("wrong_name", "ca")],
    ids=["unknown-ca", "expired", "wrong-name"],
)
def test_verify_code_is_what_python_ssl_reports(
    paths: dict[str, Path], tmp_path: Path, stem: str, cafile_of: str
) -> None:
    cafile = paths["ca"] if cafile_of == "ca" else pki().other_ca.write(tmp_path / "o.pem")
    codes = []
    with PythonTLSServer(python_server(paths, stem), lambda tls: None) as server:
        for ctx in (ours_client(paths, str(cafile)), python_client_context(cafile)):
            with pytest.raises(ssl.SSLCertVerificationError) as caught:
                connect(ctx, server.port)
            server.next_outcome()
            assert caught.value.reason == "CERTIFICATE_VERIFY_FAILED"
            codes.append(caught.value.verify_code)
    assert codes[0] == codes[1]


def test_handshakes_are_logged(
    paths: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One DEBUG line per completed handshake, one INFO line with the alert per failure."""
    caplog.set_level(logging.DEBUG, logger="tls12")
    with PythonTLSServer(python_server(paths), lambda tls: tls.recv(10)) as server:
        tls = connect(ours_client(paths), server.port)
        tls.send(b"x")
        tls.close()
        server.result()
        other = pki().other_ca.write(tmp_path / "other.pem")
        with pytest.raises(ssl.SSLCertVerificationError):
            connect(ours_client(paths, str(other)), server.port)
        server.next_outcome()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "tls12"]
    assert any(level == "DEBUG" and "handshake completed" in m for level, m in lines)
    assert any(level == "INFO" and "alert unknown_ca" in m for level, m in lines)


def test_sslkeylogfile_is_not_read_keylog_filename_is(
    paths: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ssl reads SSLKEYLOGFILE only in create_default_context; an SSLContext (ours too)
    writes key log lines only where keylog_filename says."""
    env_file, explicit = tmp_path / "env.log", tmp_path / "explicit.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(env_file))
    with PythonTLSServer(python_server(paths), lambda tls: tls.recv(10)) as server:
        for filename in (None, explicit):
            ctx = ours_client(paths)
            if filename is not None:
                ctx.keylog_filename = str(filename)
            tls = connect(ctx, server.port)
            tls.send(b"x")
            tls.close()
            server.result()
    assert not env_file.exists()
    assert explicit.read_text().startswith("CLIENT_RANDOM ")


def test_certifi_bundle_loads_without_a_warning() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ctx.load_verify_locations(cafile=certifi.where())
    assert ctx.cert_store_stats()["x509_ca"] > 100


def test_sni_callback_switches_the_certificate_or_refuses(paths: dict[str, Path]) -> None:
    """Python's ssl client asks for a name; our callback moves the connection to a context
    with the ECDSA chain, or refuses with unrecognized_name, as an ssl server would."""
    ecdsa_ctx = ours_server(paths, "ecdsa")
    seen: list[Any] = []

    def choose(obj: Any, name: str | None, ctx: Any) -> int | None:
        seen.append((type(obj).__name__, name, ctx))
        if name == "localhost":
            obj.context = ecdsa_ctx
            return None
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    server_ctx = ours_server(paths, "rsa")
    server_ctx.sni_callback = choose
    listener = socket.create_server((HOST, 0))
    def serve_one() -> None:
        conn, _ = listener.accept()
        try:
            tls = server_ctx.wrap_socket(conn, server_side=True)
            tls.recv(10)
            tls.close()
        except ssl.SSLError:
            conn.close()

    client = python_client_context(paths["ca"])
    client.check_hostname = False
    results = []
    for name in ("localhost", "other.example"):
        thread = threading.Thread(target=serve_one)
        thread.start()
        raw = socket.create_connection(listener.getsockname(), timeout=15)
        try:
            tls = client.wrap_socket(raw, server_hostname=name)
            results.append(tls.cipher()[0])
            tls.send(b"x")
            tls.close()
        except ssl.SSLError as exc:
            results.append(exc.reason)
            raw.close()
        thread.join(15)
    listener.close()
    assert results[0].startswith("ECDHE-ECDSA-")
    assert results[1] == "TLSV1_UNRECOGNIZED_NAME"
    assert [(kind, name) for kind, name, _ in seen] == [
        ("TLS12Socket", "localhost"),
        ("TLS12Socket", "other.example"),
    ]
    assert all(ctx is server_ctx for _, _, ctx in seen)
