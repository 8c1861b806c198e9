"""Ticket keys that change under running servers: the key file re-read on change (D7) and the
fleet's ring in a real Redis (rotation, pruning, revocation, key-encryption key)."""

from __future__ import annotations

import logging
import os
import time

import pytest
from redis_support import HOST, TEST_TIMEOUT_MS, free_port, redis_server, tls12_server
from test_fleet_tickets import eventually, handshake, key_name

from tls12.errors import ConfigError
from tls12.sessions import Session
from tls12.ticket_ring import (
    DerivedKeySchedule,
    KeyFileWatcher,
    RedisKeyRing,
    RedisTicketKeyStore,
    RingPolicy,
    read_kek,
    redis_key_ring,
)
from tls12.tickets import TicketKey, TicketKeys


def session() -> Session:
    return Session(os.urandom(32), 0xC02B, os.urandom(48), True, "localhost", created=time.time())


def bump(path) -> None:
    """Moves the mtime on, so a rewrite within one timestamp tick is still seen."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_key_file_rewritten_rotates_and_revokes_without_restart(tmp_path, caplog):
    path = tmp_path / "ticket.keys"
    old, new = TicketKey.generate(), TicketKey.generate()
    TicketKeys([old]).write(path)
    ring = TicketKeys.from_file(path)
    watcher = KeyFileWatcher(ring, path)
    under_old = ring.seal(session())
    assert not watcher.check(), "unchanged file: nothing to do"

    TicketKeys([new, old]).write(path)
    bump(path)
    assert watcher.check()
    assert ring.names == [new.name, old.name]
    assert ring.seal(session())[:16] == new.name
    assert ring.open(under_old) is not None, "the previous key still opens"

    TicketKeys([new]).write(path)  # the leaked old key deleted from the file
    bump(path)
    assert watcher.check()
    assert ring.open(under_old) is None, "revoked on the running ring"

    with caplog.at_level(logging.WARNING, logger="tls12.tickets"):
        path.write_bytes(b"\xff\xfe not text")
        bump(path)
        assert not watcher.check()
        bump(path)
        assert not watcher.check()
    assert ring.names == [new.name], "a bad rewrite keeps the last good keys"
    assert sum("not reloaded" in r.getMessage() for r in caplog.records) == 1


def test_running_server_drops_a_key_deleted_from_its_file(tmp_path):
    path = tmp_path / "ticket.keys"
    old, new = TicketKey.generate(), TicketKey.generate()
    TicketKeys([old]).write(path)
    with tls12_server(tmp_path, "--ticket-keys", str(path)) as (port, _):
        _, ticket = handshake(port)
        assert key_name(ticket) == old.name
        assert handshake(port, ticket)[0]
        TicketKeys([new]).write(path)
        bump(path)
        eventually(lambda: not handshake(port, ticket)[0], "the deleted key stops opening")
        assert key_name(handshake(port)[1]) == new.name


def test_ring_rotation_prunes_keys_past_the_ticket_lifetime(tmp_path):
    with redis_server(tmp_path) as (port, _):
        store = RedisTicketKeyStore.from_url(f"redis://{HOST}:{port}/0", timeout_ms=TEST_TIMEOUT_MS)
        policy = RingPolicy(rotate_every=10, lifetime=30)
        now = time.time()
        keys = [TicketKey.generate(now - age) for age in (5, 20, 45, 80)]
        store._redis.set(store.key, store._encode(keys))
        after = store.rotate(policy)
        # new; 5 s (replaced now); 20 s (replaced 5 s ago); 45 s (replaced 20 s ago);
        # 80 s (replaced 45 s ago, past the 30 s lifetime): dropped
        assert [k.name for k in after[1:]] == [k.name for k in keys[:3]]
        assert store.load() == after
        assert not store.rotate_if_due(policy, "me"), "the new key is not due yet"


def test_revoke_by_name_and_unknown_names(tmp_path):
    with redis_server(tmp_path) as (port, _):
        store = RedisTicketKeyStore.from_url(f"redis://{HOST}:{port}/0", timeout_ms=TEST_TIMEOUT_MS)
        policy = RingPolicy()
        first = store.rotate(policy)[0]
        second = store.rotate(policy)[0]
        assert store.revoke(first.name, policy)
        assert [k.name for k in store.load()] == [second.name]
        assert not store.revoke(first.name, policy), "already gone"
        assert store.revoke(second.name, policy), "the current key can be revoked too"
        (replacement,) = store.load()
        assert replacement.name not in (first.name, second.name)


def test_kek_wraps_keys_and_a_mismatch_is_a_clear_error(tmp_path):
    kek_file = tmp_path / "kek"
    kek_file.write_text("11" * 32)
    kek = read_kek(kek_file)
    with redis_server(tmp_path) as (port, _):
        url = f"redis://{HOST}:{port}/0"
        wrapped = RedisTicketKeyStore.from_url(url, kek=kek, timeout_ms=TEST_TIMEOUT_MS)
        (key,) = wrapped.rotate(RingPolicy())
        raw = wrapped._redis.get(wrapped.key)
        assert key.key.hex().encode() not in raw
        assert wrapped.load() == [key]
        with pytest.raises(ConfigError, match="wrapped under another key-encryption key"):
            RedisTicketKeyStore.from_url(url, kek=b"\x22" * 32, timeout_ms=TEST_TIMEOUT_MS).load()
        with pytest.raises(ConfigError, match="wrapped under another key-encryption key"):
            RedisTicketKeyStore.from_url(url, timeout_ms=TEST_TIMEOUT_MS).load()
    kek_file.write_text("zz")
    with pytest.raises(ConfigError, match="64 hex digits"):
        read_kek(kek_file)


def test_ring_starts_on_a_local_key_without_redis_and_joins_when_it_is_back(tmp_path, caplog):
    port = free_port()
    with caplog.at_level(logging.WARNING, logger="tls12.tickets"):
        ring = redis_key_ring(f"redis://{HOST}:{port}/0", start=False)
    assert len(ring.keys) == 1, "a local key: tickets still work on this server"
    assert any("unreachable at start" in r.getMessage() for r in caplog.records)
    source = ring.source
    assert isinstance(source, RedisKeyRing)
    assert not source.refresh()
    with redis_server(tmp_path, port=port):
        assert source.refresh()
        fleet_keys = RedisTicketKeyStore.from_url(
            f"redis://{HOST}:{port}/0", timeout_ms=TEST_TIMEOUT_MS
        ).load()
        assert ring.names == [k.name for k in fleet_keys]
        assert source.synced


def test_derived_schedule_agrees_across_processes_and_rotates():
    seed = os.urandom(32)
    policy = RingPolicy(rotate_every=100, lifetime=250)
    t = 1_000_050.0
    a = DerivedKeySchedule(seed, policy, now=t)
    b = DerivedKeySchedule(seed, policy, now=t)
    assert a.ring.keys == b.ring.keys, "same seed, same keys: workers open each other's tickets"
    assert DerivedKeySchedule(os.urandom(32), policy, now=t).ring.names != a.ring.names
    now, later = a.keys_at(t), a.keys_at(t + 100)
    assert later[0] not in now and later[1] == now[0], "one new key per period"
    assert b.keys_at(t + 100) == later, "each process rotates on its own, alike"
    # a key replaced at the period's end stays while its tickets (250 s) may be alive
    assert now[0] in a.keys_at(t + 100 + 240)
    assert now[0] not in a.keys_at(t + 100 + 400)
    # and once forgotten it cannot come back: the chain only moves forward
    assert now[0] not in a.keys_at(t)
