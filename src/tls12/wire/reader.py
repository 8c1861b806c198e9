"""A bounds-checked cursor over received bytes.

Every length that arrives from a peer is read here, and nowhere else, so an overlong or truncated
field becomes a DecodeError (alert decode_error) instead of an IndexError or a silent short slice.
RFC 5246 vector bounds ``<floor..ceiling>`` are passed as arguments and checked on the way in.
"""

from __future__ import annotations

import builtins
import struct

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
        return _name(self._what)

    # -- primitives ---------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """How many unread bytes are left."""
        return self._end - self._pos

    def at_end(self) -> bool:
        return self._pos == self._end

    def _short(self, n: int) -> DecodeError:
        return DecodeError(
            f"{self.what}: needed {n} more bytes but only {self._end - self._pos} remain"
        )

    def _take(self, n: int) -> bytes:
        pos = self._pos
        stop = pos + n
        if n < 0 or stop > self._end:
            raise self._short(n)
        self._pos = stop
        return self._data[pos:stop]

    def u8(self) -> int:
        pos = self._pos
        if pos >= self._end:
            raise self._short(1)
        self._pos = pos + 1
        return self._data[pos]

    def u16(self) -> int:
        pos = self._pos
        if pos + 2 > self._end:
            raise self._short(2)
        self._pos = pos + 2
        data = self._data
        return data[pos] << 8 | data[pos + 1]

    def u24(self) -> int:
        return int.from_bytes(self._take(3), "big")

    def u32(self) -> int:
        pos = self._pos  # written out, as u16: read on every ticket and session
        if pos + 4 > self._end:
            raise self._short(4)
        self._pos = pos + 4
        return int.from_bytes(self._data[pos : pos + 4], "big")

    def u64(self) -> int:
        pos = self._pos
        if pos + 8 > self._end:
            raise self._short(8)
        self._pos = pos + 8
        return int.from_bytes(self._data[pos : pos + 8], "big")

    def opaque_fixed(self, n: int) -> bytes:
        """Exactly ``n`` bytes (a fixed-length field such as Random)."""
        return self._take(n)

    def rest(self) -> builtins.bytes:
        """Everything that is left (for bodies whose layout a later stage decides)."""
        pos = self._pos
        self._pos = self._end
        return self._data[pos : self._end]

    # -- vectors ------------------------------------------------------------------------------

    def _opaque(self, width: int, floor: int, ceiling: int, field: object) -> builtins.bytes:
        """A length of ``width`` bytes, checked against <floor..ceiling> and what remains, then
        that many bytes. The one place every vector length is read."""
        pos = self._pos
        start = pos + width
        if start > self._end:
            raise self._short(width)
        n = int.from_bytes(self._data[pos:start], "big")
        if n < floor or n > ceiling:
            raise DecodeError(
                f"{self.what}: {field} length {n} is outside the allowed range {floor}..{ceiling}"
            )
        stop = start + n
        if stop > self._end:
            raise DecodeError(
                f"{self.what}: {field} claims {n} bytes but only {self._end - start} remain"
            )
        self._pos = stop
        return self._data[start:stop]

    def opaque8(
        self, floor: int = 0, ceiling: int = 0xFF, field: str = "opaque<..2^8-1>"
    ) -> builtins.bytes:
        return self._opaque(1, floor, ceiling, field)

    def opaque16(
        self, floor: int = 0, ceiling: int = 0xFFFF, field: str = "opaque<..2^16-1>"
    ) -> builtins.bytes:
        return self._opaque(2, floor, ceiling, field)

    def opaque24(
        self, floor: int = 0, ceiling: int = 0xFFFFFF, field: str = "opaque<..2^24-1>"
    ) -> builtins.bytes:
        return self._opaque(3, floor, ceiling, field)

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
        raw = self._opaque(width, floor, ceiling, field)
        if len(raw) % 2:
            raise DecodeError(f"{self.what}: {field} has an odd length {len(raw)}")
        return struct.unpack(f">{len(raw) // 2}H", raw)

    def extension_list(self) -> tuple[list[tuple[int, bytes]], DecodeError | None]:
        """A hello's ``Extension extensions<0..2^16-1>`` (RFC 5246 §7.4.1.2) in one pass:
        each ``extension_type`` and ``opaque extension_data<0..2^16-1>`` as a pair, every
        length checked, with the checks and messages of ``vec16(field="extensions")`` and
        then ``u16()`` and ``opaque16(field="extension_data")`` per entry (what the walk
        cost one call each). The block's own length raises here; a bad length inside it is
        returned with the entries before it, for the caller to raise once it has handled
        those (where the entry-by-entry walk would have raised it)."""
        block = self._opaque(2, 0, 0xFFFF, "extensions")
        pairs: list[tuple[int, bytes]] = []
        pos, end = 0, len(block)
        while pos < end:
            start = pos + 4
            if start > end:
                # the type's two bytes are short, or else the length's two bytes are
                have = end - pos if pos + 2 > end else end - pos - 2
                return pairs, DecodeError(
                    f"{_name((self, 'extensions'))}: needed 2 more bytes but only {have} remain"
                )
            n = block[pos + 2] << 8 | block[pos + 3]
            stop = start + n
            if stop > end:
                return pairs, DecodeError(
                    f"{_name((self, 'extensions'))}: extension_data claims {n} bytes but only "
                    f"{end - start} remain"
                )
            pairs.append((block[pos] << 8 | block[pos + 1], block[start:stop]))
            pos = stop
        return pairs, None

    def expect_end(self) -> None:
        """Every structure ends here: trailing bytes are a decode error, not ignored."""
        if self._pos != self._end:
            raise DecodeError(f"{self.what}: {self._end - self._pos} unexpected trailing bytes")


def _name(what: object) -> str:
    """A reader's name: a string, or (parent reader or name, field) as ``parent/field``."""
    if isinstance(what, tuple):
        parent, field = what
        return f"{_name(parent._what if isinstance(parent, Reader) else parent)}/{field}"
    return str(what)
