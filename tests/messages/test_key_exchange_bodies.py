"""The DHE ServerKeyExchange body and the DH / RSA ClientKeyExchange bodies: encode → decode
round trips, and every truncation or trailing byte is a DecodeError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tls12.errors import DecodeError, InternalError
from tls12.messages.key_exchange import (
    DheServerKeyExchange,
    DigitallySigned,
    EcdheServerKeyExchange,
    decode_dh_client_public,
    decode_ecdh_client_public,
    decode_rsa_premaster,
    encode_dh_client_public,
    encode_ecdh_client_public,
    encode_rsa_premaster,
)
from tls12.wire.enums import SignatureScheme

numbers = st.binary(min_size=1, max_size=520)
schemes = st.one_of(st.sampled_from(list(SignatureScheme)), st.integers(0, 0xFFFF))
signed = st.builds(DigitallySigned, schemes, st.binary(min_size=1, max_size=520))
dhe_skes = st.builds(DheServerKeyExchange, numbers, numbers, numbers, signed)


def _every_cut_fails(decode, body: bytes) -> None:
    for n in range(len(body)):
        with pytest.raises(DecodeError):
            decode(body[:n])
    with pytest.raises(DecodeError):
        decode(body + b"\x00")


@given(dhe_skes)
def test_dhe_server_key_exchange_round_trip(ske: DheServerKeyExchange) -> None:
    body = ske.encode()
    decoded = DheServerKeyExchange.decode(body)
    assert decoded == ske
    assert body.startswith(ske.params())
    assert ske.params() == DheServerKeyExchange.encode_params(ske.p, ske.g, ske.public)
    # the decoded params are the received bytes, which the encoding reproduces exactly
    assert decoded.received_params == decoded.params() == ske.params()


@given(st.integers(0, 0xFFFF), st.binary(min_size=1, max_size=255), signed)
def test_ecdhe_server_key_exchange_keeps_the_params_received(
    group: int, public: bytes, sig: DigitallySigned
) -> None:
    ske = EcdheServerKeyExchange(group, public, sig)
    body = ske.encode()
    decoded = EcdheServerKeyExchange.decode(body)
    assert decoded == ske
    assert decoded.received_params == body[: 4 + len(public)] == ske.params()
    assert decoded.params() == EcdheServerKeyExchange.encode_params(group, public)


@given(st.binary(min_size=1, max_size=255))
def test_ecdh_client_public_round_trip(public: bytes) -> None:
    body = encode_ecdh_client_public(public)
    assert body == bytes([len(public)]) + public
    assert decode_ecdh_client_public(body) == public


def test_ecdh_client_public_too_long() -> None:
    with pytest.raises(ValueError, match="256 bytes does not fit a 1-byte length"):
        encode_ecdh_client_public(bytes(256))


def test_dhe_server_key_exchange_layout() -> None:
    ske = DheServerKeyExchange(
        b"\xff" * 3, b"\x02", b"\x01\x02", DigitallySigned(SignatureScheme(0x0804), b"sig")
    )
    expected = (
        b"\x00\x03\xff\xff\xff"  # dh_p
        b"\x00\x01\x02"  # dh_g
        b"\x00\x02\x01\x02"  # dh_Ys
        b"\x08\x04\x00\x03sig"  # signature scheme, signature
    )
    assert ske.encode() == expected
    assert ske.params() == expected[:12]
    _every_cut_fails(DheServerKeyExchange.decode, expected)


@given(dhe_skes)
def test_dhe_server_key_exchange_truncations(ske: DheServerKeyExchange) -> None:
    body = ske.encode()
    for n in (0, 1, 2, len(body) // 2, len(body) - 1):
        with pytest.raises(DecodeError):
            DheServerKeyExchange.decode(body[:n])
    with pytest.raises(DecodeError):
        DheServerKeyExchange.decode(body + b"\x00")


def test_dhe_server_key_exchange_keeps_an_empty_signature() -> None:
    """signature<0..2^16-1>: well-formed; the handshake refuses it with decrypt_error."""
    body = b"\x00\x01\x17" + b"\x00\x01\x02" + b"\x00\x01\x05" + b"\x08\x04\x00\x00"
    assert DheServerKeyExchange.decode(body).signed.signature == b""


def test_dhe_server_key_exchange_refuses_empty_fields() -> None:
    sig = b"\x08\x04\x00\x01s"
    for body in (
        b"\x00\x00" + b"\x00\x01\x02" + b"\x00\x01\x05" + sig,  # empty dh_p
        b"\x00\x01\x17" + b"\x00\x00" + b"\x00\x01\x05" + sig,  # empty dh_g
        b"\x00\x01\x17" + b"\x00\x01\x02" + b"\x00\x00" + sig,  # empty dh_Ys
        b"\x00\x01\x17" + b"\x00\x01\x02" + b"\x00\x01\x05",  # no DigitallySigned at all
    ):
        with pytest.raises(DecodeError):
            DheServerKeyExchange.decode(body)


def test_encoders_refuse_values_that_do_not_fit() -> None:
    with pytest.raises(InternalError):
        DheServerKeyExchange.encode_params(b"", b"\x02", b"\x05")
    with pytest.raises(InternalError):
        DheServerKeyExchange.encode_params(b"\x17", b"\x02", bytes(0x10000))
    with pytest.raises(InternalError):
        encode_dh_client_public(b"")
    with pytest.raises(InternalError):
        encode_rsa_premaster(bytes(0x10000))


@given(st.binary(min_size=1, max_size=1100))
def test_dh_client_public_round_trip(public: bytes) -> None:
    body = encode_dh_client_public(public)
    assert body == len(public).to_bytes(2, "big") + public
    assert decode_dh_client_public(body) == public


@given(st.binary(max_size=1100))
def test_rsa_premaster_round_trip(encrypted: bytes) -> None:
    body = encode_rsa_premaster(encrypted)
    assert body == len(encrypted).to_bytes(2, "big") + encrypted
    assert decode_rsa_premaster(body) == encrypted


@pytest.mark.parametrize("size", [1, 2, 256, 512])
def test_client_key_exchange_truncations(size: int) -> None:
    value = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    _every_cut_fails(decode_dh_client_public, encode_dh_client_public(value))
    _every_cut_fails(decode_rsa_premaster, encode_rsa_premaster(value))


def test_client_key_exchange_edge_cases() -> None:
    with pytest.raises(DecodeError):
        decode_dh_client_public(b"\x00\x00")  # dh_Yc<1..2^16-1>
    assert decode_rsa_premaster(b"\x00\x00") == b""  # <0..2^16-1>: empty is well-formed
    with pytest.raises(DecodeError):
        decode_rsa_premaster(b"")
    with pytest.raises(DecodeError):
        # the TLS 1.0 style body without a length prefix is not TLS 1.2
        decode_rsa_premaster(b"\x30" + bytes(255))
