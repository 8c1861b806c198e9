"""Real deployments of Redis through redis-py's own classes: TLS (``rediss://``), a unix
socket, Sentinel and Cluster, each against a real ``redis-server`` in that mode. The session
store (blocking and asyncio) and the ticket key ring work the same on every one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis_support import redis_cluster, redis_sentinel, redis_tls, redis_unix, tls12_server
from test_fleet_tickets import handshake

from tls12.errors import ConfigError
from tls12.redis_clients import make_client
from tls12.sessions import Session
from tls12.sessions_async import AsyncRedisSessionStore
from tls12.sessions_redis import RedisSessionStore
from tls12.ticket_ring import RedisTicketKeyStore, RingPolicy

DEPLOYMENTS: dict[str, Callable[[Path], contextlib.AbstractContextManager[str]]] = {
    "rediss": redis_tls,
    "unix": redis_unix,
    "sentinel": redis_sentinel,
    "cluster": redis_cluster,
}


def session() -> Session:
    return Session(os.urandom(32), 0xC02F, os.urandom(48), True, created=int(time.time()))


@pytest.fixture(params=list(DEPLOYMENTS))
def redis_url(request, tmp_path) -> Iterator[str]:
    with DEPLOYMENTS[request.param](tmp_path) as url:
        yield url


def test_session_store_blocking_and_async(redis_url):
    store = RedisSessionStore.from_url(redis_url, timeout_ms=2000)
    s = session()
    store.put(s.session_id, s)
    assert store.get(s.session_id) == s
    assert store.backoff.healthy

    async def via_asyncio() -> None:
        twin = store.to_async()
        assert isinstance(twin, AsyncRedisSessionStore)
        assert await twin.get(s.session_id) == s, "written blocking, read async"
        other = session()
        await twin.put_many([(other.session_id, other), (s.session_id, None)])
        assert await twin.get(other.session_id) == other
        assert await twin.get(s.session_id) is None, "None in a batch deletes"
        assert twin.backoff.healthy
        await twin.aclose()

    asyncio.run(via_asyncio())


def test_ticket_ring_rotate_and_revoke(redis_url):
    store = RedisTicketKeyStore.from_url(redis_url, timeout_ms=2000)
    policy = RingPolicy()
    first = store.rotate(policy)[0]
    second = store.rotate(policy)[0]
    assert [k.name for k in store.load()] == [second.name, first.name]
    assert store.revoke(first.name, policy)
    assert [k.name for k in store.load()] == [second.name]


def test_fleet_over_tls_to_redis(tmp_path):
    with redis_tls(tmp_path) as url:
        shared = ("--session-store", url, "--ticket-keys", url, "--redis-timeout", "2000")
        with tls12_server(tmp_path, *shared) as (a, _), tls12_server(tmp_path, *shared) as (b, _):
            _, ticket = handshake(a)
            assert handshake(b, ticket)[0], "ticket keys shared over rediss://"


@pytest.mark.parametrize(
    "url, words",
    [
        ("redis+sentinel://127.0.0.1/tls12", "is not HOST:PORT"),
        ("redis+sentinel://127.0.0.1:26379", "ends in /SERVICE"),
        ("memcached://127.0.0.1:11211", "takes a Redis URL"),
        ("redis://127.0.0.1:notaport/0", "bad Redis URL"),
    ],
)
def test_misconfigured_urls_are_clear_errors(url, words):
    with pytest.raises(ConfigError, match=words):
        make_client(url)
