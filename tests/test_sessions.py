"""Sessions: the byte form, expiry, and the bounded in-memory stores."""

from __future__ import annotations

import dataclasses
import os
import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tls12.errors import DecodeError
from tls12.record.limits import MFL_LENGTHS
from tls12.sessions import (
    FORMAT_VERSION,
    PSK_FORMAT_VERSION,
    ClientSessionCache,
    InMemorySessionStore,
    Session,
)
from tls12.wire.writer import Writer


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_session(sid: bytes | None = None, created: float = 1_000_000.0, lifetime: int = 100):
    return Session(
        session_id=sid if sid is not None else os.urandom(32),
        cipher_suite=0xC02F,
        master_secret=os.urandom(48),
        extended_master_secret=True,
        server_name="localhost",
        alpn_protocol="h2",
        created=created,
        lifetime=lifetime,
    )


@given(
    sid=st.binary(max_size=32),
    suite=st.integers(0, 0xFFFF),
    master=st.binary(min_size=48, max_size=48),
    ems=st.booleans(),
    name=st.one_of(st.none(), st.text(min_size=1, max_size=50)),
    alpn=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    certs=st.lists(st.binary(min_size=1, max_size=300), max_size=3),
    created=st.integers(0, 2**40).map(lambda ms: ms / 1000),
    lifetime=st.integers(0, 2**32 - 1),
    ticket=st.binary(max_size=500),
)
def test_session_bytes_round_trip(
    sid, suite, master, ems, name, alpn, certs, created, lifetime, ticket
):
    s = Session(sid, suite, master, ems, name, alpn, tuple(certs), created, lifetime, ticket)
    assert Session.from_bytes(s.to_bytes()) == s


def test_session_bytes_reject_other_version_and_garbage():
    data = make_session().to_bytes()
    with pytest.raises(DecodeError, match="version"):
        Session.from_bytes(b"\x09" + data[1:])
    with pytest.raises(DecodeError):
        Session.from_bytes(data[:-1])
    with pytest.raises(DecodeError):
        Session.from_bytes(data + b"\x00")


def test_session_repr_hides_the_master_secret():
    s = make_session()
    assert s.master_secret.hex() not in repr(s)
    assert " master_secret=" not in repr(s)


def test_expiry():
    s = make_session(created=1000.0, lifetime=100)
    assert not s.expired(1000.0)
    assert not s.expired(1099.9)
    assert s.expired(1100.0)
    assert s.expired(500.0), "a session from the future (clock moved back a lot) is not trusted"


def test_store_holds_its_bound_under_many_sessions():
    clock = FakeClock()
    store = InMemorySessionStore(max_entries=100, clock=clock)
    ids = [os.urandom(32) for _ in range(5000)]
    for sid in ids:
        store.put(sid, make_session(sid, created=clock.now))
    assert len(store) == 100
    assert store.get(ids[0]) is None
    assert store.get(ids[-1]) is not None


def test_store_is_lru():
    clock = FakeClock()
    store = InMemorySessionStore(max_entries=2, clock=clock)
    a, b, c = (make_session(created=clock.now) for _ in range(3))
    store.put(a.session_id, a)
    store.put(b.session_id, b)
    assert store.get(a.session_id) == a  # a is now the most recently used
    store.put(c.session_id, c)
    assert store.get(b.session_id) is None
    assert store.get(a.session_id) == a


def test_store_drops_expired_entries():
    clock = FakeClock(1000.0)
    store = InMemorySessionStore(max_entries=1000, clock=clock)
    old = [make_session(created=1000.0, lifetime=10) for _ in range(50)]
    for s in old:
        store.put(s.session_id, s)
    clock.now = 1011.0
    assert store.get(old[-1].session_id) is None
    fresh = make_session(created=clock.now, lifetime=10)
    store.put(fresh.session_id, fresh)
    assert len(store) == 1, "expired entries are purged when new ones arrive"


def test_store_delete_and_threads():
    clock = FakeClock()
    store = InMemorySessionStore(max_entries=500, clock=clock)

    def worker() -> None:
        for _ in range(500):
            s = make_session(created=clock.now)
            store.put(s.session_id, s)
            assert store.get(s.session_id) in (s, None)
            store.delete(s.session_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) == 0


def test_client_cache_keys_by_name_and_port():
    clock = FakeClock()
    cache = ClientSessionCache(clock=clock)
    s = make_session(created=clock.now)
    cache.put("Example.COM", 443, s)
    assert cache.get("example.com", 443) == s
    assert cache.get("example.com", 8443) is None
    cache.delete("example.com", 443)
    assert cache.get("example.com", 443) is None


def test_the_joined_byte_form_is_the_writer_form() -> None:
    """``to_bytes`` builds its bytes in one join; ``_writer_form`` is the field-by-field
    form it replaced: every kind of session gives the same bytes, and both refuse a field
    that does not fit its length alike."""
    rng = random.Random(5077)
    base = make_session()
    for _ in range(300):
        s = dataclasses.replace(
            base,
            session_id=rng.randbytes(rng.choice((0, 1, 32))),
            extended_master_secret=rng.random() < 0.5,
            server_name=rng.choice((None, "a.example", "bücher.example")),
            alpn_protocol=rng.choice((None, "h2", "x" * 255)),
            peer_certificates_der=tuple(
                rng.randbytes(rng.randint(1, 900)) for _ in range(rng.randint(0, 3))
            ),
            created=rng.choice((0.0, 1.5, 1_700_000_000.123)),
            lifetime=rng.choice((0, 7200, 2**32 - 1)),
            ticket=rng.randbytes(rng.choice((0, 1, 300))),
            max_fragment_length=rng.choice((None, 512, 4096)),
            psk_identity=rng.choice((None, b"id", b"i" * 300)),
            psk_binding=rng.randbytes(rng.choice((0, 32))),
        )
        assert s.to_bytes() == _writer_form(s)
        if s.psk_identity is not None or not s.psk_binding:  # a binding needs an identity
            assert Session.from_bytes(s.to_bytes()) == s
    for bad in (
        dataclasses.replace(base, alpn_protocol="x" * 256),
        dataclasses.replace(base, ticket=b"t" * 65536),
        dataclasses.replace(base, session_id=b"s" * 256),
    ):
        for encode in (Session.to_bytes, _writer_form):
            with pytest.raises(ValueError, match="does not fit"):
                encode(bad)


def _writer_form(s: Session) -> bytes:
    """The session's byte form field by field through a Writer: the reference for to_bytes."""
    w = Writer()
    w.u8(FORMAT_VERSION if s.psk_identity is None else PSK_FORMAT_VERSION)
    w.u16(s.cipher_suite)
    w.opaque8(s.session_id)
    w.raw(s.master_secret)
    # Flags: bit 0 extended master secret, bits 1-3 the RFC 6066 code (0: none).
    mfl = MFL_LENGTHS[s.max_fragment_length] if s.max_fragment_length else 0
    w.u8((1 if s.extended_master_secret else 0) | mfl << 1)
    w.opaque16((s.server_name or "").encode("utf-8"))
    w.opaque8((s.alpn_protocol or "").encode("utf-8"))
    w.u64(round(s.created * 1000))
    w.u32(s.lifetime)
    w.opaque16(s.ticket)
    with w.vec24():
        for der in s.peer_certificates_der:
            w.opaque24(der)
    if s.psk_identity is not None:
        w.opaque16(s.psk_identity)
        w.opaque8(s.psk_binding)
    return w.getvalue()
