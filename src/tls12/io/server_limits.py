"""Limits every tls12 server enforces, the accept-loop back-off and the socket options both
servers share.

``max_connections`` bounds the connections a server holds at once (each costs memory, a file
descriptor and, in the blocking server, a worker thread); ``max_handshakes`` bounds how many
of them may be in the handshake at once (the expensive, unauthenticated part). A connection
past ``max_handshakes`` waits for a slot, within its handshake deadline.

When ``accept()`` fails because the process or the system is out of resources (EMFILE,
ENFILE, ENOBUFS, ENOMEM) or a worker thread cannot start, the server logs it, waits
``ACCEPT_BACKOFF`` seconds (doubling up to ``ACCEPT_BACKOFF_MAX`` while it keeps failing) and
goes on: the pressure passing must bring the server back, never leave it dead.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from dataclasses import dataclass

from tls12.errors import ConfigError

DEFAULT_MAX_CONNECTIONS = 1024
ACCEPT_BACKOFF = 0.05
ACCEPT_BACKOFF_MAX = 1.0

RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""accept() errors that mean "not now": out of descriptors, buffers or memory."""
TRANSIENT_ERRNOS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EAGAIN})
"""accept() errors about one connection that went away before it was accepted."""


@dataclass(frozen=True)
class ServerLimits:
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_handshakes: int | None = None
    """None: as many as ``max_connections``."""

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ConfigError("max_connections must be at least 1")
        if self.max_handshakes is not None and self.max_handshakes < 1:
            raise ConfigError("max_handshakes must be at least 1 (or None: no separate limit)")

    @property
    def handshakes(self) -> int:
        if self.max_handshakes is None:
            return self.max_connections
        return min(self.max_handshakes, self.max_connections)


class Backoff:
    """The wait after a failed accept: ACCEPT_BACKOFF, doubling while failures go on."""

    def __init__(self) -> None:
        self._delay = ACCEPT_BACKOFF

    def next(self) -> float:
        delay = self._delay
        self._delay = min(self._delay * 2, ACCEPT_BACKOFF_MAX)
        return delay

    def reset(self) -> None:
        self._delay = ACCEPT_BACKOFF


def set_nodelay(sock: socket.socket, on: bool = True) -> None:
    """TCP_NODELAY, on by default in every tls12 socket: a TLS record is written whole, so
    Nagle's algorithm would only hold back a small record (the last message of a flight, a
    short request) until the peer's ACK, about 40 ms on Linux."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if on else 0)
