"""Handshake message reassembly.

The record layer and the handshake layer cut the stream in different places: one handshake
message may span many records, and one record may carry many messages (RFC 5246 §6.2.1). This
buffer turns handshake-record fragments back into whole messages, each with its 4-byte header
kept, because the transcript hashes the message exactly as it was sent.
"""

from __future__ import annotations

from collections.abc import Callable

from tls12.errors import DecodeError

_HEADER_LEN = 4

MESSAGE_MAXIMA: dict[int, int] = {
    0: 64,  # hello_request: empty (the decoder refuses a body)
    1: 131396,  # client_hello: 2+32+(1+32)+(2+65534)+(1+255)+(2+65535), OpenSSL's limit too
    2: 65607,  # server_hello: 2+32+(1+32)+2+1+(2+65535)
    4: 65541,  # new_session_ticket: 4+(2+65535)
    11: 102400,  # certificate: OpenSSL's default max_cert_list (the wire allows 2^24-1)
    12: 102400,  # server_key_exchange: OpenSSL's SERVER_KEY_EXCH_MAX_LENGTH
    13: 131329,  # certificate_request: (1+255)+(2+65534)+(2+65535)
    14: 64,  # server_hello_done: empty
    15: 65539,  # certificate_verify: 2+(2+65535)
    16: 65793,  # client_key_exchange: ECDHE_PSK's (2+65535)+(1+255); RSA, DH: (2+65535)
    20: 64,  # finished: verify_data (12 bytes for every suite here)
}
"""The default limit per handshake type: the largest message the wire format allows, or
OpenSSL's limit where the wire's (2^24-1) would let a peer make us buffer megabytes."""

DEFAULT_MAXIMUM = 65536
"""For a type not listed (the state refuses those before their size matters)."""


def default_limit(msg_type: int) -> int:
    return MESSAGE_MAXIMA.get(msg_type, DEFAULT_MAXIMUM)


class HandshakeBuffer:
    """Collects handshake fragments and yields whole messages.

    A message longer than its type's limit (``max_message_size`` for every type when given,
    else ``MESSAGE_MAXIMA``) is refused as soon as its header is seen, so a peer cannot make
    us buffer up to 16 MiB by announcing a huge length. ``admit`` is called with the type
    first, also from the header alone: the handshake state refuses a type it does not expect
    before any of the body is buffered or decoded (RFC 5246 §7.4).
    """

    __slots__ = ("_buf", "_pos", "max_message_size", "_admit")

    def __init__(
        self,
        max_message_size: int | None = None,
        admit: Callable[[int], None] | None = None,
    ) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.max_message_size = max_message_size
        self._admit = admit

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
        msg_type = self._buf[pos]
        if self._admit is not None:
            self._admit(msg_type)
        length = int.from_bytes(self._buf[pos + 1 : pos + _HEADER_LEN], "big")
        limit = self.max_message_size
        if limit is None:
            limit = default_limit(msg_type)
        if length > limit:
            raise DecodeError(
                f"handshake message type {msg_type} declares {length} bytes, "
                f"more than the limit of {limit}"
                + (" (max_handshake_message_size)" if self.max_message_size is not None else "")
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
