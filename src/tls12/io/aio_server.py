"""``start_server``: the asyncio TLS server, with the limits every tls12 server keeps.

Each connection is a ``TLSProtocol`` (``tls12.io.aio``) under an ``asyncio.Server``. On top of
that this module keeps the server's bounds (``tls12.io.server_limits``):

- at most ``max_connections`` at once: one past it is closed as soon as it is accepted (the
  event loop accepts whatever the kernel queued; closing at once costs nothing and is logged);
- at most ``max_handshakes`` in the handshake at once: one past it is not read from until a
  slot frees (its handshake deadline runs meanwhile), so a crowd of handshakes cannot take
  the CPU from connections that are already up;
- the accept loop survives running out of file descriptors: asyncio's own accept loop logs
  the error and retries a second later, and this is tested (tests/io/test_server_limits.py).

Every failed handshake is logged on the ``tls12`` logger at INFO, each completed one at DEBUG
(``tls12.log``), whether or not ``on_handshake_error`` is given.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import Any

from tls12.config import ServerConfig
from tls12.connection import ServerConnection
from tls12.io.aio import STREAM_LIMIT, ErrorCallback, TLSProtocol
from tls12.io.aio_deadlines import HandshakeDeadlines
from tls12.io.aio_extra import ClosedSide
from tls12.io.aio_sessions import prefetch_for
from tls12.io.server_limits import DEFAULT_MAX_CONNECTIONS, ServerLimits, set_nodelay
from tls12.log import connection_failed, handshake_completed, logger, peer_text
from tls12.sessions_async import AsyncSessionStore

__all__ = ["ServerTLSProtocol", "start_server"]

ClientConnectedCallback = Callable[
    [asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None] | None
]

WAITING_FOR_SLOT = "handshake slot"


class _Slots:
    """The connection and handshake counts one server shares between its protocols."""

    def __init__(self, limits: ServerLimits, deadlines: HandshakeDeadlines | None) -> None:
        self.limits = limits
        self.handshake_limit = limits.handshakes
        self.connections = 0
        self.handshakes = 0
        self.waiting: collections.deque[ServerTLSProtocol] = collections.deque()
        self.deadlines = deadlines
        """The handshake clock all this server's connections share (None: no timeout)."""

    def release_handshake(self) -> None:
        self.handshakes -= 1
        while self.waiting and self.handshakes < self.handshake_limit:
            protocol = self.waiting.popleft()
            if protocol.take_handshake_slot():
                return


class ServerTLSProtocol(TLSProtocol):
    """A server connection that counts itself against its server's limits and logs how its
    handshake went."""

    __slots__ = ("_slots", "_nodelay", "_counted", "_in_handshake", "_refused")

    def __init__(self, *args: Any, slots: _Slots, nodelay: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadlines = slots.deadlines
        self._slots = slots
        self._nodelay = nodelay
        self._counted = False
        self._in_handshake = False
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        slots = self._slots
        if slots.connections >= slots.limits.max_connections:
            self._refused = True
            logger.info(
                "refused %s: max_connections=%d reached",
                peer_text(transport.get_extra_info("peername")),
                slots.limits.max_connections,
            )
            # a stream server's transport is a Transport (abort); asyncio types it BaseTransport
            transport.abort()  # type: ignore[attr-defined]
            return
        slots.connections += 1
        self._counted = True
        if not self._nodelay:  # asyncio sets TCP_NODELAY on every TCP transport
            sock = transport.get_extra_info("socket")
            if sock is not None:
                set_nodelay(sock, False)
        super().connection_made(transport)
        if slots.handshakes < slots.handshake_limit:
            if not self._lost and self._error is None:  # take_handshake_slot, not paused yet
                slots.handshakes += 1
                self._in_handshake = True
        else:
            self.set_reading_paused(WAITING_FOR_SLOT, True)
            slots.waiting.append(self)

    def take_handshake_slot(self) -> bool:
        """Starts (or resumes) reading this handshake; False if the connection is gone."""
        if self._lost or self._error is not None:
            return False
        self._slots.handshakes += 1
        self._in_handshake = True
        self.set_reading_paused(WAITING_FOR_SLOT, False)
        return True

    def _handshake_completed(self) -> None:
        first = not self._app_connected
        self._end_handshake()
        super()._handshake_completed()
        if first:
            handshake_completed(self.connection, self._peername)

    def _handshake_failed(self, error: BaseException) -> None:
        connection_failed(error, self._peername)
        super()._handshake_failed(error)

    def _end_handshake(self) -> None:
        if self._in_handshake:
            self._in_handshake = False
            self._slots.release_handshake()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            self.transport._tls = ClosedSide(self.connection, None, self._app)  # no cycle left
            return
        self._end_handshake()
        if self._counted:
            self._counted = False
            self._slots.connections -= 1
        super().connection_lost(exc)


async def start_server(
    client_connected_cb: ClientConnectedCallback,
    host: str | None,
    port: int | None,
    config: ServerConfig,
    *,
    handshake_timeout: float | None = 30.0,
    limit: int = STREAM_LIMIT,
    on_handshake_error: ErrorCallback | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_handshakes: int | None = None,
    nodelay: bool = True,
    suppress_ragged_eofs: bool = False,
    async_session_store: AsyncSessionStore | None = None,
    **kwargs: Any,
) -> asyncio.Server:
    """Serves TLS: ``client_connected_cb(reader, writer)`` runs for each connection whose
    handshake completed (a coroutine runs as a task). A handshake that fails or takes longer
    than ``handshake_timeout`` ends that connection only; it is logged on the ``tls12``
    logger and ``on_handshake_error(exc, transport)`` hears about it. ``max_connections`` and
    ``max_handshakes`` bound the connections held and the handshakes under way (see the
    module docstring). ``nodelay=False`` turns TCP_NODELAY (asyncio's default) off.
    ``suppress_ragged_eofs``: see open_connection. Session IDs are looked up through
    ``async_session_store`` (default: the async twin of ``config.session_store`` when it
    blocks, as ``RedisSessionStore`` does), so the event loop never waits on the network.
    Other keyword arguments go to ``loop.create_server``."""
    loop = asyncio.get_running_loop()
    deadlines = None if handshake_timeout is None else HandshakeDeadlines(loop, handshake_timeout)
    slots = _Slots(ServerLimits(max_connections, max_handshakes), deadlines)
    prefetch = prefetch_for(config, async_session_store)

    def factory() -> TLSProtocol:
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        app = asyncio.StreamReaderProtocol(reader, client_connected_cb, loop=loop)
        gate = prefetch.gate(config) if prefetch is not None else None
        return ServerTLSProtocol(
            ServerConnection(gate.config if gate is not None else config),
            app,
            loop=loop,
            handshake_timeout=handshake_timeout,
            on_handshake_error=on_handshake_error,
            suppress_ragged_eofs=suppress_ragged_eofs,
            gate=gate,
            slots=slots,
            nodelay=nodelay,
        )

    return await loop.create_server(factory, host, port, **kwargs)
