"""Redis clients for the session store and the ticket key ring, built from one URL.

Every client made here has the same two promises: each call is bounded by ``timeout_ms``
(connect and read alike), and redis-py's own retries are off (its default retries a timeout
three times with back-off, which would turn a 100 ms bound into seconds). Our callers back off
themselves (``Backoff``), so an unreachable Redis costs one timeout per back-off period.

URLs, all through redis-py's own classes:
``redis://[user:pass@]host:port/db``, ``rediss://...`` (TLS to Redis; ``ssl_ca_certs``,
``ssl_certfile``, ``ssl_keyfile`` and ``ssl_cert_reqs`` as query parameters, as redis-py reads
them), ``unix:///path/to/redis.sock?db=0``,
``redis+sentinel://host:port[,host:port...]/SERVICE[/db]`` (Redis Sentinel: the master of
SERVICE), ``redis+cluster://host:port`` (Redis Cluster, discovered from that node).
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from tls12.errors import ConfigError

DEFAULT_TIMEOUT_MS = 100
SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://", "redis+cluster://")


def _redis() -> Any:
    """redis-py and the submodules used here (an optional dependency: imported on use)."""
    try:
        import redis
        import redis.asyncio
        import redis.asyncio.cluster
        import redis.asyncio.retry
        import redis.asyncio.sentinel
        import redis.backoff
        import redis.cluster
        import redis.retry
        import redis.sentinel
    except ImportError:
        raise ConfigError(
            "Redis support needs the redis package: pip install 'tls12[redis]'"
        ) from None
    return redis


def check_url(url: str, what: str) -> None:
    """Refuses a URL we cannot honour, naming the option it came from."""
    if not url.startswith(SCHEMES):
        raise ConfigError(f"{what} takes a Redis URL ({', '.join(SCHEMES)}), not {url!r}")
    if url.startswith("redis+sentinel://"):
        _sentinel_parts(url, what)


def _sentinel_parts(url: str, what: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    parts = urlsplit(url)
    hosts: list[tuple[str, int]] = []
    netloc = parts.netloc.rpartition("@")[2]
    password = unquote(parts.password) if parts.password else None
    for item in netloc.split(","):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"{what}: sentinel address {item!r} is not HOST:PORT")
        hosts.append((host, int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ConfigError(
            f"{what}: a sentinel URL ends in /SERVICE or /SERVICE/DB, not {parts.path!r}"
        )
    return hosts, path[0], int(path[1]) if len(path) == 2 else 0, password


def _common(timeout_ms: int, asyncio: bool) -> dict[str, Any]:
    if timeout_ms <= 0:
        raise ConfigError("the Redis timeout must be a positive number of milliseconds")
    redis = _redis()
    retry_class: Any = redis.asyncio.retry.Retry if asyncio else redis.retry.Retry
    no_backoff: Any = redis.backoff.NoBackoff

    seconds = timeout_ms / 1000
    return {
        "socket_timeout": seconds,
        "socket_connect_timeout": seconds,
        "retry": retry_class(no_backoff(), 0),
        "retry_on_error": [],
        # Nothing on connect before the first command (no HELLO 3, no CLIENT SETINFO), so a
        # new connection's first call costs one round trip, not two, inside the same bound.
        "protocol": 2,
        "driver_info": None,
    }


def make_client(url: str, *, timeout_ms: int = DEFAULT_TIMEOUT_MS, asyncio: bool = False) -> Any:
    """A redis-py client (``redis.asyncio`` with ``asyncio=True``) for ``url``."""
    check_url(url, "Redis URL")
    kw = _common(timeout_ms, asyncio)
    redis = _redis()
    try:
        if url.startswith("redis+sentinel://"):
            hosts, service, db, password = _sentinel_parts(url, "Redis URL")
            sentinel_class: Any = (
                redis.asyncio.sentinel.Sentinel if asyncio else redis.sentinel.Sentinel
            )
            sentinel = sentinel_class(hosts, sentinel_kwargs=dict(kw), **kw)
            return sentinel.master_for(service, db=db, password=password, **kw)
        if url.startswith("redis+cluster://"):
            plain = "redis://" + url[len("redis+cluster://") :]
            kw.pop("retry_on_error")
            cluster_class: Any = (
                redis.asyncio.cluster.RedisCluster if asyncio else redis.cluster.RedisCluster
            )
            return cluster_class.from_url(plain, **kw)
        client_class: Any = redis.asyncio.Redis if asyncio else redis.Redis
        return client_class.from_url(url, **kw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"bad Redis URL {url!r}: {exc}") from None


class Backoff:
    """When to ask Redis again after a failure: 0.5 s after the first, doubling to ``cap``,
    back to normal on the first success. Thread-safe; ``state`` says whether Redis is up."""

    def __init__(self, base: float = 0.5, cap: float = 30.0) -> None:
        self.base = base
        self.cap = cap
        self.healthy = True
        self._delay = 0.0
        self._until = 0.0
        self._lock = threading.Lock()

    def resting(self) -> bool:
        return time.monotonic() < self._until

    def failed(self) -> bool:
        """Records a failure; True when this is the first since Redis was last healthy."""
        with self._lock:
            first = self.healthy
            self.healthy = False
            self._delay = self.base if first else min(self.cap, max(self.base, self._delay * 2))
            self._until = time.monotonic() + self._delay
        return first

    def succeeded(self) -> bool:
        """Records a success; True when Redis had been unhealthy."""
        if self.healthy:
            return False
        with self._lock:
            was_down = not self.healthy
            self.healthy = True
            self._delay = 0.0
            self._until = 0.0
        return was_down
