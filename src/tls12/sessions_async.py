"""The session store for an event loop: Redis through ``redis.asyncio``, never blocking.

The engine is sans-I/O and asks its ``ServerSessionStore`` synchronously from inside the
handshake, so an asyncio server cannot let it reach the network. Instead
(``tls12.io.aio_sessions``) the server awaits ``AsyncSessionStore.get`` for the session ID of a
ClientHello before it feeds the engine, and hands new sessions to ``AsyncSessionStore.put``
from a background task. Each call here is bounded by the timeout (milliseconds) and backs off
after a failure, exactly as the blocking ``RedisSessionStore`` does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from tls12.errors import DecodeError
from tls12.redis_clients import DEFAULT_TIMEOUT_MS, Backoff, make_client
from tls12.sessions import Clock, Session

log = logging.getLogger("tls12.sessions")

DEFAULT_PREFIX = "tls12:session:"


def session_ttl(session: Session, now: float) -> int:
    """Whole seconds the session has left (what Redis keeps it for)."""
    return int(session.created + session.lifetime - now)


def decode_entry(data: bytes | None, now: float) -> Session | None:
    """A stored entry back into a live session; garbage and expired entries are misses."""
    if data is None:
        return None
    try:
        session = Session.from_bytes(data)
    except DecodeError:
        return None
    return None if session.expired(now) else session


class AsyncSessionStore(Protocol):
    """Sessions by ID for an event loop. Must never raise for a missing or unreachable entry
    and must return within its own bounded time."""

    async def get(self, session_id: bytes) -> Session | None: ...

    async def put_many(self, items: list[tuple[bytes, Session | None]]) -> None:
        """Stores each (id, session); a None session deletes the id."""
        ...


class AsyncRedisSessionStore:
    """``AsyncSessionStore`` on Redis. The client is made on first use, on the running loop
    (a redis.asyncio client belongs to one loop)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        prefix: str = DEFAULT_PREFIX,
        clock: Clock = time.time,
        retry_after: float = 0.5,
    ) -> None:
        make_client(url, timeout_ms=timeout_ms, asyncio=True)  # refuse a bad URL now
        self.url = url
        self.timeout_ms = timeout_ms
        self.prefix = prefix
        self._clock = clock
        self.backoff = Backoff(base=retry_after)
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> AsyncRedisSessionStore:
        return cls(url, **kwargs)

    def _redis(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = make_client(self.url, timeout_ms=self.timeout_ms, asyncio=True)
            self._loop = loop
        return self._client

    def _key(self, session_id: bytes) -> str:
        return self.prefix + session_id.hex()

    def _trouble(self, action: str, exc: BaseException) -> None:
        if self.backoff.failed():
            log.warning(
                "Redis session store unreachable (%s: %s); falling back to full handshakes",
                action,
                exc or type(exc).__name__,
            )

    def _ok(self) -> None:
        if self.backoff.succeeded():
            log.warning("Redis session store reachable again")

    async def _bounded(self, action: str, call: Any) -> tuple[bool, Any]:
        """Runs one Redis call under the hard time bound; (ok, result)."""
        import redis

        try:
            async with asyncio.timeout(self.timeout_ms / 1000):
                result = await call()
        except (redis.RedisError, OSError, TimeoutError) as exc:
            self._trouble(action, exc)
            return False, None
        self._ok()
        return True, result

    async def get(self, session_id: bytes) -> Session | None:
        if self.backoff.resting():
            return None
        client = self._redis()
        ok, data = await self._bounded("get", lambda: client.get(self._key(session_id)))
        return decode_entry(data, self._clock()) if ok else None

    async def put_many(self, items: list[tuple[bytes, Session | None]]) -> None:
        """One round trip (a pipeline) for the whole batch."""
        if self.backoff.resting() or not items:
            return
        client = self._redis()
        now = self._clock()
        pipe = client.pipeline(transaction=False)
        queued = 0
        for session_id, session in items:
            if session is None:
                pipe.delete(self._key(session_id))
                queued += 1
                continue
            ttl = session_ttl(session, now)
            if ttl > 0:
                pipe.set(self._key(session_id), session.to_bytes(), ex=ttl)
                queued += 1
        if queued:
            await self._bounded("put", pipe.execute)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
