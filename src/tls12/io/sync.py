"""Blocking connections over the sans-I/O engine: ``connect``, ``wrap_client`` and
``wrap_server``. The socket itself, ``TLSSocket``, lives in tls_socket.py (re-exported here);
the threaded ``TLSServer`` in sync_server.py.
"""

from __future__ import annotations

import socket
from typing import Any

from tls12.config import ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import TLSError
from tls12.io.server_limits import set_nodelay
from tls12.io.tls_file import TLSRawIO as _TLSRawIO  # its name before tls_file.py
from tls12.io.tls_file import buffered_file
from tls12.io.tls_socket import RECV_SIZE, TLSSocket
from tls12.log import connection_failed, handshake_completed
from tls12.sessions import Session

__all__ = [
    "RECV_SIZE",
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
    """A TLSSocket whose handshake completed; the socket is closed if it did not. Either
    outcome is logged on the ``tls12`` logger (see ``tls12.log``)."""
    peer = _peername(sock)
    tls = TLSSocket(sock, conn, suppress_ragged_eofs=suppress_ragged_eofs)
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
    suppress_ragged_eofs: bool = False,
    nodelay: bool = True,
) -> TLSSocket:
    """Opens a TCP connection and completes the handshake. ``server_name`` defaults to
    ``host`` (used for SNI when it is a DNS name, and for certificate name checks).

    ``session`` (from an earlier ``TLSSocket.session``) is offered for resumption; without
    one, the config's ``session_cache`` is asked, and the new session is kept there.
    ``timeout`` bounds the TCP connect, each later socket operation, and the whole handshake.
    ``suppress_ragged_eofs``: a TCP close without close_notify reads as end of stream.
    ``nodelay`` sets TCP_NODELAY (see ``set_nodelay``).
    """
    config = config if config is not None else ClientConfig()
    name = server_name if server_name is not None else host
    cache = config.session_cache
    if session is None and cache is not None:
        session = cache.get(name, port)
    sock = socket.create_connection((host, port), timeout=timeout)
    set_nodelay(sock, nodelay)
    tls = wrap_client(
        sock, config, name, session, timeout, suppress_ragged_eofs=suppress_ragged_eofs
    )
    if cache is not None and tls.session is not None:
        cache.put(name, port, tls.session)
    return tls
