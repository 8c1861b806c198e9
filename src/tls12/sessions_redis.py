"""A session store shared by a fleet of servers, on Redis (redis-py).

Entries expire by Redis TTL at the end of the session's lifetime. Redis trouble never fails a
connection: a lookup that cannot reach Redis is a miss (a full handshake), a store that cannot
reach it is skipped, and a warning is logged when Redis becomes unreachable (and once more when
it is back), not for every connection.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tls12.errors import ConfigError, DecodeError
from tls12.sessions import Clock, Session

log = logging.getLogger("tls12.sessions")


class RedisSessionStore:
    """``ServerSessionStore`` on Redis. Build it from a URL or an existing redis client."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "tls12:session:",
        clock: Clock = time.time,
        retry_after: float = 5.0,
    ) -> None:
        self._redis = client
        self.prefix = prefix
        self._clock = clock
        self.retry_after = retry_after
        """After a failure, Redis is not asked again for this many seconds, so an unreachable
        server costs one timeout, not one per handshake."""
        self._healthy = True
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 0.5, **kwargs: Any) -> RedisSessionStore:
        """``redis://host:port/db``. Short timeouts: a slow Redis must not stall handshakes."""
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "RedisSessionStore needs the redis package: pip install 'tls12[redis]'"
            ) from None
        try:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        except ValueError as exc:
            raise ConfigError(f"bad Redis URL {url!r}: {exc}") from None
        return cls(client, **kwargs)

    def _key(self, session_id: bytes) -> str:
        return self.prefix + session_id.hex()

    def _resting(self) -> bool:
        return time.monotonic() < self._down_until

    def _trouble(self, action: str, exc: Exception) -> None:
        with self._lock:
            was_healthy, self._healthy = self._healthy, False
            self._down_until = time.monotonic() + self.retry_after
        if was_healthy:
            log.warning(
                "Redis session store unreachable (%s: %s); falling back to full handshakes",
                action,
                exc,
            )

    def _ok(self) -> None:
        if not self._healthy:
            with self._lock:
                self._healthy = True
            log.warning("Redis session store reachable again")

    def get(self, session_id: bytes) -> Session | None:
        import redis

        if self._resting():
            return None
        try:
            data = self._redis.get(self._key(session_id))
        except (redis.RedisError, OSError) as exc:
            self._trouble("get", exc)
            return None
        self._ok()
        if data is None:
            return None
        try:
            session = Session.from_bytes(data)
        except DecodeError:
            return None
        return None if session.expired(self._clock()) else session

    def put(self, session_id: bytes, session: Session) -> None:
        import redis

        ttl = int(session.created + session.lifetime - self._clock())
        if ttl <= 0 or self._resting():
            return
        try:
            self._redis.set(self._key(session_id), session.to_bytes(), ex=ttl)
        except (redis.RedisError, OSError) as exc:
            self._trouble("put", exc)
            return
        self._ok()

    def delete(self, session_id: bytes) -> None:
        import redis

        if self._resting():
            return
        try:
            self._redis.delete(self._key(session_id))
        except (redis.RedisError, OSError) as exc:
            self._trouble("delete", exc)
