"""Negotiated record limits in the record layer: when they start, what they refuse, and how
the refusal names them (RFC 6066 §4: at once; RFC 8449 §4: with the keys of the handshake
that set them)."""

from __future__ import annotations

import os
import struct

import pytest

from tls12.crypto.suites import BY_NAME
from tls12.errors import InternalError, RecordOverflow
from tls12.record.layer import RecordLayer
from tls12.record.protection import protection_for
from tls12.wire.enums import ContentType

HS = ContentType.handshake
APP = ContentType.application_data
GCM = BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
NAME = "the test limit"


def _lengths(wire: bytes) -> list[int]:
    out, pos = [], 0
    while pos < len(wire):
        length = struct.unpack_from(">BHH", wire, pos)[2]
        out.append(length)
        pos += 5 + length
    return out


def _keys(tx: RecordLayer, rx: RecordLayer) -> None:
    key, iv = os.urandom(GCM.key_len), os.urandom(GCM.fixed_iv_len)
    tx.set_pending_write(protection_for(GCM, key, iv, b""))
    rx.set_pending_read(protection_for(GCM, key, iv, b""))


def test_limit_records_applies_at_once_both_ways() -> None:
    tx, rx = RecordLayer(), RecordLayer()
    tx.limit_records(512, 512, NAME)
    rx.limit_records(512, 512, NAME)
    assert _lengths(tx.write(HS, b"h" * 1300)) == [512, 512, 276]
    rx.feed(struct.pack(">BHH", HS, 0x0303, 513) + b"x" * 513)
    with pytest.raises(RecordOverflow, match="record length 513 exceeds 512.*the test limit"):
        rx.read_record()


def test_protected_limits_wait_for_the_change_cipher_spec() -> None:
    tx, rx = RecordLayer(), RecordLayer()
    _keys(tx, rx)
    tx.limit_protected_records(100, 16384, NAME)
    rx.limit_protected_records(16384, 100, NAME)
    assert _lengths(tx.write(HS, b"h" * 300)) == [300]  # still in the clear: not bound
    rx.feed(tx.write(HS, b"h" * 300))
    assert rx.read_record() == (HS, b"h" * 300)
    tx.activate_write()
    rx.activate_read()
    wire = tx.write(APP, b"a" * 250)
    assert _lengths(wire) == [124, 124, 74]  # 100, 100, 50 plaintext + 24
    rx.feed(wire)
    assert [rx.read_record() for _ in range(3)] == [(APP, b"a" * 100)] * 2 + [(APP, b"a" * 50)]
    assert rx.receive_limit == 100


def test_a_protected_record_over_the_limit_is_refused_after_decryption() -> None:
    tx, rx = RecordLayer(), RecordLayer()
    _keys(tx, rx)
    rx.limit_protected_records(16384, 100, NAME)
    tx.activate_write()
    rx.activate_read()
    rx.feed(tx.write(APP, b"b" * 101))
    with pytest.raises(
        RecordOverflow, match="record of 101 plaintext bytes exceeds the test limit"
    ):
        rx.read_record()


def test_a_protected_header_far_over_the_limit_is_refused_before_the_body() -> None:
    rx = RecordLayer()
    _keys(RecordLayer(), rx)
    rx.limit_protected_records(16384, 100, NAME)
    rx.activate_read()
    rx.feed(struct.pack(">BHH", APP, 0x0303, 100 + 2048 + 1))  # no body yet
    with pytest.raises(RecordOverflow, match="protected record length 2149 exceeds 2148"):
        rx.read_record()


@pytest.mark.parametrize(("send", "receive"), [(0, 100), (100, 0), (16385, 100), (100, 16385)])
def test_limits_outside_the_protocol_are_internal_errors(send: int, receive: int) -> None:
    with pytest.raises(InternalError):
        RecordLayer().limit_protected_records(send, receive, NAME)
    with pytest.raises(InternalError):
        RecordLayer().limit_records(send, receive, NAME)
