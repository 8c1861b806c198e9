"""The record layer: transport bytes in, typed plaintext records out, and back (RFC 5246 §6.2).

It owns the read and write epochs. New keys are installed as *pending* when the key block is
derived and become *current* only at ChangeCipherSpec (``activate_read`` when the peer's CCS
arrives, ``activate_write`` right after we queue ours), at which point that direction's
sequence number restarts at 0. Nothing here knows about handshake states; it only refuses
records that no state could accept (unknown type, wrong version, oversize, empty).
"""

from __future__ import annotations

import struct

from tls12.errors import (
    InternalError,
    ProtocolVersionError,
    RecordOverflow,
    UnexpectedMessage,
)
from tls12.record.bulk import MAX_SEQ, BulkReads
from tls12.record.limits import MAX_PLAINTEXT
from tls12.record.protection_base import NullProtection, RecordProtection
from tls12.wire.enums import TLS12_VERSION, ContentType

_HEADER = struct.Struct(">BHH")  # type, version, length
_HEADER_LEN = _HEADER.size

EXPANSION = 2048  # what protection may add to a fragment (RFC 5246 §6.2.3)
MAX_CIPHERTEXT = MAX_PLAINTEXT + EXPANSION  # TLSCiphertext.length limit
_TLS_LIMIT = "the limit of 16384 (RFC 5246 §6.2.1)"

_TYPE_BY_VALUE: dict[int, ContentType] = {int(t): t for t in ContentType}
_MUST_NOT_BE_EMPTY = frozenset(
    int(t) for t in (ContentType.handshake, ContentType.alert, ContentType.change_cipher_spec)
)


_SSL3_TO_TLS12 = (0x0300, 0x0301, 0x0302, 0x0303)

_HTTP_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"CONNECT ",
                 b"PATCH ", b"TRACE ")  # fmt: skip


def _plain_text_protocol(head: bytes) -> str | None:
    """What a peer speaking plain text instead of TLS sent, as OpenSSL names it ("http
    request", "wrong version number"), or None. Only for the message: the record is refused
    either way."""
    if head.startswith(_HTTP_METHODS):
        return "the peer sent a plain HTTP request, not TLS (http request)"
    if head.startswith(b"HTTP/"):
        return "the peer answered in plain HTTP, not TLS (wrong version number)"
    if head and all(32 <= b < 127 or b in b"\r\n\t" for b in head[:5]):
        return f"the peer sent plain text {head!r}, not TLS (wrong version number)"
    return None


class RecordLayer(BulkReads):
    """Frames, protects and checks records for one connection.

    ``expected_version`` is None until the version is settled (the first ClientHello's record
    may say 0x0301, and any 0x03xx is accepted); after that every record must carry exactly it.
    """

    def __init__(
        self,
        *,
        max_fragment: int = MAX_PLAINTEXT,
        write_version: int = TLS12_VERSION,
        expected_version: int | None = None,
    ) -> None:
        if not 1 <= max_fragment <= MAX_PLAINTEXT:
            raise InternalError(f"max_fragment must be 1..{MAX_PLAINTEXT}, got {max_fragment}")
        self.max_fragment = max_fragment
        self.write_version = write_version
        self.expected_version = expected_version
        # The unread input: a ``bytes`` the caller fed, read in place, or our own bytearray
        # once a partial record has to be kept across calls (see ``feed``).
        self._in: bytes | bytearray = bytearray()
        self._in_pos = 0
        # A fed ``bytes`` whose head completed the partial record in ``_in``: read in place
        # from ``_next_pos`` once that record is consumed (see ``feed``).
        self._next: bytes | None = None
        self._next_pos = 0
        self._read: RecordProtection = NullProtection()
        self._write: RecordProtection = NullProtection()
        self._pending_read: RecordProtection | None = None
        self._pending_write: RecordProtection | None = None
        self._read_seq = 0
        self._write_seq = 0
        # In the clear a record holds at most 2^14 bytes; protected, 2^14 + 2048 (§6.2.1-3).
        self._read_limit = MAX_PLAINTEXT
        # The plaintext a received record may hold: 2^14, or a negotiated limit (RFC 6066 §4,
        # RFC 8449), named in the record_overflow error by ``_limit_name``.
        self._plain_limit = MAX_PLAINTEXT
        self._limit_name = _TLS_LIMIT
        # RFC 8449 limits bind protected records only: they wait for the ChangeCipherSpec.
        self._pending_send: int | None = None
        self._pending_receive: tuple[int, str] | None = None

    # -- negotiated limits --------------------------------------------------------------------

    def limit_records(self, send: int, receive: int | None, name: str) -> None:
        """From now on (RFC 6066 §4: "immediately"), send at most ``send`` plaintext bytes per
        record and refuse a received record of more than ``receive`` (record_overflow;
        None keeps the receive limit as it is)."""
        self._set_send_limit(send)
        if receive is not None:
            self._set_receive_limit(receive, name)

    def limit_protected_records(self, send: int, receive: int, name: str) -> None:
        """The same limits for records under the pending keys (RFC 8449 §4: the handshake
        that makes the keys sets the limits of the records they protect): ``send`` from our
        ChangeCipherSpec on, ``receive`` from the peer's."""
        if not 1 <= send <= MAX_PLAINTEXT or not 1 <= receive <= MAX_PLAINTEXT:
            raise InternalError(f"record limits must be 1..{MAX_PLAINTEXT}: {send}, {receive}")
        self._pending_send = send
        self._pending_receive = (receive, name)

    def _set_send_limit(self, send: int) -> None:
        if not 1 <= send <= MAX_PLAINTEXT:
            raise InternalError(f"max_fragment must be 1..{MAX_PLAINTEXT}, got {send}")
        self.max_fragment = send

    def _set_receive_limit(self, receive: int, name: str) -> None:
        if not 1 <= receive <= MAX_PLAINTEXT:
            raise InternalError(f"receive limit must be 1..{MAX_PLAINTEXT}, got {receive}")
        self._plain_limit = receive
        self._limit_name = name
        self._read_limit = receive + EXPANSION if self.read_encrypted else receive

    @property
    def receive_limit(self) -> int:
        """The most plaintext a received record may hold now."""
        return self._plain_limit

    # -- epochs -------------------------------------------------------------------------------

    def set_pending_read(self, protection: RecordProtection) -> None:
        self._pending_read = protection

    def set_pending_write(self, protection: RecordProtection) -> None:
        self._pending_write = protection

    def activate_read(self) -> None:
        """The peer's ChangeCipherSpec arrived: its following records use the pending keys."""
        if self._pending_read is None:
            raise UnexpectedMessage("ChangeCipherSpec received before any keys were agreed")
        self._read, self._pending_read = self._pending_read, None
        self._read_seq = 0
        self._read_limit = self._plain_limit + EXPANSION
        if self._pending_receive is not None:
            self._set_receive_limit(*self._pending_receive)
            self._pending_receive = None

    def activate_write(self) -> None:
        """We sent ChangeCipherSpec: our following records use the pending keys."""
        if self._pending_write is None:
            raise InternalError("cannot switch write keys: none are pending")
        self._write, self._pending_write = self._pending_write, None
        self._write_seq = 0
        if self._pending_send is not None:
            self._set_send_limit(self._pending_send)
            self._pending_send = None

    # ``type() is``, not isinstance: RecordProtection is an ABC, whose isinstance is a
    # Python-level __instancecheck__, and these are asked for every handshake message.
    @property
    def read_encrypted(self) -> bool:
        return type(self._read) is not NullProtection

    @property
    def write_encrypted(self) -> bool:
        return type(self._write) is not NullProtection

    @property
    def read_seq(self) -> int:
        return self._read_seq

    @property
    def write_seq(self) -> int:
        return self._write_seq

    # -- reading ------------------------------------------------------------------------------

    @property
    def buffered_bytes(self) -> int:
        """Received bytes not yet returned as records (a partial record at EOF is truncation)."""
        queued = 0 if self._next is None else len(self._next) - self._next_pos
        return len(self._in) - self._in_pos + queued

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Buffer bytes from the transport.

        A fed ``bytes`` (immutable, so it cannot change under us) is read in place: no copy of
        a 64 KiB socket read into a buffer of our own. When a partial record is pending, only
        the bytes that complete it are copied behind it, and the rest of ``data`` is read in
        place after that record. A bytearray or memoryview is copied (the caller may reuse
        it). Whatever is left unread when ``read_record`` returns None (a partial record) is
        moved into our own buffer, so a fed ``bytes`` is never held past the records it holds.
        """
        buf = self._in
        if self._in_pos == len(buf) and self._next is None:  # nothing unread
            self._in_pos = 0
            if type(data) is bytes:
                self._in = data
            elif isinstance(buf, bytearray):
                buf.clear()
                buf += data
            else:
                self._in = bytearray(data)
            return
        own = self._own_input()
        if type(data) is bytes:
            need = self._missing(own, data)
            if 0 < need < len(data):
                with memoryview(data) as view:
                    own += view[:need]
                self._next = data
                self._next_pos = need
                return
        own += data

    def _missing(self, own: bytearray, data: bytes) -> int:
        """How many bytes of ``data`` complete the first record in ``own`` (0: unknown)."""
        unread = len(own) - self._in_pos
        if unread >= _HEADER_LEN:
            length: int = _HEADER.unpack_from(own, self._in_pos)[2]
        else:
            header = bytes(own[self._in_pos :]) + data[: _HEADER_LEN - unread]
            if len(header) < _HEADER_LEN:
                return 0
            length = int(_HEADER.unpack(header)[2])
        return _HEADER_LEN + length - unread

    def _own_input(self) -> bytearray:
        """All unread input in our own bytearray: the unread tail of a fed bytes copied, and a
        queued ``_next`` appended."""
        buf = self._in
        if not isinstance(buf, bytearray):
            with memoryview(buf) as view:
                buf = bytearray(view[self._in_pos :])
            self._in = buf
            self._in_pos = 0
        if self._next is not None:
            with memoryview(self._next) as view:
                buf += view[self._next_pos :]
            self._next = None
        return buf

    def discard_input(self) -> None:
        """Drops everything buffered (after the peer's close_notify nothing more is read)."""
        self._in = bytearray()
        self._in_pos = 0
        self._next = None

    def _header_error(self, ctype: int, version: int, length: int) -> Exception | None:
        """Why a record header is refused, or None if it is acceptable."""
        if ctype not in _TYPE_BY_VALUE:
            plain = _plain_text_protocol(bytes(self._in[self._in_pos : self._in_pos + 16]))
            if plain is not None:
                return UnexpectedMessage(plain)
            return UnexpectedMessage(f"record of unknown content type {ctype}")
        if version >> 8 != 3:
            return ProtocolVersionError(f"record version {version:#06x} is not TLS")
        if ctype == ContentType.alert and not self.read_encrypted and version in _SSL3_TO_TLS12:
            # A plaintext alert (a scanner's close_notify after our ServerHello, say) with an
            # older {3, x} version than agreed: RFC 5246 Appendix E lets a peer that has not
            # yet seen the version use another; it says no more than the alert itself.
            pass
        elif self.expected_version is not None and version != self.expected_version:
            return ProtocolVersionError(
                f"record version {version:#06x}, expected {self.expected_version:#06x}"
            )
        if length > self._read_limit:
            what = "protected record" if self.read_encrypted else "record"
            return RecordOverflow(
                f"{what} length {length} exceeds {self._read_limit}: more than "
                f"{self._limit_name} can make"
            )
        return None

    def read_record(self) -> tuple[ContentType, bytes] | None:
        """The next whole record, decrypted and checked, or None until more bytes arrive.

        The header is checked as soon as its 5 bytes are in, so an oversize or foreign record
        is refused before its body is buffered.
        """
        buf = self._in
        pos = self._in_pos
        if len(buf) - pos < _HEADER_LEN:
            return self._incomplete()
        ctype, version, length = _HEADER.unpack_from(buf, pos)
        # The agreed version (always 0x03xx), a known type and a length within the limit are
        # what _header_error accepts without looking further: only other headers go there.
        if (
            version != self.expected_version
            or length > self._read_limit
            or ctype not in _TYPE_BY_VALUE
        ):
            error = self._header_error(ctype, version, length)
            if error is not None:
                raise error
        start = pos + _HEADER_LEN
        end = start + length
        if end > len(buf):
            return self._incomplete()
        seq = self._read_seq
        if seq > MAX_SEQ:
            raise InternalError("read sequence number exhausted; the connection must end")
        # The view is released explicitly (not left to a traceback) so the buffer can grow.
        fragment = memoryview(buf)[start:end]
        try:
            plaintext = self._read.decrypt(seq, ctype, fragment)
        finally:
            fragment.release()
        self._read_seq = seq + 1
        self._consume(end)
        if len(plaintext) > self._plain_limit:
            raise RecordOverflow(
                f"record of {len(plaintext)} plaintext bytes exceeds {self._limit_name}"
            )
        if not plaintext and ctype in _MUST_NOT_BE_EMPTY:
            raise UnexpectedMessage(f"empty {_TYPE_BY_VALUE[ctype].name} record")
        return _TYPE_BY_VALUE[ctype], plaintext

    def _incomplete(self) -> tuple[ContentType, bytes] | None:
        """No whole record at the front of ``_in``. With a queued ``_next`` (``feed`` copies
        exactly what completes the record, so this is only a safety net) everything is joined
        and read again; otherwise only the unread bytes are kept, in our own buffer."""
        if self._next is not None:
            self._own_input()
            return self.read_record()
        if isinstance(self._in, bytes):
            if self._in_pos == len(self._in):
                self._in = bytearray()
                self._in_pos = 0
            else:
                self._own_input()
        return None

    # -- writing ------------------------------------------------------------------------------

    def _next_write_seq(self) -> int:
        seq = self._write_seq
        if seq > MAX_SEQ:
            raise InternalError("write sequence number exhausted; the connection must end")
        self._write_seq = seq + 1
        return seq

    def _check_outgoing(self, ctype: int, n: int) -> None:
        if ctype not in _TYPE_BY_VALUE:
            raise InternalError(f"cannot send a record of unknown content type {ctype}")
        if n == 0 and ctype != ContentType.application_data:
            raise InternalError(f"refusing to send an empty {_TYPE_BY_VALUE[ctype].name} record")

    def write(self, content_type: ContentType, data: bytes | bytearray | memoryview) -> bytes:
        """Wire bytes for ``data``: records of at most ``max_fragment`` plaintext bytes each,
        protected with the current write epoch. Empty application data yields b""."""
        n = len(data)
        self._check_outgoing(int(content_type), n)
        if n == 0:
            return b""
        out = bytearray()
        self.write_into(out, content_type, data)
        return bytes(out)

    def write_into(
        self, out: bytearray, content_type: ContentType, data: bytes | bytearray | memoryview
    ) -> None:
        """Like ``write`` but appends to ``out``: the fast path for bulk data.

        Each record is sealed straight into ``out`` (``RecordProtection.seal_into``).
        Appending to a long-lived outgoing buffer avoids allocating a fresh large bytes per
        write, which glibc serves with fresh pages (page faults) once it passes the mmap
        threshold; that alone can cost more than the AES-GCM work.
        """
        ctype = int(content_type)
        n = len(data)
        self._check_outgoing(ctype, n)
        seal = self._write.seal_into
        version = self.write_version
        step = self.max_fragment
        if n <= step:
            if n:
                seal(out, self._next_write_seq(), ctype, version, data)
            return
        with memoryview(data) as view:
            for off in range(0, n, step):
                seal(out, self._next_write_seq(), ctype, version, view[off : off + step])

    def write_pieces(
        self, content_type: ContentType, data: bytes | bytearray | memoryview
    ) -> list[bytes]:
        """The records ``write`` makes, as pieces for one ``writev`` (two per record, see
        ``RecordProtection.seal_pieces``) instead of one joined buffer: the ciphertext is
        never copied on its way to the socket."""
        ctype = int(content_type)
        n = len(data)
        self._check_outgoing(ctype, n)
        seal = self._write.seal_pieces
        version = self.write_version
        step = self.max_fragment
        pieces: list[bytes] = []
        if n <= step:
            if n:
                pieces += seal(self._next_write_seq(), ctype, version, data)
            return pieces
        with memoryview(data) as view:
            for off in range(0, n, step):
                pieces += seal(self._next_write_seq(), ctype, version, view[off : off + step])
        return pieces
