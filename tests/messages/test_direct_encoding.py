"""The handshake messages that every handshake sends (ClientHello, ServerHello, Finished,
NewSessionTicket) build their bytes without a Writer; ``encode_body`` keeps the Writer form.
Both must give the same bytes, and refuse the same oversized fields."""

from __future__ import annotations

import random

import pytest

from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    ClientHello,
    Finished,
    HandshakeMessage,
    NewSessionTicket,
    ServerHello,
)
from tls12.wire.writer import Writer

EXTS = ext.Extensions(
    (ext.RenegotiationInfo(b""), ext.ExtendedMasterSecret(), ext.ServerName("a.example"))
)


def _via_writer(msg: HandshakeMessage) -> bytes:
    body = Writer()
    msg.encode_body(body)
    w = Writer()
    w.u8(msg.msg_type)
    w.opaque24(body.getvalue())
    return w.getvalue()


def _messages(rng: random.Random) -> list[HandshakeMessage]:
    def data(n: int) -> bytes:
        return rng.randbytes(n)

    suites = tuple(rng.randrange(0x10000) for _ in range(rng.choice((1, 2, 40, 1000))))
    extensions = rng.choice((ext.Extensions(()), EXTS))
    return [
        ClientHello(data(32), suites, data(rng.randrange(33)), extensions),
        ClientHello(data(32), suites, b"", extensions, 0x0301, (1, 0)),
        ServerHello(data(32), rng.randrange(0x10000), data(rng.randrange(33)), extensions),
        ServerHello(data(32), 0xC02F, b"", ext.Extensions((ext.RenegotiationInfo(b""),))),
        Finished(data(rng.choice((12, 1, 36)))),
        NewSessionTicket(rng.randrange(1 << 32), data(rng.choice((0, 1, 200, 4000)))),
    ]


def test_direct_bytes_equal_the_writer_bytes() -> None:
    rng = random.Random(14)
    for _ in range(300):
        for msg in _messages(rng):
            assert msg.encode() == _via_writer(msg), msg


def test_kept_extension_blocks_encode_alike() -> None:
    kept = ext.Extensions(tuple(EXTS)).kept_encoded()
    hello = ServerHello(b"r" * 32, 0xC02F, b"s" * 32, kept)
    assert hello.encode() == _via_writer(hello)
    assert kept.encoded() == EXTS.encoded()


@pytest.mark.parametrize(
    "msg",
    [
        ClientHello(b"r" * 32, tuple(range(1, 40000))),
        ClientHello(b"r" * 32, (1,), b"s" * 256),
        ServerHello(b"r" * 32, 1, b"s" * 256),
        NewSessionTicket(1, b"t" * 70000),
        Finished(b"f" * (1 << 24)),
    ],
    ids=["suites", "client-session-id", "server-session-id", "ticket", "finished"],
)
def test_oversized_fields_are_refused_alike(msg: HandshakeMessage) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        msg.encode()
    with pytest.raises(ValueError, match="does not fit"):
        _via_writer(msg)
