"""Blocking connections over the sans-I/O engine: ``connect``, ``wrap_client``,
``wrap_server`` and the threaded ``TLSServer``. The socket itself, ``TLSSocket``, lives in
tls_socket.py (re-exported here).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from tls12.config import ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import TLSError
from tls12.io.tls_socket import RECV_SIZE, TLSSocket, _TLSRawIO, buffered_file
from tls12.sessions import Session

__all__ = [
    "RECV_SIZE",
    "TLSServer",
    "TLSSocket",
    "_TLSRawIO",
    "buffered_file",
    "connect",
    "wrap_client",
    "wrap_server",
]


def wrap_client(
    sock: socket.socket,
    config: ClientConfig,
    server_name: str | None = None,
    session: Session | None = None,
    handshake_timeout: float | None = None,
    *,
    suppress_ragged_eofs: bool = False,
) -> TLSSocket:
    """Completes a client handshake on a connected socket, offering ``session`` if given.
    ``suppress_ragged_eofs``: see ``TLSSocket``."""
    conn = ClientConnection(config, server_name, session)
    return _handshake(sock, conn, handshake_timeout, suppress_ragged_eofs)


def wrap_server(
    sock: socket.socket, config: ServerConfig, handshake_timeout: float | None = None
) -> TLSSocket:
    """Completes a server handshake on an accepted socket, within ``handshake_timeout``."""
    return _handshake(sock, ServerConnection(config), handshake_timeout)


def _handshake(
    sock: socket.socket, conn: Connection, timeout: float | None, suppress_ragged_eofs: bool = False
) -> TLSSocket:
    """A TLSSocket whose handshake completed; the socket is closed if it did not."""
    tls = TLSSocket(sock, conn, suppress_ragged_eofs=suppress_ragged_eofs)
    try:
        tls.do_handshake(timeout)
    except BaseException:
        sock.close()
        raise
    return tls


def connect(
    host: str,
    port: int,
    config: ClientConfig | None = None,
    *,
    server_name: str | None = None,
    session: Session | None = None,
    timeout: float | None = 30.0,
    suppress_ragged_eofs: bool = False,
) -> TLSSocket:
    """Opens a TCP connection and completes the handshake. ``server_name`` defaults to
    ``host`` (used for SNI when it is a DNS name, and for certificate name checks).

    ``session`` (from an earlier ``TLSSocket.session``) is offered for resumption; without
    one, the config's ``session_cache`` is asked, and the new session is kept there.
    ``timeout`` bounds the TCP connect, each later socket operation, and the whole handshake.
    ``suppress_ragged_eofs``: a TCP close without close_notify reads as end of stream.
    """
    config = config if config is not None else ClientConfig()
    name = server_name if server_name is not None else host
    cache = config.session_cache
    if session is None and cache is not None:
        session = cache.get(name, port)
    sock = socket.create_connection((host, port), timeout=timeout)
    tls = wrap_client(
        sock, config, name, session, timeout, suppress_ragged_eofs=suppress_ragged_eofs
    )
    if cache is not None and tls.session is not None:
        cache.put(name, port, tls.session)
    return tls


Handler = Callable[[TLSSocket], None]


class TLSServer:
    """A small threaded server: accepts, completes the handshake, calls ``handler`` per
    connection in its own thread. A failed handshake ends that connection only."""

    def __init__(
        self,
        config: ServerConfig,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        handshake_timeout: float = 30.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.config = config
        self.handler = handler
        self.handshake_timeout = handshake_timeout
        self.on_error = on_error
        self._listener = socket.create_server((host, port))
        self.address = self._listener.getsockname()[:2]
        self._thread: threading.Thread | None = None
        self._stopping = False

    @property
    def port(self) -> int:
        return int(self.address[1])

    def serve_forever(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                if self._stopping:
                    return
                raise
            threading.Thread(target=self._serve_one, args=(sock,), daemon=True).start()

    def _serve_one(self, sock: socket.socket) -> None:
        try:
            tls = wrap_server(sock, self.config, self.handshake_timeout)
            with tls:
                self.handler(tls)
        except (TLSError, OSError) as exc:  # TimeoutError is an OSError
            if self.on_error is not None:
                self.on_error(exc)
        finally:
            sock.close()

    def start(self) -> TLSServer:
        """Serves in a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TLSServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
