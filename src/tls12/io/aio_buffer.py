"""The read buffer every asyncio TLS connection of a thread shares.

``TLSProtocol`` is an ``asyncio.BufferedProtocol``: the event loop reads into the buffer it
hands out, at most FAIR_SHARE bytes per connection per turn, and the bytes are consumed (copied
once, into the bytes object the engine reads in place) before the loop reads for any other
connection. So one buffer per thread is enough, a connection waiting for its peer holds no read
buffer of its own, and one busy peer cannot keep the others waiting for long.
"""

from __future__ import annotations

import threading

__all__ = ["FAIR_SHARE", "read_buffer"]

FAIR_SHARE = 2**17
"""The most bytes the event loop reads from one connection per turn (see get_buffer): 128 KiB,
eight full records. 32 KiB reads cost a bulk receiver a quarter more server CPU per MiB
(benchmarks/aio_bulk.py), and reads past twice the StreamReader's 64 KiB limit only make it
pause and resume the transport on every read."""

_local = threading.local()


def read_buffer() -> memoryview:
    """This thread's read buffer (an event loop runs in one thread)."""
    buffer: memoryview | None = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = memoryview(bytearray(FAIR_SHARE))
    return buffer
