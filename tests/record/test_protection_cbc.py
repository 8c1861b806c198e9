"""AES-CBC + HMAC record protection: round trips for every key size, MAC hash and mode, one
error for every kind of damage, the RFC 5246 §6.2.3.2 and RFC 7366 layouts checked with AES-CBC
and HMAC computed directly in the test, and the Lucky13 counter-measure's bookkeeping."""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from tls12.crypto.suites import Auth, BulkCipher, CipherSuite, KeyExchange
from tls12.errors import BadRecordMac, InternalError
from tls12.record.protection import (
    AesGcmProtection,
    CbcHmacProtection,
    protection_for,
)

APP = 23
HS = 22
MAC_LEN = {"SHA1": 20, "SHA256": 32, "SHA384": 48}
HASH_BLOCK = {"SHA1": 64, "SHA256": 64, "SHA384": 128}
VARIANTS = [
    (key_len, mac, etm)
    for key_len in (16, 32)
    for mac in ("SHA1", "SHA256", "SHA384")
    for etm in (False, True)
]
VARIANT_IDS = [f"AES{k * 8}-{m}-{'EtM' if e else 'MtE'}" for k, m, e in VARIANTS]

E, R = KeyExchange.ECDHE, KeyExchange.RSA
C128, C256 = BulkCipher.AES_128_CBC, BulkCipher.AES_256_CBC
RS, EC = Auth.RSA, Auth.ECDSA
# The CBC rows the suite table is to gain (RFC 5246 App. A.5, RFC 4492, RFC 5289), with the
# key block each needs: 2 × (MAC key + cipher key), no fixed IV in TLS 1.2.
_ROWS = [
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", E, RS, C128, "SHA256", "SHA1", 72),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", E, EC, C128, "SHA256", "SHA1", 72),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", E, RS, C256, "SHA256", "SHA1", 104),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", E, EC, C256, "SHA256", "SHA1", 104),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", E, RS, C128, "SHA256", "SHA256", 96),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", E, EC, C128, "SHA256", "SHA256", 96),
    (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", E, RS, C256, "SHA384", "SHA384", 160),
    (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", E, EC, C256, "SHA384", "SHA384", 160),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", R, RS, C128, "SHA256", "SHA1", 72),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", R, RS, C256, "SHA256", "SHA1", 104),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", R, RS, C128, "SHA256", "SHA256", 96),
]  # fmt: skip
CBC_ROWS = [(CipherSuite(*row[:7]), row[7]) for row in _ROWS]


def _keys(key_len: int, mac: str) -> tuple[bytes, bytes]:
    return os.urandom(key_len), os.urandom(MAC_LEN[mac])


def _pair(key_len: int, mac: str, etm: bool) -> tuple[CbcHmacProtection, CbcHmacProtection]:
    key, mac_key = _keys(key_len, mac)
    return CbcHmacProtection(key, mac_key, mac, etm), CbcHmacProtection(key, mac_key, mac, etm)


def _header(seq: int, ctype: int, length: int) -> bytes:
    return struct.pack(">QBHH", seq, ctype, 0x0303, length)


def _aes_cbc(key: bytes, iv: bytes, data: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def _hmac(mac: str, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, getattr(hashlib, mac.lower())).digest()


def _error_text(fn, *args) -> str:
    with pytest.raises(BadRecordMac) as info:
        fn(*args)
    return str(info.value)


# -- suite rows and the factory -------------------------------------------------------------------


@pytest.mark.parametrize(("suite", "block_len"), CBC_ROWS, ids=lambda x: str(x))
def test_key_block_lengths_for_cbc_suites(suite: CipherSuite, block_len: int) -> None:
    assert not suite.is_aead
    assert suite.mac_key_len == MAC_LEN[suite.mac or ""]
    assert suite.key_len == (16 if suite.cipher is C128 else 32)
    assert suite.fixed_iv_len == 0
    assert suite.key_block_len == block_len


@pytest.mark.parametrize(("suite", "block_len"), CBC_ROWS, ids=lambda x: str(x))
@pytest.mark.parametrize("etm", [False, True])
def test_factory_builds_cbc_for_cbc_suites(suite: CipherSuite, block_len: int, etm: bool) -> None:
    key, mac_key = os.urandom(suite.key_len), os.urandom(suite.mac_key_len)
    tx = protection_for(suite, key, b"", mac_key, encrypt_then_mac=etm)
    rx = protection_for(suite, key, b"", mac_key, etm)
    assert isinstance(tx, CbcHmacProtection)
    assert tx.encrypt_then_mac is etm
    assert tx.max_overhead == 32 + suite.mac_key_len
    assert rx.decrypt(3, APP, tx.encrypt(3, APP, b"hello")) == b"hello"


def test_factory_refuses_wrong_sizes_for_cbc() -> None:
    suite = CBC_ROWS[0][0]  # AES-128, HMAC-SHA1
    with pytest.raises(InternalError):
        protection_for(suite, bytes(32), b"", bytes(20))
    with pytest.raises(InternalError):
        protection_for(suite, bytes(16), bytes(4), bytes(20))
    with pytest.raises(InternalError):
        protection_for(suite, bytes(16), b"", bytes(32))


def test_factory_refuses_inconsistent_rows() -> None:
    gcm_with_mac = CipherSuite(
        0xFFF0, "GCM_WITH_MAC", E, Auth.RSA, BulkCipher.AES_128_GCM, "SHA256", "SHA1"
    )
    with pytest.raises(InternalError):
        protection_for(gcm_with_mac, bytes(16), bytes(4), bytes(20))
    cbc_without_mac = CipherSuite(0xFFF1, "CBC_NO_MAC", E, Auth.RSA, C128, "SHA256", None)
    with pytest.raises(InternalError):
        protection_for(cbc_without_mac, bytes(16), b"", b"")


def test_encrypt_then_mac_does_not_change_aead_suites() -> None:
    gcm = CipherSuite(0xC02F, "GCM", E, Auth.RSA, BulkCipher.AES_128_GCM, "SHA256")
    assert isinstance(protection_for(gcm, bytes(16), bytes(4), b"", True), AesGcmProtection)


def test_constructor_checks() -> None:
    with pytest.raises(InternalError):
        CbcHmacProtection(bytes(24), bytes(20), "SHA1")
    with pytest.raises(InternalError):
        CbcHmacProtection(bytes(16), bytes(20), "MD5")
    with pytest.raises(InternalError):
        CbcHmacProtection(bytes(16), bytes(32), "SHA1")


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key_len", "mac", "etm"), VARIANTS, ids=VARIANT_IDS)
def test_round_trip(key_len: int, mac: str, etm: bool) -> None:
    tx, rx = _pair(key_len, mac, etm)
    sizes = [0, 1, 15, 16, 17, 31, 32, 33, 100, 255, 256, 1000, 16383, 16384]
    for seq, size in enumerate(sizes):
        data = os.urandom(size)
        fragment = tx.encrypt(seq, APP, data)
        assert (len(fragment) - 16 - (MAC_LEN[mac] if etm else 0)) % 16 == 0
        assert size < len(fragment) <= size + tx.max_overhead
        assert rx.decrypt(seq, APP, memoryview(fragment)) == data
    # memoryview slices as the record layer passes them, and the largest sequence number
    data = os.urandom(5000)
    fragment = tx.encrypt(2**64 - 1, HS, memoryview(data)[1000:3000])
    assert rx.decrypt(2**64 - 1, HS, bytearray(fragment)) == data[1000:3000]


@pytest.mark.parametrize(("key_len", "mac", "etm"), VARIANTS, ids=VARIANT_IDS)
def test_explicit_iv_is_fresh_per_record(key_len: int, mac: str, etm: bool) -> None:
    tx, rx = _pair(key_len, mac, etm)
    a, b = tx.encrypt(0, APP, b"same"), tx.encrypt(0, APP, b"same")
    assert a[:16] != b[:16]
    assert a != b
    # a receiver that saw neither record before opens both, in either order
    assert rx.decrypt(0, APP, b) == rx.decrypt(0, APP, a) == b"same"


@pytest.mark.parametrize("etm", [False, True])
def test_failed_record_does_not_disturb_the_next(etm: bool) -> None:
    tx, rx = _pair(16, "SHA256", etm)
    first = bytearray(tx.encrypt(0, APP, b"x" * 40))
    first[20] ^= 1
    with pytest.raises(BadRecordMac):
        rx.decrypt(0, APP, bytes(first))
    assert rx.decrypt(1, APP, tx.encrypt(1, APP, b"next")) == b"next"


# -- one error for every kind of damage ------------------------------------------------------------


@pytest.mark.parametrize(("key_len", "mac", "etm"), VARIANTS, ids=VARIANT_IDS)
def test_every_flipped_byte_is_bad_record_mac(key_len: int, mac: str, etm: bool) -> None:
    tx, rx = _pair(key_len, mac, etm)
    fragment = tx.encrypt(7, APP, b"attack at dawn")
    messages = set()
    for i in range(len(fragment)):
        tampered = bytearray(fragment)
        tampered[i] ^= 0x01
        messages.add(_error_text(rx.decrypt, 7, APP, bytes(tampered)))
    assert len(messages) == 1


@pytest.mark.parametrize(("key_len", "mac", "etm"), VARIANTS, ids=VARIANT_IDS)
def test_lengths_seq_type_and_key_all_give_the_same_error(
    key_len: int, mac: str, etm: bool
) -> None:
    tx, rx = _pair(key_len, mac, etm)
    fragment = tx.encrypt(5, APP, b"hello" * 10)
    other, _ = _pair(key_len, mac, etm)
    bad_inputs = [fragment[:n] for n in range(len(fragment))]  # truncated, empty included
    bad_inputs += [fragment + b"\x00", fragment + bytes(16), fragment[:-1] + b"", fragment[1:]]
    texts = {_error_text(rx.decrypt, 5, APP, f) for f in bad_inputs}
    texts.add(_error_text(rx.decrypt, 6, APP, fragment))
    texts.add(_error_text(rx.decrypt, 5, HS, fragment))
    texts.add(_error_text(rx.decrypt, 5, APP, other.encrypt(5, APP, b"hello" * 10)))
    assert texts == {"a record failed authentication (bad_record_mac)"}


def _seal_mte(
    key: bytes, mac_key: bytes, mac: str, seq: int, content: bytes, padding: bytes, tag=None
) -> bytes:
    """A MAC-then-encrypt record built by hand, with any padding bytes and any MAC."""
    if tag is None:
        tag = _hmac(mac, mac_key, _header(seq, APP, len(content)) + content)
    iv = os.urandom(16)
    return iv + _aes_cbc(key, iv, content + tag + padding)


def _seal_etm(key: bytes, mac_key: bytes, mac: str, seq: int, content: bytes, padding: bytes):
    """An encrypt-then-MAC record built by hand, with any padding bytes (and a valid MAC)."""
    iv = os.urandom(16)
    body = iv + _aes_cbc(key, iv, content + padding)
    return body + _hmac(mac, mac_key, _header(seq, APP, len(body)) + body)


@pytest.mark.parametrize("mac", ["SHA1", "SHA256", "SHA384"])
def test_mte_bad_padding_with_good_mac_is_the_same_error(mac: str) -> None:
    key, mac_key = _keys(16, mac)
    rx = CbcHmacProtection(key, mac_key, mac)
    content = b"A" * (64 - MAC_LEN[mac] - 4)  # content + MAC + 4 bytes of padding = 64
    good = _seal_mte(key, mac_key, mac, 1, content, b"\x03" * 4)
    assert rx.decrypt(1, APP, good) == content
    reference = _error_text(rx.decrypt, 1, APP, good[:-16] + bytes(16))
    bad_paddings = [
        b"\x03\x03\x02\x03",  # one padding byte wrong
        b"\x02\x03\x03\x03",  # the first padding byte wrong
        b"\x03\x03\x03\x04",  # the length byte says 4 but the bytes say 3
        b"\x00\x00\x00\xff",  # longer than the whole record
        b"\x00\x00\x00" + bytes((MAC_LEN[mac] + 4,)),  # eats into the MAC
    ]
    for padding in bad_paddings:
        record = _seal_mte(key, mac_key, mac, 1, content, padding)
        assert _error_text(rx.decrypt, 1, APP, record) == reference
    # and a right padding with a wrong MAC
    record = _seal_mte(key, mac_key, mac, 1, content, b"\x03" * 4, tag=bytes(MAC_LEN[mac]))
    assert _error_text(rx.decrypt, 1, APP, record) == reference


@pytest.mark.parametrize("mac", ["SHA1", "SHA256", "SHA384"])
def test_etm_bad_padding_under_a_good_mac_is_the_same_error(mac: str) -> None:
    key, mac_key = _keys(32, mac)
    rx = CbcHmacProtection(key, mac_key, mac, encrypt_then_mac=True)
    content = b"B" * 28
    assert rx.decrypt(4, APP, _seal_etm(key, mac_key, mac, 4, content, b"\x03" * 4)) == content
    reference = _error_text(rx.decrypt, 4, APP, bytes(16 + 32 + MAC_LEN[mac]))
    for padding in (b"\x03\x03\x02\x03", b"\x00\x00\x00\x1f", b"\x00\x00\x00\xff"):
        record = _seal_etm(key, mac_key, mac, 4, content, padding)
        assert _error_text(rx.decrypt, 4, APP, record) == reference


# -- layouts, checked with AES-CBC and HMAC computed here ----------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    variant=st.sampled_from([v for v in VARIANTS if not v[2]]),
    seq=st.integers(min_value=0, max_value=2**64 - 1),
    ctype=st.sampled_from([20, 21, 22, 23]),
    data=st.binary(max_size=300),
)
def test_mte_layout_matches_rfc5246(variant, seq: int, ctype: int, data: bytes) -> None:
    key_len, mac, _ = variant
    key, mac_key = _keys(key_len, mac)
    fragment = CbcHmacProtection(key, mac_key, mac).encrypt(seq, ctype, data)
    # GenericBlockCipher: IV, then AES-CBC(content + MAC + padding + padding_length)
    iv, ciphertext = fragment[:16], fragment[16:]
    plain = _aes_cbc(key, iv, ciphertext, decrypt=True)
    pad = plain[-1]
    assert plain[-(pad + 1) :] == bytes((pad,)) * (pad + 1)
    assert pad < 16  # minimal padding
    body = plain[: -(pad + 1)]
    content, tag = body[: -MAC_LEN[mac]], body[-MAC_LEN[mac] :]
    assert content == data
    assert tag == _hmac(mac, mac_key, _header(seq, ctype, len(data)) + data)


@settings(max_examples=60, deadline=None)
@given(
    variant=st.sampled_from([v for v in VARIANTS if v[2]]),
    seq=st.integers(min_value=0, max_value=2**64 - 1),
    ctype=st.sampled_from([20, 21, 22, 23]),
    data=st.binary(max_size=300),
)
def test_etm_layout_matches_rfc7366(variant, seq: int, ctype: int, data: bytes) -> None:
    key_len, mac, _ = variant
    key, mac_key = _keys(key_len, mac)
    fragment = CbcHmacProtection(key, mac_key, mac, True).encrypt(seq, ctype, data)
    # IV + AES-CBC(content + padding + padding_length) + MAC, and the MAC covers
    # seq + type + version + length(IV + ciphertext) + IV + ciphertext (RFC 7366 erratum 4212)
    body, tag = fragment[: -MAC_LEN[mac]], fragment[-MAC_LEN[mac] :]
    assert tag == _hmac(mac, mac_key, _header(seq, ctype, len(body)) + body)
    plain = _aes_cbc(key, body[:16], body[16:], decrypt=True)
    pad = plain[-1]
    assert plain[-(pad + 1) :] == bytes((pad,)) * (pad + 1)
    assert plain[: -(pad + 1)] == data


@pytest.mark.parametrize(("key_len", "mac", "etm"), VARIANTS, ids=VARIANT_IDS)
def test_records_sealed_by_hand_open_with_any_legal_padding(
    key_len: int, mac: str, etm: bool
) -> None:
    """A peer may pad with up to 255 bytes (RFC 5246 §6.2.3.2); every legal amount opens."""
    key, mac_key = _keys(key_len, mac)
    rx = CbcHmacProtection(key, mac_key, mac, etm)
    content = os.urandom(37)
    fixed = len(content) + (0 if etm else MAC_LEN[mac])
    for pad in range(256):
        if (fixed + pad + 1) % 16:
            continue
        padding = bytes((pad,)) * (pad + 1)
        if etm:
            record = _seal_etm(key, mac_key, mac, pad, content, padding)
        else:
            record = _seal_mte(key, mac_key, mac, pad, content, padding)
        assert rx.decrypt(pad, APP, record) == content


# -- the Lucky13 counter-measure -------------------------------------------------------------------


class _Spy:
    """Wraps a cryptography HMAC or Hash object and counts the bytes fed to every copy."""

    def __init__(self, inner, log: list[int]) -> None:
        self._inner, self._log = inner, log

    def copy(self) -> _Spy:
        self._log.append(0)
        return _Spy(self._inner.copy(), self._log)

    def update(self, data) -> None:
        self._log[-1] += len(data)
        self._inner.update(data)

    def finalize(self) -> bytes:
        return self._inner.finalize()


@pytest.mark.parametrize("mac", ["SHA1", "SHA256", "SHA384"])
def test_mte_hashes_the_same_number_of_blocks_whatever_the_padding(mac: str) -> None:
    """Lucky13 times the HMAC's compression-function calls. For one record length, every
    padding byte value, good or bad, must lead to the same count (real MAC + dummy hash)."""
    key, mac_key = _keys(16, mac)
    rx = CbcHmacProtection(key, mac_key, mac)
    mac_log: list[int] = []
    dummy_log: list[int] = []
    rx._mac = _Spy(rx._mac, mac_log)
    rx._dummy = _Spy(rx._dummy, dummy_log)
    block = HASH_BLOCK[mac]
    tail = 9 if block == 64 else 17  # 0x80 and the length field that end the hash's input
    n = 320  # ciphertext bytes after the IV: room for any padding length
    counts = set()
    outcomes = set()
    for pad in range(256):
        content_len = n - MAC_LEN[mac] - 1 - pad
        content = os.urandom(content_len)
        record = _seal_mte(key, mac_key, mac, 0, content, bytes((pad,)) * (pad + 1))
        for damage in (None, "padding", "mac"):
            tampered = bytearray(record)
            if damage == "padding" and pad:
                tampered[-17] ^= 0x01  # flips padding_length (CBC: the previous block's byte)
            elif damage == "mac":
                tampered[16 + content_len] ^= 0x01  # garbles the block holding the MAC's start
            mac_log.clear()
            dummy_log.clear()
            try:
                rx.decrypt(0, APP, bytes(tampered))
                outcomes.add("ok")
            except BadRecordMac:
                outcomes.add("bad")
            assert len(mac_log) == 1 and len(dummy_log) == 1  # the MAC is computed every time
            inner = (mac_log[0] + tail + block - 1) // block
            assert dummy_log[0] % block == 0
            counts.add(inner + dummy_log[0] // block)
    assert outcomes == {"ok", "bad"}
    assert len(counts) == 1
