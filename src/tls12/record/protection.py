"""Record protection for one epoch and one direction.

An epoch begins at ChangeCipherSpec; the record layer owns the sequence number and passes it in,
so a protection object holds only keys. Every failure to open a record, whatever its cause (too
short, bad tag, wrong sequence number), is the same ``BadRecordMac``: telling them apart would
hand an attacker an oracle.

AEAD objects from ``cryptography`` are built once per epoch, in ``__init__``, because building
one per record costs more than sealing a small record.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from tls12.crypto.suites import BulkCipher, CipherSuite
from tls12.errors import BadRecordMac, InternalError
from tls12.wire.enums import TLS12_VERSION

Buffer = bytes | bytearray | memoryview

# additional_data = seq_num(8) + TLSCompressed.type(1) + version(2) + length(2) (RFC 5246 §6.2.3.3)
_AAD = struct.Struct(">QBHH")
_TAG_LEN = 16
_GCM_EXPLICIT_NONCE_LEN = 8


def _bad_mac() -> BadRecordMac:
    return BadRecordMac("a record failed authentication (bad_record_mac)")


class RecordProtection(ABC):
    """Seals and opens the fragments of one direction of one epoch.

    ``max_overhead`` is the most a fragment can grow when sealed, so callers can size buffers and
    judge whether a received length is plausible.
    """

    max_overhead: int = 0

    @abstractmethod
    def encrypt(self, seq: int, content_type: int, plaintext: Buffer) -> bytes:
        """Return the TLSCiphertext.fragment for record number ``seq``."""

    @abstractmethod
    def decrypt(self, seq: int, content_type: int, fragment: Buffer) -> bytes:
        """Return the plaintext of record number ``seq``, or raise BadRecordMac."""


class NullProtection(RecordProtection):
    """Epoch 0: TLS_NULL_WITH_NULL_NULL, records travel in the clear until ChangeCipherSpec."""

    max_overhead = 0

    def encrypt(self, seq: int, content_type: int, plaintext: Buffer) -> bytes:
        return bytes(plaintext)

    def decrypt(self, seq: int, content_type: int, fragment: Buffer) -> bytes:
        return bytes(fragment)


def _check_len(what: str, value: bytes, expected: tuple[int, ...]) -> None:
    if len(value) not in expected:
        raise InternalError(
            f"{what} must be {' or '.join(map(str, expected))} bytes, got {len(value)}"
        )


class AesGcmProtection(RecordProtection):
    """AES-GCM as RFC 5288 uses it.

    nonce = salt(4, from the key block) + explicit nonce(8, carried at the front of each
    record). The explicit nonce must never repeat under one key; the record sequence number is
    unique per epoch, so it is what we send.
    """

    max_overhead = _GCM_EXPLICIT_NONCE_LEN + _TAG_LEN

    __slots__ = ("_aead", "_salt")

    def __init__(self, key: bytes, fixed_iv: bytes) -> None:
        _check_len("AES-GCM key", key, (16, 32))
        _check_len("AES-GCM salt", fixed_iv, (4,))
        self._aead = AESGCM(key)
        self._salt = bytes(fixed_iv)

    def encrypt(self, seq: int, content_type: int, plaintext: Buffer) -> bytes:
        explicit = seq.to_bytes(8, "big")
        aad = _AAD.pack(seq, content_type, TLS12_VERSION, len(plaintext))
        return explicit + self._aead.encrypt(self._salt + explicit, plaintext, aad)

    def decrypt(self, seq: int, content_type: int, fragment: Buffer) -> bytes:
        n = len(fragment) - self.max_overhead
        if n < 0:
            raise _bad_mac()
        # No memoryview of our own here: one kept alive by a traceback would pin the record
        # layer's input buffer and stop it from growing.
        nonce = self._salt + bytes(fragment[:_GCM_EXPLICIT_NONCE_LEN])
        aad = _AAD.pack(seq, content_type, TLS12_VERSION, n)
        try:
            return self._aead.decrypt(nonce, fragment[_GCM_EXPLICIT_NONCE_LEN:], aad)
        except (InvalidTag, ValueError, OverflowError):
            raise _bad_mac() from None


class ChaChaPolyProtection(RecordProtection):
    """ChaCha20-Poly1305 as RFC 7905 uses it: nonce = iv XOR the left-padded sequence number,
    nothing explicit on the wire."""

    max_overhead = _TAG_LEN

    __slots__ = ("_aead", "_iv")

    def __init__(self, key: bytes, iv: bytes) -> None:
        _check_len("ChaCha20-Poly1305 key", key, (32,))
        _check_len("ChaCha20-Poly1305 IV", iv, (12,))
        self._aead = ChaCha20Poly1305(key)
        self._iv = int.from_bytes(iv, "big")

    def _nonce(self, seq: int) -> bytes:
        return (self._iv ^ seq).to_bytes(12, "big")

    def encrypt(self, seq: int, content_type: int, plaintext: Buffer) -> bytes:
        aad = _AAD.pack(seq, content_type, TLS12_VERSION, len(plaintext))
        return self._aead.encrypt(self._nonce(seq), plaintext, aad)

    def decrypt(self, seq: int, content_type: int, fragment: Buffer) -> bytes:
        n = len(fragment) - _TAG_LEN
        if n < 0:
            raise _bad_mac()
        aad = _AAD.pack(seq, content_type, TLS12_VERSION, n)
        try:
            return self._aead.decrypt(self._nonce(seq), fragment, aad)
        except (InvalidTag, ValueError, OverflowError):
            raise _bad_mac() from None


def protection_for(suite: CipherSuite, key: bytes, iv: bytes, mac_key: bytes) -> RecordProtection:
    """Build the protection a suite calls for, from one direction's slice of the key block.

    ``mac_key`` is empty for AEAD suites; it is in the signature so CBC + HMAC suites can be
    added as one more branch.
    """
    cipher = suite.cipher
    if cipher in (BulkCipher.AES_128_GCM, BulkCipher.AES_256_GCM):
        _check_len(f"{suite.name} key", key, (suite.key_len,))
        return AesGcmProtection(key, iv)
    if cipher is BulkCipher.CHACHA20_POLY1305:
        return ChaChaPolyProtection(key, iv)
    raise InternalError(f"record protection for {cipher.value} ({suite.name}) is not supported")
