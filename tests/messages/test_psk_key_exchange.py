"""The PSK ServerKeyExchange and ClientKeyExchange bodies (RFC 4279 §2, RFC 5489 §2): exact
wire bytes, round trips, and every truncation or trailing byte refused as decode_error."""

from __future__ import annotations

import pytest

from tls12 import errors
from tls12.messages.psk_key_exchange import (
    EcdhePskServerKeyExchange,
    PskClientKeyExchange,
    PskServerKeyExchange,
)
from tls12.wire.enums import NamedGroup


def _every_cut_and_extra_byte_fails(decode, body: bytes) -> None:
    for n in range(len(body)):
        with pytest.raises(errors.DecodeError):
            decode(body[:n])
    with pytest.raises(errors.DecodeError):
        decode(body + b"\x00")


def test_psk_server_key_exchange_is_the_hint_alone():
    body = PskServerKeyExchange(b"hint").encode()
    assert body == b"\x00\x04hint"
    assert PskServerKeyExchange.decode(body) == PskServerKeyExchange(b"hint")
    assert PskServerKeyExchange.decode(b"\x00\x00").hint == b""  # <0..2^16-1>: empty is legal
    _every_cut_and_extra_byte_fails(PskServerKeyExchange.decode, body)


def test_ecdhe_psk_server_key_exchange_hint_then_params_without_signature():
    point = b"\x04" + bytes(range(64))
    ske = EcdhePskServerKeyExchange(b"h", NamedGroup.secp256r1, point)
    body = ske.encode()
    assert body == b"\x00\x01h" + b"\x03\x00\x17" + bytes([65]) + point
    assert EcdhePskServerKeyExchange.decode(body) == ske
    empty_hint = EcdhePskServerKeyExchange(b"", NamedGroup.x25519, bytes(32)).encode()
    assert empty_hint[:2] == b"\x00\x00"
    _every_cut_and_extra_byte_fails(EcdhePskServerKeyExchange.decode, body)


def test_ecdhe_psk_server_key_exchange_needs_a_named_curve():
    body = b"\x00\x00" + b"\x01\x00\x17\x01\x04"  # explicit_prime curve type
    with pytest.raises(errors.DecodeError, match="named_curve"):
        EcdhePskServerKeyExchange.decode(body)


def test_client_key_exchange_identity_and_point():
    plain = PskClientKeyExchange(b"id").encode()
    assert plain == b"\x00\x02id"
    assert PskClientKeyExchange.decode(plain, with_point=False) == PskClientKeyExchange(b"id")
    with_point = PskClientKeyExchange(b"id", bytes(32)).encode()
    assert with_point == b"\x00\x02id\x20" + bytes(32)
    decoded = PskClientKeyExchange.decode(with_point, with_point=True)
    assert decoded == PskClientKeyExchange(b"id", bytes(32))
    _every_cut_and_extra_byte_fails(
        lambda b: PskClientKeyExchange.decode(b, with_point=False), plain
    )
    _every_cut_and_extra_byte_fails(
        lambda b: PskClientKeyExchange.decode(b, with_point=True), with_point
    )


def test_identity_at_the_wire_maximum_decodes_and_longer_cannot_be_encoded():
    big = b"a" * 0xFFFF
    assert (
        PskClientKeyExchange.decode(PskClientKeyExchange(big).encode(), with_point=False).identity
        == big
    )
    with pytest.raises(errors.InternalError, match="at most 65535"):
        PskClientKeyExchange(big + b"a").encode()
    with pytest.raises(errors.InternalError, match="at most 65535"):
        PskServerKeyExchange(big + b"a").encode()
