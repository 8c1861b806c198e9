"""Handshake message reassembly.

The record layer and the handshake layer cut the stream in different places: one handshake
message may span many records, and one record may carry many messages (RFC 5246 §6.2.1). This
buffer turns handshake-record fragments back into whole messages, each with its 4-byte header
kept, because the transcript hashes the message exactly as it was sent.
"""

from __future__ import annotations

from tls12.errors import DecodeError

_HEADER_LEN = 4


class HandshakeBuffer:
    """Collects handshake fragments and yields whole messages.

    A message longer than ``max_message_size`` is refused as soon as its header is seen, so a
    peer cannot make us buffer up to 16 MiB by announcing a huge length.
    """

    __slots__ = ("_buf", "_pos", "max_message_size")

    def __init__(self, max_message_size: int = 65536) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.max_message_size = max_message_size

    @property
    def at_boundary(self) -> bool:
        """True when no partial message is waiting: the only place ChangeCipherSpec may fall."""
        return self._pos == len(self._buf)

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf) - self._pos

    def feed(self, fragment: bytes | bytearray | memoryview) -> None:
        """Add the contents of one handshake record."""
        if self._pos and self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        self._buf += fragment
        self._header_length()

    def _header_length(self) -> int | None:
        """The body length of the message at the front, checked, or None if no whole header."""
        pos = self._pos
        if len(self._buf) - pos < _HEADER_LEN:
            return None
        length = int.from_bytes(self._buf[pos + 1 : pos + _HEADER_LEN], "big")
        if length > self.max_message_size:
            msg_type = self._buf[pos]
            raise DecodeError(
                f"handshake message type {msg_type} declares {length} bytes, "
                f"more than the limit of {self.max_message_size}"
            )
        return length

    def next_message(self) -> tuple[int, bytes, bytes] | None:
        """The next whole message as (msg_type, body, raw message with header), or None."""
        length = self._header_length()
        if length is None:
            return None
        start = self._pos
        end = start + _HEADER_LEN + length
        if end > len(self._buf):
            return None
        raw = bytes(self._buf[start:end])
        self._pos = end
        if end == len(self._buf):
            self._buf.clear()
            self._pos = 0
        elif end > 65536 and end * 2 > len(self._buf):
            del self._buf[:end]
            self._pos = 0
        return raw[0], raw[_HEADER_LEN:], raw
