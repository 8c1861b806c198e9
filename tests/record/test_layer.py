"""The record layer between two in-memory peers: epochs, fragmentation, and every refusal."""

from __future__ import annotations

import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from tls12.crypto.suites import BY_NAME, CipherSuite
from tls12.errors import (
    BadRecordMac,
    InternalError,
    ProtocolVersionError,
    RecordOverflow,
    UnexpectedMessage,
)
from tls12.record.layer import MAX_SEQ, RecordLayer
from tls12.record.protection import AesGcmProtection, protection_for
from tls12.wire.enums import ContentType

HS = ContentType.handshake
APP = ContentType.application_data
CCS = ContentType.change_cipher_spec
ALERT = ContentType.alert

GCM = BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
CHACHA = BY_NAME["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]


def _record(ctype: int, body: bytes, version: int = 0x0303) -> bytes:
    return struct.pack(">BHH", ctype, version, len(body)) + body


def _read_all(layer: RecordLayer) -> list[tuple[ContentType, bytes]]:
    out = []
    while (rec := layer.read_record()) is not None:
        out.append(rec)
    return out


def _encrypted_pair(suite: CipherSuite = GCM) -> tuple[RecordLayer, RecordLayer, bytes, bytes]:
    """A writer and a reader that have both switched to the same fresh keys."""
    key, iv = os.urandom(suite.key_len), os.urandom(suite.fixed_iv_len)
    tx, rx = RecordLayer(), RecordLayer()
    tx.set_pending_write(protection_for(suite, key, iv, b""))
    rx.set_pending_read(protection_for(suite, key, iv, b""))
    tx.activate_write()
    rx.activate_read()
    return tx, rx, key, iv


@pytest.mark.parametrize("suite", [GCM, CHACHA], ids=str)
def test_round_trip_with_change_cipher_spec(suite: CipherSuite) -> None:
    client, server = RecordLayer(), RecordLayer()
    key, iv = os.urandom(suite.key_len), os.urandom(suite.fixed_iv_len)
    wire = client.write(HS, b"\x01\x00\x00\x00")
    client.set_pending_write(protection_for(suite, key, iv, b""))
    wire += client.write(CCS, b"\x01")
    client.activate_write()
    assert client.write_encrypted and client.write_seq == 0
    wire += client.write(HS, b"\x14\x00\x00\x0c" + bytes(12))
    wire += client.write(APP, b"GET / HTTP/1.1\r\n\r\n")

    server.feed(wire)
    assert server.read_record() == (HS, b"\x01\x00\x00\x00")
    assert server.read_record() == (CCS, b"\x01")
    assert not server.read_encrypted
    server.set_pending_read(protection_for(suite, key, iv, b""))
    server.activate_read()
    assert server.read_encrypted and server.read_seq == 0
    assert server.read_record() == (HS, b"\x14\x00\x00\x0c" + bytes(12))
    assert server.read_record() == (APP, b"GET / HTTP/1.1\r\n\r\n")
    assert server.read_record() is None
    assert server.read_seq == 2
    assert server.buffered_bytes == 0


def test_fragmentation_of_a_100k_write() -> None:
    tx, rx, _, _ = _encrypted_pair()
    data = os.urandom(100_000)
    wire = tx.write(APP, data)
    # walk the headers
    pos, lengths = 0, []
    while pos < len(wire):
        ctype, version, length = struct.unpack_from(">BHH", wire, pos)
        assert (ctype, version) == (23, 0x0303)
        lengths.append(length - 24)
        pos += 5 + length
    assert lengths == [16384] * 6 + [100_000 - 6 * 16384]
    for i in range(0, len(wire), 5000):
        rx.feed(wire[i : i + 5000])
    assert b"".join(body for _, body in _read_all(rx)) == data
    assert rx.buffered_bytes == 0


def test_write_into_matches_write() -> None:
    key, iv = os.urandom(16), os.urandom(4)
    a, b = RecordLayer(), RecordLayer()
    for layer in (a, b):
        layer.set_pending_write(AesGcmProtection(key, iv))
        layer.activate_write()
    data = os.urandom(40_000)
    out = bytearray(b"prefix")
    a.write_into(out, APP, data)
    assert bytes(out) == b"prefix" + b.write(APP, data)


def test_smaller_max_fragment() -> None:
    tx, rx = RecordLayer(max_fragment=10), RecordLayer()
    rx.feed(tx.write(HS, bytes(25)))
    assert [len(b) for _, b in _read_all(rx)] == [10, 10, 5]


def test_byte_by_byte_feeding() -> None:
    tx, rx, _, _ = _encrypted_pair()
    wire = b"".join(
        [tx.write(HS, b"\x14\x00\x00\x01x"), tx.write(APP, b"data"), tx.write(ALERT, b"\x01\x00")]
    )
    got = []
    for i in range(len(wire)):
        rx.feed(wire[i : i + 1])
        got.extend(_read_all(rx))
    assert rx.buffered_bytes == 0
    assert got == [(HS, b"\x14\x00\x00\x01x"), (APP, b"data"), (ALERT, b"\x01\x00")]


def test_plaintext_record_over_2_14_is_overflow_at_header() -> None:
    rx = RecordLayer()
    rx.feed(struct.pack(">BHH", 22, 0x0303, 2**14 + 1))
    with pytest.raises(RecordOverflow):
        rx.read_record()


def test_plaintext_record_of_2_14_is_fine() -> None:
    rx = RecordLayer()
    rx.feed(_record(22, bytes(2**14)))
    assert rx.read_record() == (HS, bytes(2**14))


def test_ciphertext_over_limit_is_overflow_at_header() -> None:
    _, rx, _, _ = _encrypted_pair()
    rx.feed(struct.pack(">BHH", 23, 0x0303, 2**14 + 2049))
    with pytest.raises(RecordOverflow):
        rx.read_record()


def test_decrypted_plaintext_over_2_14_is_overflow() -> None:
    _, rx, key, salt = _encrypted_pair()
    data = bytes(2**14 + 1)
    explicit = bytes(8)
    aad = struct.pack(">QBHH", 0, 23, 0x0303, len(data))
    body = explicit + AESGCM(key).encrypt(salt + explicit, data, aad)
    rx.feed(_record(23, body))
    with pytest.raises(RecordOverflow):
        rx.read_record()


@pytest.mark.parametrize("version", [0x0203, 0x0403, 0x0000, 0xFEFD])
def test_non_tls_major_version(version: int) -> None:
    rx = RecordLayer()
    rx.feed(_record(22, b"\x01\x00\x00\x00", version))
    with pytest.raises(ProtocolVersionError):
        rx.read_record()


def test_first_record_may_say_tls10() -> None:
    rx = RecordLayer()
    rx.feed(_record(22, b"\x01\x00\x00\x00", 0x0301))
    assert rx.read_record() == (HS, b"\x01\x00\x00\x00")


def test_expected_version_is_exact() -> None:
    rx = RecordLayer(expected_version=0x0303)
    rx.feed(_record(22, b"\x01\x00\x00\x00", 0x0301))
    with pytest.raises(ProtocolVersionError):
        rx.read_record()


def test_write_version_is_used() -> None:
    tx = RecordLayer(write_version=0x0301)
    assert tx.write(HS, b"x")[:3] == b"\x16\x03\x01"


@pytest.mark.parametrize("ctype", [0, 19, 24, 255])
def test_unknown_content_type(ctype: int) -> None:
    rx = RecordLayer()
    rx.feed(_record(ctype, b"x"))
    with pytest.raises(UnexpectedMessage):
        rx.read_record()


def test_header_checked_before_body_arrives() -> None:
    rx = RecordLayer()
    rx.feed(b"\x18\x03\x03\x00\x10")
    with pytest.raises(UnexpectedMessage):
        rx.read_record()


@pytest.mark.parametrize("ctype", [HS, ALERT, CCS])
def test_empty_non_data_record_is_unexpected(ctype: ContentType) -> None:
    rx = RecordLayer()
    rx.feed(_record(ctype, b""))
    with pytest.raises(UnexpectedMessage, match="empty"):
        rx.read_record()


def test_empty_encrypted_handshake_record_is_unexpected() -> None:
    _, rx, key, salt = _encrypted_pair()
    explicit = bytes(8)
    aad = struct.pack(">QBHH", 0, 22, 0x0303, 0)
    rx.feed(_record(22, explicit + AESGCM(key).encrypt(salt + explicit, b"", aad)))
    with pytest.raises(UnexpectedMessage, match="empty"):
        rx.read_record()


def test_empty_application_data_is_allowed() -> None:
    rx = RecordLayer()
    rx.feed(_record(23, b""))
    assert rx.read_record() == (APP, b"")
    tx, rx, key, salt = _encrypted_pair()
    explicit = bytes(8)
    aad = struct.pack(">QBHH", 0, 23, 0x0303, 0)
    rx.feed(_record(23, explicit + AESGCM(key).encrypt(salt + explicit, b"", aad)))
    assert rx.read_record() == (APP, b"")


def test_writing_empty() -> None:
    tx = RecordLayer()
    assert tx.write(APP, b"") == b""
    assert tx.write_seq == 0
    with pytest.raises(InternalError):
        tx.write(HS, b"")


def test_writing_unknown_type() -> None:
    with pytest.raises(InternalError):
        RecordLayer().write(ContentType(99), b"x")


def test_tampered_record_is_bad_record_mac_and_buffer_stays_usable() -> None:
    tx, rx, _, _ = _encrypted_pair()
    wire = bytearray(tx.write(APP, b"secret"))
    wire[-1] ^= 0x80
    rx.feed(bytes(wire) + b"\x17\x03")
    with pytest.raises(BadRecordMac):
        rx.read_record()
    rx.feed(b"\x03more")  # no BufferError: no view of the buffer survives the failure


def test_records_out_of_order_fail() -> None:
    tx, rx, _, _ = _encrypted_pair()
    first, second = tx.write(APP, b"one"), tx.write(APP, b"two")
    rx.feed(second + first)
    with pytest.raises(BadRecordMac):
        rx.read_record()


def test_activation_needs_pending_keys() -> None:
    layer = RecordLayer()
    with pytest.raises(UnexpectedMessage):
        layer.activate_read()
    with pytest.raises(InternalError):
        layer.activate_write()
    layer.set_pending_read(AesGcmProtection(bytes(16), bytes(4)))
    layer.activate_read()
    with pytest.raises(UnexpectedMessage):
        layer.activate_read()  # pending keys are used once


def test_sequence_numbers_restart_per_epoch() -> None:
    tx, rx, _, _ = _encrypted_pair()
    rx.feed(tx.write(APP, b"a") + tx.write(APP, b"b"))
    _read_all(rx)
    assert tx.write_seq == rx.read_seq == 2
    key, iv = os.urandom(16), os.urandom(4)
    tx.set_pending_write(AesGcmProtection(key, iv))
    rx.set_pending_read(AesGcmProtection(key, iv))
    tx.activate_write()
    rx.activate_read()
    assert tx.write_seq == rx.read_seq == 0
    rx.feed(tx.write(APP, b"c"))
    assert rx.read_record() == (APP, b"c")


def test_sequence_number_exhaustion() -> None:
    tx, rx, _, _ = _encrypted_pair()
    tx._write_seq = MAX_SEQ
    rx._read_seq = MAX_SEQ
    rx.feed(tx.write(APP, b"last"))
    assert rx.read_record() == (APP, b"last")
    with pytest.raises(InternalError):
        tx.write(APP, b"one too many")
    rx.feed(_record(23, bytes(30)))
    with pytest.raises(InternalError):
        rx.read_record()


def test_bad_max_fragment() -> None:
    with pytest.raises(InternalError):
        RecordLayer(max_fragment=2**14 + 1)
    with pytest.raises(InternalError):
        RecordLayer(max_fragment=0)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_records_read_from_fed_input_of_every_kind_with_a_partial_tail(kind: type) -> None:
    """A fed ``bytes`` is read in place; a bytearray or memoryview is copied (the caller may
    reuse it). Either way a partial record left at the end is kept, only it is held, and the
    rest of it completes the record."""
    tx, rx, _, _ = _encrypted_pair()
    payloads = [os.urandom(n) for n in (16384, 300, 16384)]
    wire = b"".join(tx.write(APP, p) for p in payloads)
    cut = len(wire) - 1000  # inside the third record
    head = bytearray(wire[:cut])
    rx.feed(kind(head) if kind is not memoryview else memoryview(head))
    if kind is not bytes:
        head[:] = bytes(len(head))  # the caller reuses its buffer: nothing we read changes
    assert _read_all(rx) == [(APP, payloads[0]), (APP, payloads[1])]
    third_record = 5 + 8 + 16384 + 16  # header, explicit nonce, data, tag
    assert rx.buffered_bytes == third_record - 1000
    rx.feed(kind(wire[cut:]) if kind is not memoryview else memoryview(wire[cut:]))
    assert _read_all(rx) == [(APP, payloads[2])]
    assert rx.buffered_bytes == 0


def test_bytes_fed_after_a_partial_record_join_it() -> None:
    tx, rx, _, _ = _encrypted_pair()
    wire = tx.write(APP, b"a" * 5000) + tx.write(APP, b"b" * 10)
    rx.feed(wire[:3])  # not even a header
    assert rx.read_record() is None
    rx.feed(wire[3:4000])
    assert rx.read_record() is None
    rx.feed(wire[4000:])
    assert _read_all(rx) == [(APP, b"a" * 5000), (APP, b"b" * 10)]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 16384), min_size=1, max_size=5),
    cuts=st.lists(st.integers(1, 40000), min_size=1, max_size=8),
    kinds=st.lists(st.sampled_from([bytes, bytearray]), min_size=1, max_size=8),
)
def test_any_split_of_the_wire_gives_the_same_records(
    sizes: list[int], cuts: list[int], kinds: list[type]
) -> None:
    """Records that straddle feeds (a partial record completed from a fed bytes read in
    place, headers cut anywhere, bytes and bytearrays mixed) come out whole and in order,
    and nothing is left buffered."""
    tx, rx, _, _ = _encrypted_pair()
    payloads = [os.urandom(n) for n in sizes if n]
    wire = b"".join(tx.write(APP, p) for p in payloads)
    got: list[tuple[ContentType, bytes]] = []
    pos = i = 0
    while pos < len(wire):  # the cuts, then the rest in one piece
        n = cuts[i] if i < len(cuts) else len(wire)
        kind = kinds[i % len(kinds)]
        rx.feed(kind(wire[pos : pos + n]))
        pos += n
        i += 1
        got += _read_all(rx)
        returned = sum(5 + 8 + len(data) + 16 for _, data in got)
        assert rx.buffered_bytes == min(pos, len(wire)) - returned
    assert got == [(APP, p) for p in payloads]
    assert rx.buffered_bytes == 0


@pytest.mark.parametrize("suite", [GCM, CHACHA], ids=str)
@pytest.mark.parametrize("size", [0, 1, 16384, 16385, 40_000])
def test_write_pieces_join_to_what_write_makes(suite: CipherSuite, size: int) -> None:
    """The writev path: two pieces per record, joined exactly the bytes of ``write`` (the same
    records, the same sequence numbers), and the reader takes them as one stream."""
    key, iv = os.urandom(suite.key_len), os.urandom(suite.fixed_iv_len)
    a, b = RecordLayer(), RecordLayer()
    for layer in (a, b):
        layer.set_pending_write(protection_for(suite, key, iv, b""))
        layer.activate_write()
    data = os.urandom(size)
    pieces = a.write_pieces(APP, memoryview(data))
    assert len(pieces) == 2 * -(-size // 16384)
    assert b"".join(pieces) == b.write(APP, data)
    assert a.write_seq == b.write_seq
    rx = RecordLayer()
    rx.set_pending_read(protection_for(suite, key, iv, b""))
    rx.activate_read()
    rx.feed(b"".join(pieces))
    assert b"".join(body for _, body in _read_all(rx)) == data


def test_write_pieces_refuses_what_write_refuses() -> None:
    with pytest.raises(InternalError):
        RecordLayer().write_pieces(HS, b"")


@pytest.mark.parametrize("suite", [GCM, CHACHA], ids=str)
def test_read_application_data_takes_the_run_of_data_records_and_leaves_the_rest(
    suite: CipherSuite,
) -> None:
    """The bulk path takes whole data records only, with read_record's checks: it stops at
    another type, at an empty record (the flood count is the loop's), at an incomplete one,
    and before the sequence-number limit; read_record then reads exactly what stopped it."""
    tx, rx, _, _ = _encrypted_pair(suite)
    rx.expected_version = 0x0303
    wire = tx.write(APP, b"a" * 20_000)  # two records
    wire += tx.write(HS, b"\x00\x00\x00\x00")  # a hello_request, say
    wire += tx.write(APP, b"b")
    rx.feed(wire[:-3])
    out: list[bytes] = []
    rx.read_application_data(out, 2**64)
    assert out == [b"a" * 16384, b"a" * 3616]
    assert rx.read_seq == 2
    assert rx.read_record() == (ContentType.handshake, b"\x00\x00\x00\x00")
    rx.read_application_data(out, 2**64)  # the last record is incomplete
    assert len(out) == 2
    rx.feed(wire[-3:])
    rx.read_application_data(out, 3)  # seq 3 would reach the limit: left to read_record
    assert len(out) == 2
    rx.read_application_data(out, 4)
    assert out[2:] == [b"b"] and rx.buffered_bytes == 0


def test_read_application_data_leaves_empty_records_and_bad_macs_to_their_checks() -> None:
    tx, rx, _, _ = _encrypted_pair(GCM)
    rx.expected_version = 0x0303
    good = tx.write(APP, b"x")
    seq = tx._next_write_seq()
    fragment = tx._write.encrypt(seq, APP, b"")
    empty_record = _record(APP, fragment)
    tampered = bytearray(tx.write(APP, b"y"))
    tampered[-1] ^= 1
    rx.feed(good + empty_record + bytes(tampered))
    out: list[bytes] = []
    rx.read_application_data(out, 2**64)
    assert out == [b"x"]  # stopped before the empty one
    assert rx.read_record() == (ContentType.application_data, b"")
    with pytest.raises(BadRecordMac):
        rx.read_application_data(out, 2**64)
    assert out == [b"x"]


def test_read_application_data_is_not_for_cbc() -> None:
    suite = BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]
    key, mac_key = os.urandom(16), os.urandom(20)
    tx, rx = RecordLayer(), RecordLayer(expected_version=0x0303)
    tx.set_pending_write(protection_for(suite, key, b"", mac_key))
    rx.set_pending_read(protection_for(suite, key, b"", mac_key))
    tx.activate_write()
    rx.activate_read()
    rx.feed(tx.write(APP, b"z"))
    out: list[bytes] = []
    rx.read_application_data(out, 2**64)
    assert out == []
    assert rx.read_record() == (ContentType.application_data, b"z")


@pytest.mark.parametrize("suite", [GCM, CHACHA], ids=str)
def test_read_application_data_into_fills_the_target_with_whole_records(
    suite: CipherSuite,
) -> None:
    """Whole records that fit, decrypted in place; 0 when more input is needed; -1 for a
    record this path does not take (too big for what is left, another type); a bad record
    after good ones: their count first, then BadRecordMac on the next call."""
    tx, rx, _, _ = _encrypted_pair(suite)
    rx.expected_version = 0x0303
    data = os.urandom(40_000)  # records of 16384, 16384, 7232
    wire = tx.write(APP, data) + tx.write(HS, b"\x00\x00\x00\x00")
    bad = bytearray(tx.write(APP, b"tail"))
    bad[-1] ^= 1
    target = bytearray(65536)
    with memoryview(target) as view:
        assert rx.read_application_data_into(view, 2**64) == 0  # nothing fed
        rx.feed(wire[:20_000])
        assert rx.read_application_data_into(view[:10_000], 2**64) == -1  # does not fit
        assert rx.read_application_data_into(view, 2**64) == 16384
        assert target[:16384] == data[:16384]
        rx.feed(wire[20_000:] + bytes(bad))
        assert rx.read_application_data_into(view, 2**64) == 16384 + 7232
        assert target[: 16384 + 7232] == data[16384:]
        assert rx.read_application_data_into(view, 2**64) == -1  # the hello_request
        assert rx.read_record() == (ContentType.handshake, b"\x00\x00\x00\x00")
        with pytest.raises(BadRecordMac):
            rx.read_application_data_into(view, 2**64)
        assert target[:4] == bytes(4)
