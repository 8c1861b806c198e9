"""``open_connection``: an asyncio TLS client connection, as ``asyncio.open_connection``
(the protocol and transport it builds on are ``tls12.io.aio``'s)."""

from __future__ import annotations

import asyncio
from typing import Any

from tls12.config import ClientConfig
from tls12.connection import ClientConnection
from tls12.errors import TLSError
from tls12.io.aio import STREAM_LIMIT, TLSProtocol
from tls12.log import connection_failed, handshake_completed
from tls12.sessions import Session

__all__ = ["open_connection"]


async def open_connection(
    host: str,
    port: int,
    config: ClientConfig | None = None,
    *,
    server_name: str | None = None,
    session: Session | None = None,
    handshake_timeout: float | None = 30.0,
    limit: int = STREAM_LIMIT,
    suppress_ragged_eofs: bool = False,
    **kwargs: Any,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connects, completes the handshake and returns the streams.

    ``server_name`` (default ``host``) is sent as SNI when it is a DNS name and is what the
    certificate must match. ``session`` (or, without one, the config's ``session_cache``) is
    offered for resumption; the new session goes back into the cache. Raises the
    ``TLSError`` that ended the handshake, or ``TimeoutError`` after ``handshake_timeout``.
    ``suppress_ragged_eofs``: a TCP close without close_notify after the handshake reads as
    end of stream instead of raising TruncationError (Python's http.server closes so).
    Other keyword arguments go to ``loop.create_connection`` (``local_addr``, ``sock`` ...).
    """
    loop = asyncio.get_running_loop()
    config = config if config is not None else ClientConfig()
    name = server_name if server_name is not None else host
    cache = config.session_cache
    if session is None and cache is not None:
        session = cache.get(name, port)
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    app = asyncio.StreamReaderProtocol(reader, loop=loop)
    waiter: asyncio.Future[None] = loop.create_future()
    conn = ClientConnection(config, name, session)

    def factory() -> TLSProtocol:
        return TLSProtocol(
            conn, app, loop=loop, handshake_timeout=handshake_timeout, waiter=waiter,
            suppress_ragged_eofs=suppress_ragged_eofs,
        )

    _, protocol = await loop.create_connection(factory, host, port, **kwargs)
    peer = protocol.extra_info("peername")
    try:
        await waiter
    except BaseException as exc:
        protocol.app_abort()
        if isinstance(exc, (TLSError, OSError)):
            connection_failed(exc, peer)
        raise
    handshake_completed(conn, peer)
    writer = asyncio.StreamWriter(protocol.transport, app, reader, loop)
    if cache is not None and conn.session is not None:
        cache.put(name, port, conn.session)
    return reader, writer
