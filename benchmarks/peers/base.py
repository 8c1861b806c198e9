"""What the benchmark needs from a TLS implementation, whichever it is.

A peer module offers ``NAME``, ``available()``, ``version()``, ``server(workload, material)``
and ``client(workload, material)``. Both sides hand back a ``Channel`` once the handshake is
done; everything else (the loops, the timing, the byte protocol of the bulk workloads) is
shared, so the implementations are measured doing exactly the same thing.
"""

from __future__ import annotations

import socket
from typing import Protocol


class Channel(Protocol):
    """A connection whose handshake has completed."""

    resumed: bool

    def sendall(self, data: bytes) -> None: ...

    def recv_into(self, view: memoryview) -> int:
        """Bytes read into ``view``; 0 once the peer has closed."""
        ...

    def close(self) -> None:
        """close_notify both ways (as far as the implementation does it), then the socket."""
        ...


class ServerPeer(Protocol):
    def accept(self, sock: socket.socket) -> Channel:
        """Runs the server side of the handshake on an accepted socket."""
        ...


class ClientPeer(Protocol):
    def connect(self, sock: socket.socket) -> Channel:
        """Runs the client side of the handshake on a connected socket; for a resumption
        workload, offers the session of the first connection."""
        ...


def tune(sock: socket.socket) -> socket.socket:
    """No Nagle delay: a handshake flight or a close_notify must not wait for an ACK."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exact(channel: Channel, view: memoryview) -> bool:
    """Fills ``view``; False if the peer closed first."""
    got = 0
    while got < len(view):
        n = channel.recv_into(view[got:])
        if not n:
            return False
        got += n
    return True
