"""Blocking sockets over the sans-I/O engine.

``TLSSocket`` behaves like a socket (``send``, ``sendall``, ``recv``, ``recv_into``,
``makefile``, ``settimeout``, ``fileno``, ``close``) and exposes what the handshake agreed on.
All protocol work happens in the engine; this file only moves bytes.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from typing import Any

from cryptography import x509

from tls12.config import ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import ConnectionClosedError, TLSError, TruncationError
from tls12.events import ApplicationData, ConnectionClosed, Negotiated
from tls12.io.server_limits import set_nodelay
from tls12.log import connection_failed, handshake_completed
from tls12.sessions import Session

RECV_SIZE = 65536


class TLSSocket:
    """A connected TLS socket. Create it with ``connect``, ``wrap_client`` or ``wrap_server``."""

    def __init__(self, sock: socket.socket, conn: Connection) -> None:
        self._sock = sock
        self.connection = conn
        self._incoming = bytearray()
        self._eof = False
        self._closed = False
        self._lock = threading.Lock()

    # -- handshake ------------------------------------------------------------------------

    def do_handshake(self, timeout: float | None = None) -> None:
        """Runs the handshake to completion (or raises the TLSError that ended it).

        ``timeout`` is a deadline for the whole handshake, not per read, so a peer that
        trickles one byte at a time cannot hold the connection open; past it, TimeoutError.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        previous = self._sock.gettimeout()
        self.connection.start()
        self._flush()
        try:
            while not self.connection.handshake_complete:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"the TLS handshake took longer than {timeout} s")
                    self._sock.settimeout(left if previous is None else min(left, previous))
                if not self._pump() and not self.connection.handshake_complete:
                    raise TruncationError("the peer closed the connection during the handshake")
        finally:
            if deadline is not None:
                self._sock.settimeout(previous)

    def _flush(self) -> None:
        data = self.connection.data_to_send()
        if data:
            self._sock.sendall(data)

    def _pump(self) -> bool:
        """Reads once from the socket into the engine. False at a clean end of stream."""
        if self._eof:
            return False
        if self.connection.error is not None:
            raise self.connection.error
        data = self._sock.recv(RECV_SIZE)
        with self._lock:  # the engine is driven by one thread at a time
            try:
                events = self.connection.receive_data(data)
            except TLSError:
                self._flush_quietly()
                raise
            self._flush()
        for event in events:
            if isinstance(event, ApplicationData):
                self._incoming += event.data
            elif isinstance(event, ConnectionClosed):
                self._eof = True
        if not data:
            self._eof = True
        return not self._eof or bool(self._incoming)

    def _flush_quietly(self) -> None:
        with contextlib.suppress(OSError):
            self._flush()

    # -- what was negotiated --------------------------------------------------------------

    @property
    def negotiated(self) -> Negotiated:
        n = self.connection.negotiated
        if n is None:
            raise ConnectionClosedError("the handshake has not completed")
        return n

    def version(self) -> str | None:
        n = self.connection.negotiated
        return n.version if n else None

    def cipher(self) -> tuple[str, str, int] | None:
        """(suite name, protocol, secret bits), as ``ssl.SSLSocket.cipher()`` returns."""
        n = self.connection.negotiated
        if n is None:
            return None
        return (n.cipher_suite.name, n.version, n.cipher_suite.key_len * 8)

    def selected_alpn_protocol(self) -> str | None:
        n = self.connection.negotiated
        return n.alpn_protocol if n else None

    @property
    def session(self) -> Session | None:
        """The session to resume this connection later (a secret: it holds keys)."""
        return self.connection.session

    @property
    def session_reused(self) -> bool:
        n = self.connection.negotiated
        return bool(n and n.resumed)

    @property
    def peer_certificates(self) -> tuple[x509.Certificate, ...]:
        return self.negotiated.peer_certificates

    # -- data -----------------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> int:
        self.sendall(data)
        return len(data)

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ConnectionClosedError("the socket is closed")
        with self._lock:
            self.connection.send(bytes(data))
            self._flush()

    def recv(self, bufsize: int = RECV_SIZE) -> bytes:
        """Up to ``bufsize`` bytes; b"" once the peer has sent close_notify."""
        while not self._incoming:
            if not self._pump():
                return b""
        chunk = bytes(self._incoming[:bufsize])
        del self._incoming[:bufsize]
        return chunk

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        data = self.recv(n)
        view[: len(data)] = data
        return len(data)

    def pending(self) -> int:
        return len(self._incoming)

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        return buffered_file(_TLSRawIO(self, mode), mode, buffering, **kwargs)

    # -- socket plumbing ------------------------------------------------------------------

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._sock.gettimeout()

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def fileno(self) -> int:
        return self._sock.fileno()

    def getpeername(self) -> Any:
        return self._sock.getpeername()

    def getsockname(self) -> Any:
        return self._sock.getsockname()

    def setsockopt(self, *args: Any) -> None:
        self._sock.setsockopt(*args)

    def unwrap(self) -> socket.socket:
        """Sends close_notify, waits for the peer's, and hands back the plain socket."""
        self.connection.close()
        self._flush_quietly()
        while not self.connection.closed_by_peer and self.connection.error is None:
            if not self._pump() and not self.connection.closed_by_peer:
                break
        sock, self._closed = self._sock, True
        return sock

    def close(self) -> None:
        """Sends close_notify (if the connection is healthy) and closes the socket."""
        if self._closed:
            return
        self._closed = True
        if self.connection.error is None and self.connection.handshake_complete:
            self.connection.close()
            self._flush_quietly()
        self._sock.close()

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)

    def __enter__(self) -> TLSSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def buffered_file(raw: io.RawIOBase, mode: str, buffering: int | None, **kwargs: Any) -> Any:
    """What ``socket.makefile`` returns for a raw stream: buffered, and text unless "b"."""
    binary = "b" in mode
    if buffering == 0 and binary:
        return raw
    size = io.DEFAULT_BUFFER_SIZE if buffering in (None, -1, 0) else buffering
    reading, writing = "r" in mode, "w" in mode
    if reading and writing:
        buf: Any = io.BufferedRWPair(raw, raw, size)
    elif writing:
        buf = io.BufferedWriter(raw, size)
    else:
        buf = io.BufferedReader(raw, size)
    return buf if binary else io.TextIOWrapper(buf, **kwargs)


class _TLSRawIO(io.RawIOBase):
    """The raw stream behind ``makefile``."""

    def __init__(self, tls: TLSSocket, mode: str) -> None:
        super().__init__()
        self._tls = tls
        self._mode = mode

    def readable(self) -> bool:
        return "r" in self._mode

    def writable(self) -> bool:
        return "w" in self._mode

    def readinto(self, b: Any) -> int:
        return self._tls.recv_into(b)

    def write(self, b: Any) -> int:
        self._tls.sendall(b)
        return len(b)


def wrap_client(
    sock: socket.socket,
    config: ClientConfig,
    server_name: str | None = None,
    session: Session | None = None,
    handshake_timeout: float | None = None,
) -> TLSSocket:
    """Completes a client handshake on a connected socket, offering ``session`` if given."""
    return _handshake(sock, ClientConnection(config, server_name, session), handshake_timeout)


def wrap_server(
    sock: socket.socket, config: ServerConfig, handshake_timeout: float | None = None
) -> TLSSocket:
    """Completes a server handshake on an accepted socket, within ``handshake_timeout``."""
    return _handshake(sock, ServerConnection(config), handshake_timeout)


def _handshake(sock: socket.socket, conn: Connection, timeout: float | None) -> TLSSocket:
    """A TLSSocket whose handshake completed; the socket is closed if it did not. Either
    outcome is logged on the ``tls12`` logger (see ``tls12.log``)."""
    peer = _peername(sock)
    tls = TLSSocket(sock, conn)
    try:
        tls.do_handshake(timeout)
    except BaseException as exc:
        sock.close()
        if isinstance(exc, (TLSError, OSError)):
            connection_failed(exc, peer)
        raise
    handshake_completed(conn, peer)
    return tls


def _peername(sock: socket.socket) -> Any:
    try:
        return sock.getpeername()
    except OSError:
        return None


def connect(
    host: str,
    port: int,
    config: ClientConfig | None = None,
    *,
    server_name: str | None = None,
    session: Session | None = None,
    timeout: float | None = 30.0,
    nodelay: bool = True,
) -> TLSSocket:
    """Opens a TCP connection and completes the handshake. ``server_name`` defaults to
    ``host`` (used for SNI when it is a DNS name, and for certificate name checks).

    ``session`` (from an earlier ``TLSSocket.session``) is offered for resumption; without
    one, the config's ``session_cache`` is asked, and the new session is kept there.
    ``timeout`` bounds the TCP connect, each later socket operation, and the whole handshake.
    ``nodelay`` sets TCP_NODELAY (see ``set_nodelay``).
    """
    config = config if config is not None else ClientConfig()
    name = server_name if server_name is not None else host
    cache = config.session_cache
    if session is None and cache is not None:
        session = cache.get(name, port)
    sock = socket.create_connection((host, port), timeout=timeout)
    set_nodelay(sock, nodelay)
    tls = wrap_client(sock, config, name, session, handshake_timeout=timeout)
    if cache is not None and tls.session is not None:
        cache.put(name, port, tls.session)
    return tls
