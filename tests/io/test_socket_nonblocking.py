"""Non-blocking and timed sockets never lose or repeat a byte (issue 12, item 1), and one
TLSSocket serves a sending and a receiving thread at once (issue 16, D5).

Every test sends through tls12 to someone else's TLS stack (Python's ``ssl``, OpenSSL's
s_server) that stops reading for a while, so the kernel buffers fill and the socket blocks or
times out part-way through a record; the peer then checks what arrived by SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from peers import (
    HOST,
    PythonTLSServer,
    openssl_server,
    py_echo_handler,
    python_client_context,
    python_server_context,
    received_by_s_server,
    recv_until_eof,
)
from tls_support import pki

from tls12.connection import ClientConnection
from tls12.errors import TLSError
from tls12.io.sslcompat import TLS12Context
from tls12.io.sync import TLSSocket, wrap_client, wrap_server

PAYLOAD = os.urandom(8 * 1024 * 1024)
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()
SMALL_BUFFER = 16 * 1024


def stalling_reader(delay: float) -> Callable[[ssl.SSLSocket], tuple[int, str, bytes]]:
    """A Python ssl handler that reads nothing for ``delay`` seconds, then everything up to
    the client's close_notify: (length, sha256, last 64 bytes)."""

    def handler(tls: ssl.SSLSocket) -> tuple[int, str, bytes]:
        time.sleep(delay)
        data = recv_until_eof(tls)
        return len(data), hashlib.sha256(data).hexdigest(), data[-64:]

    return handler


def python_server(tmp_path: Path, handler: Callable[[ssl.SSLSocket], Any]) -> PythonTLSServer:
    paths = pki().write(tmp_path)
    ctx = python_server_context([(paths["rsa.crt"], paths["rsa.key"])])
    return PythonTLSServer(ctx, handler, timeout=60)


def tcp(port: int) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
    return sock


def native_client(port: int) -> TLSSocket:
    return wrap_client(tcp(port), pki().client_config(), "localhost")


def compat_client(port: int) -> TLSSocket:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=pki().ca.pem().decode())
    return ctx.wrap_socket(tcp(port), server_hostname="localhost")


CLIENTS = {"TLSSocket": native_client, "TLS12Socket": compat_client}
WOULD_BLOCK = (BlockingIOError, ssl.SSLWantWriteError)


def send_nonblocking(tls: TLSSocket, payload: bytes) -> int:
    """The usual non-blocking loop: send, and on would-block wait until writable and retry
    with the data not yet counted. Returns how often the socket would have blocked."""
    tls.setblocking(False)
    view = memoryview(payload)
    blocked = 0
    deadline = time.monotonic() + 60
    while view:
        assert time.monotonic() < deadline, f"stuck with {len(view)} bytes left"
        try:
            n = tls.send(view)
        except WOULD_BLOCK:
            blocked += 1
            select.select([], [tls], [], 5)
            continue
        assert 0 < n <= len(view)
        view = view[n:]
    tls.setblocking(True)
    return blocked


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_nonblocking_send_to_a_stalling_python_ssl_reader_arrives_intact(
    tmp_path: Path, kind: str
) -> None:
    with python_server(tmp_path, stalling_reader(1.0)) as server:
        tls = CLIENTS[kind](server.port)
        blocked = send_nonblocking(tls, PAYLOAD)
        tls.close()
        length, digest, _ = server.result(timeout=60)
    assert blocked > 0, "the reader's stall never made the socket block: the test proves nothing"
    assert (length, digest) == (len(PAYLOAD), DIGEST)


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_nonblocking_send_to_a_stopped_openssl_s_server_arrives_intact(
    tmp_path: Path, kind: str
) -> None:
    """s_server is frozen with SIGSTOP (a reader that really stops), thawed after a second."""
    paths = pki().write(tmp_path)
    options = ["-cert", str(paths["rsa.crt"]), "-key", str(paths["rsa.key"]), "-naccept", "1"]
    with openssl_server(tmp_path, options) as server:
        tls = CLIENTS[kind](server.port)
        os.kill(server.pid, signal.SIGSTOP)
        thaw = threading.Timer(1.0, os.kill, (server.pid, signal.SIGCONT))
        thaw.start()
        try:
            blocked = send_nonblocking(tls, PAYLOAD)
        finally:
            thaw.join()
            os.kill(server.pid, signal.SIGCONT)
        tls.close()
        server.wait(30)
        received = received_by_s_server(server.stdout())
    assert blocked > 0
    assert hashlib.sha256(received).hexdigest() == DIGEST, server.diagnostics()


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_timed_send_retried_after_timeouts_arrives_intact(tmp_path: Path, kind: str) -> None:
    with python_server(tmp_path, stalling_reader(1.0)) as server:
        tls = CLIENTS[kind](server.port)
        tls.settimeout(0.1)
        view, timeouts = memoryview(PAYLOAD), 0
        while view:
            try:
                view = view[tls.send(view) :]
            except TimeoutError:
                timeouts += 1
        tls.settimeout(10)
        tls.close()
        length, digest, _ = server.result(timeout=60)
    assert timeouts > 0
    assert (length, digest) == (len(PAYLOAD), DIGEST)


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_sendall_after_a_timeout_leaves_the_stream_consistent(tmp_path: Path, kind: str) -> None:
    """sendall times out part-way; the next sendall still reaches the peer after a clean
    prefix of the first payload (no record cut, no bad_record_mac)."""
    with python_server(tmp_path, stalling_reader(1.5)) as server:
        tls = CLIENTS[kind](server.port)
        tls.settimeout(0.3)
        with pytest.raises(TimeoutError):
            tls.sendall(PAYLOAD)
        tls.settimeout(30)
        tls.sendall(b"--END-MARK--")
        tls.close()
        length, _, tail = server.result(timeout=60)
    assert tail.endswith(b"--END-MARK--")
    prefix = length - len(b"--END-MARK--")
    assert 0 < prefix < len(PAYLOAD)
    assert tail[:-12] == PAYLOAD[:prefix][-(64 - 12) :]


def test_compat_nonblocking_handshake_and_recv_raise_ssl_want_errors(tmp_path: Path) -> None:
    """do_handshake() on a non-blocking socket raises SSLWantReadError and resumes; recv()
    with nothing there raises SSLWantReadError, as ssl does. The Python ssl server accepts
    only after our first do_handshake(), so that call cannot have had an answer."""
    paths = pki().write(tmp_path)
    server_ctx = python_server_context([(paths["rsa.crt"], paths["rsa.key"])])
    listener = socket.create_server((HOST, 0))
    echoed: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(15)
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            echoed.append(py_echo_handler(tls))

    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=pki().ca.pem().decode())
    sock = socket.create_connection(listener.getsockname())
    sock.setblocking(False)
    tls = ctx.wrap_socket(sock, server_hostname="localhost", do_handshake_on_connect=False)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    thread = threading.Thread(target=serve)
    thread.start()
    try:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                select.select([tls], [], [], 5)
            except ssl.SSLWantWriteError:
                select.select([], [tls], [], 5)
        assert tls.version() == "TLSv1.2"
        with pytest.raises(ssl.SSLWantReadError):
            tls.recv(10)
        tls.send(b"ping")
        got = b""
        while got != b"ping":
            select.select([tls], [], [], 5)
            try:
                got += tls.recv(10)
            except ssl.SSLWantReadError:
                continue
        tls.setblocking(True)
        tls.close()
    finally:
        thread.join(15)
        listener.close()
    assert echoed == [b"ping"]


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_one_socket_serves_a_sending_and_a_receiving_thread(tmp_path: Path, kind: str) -> None:
    """Issue 16 D5: a sender thread and a receiver thread on one socket, the peer (Python ssl)
    echoing 16 MiB; with a lock held across a blocking send this deadlocked after ~14 MiB."""
    payload = PAYLOAD * 2
    with python_server(tmp_path, py_echo_handler) as server:
        tls = CLIENTS[kind](server.port)
        received = hashlib.sha256()
        count = [0]
        errors: list[BaseException] = []

        def send() -> None:
            try:
                tls.sendall(payload)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        def receive() -> None:
            try:
                while count[0] < len(payload):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    received.update(chunk)
                    count[0] += len(chunk)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=send), threading.Thread(target=receive)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        stuck = [t for t in threads if t.is_alive()]
        if stuck:
            tls.shutdown(socket.SHUT_RDWR)  # unblocks the threads so the test can end
        assert not stuck, f"deadlocked after {count[0]} bytes echoed"
        assert not errors
        tls.close()
        echoed = server.result(timeout=30)
    assert count[0] == len(payload)
    assert received.hexdigest() == hashlib.sha256(payload).hexdigest()
    assert hashlib.sha256(echoed).hexdigest() == hashlib.sha256(payload).hexdigest()


def native_server(conn: socket.socket) -> TLSSocket:
    return wrap_server(conn, pki().server_config())


def compat_server(conn: socket.socket) -> TLSSocket:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx._certificates.append(pki().certified(pki().rsa))
    return ctx.wrap_socket(conn, server_side=True)


SERVERS = {"TLSSocket": native_server, "TLS12Socket": compat_server}


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_server_side_nonblocking_send_to_a_stalling_python_ssl_client(
    tmp_path: Path, kind: str
) -> None:
    """The other direction: our server sends 8 MiB non-blocking; Python's ssl client reads
    nothing for a second, then everything up to our close_notify."""
    paths = pki().write(tmp_path)
    listener = socket.create_server((HOST, 0))
    got: list[tuple[int, str]] = []

    def client() -> None:
        ctx = python_client_context(paths["ca"])
        raw = socket.create_connection(listener.getsockname(), timeout=60)
        with raw, ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            time.sleep(1.0)
            data = recv_until_eof(tls)
            got.append((len(data), hashlib.sha256(data).hexdigest()))

    thread = threading.Thread(target=client)
    thread.start()
    try:
        conn, _ = listener.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
        tls = SERVERS[kind](conn)
        blocked = send_nonblocking(tls, PAYLOAD)
        tls.close()
    finally:
        thread.join(60)
        listener.close()
    assert blocked > 0
    assert got == [(len(PAYLOAD), DIGEST)]


@pytest.mark.parametrize("kind", ["TLSSocket", "TLS12Socket"])
def test_handshake_goes_on_after_a_timeout(tmp_path: Path, kind: str) -> None:
    """The Python ssl server accepts only after our first handshake attempt timed out; the
    second call finishes the same handshake (the ClientHello is not sent twice)."""
    paths = pki().write(tmp_path)
    server_ctx = python_server_context([(paths["rsa.crt"], paths["rsa.key"])])
    listener = socket.create_server((HOST, 0))
    echoed: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(15)
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            echoed.append(py_echo_handler(tls))

    sock = socket.create_connection(listener.getsockname(), timeout=10)
    tls: Any
    if kind == "TLSSocket":
        tls = TLSSocket(sock, ClientConnection(pki().client_config(), "localhost"))
        with pytest.raises(TimeoutError):
            tls.do_handshake(timeout=0.2)
    else:
        ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=pki().ca.pem().decode())
        tls = ctx.wrap_socket(sock, server_hostname="localhost", do_handshake_on_connect=False)
        tls.settimeout(0.2)
        with pytest.raises(TimeoutError):
            tls.do_handshake()
        tls.settimeout(10)
    thread = threading.Thread(target=serve)
    thread.start()
    try:
        tls.do_handshake()
        assert tls.version() == "TLSv1.2"
        tls.sendall(b"after the timeout")
        assert tls.recv(100) == b"after the timeout"
        tls.close()
    finally:
        thread.join(15)
        listener.close()
    assert echoed == [b"after the timeout"]


def test_a_bad_record_after_the_handshake_is_answered_with_its_alert(tmp_path: Path) -> None:
    """The receiving side sends the alert the engine queued (without waiting on the socket):
    Python's ssl server writes a forged application-data record under the TLS layer and
    then reads our bad_record_mac alert."""

    def forger(tls: ssl.SSLSocket) -> str:
        tls.recv(10)
        socket.socket.send(tls, b"\x17\x03\x03\x00\x20" + os.urandom(32))
        try:
            tls.recv(10)
        except ssl.SSLError as exc:
            return str(exc)
        return "no alert"

    with python_server(tmp_path, forger) as server:
        tls = native_client(server.port)
        tls.sendall(b"go")
        with pytest.raises(TLSError, match="(?i)mac|decrypt"):
            tls.recv(10)
        tls.close()
        answer = server.result()
    assert "BAD_RECORD_MAC" in answer
