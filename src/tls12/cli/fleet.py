"""``tls12 server`` options for running as part of a fleet: the shared session store, the
ticket keys (a file re-read on change, or a ring in Redis), and the Redis timeout.

Kept apart from ``cli/server.py`` so the server command wires it in with a few lines.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Any

from tls12.cli.common import status
from tls12.config import ServerConfig
from tls12.errors import ConfigError
from tls12.redis_clients import DEFAULT_TIMEOUT_MS, check_url
from tls12.sessions import DEFAULT_LIFETIME
from tls12.sessions_redis import RedisSessionStore
from tls12.ticket_ring import (
    DerivedKeySchedule,
    RingPolicy,
    read_kek,
    redis_key_ring,
    watch_key_file,
)
from tls12.tickets import TicketKeys

URLS = "redis://, rediss://, unix://, redis+sentinel://, redis+cluster://"


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ticket-keys",
        metavar="F|URL",
        help="ticket keys shared by several servers: a file of '<name hex> <key hex>' lines "
        f"(re-read when it changes), or a Redis URL ({URLS}) holding a ring rotated "
        "automatically",
    )
    p.add_argument(
        "--ticket-kek",
        metavar="F",
        help="with --ticket-keys URL: file of 64 hex digits; the ring's keys are stored in "
        "Redis encrypted under it (every server of the fleet needs the same file)",
    )
    p.add_argument(
        "--ticket-rotate",
        type=float,
        metavar="S",
        help="with --ticket-keys URL: seconds a key seals tickets before the next one "
        "(default 3600)",
    )
    p.add_argument(
        "--session-lifetime",
        type=int,
        default=DEFAULT_LIFETIME,
        metavar="S",
        help=f"seconds a session (ID or ticket) may be resumed (default {DEFAULT_LIFETIME})",
    )
    p.add_argument(
        "--session-store",
        metavar="URL",
        help=f"share sessions by ID through Redis ({URLS})",
    )
    p.add_argument(
        "--redis-timeout",
        type=int,
        default=DEFAULT_TIMEOUT_MS,
        metavar="MS",
        help=f"bound on each Redis call, connect and read (default {DEFAULT_TIMEOUT_MS} ms)",
    )


def is_url(value: str) -> bool:
    return "://" in value


def ticket_keys(args: argparse.Namespace) -> TicketKeys | None:
    """The ring for ``--ticket-keys`` (its updater not started yet: see ``start_sources``)."""
    value = args.ticket_keys
    if args.redis_timeout <= 0:
        raise ConfigError("--redis-timeout must be a positive number of milliseconds")
    if args.session_lifetime <= 0:
        raise ConfigError("--session-lifetime must be a positive number of seconds")
    if not value:
        for name in ("ticket_kek", "ticket_rotate"):
            if getattr(args, name) is not None:
                raise ConfigError(f"--{name.replace('_', '-')} needs --ticket-keys URL")
        return None
    if not is_url(value):
        for name in ("ticket_kek", "ticket_rotate"):
            if getattr(args, name) is not None:
                raise ConfigError(
                    f"--{name.replace('_', '-')} applies to a ring in Redis, not a key file"
                )
        try:
            return watch_key_file(value, start=False)
        except ConfigError as exc:
            raise ConfigError(f"--ticket-keys: {exc}") from None
    check_url(value, "--ticket-keys")
    policy = RingPolicy(
        rotate_every=args.ticket_rotate if args.ticket_rotate is not None else 3600.0,
        lifetime=float(args.session_lifetime),
    )
    kek = read_kek(args.ticket_kek) if args.ticket_kek else None
    return redis_key_ring(value, policy=policy, kek=kek, timeout_ms=args.redis_timeout, start=False)


def session_store(args: argparse.Namespace) -> RedisSessionStore | None:
    if not args.session_store:
        return None
    check_url(args.session_store, "--session-store")
    return RedisSessionStore.from_url(args.session_store, timeout_ms=args.redis_timeout)


def config_options(args: argparse.Namespace) -> dict[str, Any]:
    """ServerConfig keywords for the fleet options."""
    kw: dict[str, Any] = {"session_lifetime": args.session_lifetime}
    if args.no_tickets:
        if args.ticket_keys:
            raise ConfigError("--ticket-keys and --no-tickets contradict each other")
        kw["session_tickets"] = False
    else:
        ring = ticket_keys(args)
        if ring is not None:
            kw["ticket_keys"] = ring
    store = session_store(args)
    if store is not None:
        kw["session_store"] = store
    return kw


def start_sources(config: Any) -> None:
    """Starts what keeps the ticket keys current, in the process that serves."""
    ring = getattr(config, "ticket_keys", None)
    if ring is not None and ring.source is not None:
        ring.source.start()


def for_workers(args: argparse.Namespace, config: ServerConfig) -> ServerConfig:
    """The config the workers of ``--workers N`` share. Without ``--ticket-keys`` their
    ticket keys come from one seed made here (``DerivedKeySchedule``), so every worker opens
    every worker's tickets and they rotate alike."""
    if config.session_tickets and not args.ticket_keys:
        schedule = DerivedKeySchedule(
            os.urandom(32), RingPolicy(rotate_every=12 * 3600.0, lifetime=config.session_lifetime)
        )
        config = dataclasses.replace(config, ticket_keys=schedule.ring)
    if not args.session_store:
        status(
            "tls12 server: --workers without --session-store: each worker has its own session "
            "cache, so resumption by session ID works only on the worker that made the session "
            "(tickets resume on every worker)"
        )
    return config
