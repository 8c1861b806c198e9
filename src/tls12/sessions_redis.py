"""A session store shared by a fleet of servers, on Redis (redis-py), for blocking servers.

Entries expire by Redis TTL at the end of the session's lifetime. Redis trouble never fails a
connection: a lookup that cannot reach Redis is a miss (a full handshake), a store that cannot
reach it is skipped, and a warning is logged when Redis becomes unreachable (and once more when
it is back), not for every connection. After a failure Redis is left alone for a back-off
period (``redis_clients.Backoff``), so a dead Redis costs one timeout per period, not one per
handshake.

This store blocks its caller for up to its timeout. The asyncio server never calls it on the
event loop: it uses the twin from ``to_async()`` (``tls12.sessions_async``) instead.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from tls12.redis_clients import DEFAULT_TIMEOUT_MS, Backoff, make_client
from tls12.sessions import Clock, Session
from tls12.sessions_async import DEFAULT_PREFIX, AsyncRedisSessionStore, decode_entry, session_ttl

log = logging.getLogger("tls12.sessions")


class RedisSessionStore:
    """``ServerSessionStore`` on Redis. Build it from a URL or an existing redis client."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Clock = time.time,
        retry_after: float = 0.5,
        url: str | None = None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        self._redis = client
        self.prefix = prefix
        self._clock = clock
        self.backoff = Backoff(base=retry_after)
        """After a failure Redis is not asked again for ``retry_after`` seconds (doubling while
        it keeps failing, up to 30 s)."""
        self.url = url
        self.timeout_ms = timeout_ms

    @classmethod
    def from_url(
        cls, url: str, *, timeout_ms: int = DEFAULT_TIMEOUT_MS, **kwargs: Any
    ) -> RedisSessionStore:
        """Any URL of ``tls12.redis_clients``. Short timeouts: a slow Redis must not stall
        handshakes."""
        client = make_client(url, timeout_ms=timeout_ms)
        return cls(client, url=url, timeout_ms=timeout_ms, **kwargs)

    def to_async(self) -> AsyncRedisSessionStore | None:
        """The same store for an event loop (same URL, prefix, timeout); None when this one
        was built from a client object rather than a URL."""
        if self.url is None:
            return None
        return AsyncRedisSessionStore.from_url(
            self.url, timeout_ms=self.timeout_ms, prefix=self.prefix, clock=self._clock
        )

    def _key(self, session_id: bytes) -> str:
        return self.prefix + session_id.hex()

    def _trouble(self, action: str, exc: Exception) -> None:
        if self.backoff.failed():
            log.warning(
                "Redis session store unreachable (%s: %s); falling back to full handshakes",
                action,
                exc,
            )

    def _ok(self) -> None:
        if self.backoff.succeeded():
            log.warning("Redis session store reachable again")

    def get(self, session_id: bytes) -> Session | None:
        import redis

        if self.backoff.resting():
            return None
        try:
            data = self._redis.get(self._key(session_id))
        except (redis.RedisError, OSError) as exc:
            self._trouble("get", exc)
            return None
        self._ok()
        return decode_entry(data, self._clock())

    def put(self, session_id: bytes, session: Session) -> None:
        import redis

        ttl = session_ttl(session, self._clock())
        if ttl <= 0 or self.backoff.resting():
            return
        try:
            self._redis.set(self._key(session_id), session.to_bytes(), ex=ttl)
        except (redis.RedisError, OSError) as exc:
            self._trouble("put", exc)
            return
        self._ok()

    def delete(self, session_id: bytes) -> None:
        import redis

        if self.backoff.resting():
            return
        try:
            self._redis.delete(self._key(session_id))
        except (redis.RedisError, OSError) as exc:
            self._trouble("delete", exc)
