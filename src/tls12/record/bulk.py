"""The bulk read paths of the record layer: runs of application data records read in one
call, into a list of plaintexts or decrypted straight into a reader's buffer.

``RecordLayer`` (layer.py) inherits them; they read its input cursor (``_in``, ``_in_pos``,
and the ``_next`` bytes queued behind a completed partial record) and its read epoch, and
make from the header alone every check ``read_record`` makes of a data record, which is
possible because an AEAD's overhead is exact: the plaintext's length is in the header.
Anything they do not take is left in place for ``read_record``.
"""

from __future__ import annotations

import struct

from tls12.errors import BadRecordMac
from tls12.record.protection_base import RecordProtection
from tls12.wire.enums import ContentType

_HEADER = struct.Struct(">BHH")  # type, version, length (RFC 5246 §6.2.1)
_HEADER_LEN = _HEADER.size
MAX_SEQ = (1 << 64) - 1
# Compact the input buffer once this many consumed bytes sit in front of the unread ones.
_COMPACT_AT = 1 << 14
_APPLICATION_DATA = int(ContentType.application_data)


class BulkReads:
    """The input cursor and the bulk read paths (see the module docstring)."""

    # Set by RecordLayer.__init__ and its epoch changes.
    _in: bytes | bytearray
    _in_pos: int
    _next: bytes | None
    _next_pos: int
    _read: RecordProtection
    _read_seq: int
    _read_limit: int
    _plain_limit: int
    expected_version: int | None
    first_plaintext_length = 0
    """The first record's plaintext length of the last ``read_application_data_into`` run
    that wrote any (the trace names the first record of each direction)."""

    def _bounds(self, seq_limit: int) -> tuple[int, int, int, int] | None:
        """(overhead, shortest, longest, sequence limit) of the data records the bulk paths
        take, or None when the read protection's overhead is not exact (CBC, no keys)."""
        protection = self._read
        if not protection.exact_overhead:
            return None
        overhead = protection.max_overhead
        # An empty record is the general path's (flood counting); the longest is the
        # record_size_limit / max_fragment_length bound read_record applies.
        longest = min(self._read_limit, self._plain_limit + overhead)
        return overhead, overhead + 1, longest, min(seq_limit, MAX_SEQ + 1)

    def read_application_data(self, out: list[bytes], seq_limit: int) -> None:
        """The bulk path of ``read_record``: appends to ``out`` the plaintext of each whole,
        non-empty application_data record at the front of the input, checked and decrypted
        as ``read_record`` does, without a call per record.

        It stops, leaving the record to ``read_record`` (which checks everything, and raises
        what it must), at any other record, at a header that is not plainly acceptable, at
        an incomplete record, and before a record whose sequence number reaches
        ``seq_limit``. Only for protections whose overhead is exact (the AEADs), so that an
        empty or oversized plaintext is seen in the header and left to ``read_record`` too.
        A record that fails authentication raises BadRecordMac, as from ``read_record``,
        with the records before it in ``out`` and consumed.
        """
        bounds = self._bounds(seq_limit)
        if bounds is None:
            return
        _, shortest, longest, limit = bounds
        expected = self.expected_version
        decrypt = self._read.decrypt
        unpack_from = _HEADER.unpack_from
        while True:
            buf = self._in
            pos = start = self._in_pos
            size = len(buf)
            try:
                with memoryview(buf) as view:
                    while size - pos >= _HEADER_LEN:
                        seq = self._read_seq
                        if seq >= limit:
                            return
                        ctype, version, length = unpack_from(buf, pos)
                        end = pos + _HEADER_LEN + length
                        if (
                            ctype != _APPLICATION_DATA
                            or version != expected
                            or not shortest <= length <= longest
                            or end > size
                        ):
                            return
                        with view[pos + _HEADER_LEN : end] as fragment:
                            out.append(decrypt(seq, _APPLICATION_DATA, fragment))
                        self._read_seq = seq + 1
                        pos = end
            finally:
                if pos != start:
                    self._consume(pos)
            if self._in is buf or pos == start:  # not moved on to a queued ``_next``
                return

    def read_application_data_into(self, target: memoryview, seq_limit: int) -> int:
        """``read_application_data`` straight into ``target``: the whole data records at the
        front of the input, as many as fit, each decrypted into its place (no plaintext
        ``bytes``, no copy). Returns the bytes written; 0 when no whole record is at the
        front (more input is needed); -1 when the record there is not one this path takes
        (another type, a header not plainly acceptable, the sequence-number limit, or a
        plaintext larger than what is left of ``target``): ``read_record`` is for it.

        A record that fails authentication raises BadRecordMac, its bytes of ``target``
        zeroed; if records before it were written, their count is returned first and the
        failing record, left unread, raises on the next call.
        """
        bounds = self._bounds(seq_limit)
        if bounds is None:
            return -1
        overhead, shortest, longest, limit = bounds
        expected = self.expected_version
        decrypt_into = self._read.decrypt_into
        room = len(target)
        done = 0
        while True:
            buf = self._in
            pos = start = self._in_pos
            size = len(buf)
            stop = 0
            try:
                with memoryview(buf) as view:
                    while True:
                        if size - pos < _HEADER_LEN:
                            break
                        ctype, version, length = _HEADER.unpack_from(buf, pos)
                        end = pos + _HEADER_LEN + length
                        n = length - overhead
                        seq = self._read_seq
                        if (
                            ctype != _APPLICATION_DATA
                            or version != expected
                            or not shortest <= length <= longest
                            or seq >= limit
                            or n > room - done
                        ):
                            # Not one this path takes: read_record judges the header
                            # now, before the body is in (a bad one is refused at once).
                            stop = -1
                            break
                        if end > size:
                            break
                        with view[pos + _HEADER_LEN : end] as fragment:
                            try:
                                decrypt_into(
                                    seq, _APPLICATION_DATA, fragment, target[done : done + n]
                                )
                            except BadRecordMac:
                                if done:
                                    stop = -1
                                    break
                                raise
                        self._read_seq = seq + 1
                        if not done:
                            self.first_plaintext_length = n
                        done += n
                        pos = end
            finally:
                if pos != start:
                    self._consume(pos)
            if stop or self._in is buf or pos == start or done == room:
                return done or stop

    def _consume(self, end: int) -> None:
        buf = self._in
        if isinstance(buf, bytes):  # a fed bytes, read in place: nothing to move
            self._in_pos = end
        elif end == len(buf):
            if self._next is not None:  # the completed record is read: on to the fed bytes
                self._in, self._in_pos, self._next = self._next, self._next_pos, None
            else:
                buf.clear()
                self._in_pos = 0
        elif end >= _COMPACT_AT and end * 2 >= len(buf):
            del buf[:end]
            self._in_pos = 0
        else:
            self._in_pos = end
