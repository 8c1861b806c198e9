"""A bounds-checked cursor over received bytes.

Every length that arrives from a peer is read here, and nowhere else, so an overlong or truncated
field becomes a DecodeError (alert decode_error) instead of an IndexError or a silent short slice.
RFC 5246 vector bounds ``<floor..ceiling>`` are passed as arguments and checked on the way in.
"""

from __future__ import annotations

from tls12.errors import DecodeError


class Reader:
    """Reads big-endian integers and length-prefixed vectors from a byte string."""

    __slots__ = ("_data", "_pos", "_end", "_what")

    def __init__(
        self, data: bytes | bytearray | memoryview, what: str | tuple[object, str] = "message"
    ) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._end = len(self._data)
        self._what = what  # a name, or (parent name, field): formatted only for an error

    @property
    def what(self) -> str:
        """Where in the message this reader is, for error messages."""
        what = self._what
        if isinstance(what, tuple):
            parent, field = what
            return f"{parent.what if isinstance(parent, Reader) else parent}/{field}"
        return what

    # -- primitives ---------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """How many unread bytes are left."""
        return self._end - self._pos

    def at_end(self) -> bool:
        return self._pos == self._end

    def _take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > self._end:
            raise DecodeError(
                f"{self.what}: needed {n} more bytes but only {self._end - self._pos} remain"
            )
        start = self._pos
        self._pos += n
        return self._data[start : self._pos]

    def u8(self) -> int:
        return self._take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self._take(2), "big")

    def u24(self) -> int:
        return int.from_bytes(self._take(3), "big")

    def u32(self) -> int:
        return int.from_bytes(self._take(4), "big")

    def u64(self) -> int:
        return int.from_bytes(self._take(8), "big")

    def bytes(self, n: int) -> bytes:
        """Exactly ``n`` bytes (a fixed-length field such as Random)."""
        return self._take(n)

    def rest(self) -> bytes:
        """Everything that is left (for bodies whose layout a later stage decides)."""
        return self._take(self.remaining)

    # -- vectors ------------------------------------------------------------------------------

    def _length(self, width: int, floor: int, ceiling: int, field: str) -> int:
        n = int.from_bytes(self._take(width), "big")
        if n < floor or n > ceiling:
            raise DecodeError(
                f"{self.what}: {field} length {n} is outside the allowed range {floor}..{ceiling}"
            )
        if n > self.remaining:
            raise DecodeError(
                f"{self.what}: {field} claims {n} bytes but only {self.remaining} remain"
            )
        return n

    def opaque8(self, floor: int = 0, ceiling: int = 0xFF, field: str = "opaque<..2^8-1>") -> bytes:
        return self._take(self._length(1, floor, ceiling, field))

    def opaque16(
        self, floor: int = 0, ceiling: int = 0xFFFF, field: str = "opaque<..2^16-1>"
    ) -> bytes:
        return self._take(self._length(2, floor, ceiling, field))

    def opaque24(
        self, floor: int = 0, ceiling: int = 0xFFFFFF, field: str = "opaque<..2^24-1>"
    ) -> bytes:
        return self._take(self._length(3, floor, ceiling, field))

    def vec8(self, floor: int = 0, ceiling: int = 0xFF, field: str = "vector") -> Reader:
        """A sub-reader over a vector with a one-byte length prefix."""
        return Reader(self.opaque8(floor, ceiling, field), (self, field))

    def vec16(self, floor: int = 0, ceiling: int = 0xFFFF, field: str = "vector") -> Reader:
        return Reader(self.opaque16(floor, ceiling, field), (self, field))

    def vec24(self, floor: int = 0, ceiling: int = 0xFFFFFF, field: str = "vector") -> Reader:
        return Reader(self.opaque24(floor, ceiling, field), (self, field))

    def u8_list(self, floor: int = 0, ceiling: int = 0xFF, field: str = "list") -> tuple[int, ...]:
        """A vector of one-byte values, such as compression_methods."""
        return tuple(self.opaque8(floor, ceiling, field))

    def u16_list(
        self, floor: int = 0, ceiling: int = 0xFFFF, field: str = "list", width: int = 2
    ) -> tuple[int, ...]:
        """A vector of two-byte values (cipher suites, groups, schemes) behind a length prefix of
        ``width`` bytes; an odd byte count is a decode error."""
        read = self.opaque16 if width == 2 else self.opaque8
        raw = read(floor, ceiling, field)
        if len(raw) % 2:
            raise DecodeError(f"{self.what}: {field} has an odd length {len(raw)}")
        return tuple(int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))

    def expect_end(self) -> None:
        """Every structure ends here: trailing bytes are a decode error, not ignored."""
        if self._pos != self._end:
            raise DecodeError(f"{self.what}: {self._end - self._pos} unexpected trailing bytes")
