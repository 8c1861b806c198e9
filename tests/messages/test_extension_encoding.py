"""The table of configuration-derived extension encodings (messages/extensions.py
``encoded_extension``): the same bytes as encoding afresh, never a connection's own data, and
bounded."""

from __future__ import annotations

import pytest

from tls12.errors import DecodeError
from tls12.messages import extensions as ext
from tls12.wire.enums import NamedGroup, SignatureScheme
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer


def _fresh(item: ext.Extension) -> bytes:
    w = Writer()
    w.u16(int(item.extension_type))
    with w.vec16():
        item.encode_body(w)
    return w.getvalue()


ITEMS: list[ext.Extension] = [
    ext.SupportedGroups((NamedGroup.x25519, NamedGroup.secp256r1, 0x1234)),
    ext.ECPointFormats((0,)),
    ext.SignatureAlgorithms((SignatureScheme.ecdsa_secp256r1_sha256, 0x0807)),
    ext.ApplicationLayerProtocols((b"h2", b"http/1.1")),
    ext.ExtendedMasterSecret(),
    ext.EncryptThenMac(),
    ext.RenegotiationInfo(b""),
    ext.RenegotiationInfo(b"v" * 12),
    ext.SessionTicket(b""),
    ext.SessionTicket(b"t" * 100),
    ext.ServerName("example.com"),
    ext.ServerName(None),
    ext.UnknownExtension(0xFF01 - 1, b"xyz"),
]


def test_table_gives_the_bytes_a_fresh_encoding_gives() -> None:
    for item in ITEMS:
        assert ext.encoded_extension(item) == _fresh(item)
        assert ext.encoded_extension(item) == _fresh(item)  # second time from the table


def test_connection_data_is_never_kept() -> None:
    ext._memo.clear()
    for item in ITEMS:
        ext.encoded_extension(item)
    kept = set(ext._memo)
    assert ext.SessionTicket(b"t" * 100) not in kept
    assert ext.RenegotiationInfo(b"v" * 12) not in kept
    assert not any(isinstance(k, ext.ServerName | ext.UnknownExtension) for k in kept)
    assert ext.SessionTicket(b"") in kept and ext.SupportedGroups(ITEMS[0].groups) in kept  # type: ignore[attr-defined]


def test_table_is_bounded() -> None:
    for n in range(3 * ext._MEMO_MAX):
        ext.encoded_extension(ext.ApplicationLayerProtocols((b"p%d" % n,)))
    assert len(ext._memo) <= ext._MEMO_MAX


def test_hello_encoding_unchanged_by_the_table() -> None:
    block = ext.Extensions(tuple(ITEMS[:7]))
    w1 = Writer()
    block.encode(w1)
    w2 = Writer()
    with w2.vec16():
        for item in ITEMS[:7]:
            w2.raw(_fresh(item))
    assert w1.getvalue() == w2.getvalue()


def _decode_block(items: list[ext.Extension]) -> ext.Extensions:
    w = Writer()
    ext.Extensions(tuple(items)).encode(w)
    return ext.Extensions.decode(Reader(w.getvalue()))


def test_decoding_through_the_table_gives_the_codec_values() -> None:
    items = [i for i in ITEMS[:6]] + [ext.ServerName("example.com"), ITEMS[-1]]
    items += [ext.RenegotiationInfo(b""), ext.SessionTicket(b"t" * 40)]
    ext._decoded.clear()
    first = _decode_block(items)
    second = _decode_block(items)  # from the table where it may
    assert first == second
    assert [type(i) for i in first] == [type(i) for i in items]
    kept = set(ext._decoded.values())
    assert ext.SessionTicket(b"t" * 40) not in kept
    assert not any(isinstance(k, ext.ServerName | ext.UnknownExtension) for k in kept)
    assert ext.RenegotiationInfo(b"") in kept


def test_a_bad_value_is_refused_every_time() -> None:
    # extensions<7>: supported_groups (0x000a), extension_data<3> = a 1-byte list: odd length
    bad = bytes.fromhex("0007000a0003000117")
    for _ in range(2):
        with pytest.raises(DecodeError):
            ext.Extensions.decode(Reader(bad))
    assert all(key[0] != 0x000A or key[1] != bytes.fromhex("000117") for key in ext._decoded)


def test_large_values_are_never_kept() -> None:
    """A legal but huge list (a peer's 32,000 signature schemes) is decoded and encoded, but
    the tables keep only small values, so they stay small whatever peers send."""
    ext._memo.clear()
    ext._decoded.clear()
    big = ext.SignatureAlgorithms(tuple(range(0x0100, 0x0100 + 1000)))
    assert ext.encoded_extension(big) == _fresh(big)
    assert _decode_block([big]) == ext.Extensions((big,))
    assert not ext._memo and not ext._decoded
