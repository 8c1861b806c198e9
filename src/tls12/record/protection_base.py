"""The base of record protection (see protection.py): the interface one epoch's protection
offers the record layer, the null protection of epoch 0, and the helpers every kind shares."""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod

from tls12.errors import BadRecordMac, InternalError

Buffer = bytes | bytearray | memoryview

# The record header (type, version, length) as RFC 5246 §6.2.1 writes it.
_HEADER = struct.Struct(">BHH")
_HEADER_LEN = _HEADER.size


def _bad_mac() -> BadRecordMac:
    return BadRecordMac("a record failed authentication (bad_record_mac)")


def _check_len(what: str, value: bytes, expected: tuple[int, ...]) -> None:
    if len(value) not in expected:
        raise InternalError(
            f"{what} must be {' or '.join(map(str, expected))} bytes, got {len(value)}"
        )


class RecordProtection(ABC):
    """Seals and opens the fragments of one direction of one epoch.

    ``max_overhead`` is the most a fragment can grow when sealed, so callers can size buffers and
    judge whether a received length is plausible.
    """

    max_overhead: int = 0
    exact_overhead: bool = False  # every fragment exactly max_overhead longer (the AEADs)

    @abstractmethod
    def encrypt(self, seq: int, content_type: int, plaintext: Buffer) -> bytes:
        """Return the TLSCiphertext.fragment for record number ``seq``."""

    @abstractmethod
    def decrypt(self, seq: int, content_type: int, fragment: Buffer) -> bytes:
        """Return the plaintext of record number ``seq``, or raise BadRecordMac."""

    def decrypt_into(self, seq: int, content_type: int, fragment: Buffer, out: memoryview) -> None:
        """``decrypt`` straight into ``out``, which is exactly the plaintext's length (only
        for protections with ``exact_overhead``). On failure ``out`` is zeroed, so no
        unauthenticated byte is left in the caller's buffer, and BadRecordMac is raised."""
        try:
            plaintext = self.decrypt(seq, content_type, fragment)
        except BadRecordMac:
            out[:] = bytes(len(out))  # the same contract as the in-place AEAD calls
            raise
        out[:] = plaintext

    def seal_into(
        self, out: bytearray, seq: int, content_type: int, version: int, plaintext: Buffer
    ) -> None:
        """Append record number ``seq`` to ``out``: header and protected fragment."""
        fragment = self.encrypt(seq, content_type, plaintext)
        out += _HEADER.pack(content_type, version, len(fragment))
        out += fragment

    def seal_pieces(
        self, seq: int, content_type: int, version: int, plaintext: Buffer
    ) -> tuple[bytes, bytes]:
        """Record ``seq`` as two pieces for one ``writev``: the header (with the explicit
        nonce, if any) and the rest, the AEAD's own ``bytes``: no copy into a buffer."""
        fragment = self.encrypt(seq, content_type, plaintext)
        return _HEADER.pack(content_type, version, len(fragment)), fragment


class NullProtection(RecordProtection):
    """Epoch 0: TLS_NULL_WITH_NULL_NULL, records travel in the clear until ChangeCipherSpec."""

    max_overhead = 0

    def encrypt(self, seq: int, content_type: int, plaintext: Buffer) -> bytes:
        return bytes(plaintext)

    def decrypt(self, seq: int, content_type: int, fragment: Buffer) -> bytes:
        return bytes(fragment)
