"""The wire codec: a Reader that turns every bad length into DecodeError, a Writer whose vector
blocks fill in (and bound) their own lengths, and enums that keep unknown values."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tls12.errors import DecodeError
from tls12.wire import enums
from tls12.wire.enums import (
    AlertDescription,
    ContentType,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    SignatureScheme,
    WireEnum,
)
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

# -- Reader: primitives ------------------------------------------------------------------------

WIDTHS = {"u8": 1, "u16": 2, "u24": 3, "u32": 4, "u64": 8}


@pytest.mark.parametrize("name", list(WIDTHS))
def test_integers_read_big_endian(name: str) -> None:
    width = WIDTHS[name]
    data = bytes(range(1, width + 1))
    r = Reader(data)
    assert getattr(r, name)() == int.from_bytes(data, "big")
    assert r.at_end()
    r.expect_end()


@pytest.mark.parametrize("name", list(WIDTHS))
def test_truncated_integers_are_decode_errors(name: str) -> None:
    width = WIDTHS[name]
    for n in range(width):
        r = Reader(b"\xff" * n, "thing")
        with pytest.raises(DecodeError, match="thing"):
            getattr(r, name)()


def test_fixed_bytes_bounds() -> None:
    r = Reader(b"abcdef")
    assert r.opaque_fixed(0) == b""
    assert r.opaque_fixed(2) == b"ab"
    assert r.remaining == 4
    with pytest.raises(DecodeError):
        r.opaque_fixed(5)
    with pytest.raises(DecodeError):
        r.opaque_fixed(-1)
    assert r.opaque_fixed(4) == b"cdef"
    with pytest.raises(DecodeError):
        r.opaque_fixed(1)


def test_rest_takes_everything() -> None:
    r = Reader(b"\x01abc")
    assert r.u8() == 1
    assert r.rest() == b"abc"
    assert r.rest() == b""
    r.expect_end()


def test_expect_end_refuses_trailing_bytes() -> None:
    r = Reader(b"\x00\x01\x02", "Widget")
    r.u8()
    with pytest.raises(DecodeError, match="2 unexpected trailing bytes"):
        r.expect_end()
    r.u16()
    r.expect_end()


# -- Reader: vectors ---------------------------------------------------------------------------

OPAQUE = {"opaque8": 1, "opaque16": 2, "opaque24": 3}


@pytest.mark.parametrize("name", list(OPAQUE))
def test_opaque_reads_exactly_its_length(name: str) -> None:
    width = OPAQUE[name]
    body = b"hello"
    r = Reader(len(body).to_bytes(width, "big") + body + b"!")
    assert getattr(r, name)() == body
    assert r.rest() == b"!"


@pytest.mark.parametrize("name", list(OPAQUE))
def test_opaque_length_beyond_the_data(name: str) -> None:
    width = OPAQUE[name]
    r = Reader((6).to_bytes(width, "big") + b"hello", "Msg")
    with pytest.raises(DecodeError, match="claims 6 bytes but only 5 remain"):
        getattr(r, name)()


@pytest.mark.parametrize("name", list(OPAQUE))
def test_truncated_length_prefix(name: str) -> None:
    width = OPAQUE[name]
    for n in range(width):
        with pytest.raises(DecodeError):
            getattr(Reader(b"\x00" * n), name)()


@pytest.mark.parametrize("name", list(OPAQUE))
def test_vector_floor_and_ceiling(name: str) -> None:
    width = OPAQUE[name]

    def encoded(n: int) -> bytes:
        return n.to_bytes(width, "big") + b"x" * n

    read = getattr(Reader, name)
    assert read(Reader(encoded(2)), 2, 4) == b"xx"
    assert read(Reader(encoded(4)), 2, 4) == b"xxxx"
    with pytest.raises(DecodeError, match="length 1 is outside the allowed range 2..4"):
        read(Reader(encoded(1)), 2, 4)
    with pytest.raises(DecodeError, match="length 5 is outside the allowed range 2..4"):
        read(Reader(encoded(5)), 2, 4)
    with pytest.raises(DecodeError, match="length 0 is outside"):
        read(Reader(encoded(0)), 1, 4)


@pytest.mark.parametrize("name,width", [("vec8", 1), ("vec16", 2), ("vec24", 3)])
def test_sub_reader_is_confined_to_its_vector(name: str, width: int) -> None:
    r = Reader((2).to_bytes(width, "big") + b"\x01\x02" + b"\x03\x04\x05\x06")
    sub = getattr(r, name)(field="inner")
    assert sub.remaining == 2
    with pytest.raises(DecodeError, match="inner"):
        sub.u24()  # the parent has more bytes, but they are not the vector's
    assert sub.u16() == 0x0102
    sub.expect_end()
    assert r.u32() == 0x03040506
    r.expect_end()


@pytest.mark.parametrize("name,width", [("vec8", 1), ("vec16", 2), ("vec24", 3)])
def test_sub_reader_trailing_bytes(name: str, width: int) -> None:
    r = Reader((3).to_bytes(width, "big") + b"\x01\x02\x03")
    sub = getattr(r, name)()
    sub.u16()
    with pytest.raises(DecodeError):
        sub.expect_end()


@pytest.mark.parametrize("name,width", [("vec8", 1), ("vec16", 2), ("vec24", 3)])
def test_sub_reader_floor_ceiling(name: str, width: int) -> None:
    with pytest.raises(DecodeError):
        getattr(Reader((1).to_bytes(width, "big") + b"a"), name)(2, 10)
    with pytest.raises(DecodeError):
        getattr(Reader((11).to_bytes(width, "big") + b"a" * 11), name)(2, 10)


def test_u16_list() -> None:
    assert Reader(b"\x00\x04\xc0\x2b\xc0\x2f").u16_list() == (0xC02B, 0xC02F)
    assert Reader(b"\x04\x00\x1d\x00\x17").u16_list(width=1) == (29, 23)
    assert Reader(b"\x00\x00").u16_list() == ()


@pytest.mark.parametrize("raw", [b"\x00\x01\xc0", b"\x00\x03\xc0\x2b\xc0", b"\x01\x00"])
def test_u16_list_with_odd_length_is_decode_error(raw: bytes) -> None:
    width = 1 if raw[0] == 1 else 2
    with pytest.raises(DecodeError, match="odd length"):
        Reader(raw).u16_list(width=width)


def test_u16_list_bounds() -> None:
    with pytest.raises(DecodeError):
        Reader(b"\x00\x00").u16_list(2)
    with pytest.raises(DecodeError):
        Reader(b"\x00\x04\x00\x01\x00\x02").u16_list(2, 2)
    with pytest.raises(DecodeError):
        Reader(b"\x00\x04\x00\x01").u16_list()


def test_u8_list() -> None:
    assert Reader(b"\x02\x00\x01").u8_list() == (0, 1)
    with pytest.raises(DecodeError):
        Reader(b"\x00").u8_list(1)
    with pytest.raises(DecodeError):
        Reader(b"\x03\x00\x01").u8_list()


OPS = st.sampled_from(
    [
        ("u8",),
        ("u16",),
        ("u24",),
        ("u32",),
        ("u64",),
        ("opaque_fixed", 3),
        ("opaque8",),
        ("opaque16",),
        ("opaque24", 1),
        ("vec8",),
        ("vec16", 2, 100),
        ("vec24",),
        ("u8_list", 1),
        ("u16_list", 2),
        ("expect_end",),
    ]
)


@given(data=st.binary(max_size=64), ops=st.lists(OPS, max_size=12))
def test_any_read_sequence_fails_only_with_decode_error(
    data: bytes, ops: list[tuple[object, ...]]
) -> None:
    r = Reader(data)
    try:
        for name, *args in ops:
            result = getattr(r, str(name))(*args)
            if isinstance(result, Reader):
                r = result
    except DecodeError:
        pass


# -- Writer ------------------------------------------------------------------------------------


def test_writer_integers() -> None:
    w = Writer()
    w.u8(1)
    w.u16(0x0203)
    w.u24(0x040506)
    w.u32(0x0708090A)
    w.u64(0x0B0C0D0E0F101112)
    w.raw(b"xy")
    assert w.getvalue() == bytes(range(1, 0x13)) + b"xy"


@pytest.mark.parametrize(
    "name,value", [("u8", 256), ("u16", 1 << 16), ("u24", 1 << 24), ("u32", 1 << 32), ("u8", -1)]
)
def test_writer_refuses_integers_that_do_not_fit(name: str, value: int) -> None:
    with pytest.raises(OverflowError):
        getattr(Writer(), name)(value)


def test_vec_blocks_fill_in_their_lengths_even_when_nested() -> None:
    w = Writer()
    with w.vec16():
        w.u8(7)
        with w.vec8():
            w.raw(b"abc")
        with w.vec24():
            pass
    assert w.getvalue() == b"\x00\x08" + b"\x07" + b"\x03abc" + b"\x00\x00\x00"


@pytest.mark.parametrize("name,width", [("vec8", 1), ("vec16", 2), ("vec24", 3)])
def test_vec_blocks_refuse_overflow(name: str, width: int) -> None:
    limit = (1 << (8 * width)) - 1
    ok = Writer()
    with getattr(ok, name)():
        ok.raw(bytes(limit))
    assert ok.getvalue()[:width] == limit.to_bytes(width, "big")
    w = Writer()
    with pytest.raises(ValueError, match="does not fit"), getattr(w, name)():
        w.raw(bytes(limit + 1))


def test_nested_overflow_is_caught_at_the_inner_block() -> None:
    w = Writer()
    with pytest.raises(ValueError), w.vec16(), w.vec8():
        w.raw(bytes(300))


def test_writer_lists() -> None:
    w = Writer()
    w.u16_list([0xC02B, 0xC02F])
    w.u16_list([29], width=1)
    w.u8_list([0, 1, 2])
    w.opaque8(b"a")
    w.opaque16(b"bc")
    w.opaque24(b"")
    expected = "0004c02bc02f" "02001d" "03000102" "0161" "00026263" "000000"
    assert w.getvalue() == bytes.fromhex(expected)
    with pytest.raises(ValueError):
        Writer().u16_list(range(128), width=1)
    with pytest.raises(ValueError):
        Writer().u8_list(bytes(256))


nested = st.recursive(
    st.binary(max_size=20),
    lambda children: st.tuples(st.sampled_from([1, 2, 3]), st.lists(children, max_size=4)),
    max_leaves=12,
)


def _write(w: Writer, node: object) -> None:
    if isinstance(node, bytes):
        w.opaque8(node)
        return
    width, children = node  # type: ignore[misc]
    with {1: w.vec8, 2: w.vec16, 3: w.vec24}[width]():
        for child in children:
            _write(w, child)


def _read(r: Reader, node: object) -> object:
    if isinstance(node, bytes):
        return r.opaque8()
    width, children = node  # type: ignore[misc]
    sub = {1: r.vec8, 2: r.vec16, 3: r.vec24}[width]()
    out = (width, [_read(sub, c) for c in children])
    sub.expect_end()
    return out


def _normalise(node: object) -> object:
    return node if isinstance(node, bytes) else (node[0], [_normalise(c) for c in node[1]])  # type: ignore[index]


@given(tree=nested)
def test_writer_and_reader_agree_on_nested_vectors(tree: object) -> None:
    w = Writer()
    try:
        _write(w, tree)
    except ValueError:
        return  # a vec8 holding too much: refused, nothing to read back
    r = Reader(w.getvalue())
    assert _read(r, tree) == _normalise(tree)
    r.expect_end()


# -- enums -------------------------------------------------------------------------------------

WIRE_ENUMS = [
    obj
    for obj in vars(enums).values()
    if isinstance(obj, type)
    and issubclass(obj, enum.Enum)
    and obj.__module__ == enums.__name__
    and obj is not WireEnum
]


def test_every_wire_enum_keeps_unknown_values() -> None:
    assert len(WIRE_ENUMS) >= 12
    for cls in WIRE_ENUMS:
        assert issubclass(cls, WireEnum), cls


@pytest.mark.parametrize("cls", WIRE_ENUMS, ids=lambda c: c.__name__)
def test_known_values_are_the_members(cls: type[WireEnum]) -> None:
    for member in cls:
        assert cls(int(member)) is member
        assert str(member) == member.name


@pytest.mark.parametrize("cls", WIRE_ENUMS, ids=lambda c: c.__name__)
@given(value=st.integers(0, 0xFFFF))
def test_unknown_values_round_trip(cls: type[WireEnum], value: int) -> None:
    member = cls(value)
    assert member == value
    assert int(member) == value
    assert isinstance(member, cls)
    if value not in {int(m) for m in cls}:
        assert member.name == f"unknown_{value:#x}"
        assert str(member) == member.name
    w = Writer()
    w.u16(member)
    assert Reader(w.getvalue()).u16() == value
    assert cls(Reader(w.getvalue()).u16()) == member


def test_grease_and_friends() -> None:
    grease = ExtensionType(0x0A0A)
    assert grease.name == "unknown_0xa0a"
    assert grease == 0x0A0A
    assert ContentType(99).name == "unknown_0x63"
    assert HandshakeType(3) == 3
    assert NamedGroup(0x6399) == 0x6399
    assert SignatureScheme(0x0102).name == "unknown_0x102"
    assert AlertDescription(255) == 255
    assert bytes((AlertDescription(200),)) == b"\xc8"


def test_non_integers_are_still_refused() -> None:
    with pytest.raises(ValueError):
        ContentType("handshake")  # type: ignore[arg-type]
