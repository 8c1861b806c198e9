"""A builder for outgoing structures.

Length-prefixed vectors are written inside ``with w.vec16():`` blocks that fill in their own
length when the block ends and refuse a body that does not fit the prefix, so no caller ever
computes a length by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager


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

    def bytes(self, data: bytes | bytearray | memoryview) -> None:
        self._buf += data

    @contextmanager
    def _vec(self, width: int) -> Iterator[Writer]:
        start = len(self._buf)
        self._buf += bytes(width)
        yield self
        n = len(self._buf) - start - width
        if n >= 1 << (8 * width):
            raise ValueError(f"vector of {n} bytes does not fit a {width}-byte length")
        self._buf[start : start + width] = n.to_bytes(width, "big")

    def vec8(self) -> AbstractContextManager[Writer]:
        return self._vec(1)

    def vec16(self) -> AbstractContextManager[Writer]:
        return self._vec(2)

    def vec24(self) -> AbstractContextManager[Writer]:
        return self._vec(3)

    def opaque8(self, data: bytes) -> None:
        with self.vec8():
            self.bytes(data)

    def opaque16(self, data: bytes) -> None:
        with self.vec16():
            self.bytes(data)

    def opaque24(self, data: bytes) -> None:
        with self.vec24():
            self.bytes(data)

    def u16_list(self, values: Iterable[int], width: int = 2) -> None:
        """A vector of two-byte values behind a ``width``-byte length."""
        with self._vec(width):
            for v in values:
                self.u16(v)

    def u8_list(self, values: Iterable[int]) -> None:
        with self.vec8():
            for v in values:
                self.u8(v)
