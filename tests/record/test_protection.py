"""Record protection: round trips, every kind of tampering, and the RFC 5288 / RFC 7905 layouts
checked against AEAD objects built directly from `cryptography`."""

from __future__ import annotations

import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from hypothesis import given
from hypothesis import strategies as st

from tls12.crypto.suites import ALL_SUITES, BulkCipher, CipherSuite
from tls12.errors import BadRecordMac, InternalError
from tls12.record.protection import (
    AesCcmProtection,
    AesGcmProtection,
    ChaChaPolyProtection,
    NullProtection,
    RecordProtection,
    protection_for,
)

AEAD_SUITES = [s for s in ALL_SUITES if s.is_aead]
APP = 23
HS = 22


def _pair(suite: CipherSuite) -> tuple[RecordProtection, RecordProtection]:
    key = os.urandom(suite.key_len)
    iv = os.urandom(suite.fixed_iv_len)
    return protection_for(suite, key, iv, b""), protection_for(suite, key, iv, b"")


@pytest.mark.parametrize("suite", AEAD_SUITES, ids=str)
@pytest.mark.parametrize("size", [0, 1, 100, 16384])
def test_round_trip(suite: CipherSuite, size: int) -> None:
    tx, rx = _pair(suite)
    for seq in (0, 1, 2**64 - 1):
        data = os.urandom(size)
        fragment = tx.encrypt(seq, APP, data)
        assert len(fragment) == size + tx.max_overhead
        assert rx.decrypt(seq, APP, fragment) == data
        assert rx.decrypt(seq, APP, memoryview(fragment)) == data


@pytest.mark.parametrize("suite", AEAD_SUITES, ids=str)
def test_every_flipped_byte_is_bad_record_mac(suite: CipherSuite) -> None:
    tx, rx = _pair(suite)
    fragment = tx.encrypt(7, APP, b"attack at dawn")
    for i in range(len(fragment)):
        tampered = bytearray(fragment)
        tampered[i] ^= 0x01
        with pytest.raises(BadRecordMac):
            rx.decrypt(7, APP, bytes(tampered))


@pytest.mark.parametrize("suite", AEAD_SUITES, ids=str)
def test_wrong_seq_type_or_key_is_bad_record_mac(suite: CipherSuite) -> None:
    tx, rx = _pair(suite)
    fragment = tx.encrypt(5, APP, b"hello")
    with pytest.raises(BadRecordMac):
        rx.decrypt(6, APP, fragment)
    with pytest.raises(BadRecordMac):
        rx.decrypt(5, HS, fragment)
    other, _ = _pair(suite)
    with pytest.raises(BadRecordMac):
        other.decrypt(5, APP, fragment)


@pytest.mark.parametrize("suite", AEAD_SUITES, ids=str)
def test_truncated_fragment_is_bad_record_mac(suite: CipherSuite) -> None:
    tx, rx = _pair(suite)
    fragment = tx.encrypt(0, APP, b"hello")
    for n in range(len(fragment)):
        with pytest.raises(BadRecordMac):
            rx.decrypt(0, APP, fragment[:n])
    with pytest.raises(BadRecordMac):
        rx.decrypt(0, APP, fragment + b"\x00")


@given(seq=st.integers(min_value=0, max_value=2**64 - 1), data=st.binary(max_size=64))
def test_gcm_layout_matches_rfc5288(seq: int, data: bytes) -> None:
    key, salt = bytes(range(16)), b"\xa0\xa1\xa2\xa3"
    fragment = AesGcmProtection(key, salt).encrypt(seq, APP, data)
    explicit = seq.to_bytes(8, "big")
    assert fragment[:8] == explicit
    aad = explicit + bytes([APP]) + b"\x03\x03" + len(data).to_bytes(2, "big")
    assert AESGCM(key).decrypt(salt + explicit, fragment[8:], aad) == data
    # and the other way: a record sealed by hand opens
    sealed = explicit + AESGCM(key).encrypt(salt + explicit, data, aad)
    assert AesGcmProtection(key, salt).decrypt(seq, APP, sealed) == data


@pytest.mark.parametrize("tag_len", [16, 8])
@given(seq=st.integers(min_value=0, max_value=2**64 - 1), data=st.binary(max_size=64))
def test_ccm_layout_matches_rfc6655(tag_len: int, seq: int, data: bytes) -> None:
    """RFC 6655 §3: RFC 5288's nonce (salt + explicit 8 bytes on the wire) and AAD, with a
    16-byte tag, or 8 for the _CCM_8 suites."""
    key, salt = bytes(range(16)), b"\xb0\xb1\xb2\xb3"
    fragment = AesCcmProtection(key, salt, tag_len).encrypt(seq, APP, data)
    explicit = seq.to_bytes(8, "big")
    assert fragment[:8] == explicit and len(fragment) == 8 + len(data) + tag_len
    aad = explicit + bytes([APP]) + b"\x03\x03" + len(data).to_bytes(2, "big")
    ccm = AESCCM(key, tag_length=tag_len)
    assert ccm.decrypt(salt + explicit, fragment[8:], aad) == data
    sealed = explicit + ccm.encrypt(salt + explicit, data, aad)
    assert AesCcmProtection(key, salt, tag_len).decrypt(seq, APP, sealed) == data


def test_gcm_uses_the_explicit_nonce_on_the_wire() -> None:
    """A peer may choose any explicit nonce; the receiver must take it from the record."""
    key, salt = os.urandom(32), os.urandom(4)
    explicit = os.urandom(8)
    seq = 3
    aad = struct.pack(">QBHH", seq, APP, 0x0303, 4)
    sealed = explicit + AESGCM(key).encrypt(salt + explicit, b"data", aad)
    assert AesGcmProtection(key, salt).decrypt(seq, APP, sealed) == b"data"


@given(seq=st.integers(min_value=0, max_value=2**64 - 1), data=st.binary(max_size=64))
def test_chacha_layout_matches_rfc7905(seq: int, data: bytes) -> None:
    key, iv = bytes(range(32)), bytes(range(0x40, 0x4C))
    fragment = ChaChaPolyProtection(key, iv).encrypt(seq, APP, data)
    nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))
    aad = seq.to_bytes(8, "big") + bytes([APP]) + b"\x03\x03" + len(data).to_bytes(2, "big")
    assert fragment == ChaCha20Poly1305(key).encrypt(nonce, data, aad)


def test_null_is_identity() -> None:
    p = NullProtection()
    assert p.max_overhead == 0
    assert p.encrypt(0, HS, b"abc") == b"abc"
    assert p.decrypt(9, HS, memoryview(b"abc")) == b"abc"


def test_factory_picks_the_right_class() -> None:
    for suite in AEAD_SUITES:
        p, _ = _pair(suite)
        if suite.cipher is BulkCipher.CHACHA20_POLY1305:
            expected: type[RecordProtection] = ChaChaPolyProtection
        elif "CCM" in suite.cipher.value:
            expected = AesCcmProtection
        else:
            expected = AesGcmProtection
        assert type(p) is expected
        tag = 8 if suite.cipher.short_tag else 16
        assert p.max_overhead == tag + (0 if expected is ChaChaPolyProtection else 8)


def test_factory_refuses_cbc_row_without_mac() -> None:
    cbc = CipherSuite(
        0xC013,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        ALL_SUITES[0].kx,
        ALL_SUITES[0].auth,
        BulkCipher.AES_128_CBC,
        "SHA256",
        None,
    )
    with pytest.raises(InternalError):
        protection_for(cbc, bytes(16), b"", b"")


def test_wrong_key_sizes_are_internal_errors() -> None:
    with pytest.raises(InternalError):
        AesGcmProtection(bytes(15), bytes(4))
    with pytest.raises(InternalError):
        AesGcmProtection(bytes(16), bytes(12))
    with pytest.raises(InternalError):
        ChaChaPolyProtection(bytes(16), bytes(12))
    with pytest.raises(InternalError):
        ChaChaPolyProtection(bytes(32), bytes(4))
    aes256 = next(s for s in ALL_SUITES if s.cipher is BulkCipher.AES_256_GCM)
    with pytest.raises(InternalError):
        protection_for(aes256, bytes(16), bytes(4), b"")


@pytest.mark.parametrize("suite", ALL_SUITES, ids=str)
@pytest.mark.parametrize("size", [0, 1, 100, 16384])
def test_seal_into_appends_the_record_encrypt_gives(suite: CipherSuite, size: int) -> None:
    """``seal_into`` (in place where ``cryptography`` allows it) appends exactly the header
    and the fragment ``encrypt`` makes, after whatever ``out`` already holds; the peer opens it.
    CBC fragments differ per call (a random IV), so for those only the round trip counts."""
    key = os.urandom(suite.key_len)
    iv = os.urandom(suite.fixed_iv_len)
    mac_key = os.urandom(suite.mac_key_len)
    tx = protection_for(suite, key, iv, mac_key)
    rx = protection_for(suite, key, iv, mac_key)
    data = os.urandom(size)
    out = bytearray(b"already queued")
    with memoryview(data) as view:
        tx.seal_into(out, 5, APP, 0x0303, view)
    assert out[:14] == b"already queued"
    ctype, version, length = struct.unpack(">BHH", out[14:19])
    assert (ctype, version, length) == (APP, 0x0303, len(out) - 19)
    fragment = bytes(out[19:])
    assert rx.decrypt(5, APP, fragment) == data
    if suite.is_aead:
        assert fragment == tx.encrypt(5, APP, data)
    # the generic path (the only one on cryptography 45) appends the same record
    plain = bytearray()
    RecordProtection.seal_into(tx, plain, 6, APP, 0x0303, data)
    assert rx.decrypt(6, APP, bytes(plain[5:])) == data
    assert plain[:5] == struct.pack(">BHH", APP, 0x0303, len(plain) - 5)


@pytest.mark.parametrize("suite", ALL_SUITES, ids=str)
@pytest.mark.parametrize("size", [0, 1, 100, 16384])
def test_seal_pieces_join_to_the_record_seal_into_makes(suite: CipherSuite, size: int) -> None:
    """``seal_pieces`` (the blocking socket's writev path) gives the header (with the explicit
    nonce where there is one) and the rest: joined, byte for byte the record ``seal_into``
    appends (AEADs); the peer opens it (every suite, CBC's random IV included)."""
    key = os.urandom(suite.key_len)
    iv = os.urandom(suite.fixed_iv_len)
    mac_key = os.urandom(suite.mac_key_len)
    tx = protection_for(suite, key, iv, mac_key)
    rx = protection_for(suite, key, iv, mac_key)
    data = os.urandom(size)
    with memoryview(data) as view:
        head, rest = tx.seal_pieces(9, APP, 0x0303, view)
    assert type(head) is bytes and type(rest) is bytes
    record = head + rest
    assert struct.unpack(">BHH", record[:5]) == (APP, 0x0303, len(record) - 5)
    assert rx.decrypt(9, APP, record[5:]) == data
    if suite.is_aead:
        out = bytearray()
        tx.seal_into(out, 9, APP, 0x0303, data)
        assert record == bytes(out)
        header_len = 5 + (8 if suite.cipher is not BulkCipher.CHACHA20_POLY1305 else 0)
        assert len(head) == header_len


@pytest.mark.parametrize("suite", AEAD_SUITES, ids=str)
def test_decrypt_into_opens_in_place_and_zeroes_the_target_on_a_bad_record(
    suite: CipherSuite,
) -> None:
    """``decrypt_into`` (the zero-copy recv_into path) writes what ``decrypt`` returns; a
    tampered record is BadRecordMac with the target zeroed: the AEAD writes the plaintext
    before it checks the tag, and no unauthenticated byte may stay in a reader's buffer."""
    tx, rx = _pair(suite)
    assert rx.exact_overhead
    data = os.urandom(5000)
    fragment = tx.encrypt(3, APP, data)
    out = bytearray(len(data))
    with memoryview(out) as view:
        rx.decrypt_into(3, APP, memoryview(fragment), view)
    assert out == data
    tampered = bytearray(fragment)
    tampered[-1] ^= 1
    out = bytearray(len(data))
    with memoryview(out) as view, pytest.raises(BadRecordMac):
        rx.decrypt_into(3, APP, bytes(tampered), view)
    assert out == bytes(len(data))
    # the generic path (cryptography without decrypt_into) fills the target the same way
    out = bytearray(len(data))
    with memoryview(out) as view:
        RecordProtection.decrypt_into(rx, 3, APP, fragment, view)
    assert out == data
