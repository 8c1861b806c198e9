"""``tls12.aio``: asyncio streams over tls12 (the code lives in ``tls12.io.aio``)."""

from tls12.io.aio import (
    SHUTDOWN_TIMEOUT,
    TLSProtocol,
    TLSTransport,
    open_connection,
    start_server,
)

__all__ = [
    "SHUTDOWN_TIMEOUT",
    "TLSProtocol",
    "TLSTransport",
    "open_connection",
    "start_server",
]
