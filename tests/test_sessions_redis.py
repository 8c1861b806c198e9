"""A fleet: session resumption across server processes through a real Redis server.

Starts ``redis-server`` (Debian package redis-server) and two ``tls12 server`` processes that
share it (session IDs) and a ticket key file (tickets). A client that completed a full handshake
on one server resumes on the other. With Redis stopped, connections still complete.
"""

from __future__ import annotations

import logging
import os
import time

import pytest
from redis_support import HOST, TEST_TIMEOUT_MS, free_port, redis_server, stop, tls12_server
from tls_support import pki

from tls12.io.sync import connect
from tls12.sessions import Session
from tls12.sessions_redis import RedisSessionStore
from tls12.tickets import TicketKey, TicketKeys


@pytest.fixture
def fleet(tmp_path):
    """Redis plus two tls12 servers sharing it and one ticket key file."""
    keys = tmp_path / "ticket.keys"
    TicketKeys([TicketKey.generate()]).write(keys)
    with redis_server(tmp_path) as (redis_port, redis_proc):
        url = f"redis://{HOST}:{redis_port}/0"
        shared = ("--session-store", url, "--ticket-keys", str(keys), "--redis-timeout", "2000")
        with (
            tls12_server(tmp_path, *shared) as (a, a_err),
            tls12_server(tmp_path, *shared) as (
                b,
                b_err,
            ),
        ):
            yield {"a": a, "b": b, "redis": redis_proc, "url": url, "errs": (a_err, b_err)}


def handshake(port: int, *, tickets: bool, session: Session | None = None):
    config = pki().client_config(session_tickets=tickets)
    tls = connect(HOST, port, config, server_name="localhost", session=session, timeout=10)
    tls.sendall(b"ping")
    assert tls.recv() == b"ping"
    resumed, new_session = tls.session_reused, tls.session
    tls.unwrap().close()
    return resumed, new_session


@pytest.mark.parametrize("tickets", [False, True], ids=["session-id", "ticket"])
def test_resumption_crosses_servers(fleet, tickets):
    resumed, session = handshake(fleet["a"], tickets=tickets)
    assert not resumed
    assert bool(session.ticket) is tickets
    resumed, _ = handshake(fleet["b"], tickets=tickets, session=session)
    assert resumed, "server b resumed the session made on server a"
    resumed, _ = handshake(fleet["a"], tickets=tickets, session=session)
    assert resumed


def test_redis_down_means_full_handshakes(fleet):
    _, session = handshake(fleet["a"], tickets=False)
    assert handshake(fleet["b"], tickets=False, session=session)[0]
    stop(fleet["redis"])
    for port in (fleet["a"], fleet["b"]):
        resumed, new = handshake(port, tickets=False, session=session)
        assert not resumed, "without Redis the server cannot find the session"
        assert new is not None
    # the servers logged the trouble once, and kept serving
    for err in fleet["errs"]:
        text = err.read_text()
        assert text.count("Redis session store unreachable") == 1, text


def test_store_get_put_delete_and_ttl(tmp_path):
    with redis_server(tmp_path) as (port, _):
        store = RedisSessionStore.from_url(f"redis://{HOST}:{port}/0", timeout_ms=TEST_TIMEOUT_MS)
        now = int(time.time())
        s = Session(os.urandom(32), 0xC02F, os.urandom(48), True, created=now, lifetime=50)
        store.put(s.session_id, s)
        assert store.get(s.session_id) == s
        ttl = store._redis.ttl(store._key(s.session_id))
        assert 45 <= ttl <= 50
        store.delete(s.session_id)
        assert store.get(s.session_id) is None
        expired = Session(os.urandom(32), 0xC02F, os.urandom(48), True, created=1.0, lifetime=5)
        store.put(expired.session_id, expired)
        assert store._redis.exists(store._key(expired.session_id)) == 0
        store._redis.set(store._key(b"garbage"), b"not a session")
        assert store.get(b"garbage") is None


def test_unreachable_redis_is_a_miss_with_one_warning(caplog):
    store = RedisSessionStore.from_url(f"redis://{HOST}:{free_port()}/0", timeout_ms=200)
    s = Session(os.urandom(32), 0xC02F, os.urandom(48), True, created=time.time())
    with caplog.at_level(logging.WARNING, logger="tls12.sessions"):
        store.put(s.session_id, s)
        assert store.get(s.session_id) is None
        store.delete(s.session_id)
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
