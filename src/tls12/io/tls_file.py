"""What ``TLSSocket.makefile`` returns: a raw stream over the socket's ``recv_into`` and
``sendall``, buffered and text as ``socket.makefile`` makes it."""

from __future__ import annotations

import io
from typing import Any, Protocol


class Stream(Protocol):
    """The two calls the raw stream needs (TLSSocket has them)."""

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int: ...

    def sendall(self, data: Any) -> None: ...


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


class TLSRawIO(io.RawIOBase):
    """The raw stream behind ``makefile``."""

    def __init__(self, tls: Stream, mode: str) -> None:
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
