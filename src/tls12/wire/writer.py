"""A builder for outgoing structures.

Length-prefixed vectors are written inside ``with w.vec16():`` blocks that fill in their own
length when the block ends and refuse a body that does not fit the prefix, so no caller ever
computes a length by hand.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable


class Writer:
    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self._buf)

    def u8(self, v: int) -> None:
        self._buf += v.to_bytes(1, "big")

    def u16(self, v: int) -> None:
        self._buf += v.to_bytes(2, "big")

    def u24(self, v: int) -> None:
        self._buf += v.to_bytes(3, "big")

    def u32(self, v: int) -> None:
        self._buf += v.to_bytes(4, "big")

    def u64(self, v: int) -> None:
        self._buf += v.to_bytes(8, "big")

    def raw(self, data: bytes | bytearray | memoryview) -> None:
        """The bytes as they are: a fixed-length field (Random) or an already encoded part."""
        self._buf += data

    def vec8(self) -> _Vector:
        return _Vector(self._buf, 1)

    def vec16(self) -> _Vector:
        return _Vector(self._buf, 2)

    def vec24(self) -> _Vector:
        return _Vector(self._buf, 3)

    def _opaque(self, data: builtins.bytes | bytearray | memoryview, width: int) -> None:
        n = len(data)
        if n >= 1 << (8 * width):
            raise ValueError(f"vector of {n} bytes does not fit a {width}-byte length")
        self._buf += n.to_bytes(width, "big")
        self._buf += data

    def opaque8(self, data: builtins.bytes | bytearray | memoryview) -> None:
        self._opaque(data, 1)

    def opaque16(self, data: builtins.bytes | bytearray | memoryview) -> None:
        self._opaque(data, 2)

    def opaque24(self, data: builtins.bytes | bytearray | memoryview) -> None:
        self._opaque(data, 3)

    def u16_list(self, values: Iterable[int], width: int = 2) -> None:
        """A vector of two-byte values behind a ``width``-byte length."""
        body = b"".join(v.to_bytes(2, "big") for v in values)
        self._opaque(body, width)

    def u8_list(self, values: Iterable[int]) -> None:
        self._opaque(bytes(values), 1)


class _Vector:
    """``with w.vec16():`` — reserves the length, then fills it in when the block ends and
    refuses a body that does not fit. A plain class: cheaper than a generator context."""

    __slots__ = ("_buf", "_width", "_start")

    def __init__(self, buf: bytearray, width: int) -> None:
        self._buf = buf
        self._width = width
        self._start = len(buf)

    def __enter__(self) -> None:
        self._buf += bytes(self._width)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            return
        width, start = self._width, self._start
        n = len(self._buf) - start - width
        if n >= 1 << (8 * width):
            raise ValueError(f"vector of {n} bytes does not fit a {width}-byte length")
        self._buf[start : start + width] = n.to_bytes(width, "big")
