"""Handshake reassembly: messages come back whole however the records cut them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tls12.errors import DecodeError, UnexpectedMessage
from tls12.record.framing import HandshakeBuffer


def _msg(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def _drain(buf: HandshakeBuffer) -> list[tuple[int, bytes, bytes]]:
    out = []
    while (m := buf.next_message()) is not None:
        out.append(m)
    return out


messages_st = st.lists(
    st.tuples(st.integers(0, 255), st.binary(max_size=300)), min_size=1, max_size=8
)


@given(messages=messages_st, data=st.data())
def test_arbitrary_splits_reassemble_exactly(
    messages: list[tuple[int, bytes]], data: st.DataObject
) -> None:
    stream = b"".join(_msg(t, b) for t, b in messages)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(stream) - 1)), max_size=20)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    buf = HandshakeBuffer()
    got = []
    for piece in pieces:
        if piece:
            buf.feed(piece)
        got.extend(_drain(buf))
    assert buf.at_boundary
    assert got == [(t, b, _msg(t, b)) for t, b in messages]


def test_many_messages_in_one_fragment() -> None:
    buf = HandshakeBuffer()
    buf.feed(_msg(2, b"hello") + _msg(11, b"cert") + _msg(14, b""))
    assert [m[0] for m in _drain(buf)] == [2, 11, 14]
    assert buf.at_boundary


def test_one_message_across_many_fragments() -> None:
    raw = _msg(11, bytes(range(256)) * 100)
    buf = HandshakeBuffer()
    for i in range(0, len(raw), 7):
        assert buf.next_message() is None
        buf.feed(raw[i : i + 7])
        if i + 7 < len(raw):
            assert not buf.at_boundary
    assert buf.next_message() == (11, raw[4:], raw)
    assert buf.at_boundary


def test_partial_header_is_not_a_boundary() -> None:
    buf = HandshakeBuffer()
    assert buf.at_boundary
    buf.feed(b"\x14\x00")
    assert buf.next_message() is None
    assert not buf.at_boundary
    assert buf.buffered_bytes == 2


def test_oversize_header_rejected_before_body() -> None:
    buf = HandshakeBuffer(max_message_size=1000)
    with pytest.raises(DecodeError, match=r"1001.*1000"):
        buf.feed(b"\x0b\x00\x03\xe9")


def test_oversize_second_message_rejected() -> None:
    buf = HandshakeBuffer(max_message_size=10)
    buf.feed(_msg(1, b"ok") + b"\x0b\x00\x00\x0b")
    assert buf.next_message() == (1, b"ok", _msg(1, b"ok"))
    with pytest.raises(DecodeError):
        buf.next_message()


def test_limit_itself_is_allowed() -> None:
    buf = HandshakeBuffer(max_message_size=10)
    buf.feed(_msg(1, bytes(10)))
    assert buf.next_message() == (1, bytes(10), _msg(1, bytes(10)))


def test_default_limit_for_a_certificate_is_openssls_max_cert_list() -> None:
    buf = HandshakeBuffer()
    buf.feed(b"\x0b" + (102400).to_bytes(3, "big"))  # accepted: 100 KiB
    buf = HandshakeBuffer()
    with pytest.raises(DecodeError, match="102401.*102400"):
        buf.feed(b"\x0b" + (102401).to_bytes(3, "big"))


def test_default_limit_for_a_client_hello_is_the_wire_maximum() -> None:
    """2+32+(1+32)+(2+65534)+(1+255)+(2+65535) = 131,396 bytes: every legal ClientHello."""
    buf = HandshakeBuffer()
    buf.feed(b"\x01" + (131396).to_bytes(3, "big"))
    buf = HandshakeBuffer()
    with pytest.raises(DecodeError, match="131397"):
        buf.feed(b"\x01" + (131397).to_bytes(3, "big"))


def test_a_configured_limit_replaces_every_type_limit() -> None:
    buf = HandshakeBuffer(max_message_size=200000)
    buf.feed(b"\x0b" + (200000).to_bytes(3, "big"))  # a long chain, allowed by the operator
    buf = HandshakeBuffer(max_message_size=1000)
    with pytest.raises(DecodeError, match="max_handshake_message_size"):
        buf.feed(b"\x01" + (1001).to_bytes(3, "big"))


def test_admit_sees_the_type_before_the_length_is_judged() -> None:
    """The state's refusal of an unexpected type comes first, before any size limit or body."""
    seen: list[int] = []

    def admit(msg_type: int) -> None:
        seen.append(msg_type)
        raise UnexpectedMessage("no")

    buf = HandshakeBuffer(admit=admit)
    with pytest.raises(UnexpectedMessage):
        buf.feed(b"\x0e" + (0xFFFFFF).to_bytes(3, "big"))
    assert seen == [14]
