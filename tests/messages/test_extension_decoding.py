"""The one-pass decode of a hello's extensions (``Reader.extension_list`` and
``Extensions.decode``) against the entry-by-entry walk it replaced, kept here as the
reference: for every truncation and many single-byte changes of a real ClientHello's block,
the same items or the same exception type and message."""

from __future__ import annotations

import random
import re

from tls12.errors import TLSError
from tls12.messages import extensions as ext
from tls12.wire.enums import ExtensionType, NamedGroup, SignatureScheme
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

ITEMS: tuple[ext.Extension, ...] = (
    ext.ServerName("server.example"),
    ext.SupportedGroups((NamedGroup.x25519, NamedGroup.secp256r1)),
    ext.ECPointFormats((0,)),
    ext.SignatureAlgorithms((SignatureScheme.rsa_pss_rsae_sha256, 0x0403)),
    ext.ApplicationLayerProtocols((b"h2", b"http/1.1")),
    ext.ExtendedMasterSecret(),
    ext.RenegotiationInfo(b""),
    ext.UnknownExtension(0x7777, b"\x01\x02"),
    ext.SessionTicket(b"T" * 60),
)


def _walk(r: Reader) -> ext.Extensions:
    """The previous ``Extensions.decode``: one Reader call per field."""
    if r.at_end():
        return ext.Extensions(())
    block = r.vec16(field="extensions")
    items: list[ext.Extension] = []
    seen: set[int] = set()
    while not block.at_end():
        et = block.u16()
        raw = block.opaque16(field="extension_data")
        if et in seen:
            raise ext.DecodeError(f"extension {ExtensionType(et).name} appears twice")
        seen.add(et)
        codec = ext.KNOWN_EXTENSIONS.get(et)
        if codec is None:
            items.append(ext.UnknownExtension(et, raw))
        else:
            items.append(codec(Reader(raw, (block, "extension_data"))))
    return ext.Extensions(tuple(items))


def _outcome(decode: object, data: bytes) -> object:
    r = Reader(data, "client_hello")
    try:
        result = decode(r)  # type: ignore[operator]
        return ("ok", tuple(result), r.remaining)
    except TLSError as exc:
        return (type(exc).__name__, str(exc))


def _block(items: tuple[ext.Extension, ...]) -> bytes:
    w = Writer()
    ext.Extensions(items).encode(w)
    return w.getvalue()


def test_every_truncation_fails_alike() -> None:
    good = _block(ITEMS)
    for n in range(len(good) + 1):
        assert _outcome(ext.Extensions.decode, good[:n]) == _outcome(_walk, good[:n]), n


def test_changed_bytes_fail_alike() -> None:
    rng = random.Random(14)
    good = bytearray(_block(ITEMS))
    for _ in range(3000):
        bad = bytearray(good)
        for _ in range(rng.randint(1, 3)):
            bad[rng.randrange(len(bad))] = rng.choice((0, 1, 0xFF, rng.randrange(256)))
        data = bytes(bad)
        assert _outcome(ext.Extensions.decode, data) == _outcome(_walk, data), data.hex()


def test_a_duplicate_before_a_bad_length_is_named_first() -> None:
    twice = _block(ITEMS[5:6])[2:] * 2  # extended_master_secret twice
    short = bytes.fromhex("0023ffff")  # session_ticket claiming 65,535 bytes
    body = twice + short
    data = len(body).to_bytes(2, "big") + body
    outcome = _outcome(ext.Extensions.decode, data)
    assert outcome == _outcome(_walk, data)
    assert "appears twice" in str(outcome)


def test_the_by_type_table_is_filled_on_the_way() -> None:
    decoded = ext.Extensions.decode(Reader(_block(ITEMS)))
    fresh = ext.Extensions(tuple(decoded))
    for item in ITEMS:
        assert decoded.get(type(item)) == fresh.get(type(item))
        assert decoded.has(type(item)) == fresh.has(type(item))
    assert decoded.get(ext.EncryptThenMac) is None and fresh.get(ext.EncryptThenMac) is None


_LABEL = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _host_name_by_labels(name: bytes) -> bool:
    """The previous check: one trailing dot off, 1..253 bytes, each label matched alone."""
    if name.endswith(b"."):
        name = name[:-1]
    if not 1 <= len(name) <= 253:
        return False
    return all(_LABEL.fullmatch(label) for label in name.split(b"."))


def test_the_one_match_host_name_check_agrees_with_the_label_walk() -> None:
    rng = random.Random(6066)
    alphabet = b"aZ09_-.\x00 \xff\n"
    for _ in range(20000):
        name = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert ext.valid_host_name(name) == _host_name_by_labels(name), name
    for n in range(300):
        for name in (b"a" * n, b"a" * n + b".", b"a" * n + b"..", (b"a" * 63 + b".") * 3 + b"a" * n,
                     b"a." * n, (b"ab." * n)[:n], b"a-" * n + b"a"):  # fmt: skip
            assert ext.valid_host_name(name) == _host_name_by_labels(name), name
