"""``tls12.aio``: asyncio streams over tls12 (the code lives in ``tls12.io.aio``,
``tls12.io.aio_client`` and ``tls12.io.aio_server``)."""

from tls12.io.aio import (
    SHUTDOWN_TIMEOUT,
    TLSProtocol,
    TLSTransport,
)
from tls12.io.aio_client import open_connection
from tls12.io.aio_server import start_server

__all__ = [
    "SHUTDOWN_TIMEOUT",
    "TLSProtocol",
    "TLSTransport",
    "open_connection",
    "start_server",
]
