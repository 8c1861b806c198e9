"""``tls12 ticket-keys``: look after the fleet's ticket key ring in Redis.

``list`` shows the keys (names and ages, never the keys), ``rotate`` makes a new current key
now (the old ones keep opening tickets for the lifetime), ``revoke NAME`` removes one key, so
that every server refuses its tickets within seconds (they fall back to full handshakes).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from tls12.cli.common import status
from tls12.errors import ConfigError
from tls12.redis_clients import DEFAULT_TIMEOUT_MS, check_url
from tls12.sessions import DEFAULT_LIFETIME
from tls12.ticket_ring import RedisTicketKeyStore, RingPolicy, read_kek
from tls12.tickets import NAME_LEN


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "ticket-keys",
        help="list, rotate or revoke the fleet's ticket keys in Redis",
        description="Manage the ticket key ring that `tls12 server --ticket-keys URL` shares.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("list", "show the keys' names and ages (never the keys)"),
        ("rotate", "make a new current key now"),
        ("revoke", "remove one key by name: its tickets stop resuming"),
    ):
        a = actions.add_parser(action, help=text, description=text)
        if action == "revoke":
            a.add_argument("name", help="the key name (32 hex digits)")
        a.add_argument("--redis", required=True, metavar="URL", help="the ring's Redis URL")
        a.add_argument("--kek", metavar="F", help="key-encryption key file, as the servers use")
        a.add_argument(
            "--session-lifetime",
            type=int,
            default=DEFAULT_LIFETIME,
            metavar="S",
            help="ticket lifetime the fleet uses: rotate keeps replaced keys this long",
        )
        a.add_argument("--redis-timeout", type=int, default=DEFAULT_TIMEOUT_MS, metavar="MS")
        a.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import redis

    check_url(args.redis, "--redis")
    kek = read_kek(args.kek) if args.kek else None
    store = RedisTicketKeyStore.from_url(args.redis, timeout_ms=args.redis_timeout, kek=kek)
    policy = RingPolicy(lifetime=float(args.session_lifetime))
    try:
        if args.action == "list":
            now = time.time()
            for i, key in enumerate(store.load()):
                role = "current" if i == 0 else "accepted"
                print(f"{key.name.hex()} {role} age {now - key.created:.0f} s")
        elif args.action == "rotate":
            keys = store.rotate(policy)
            print(keys[0].name.hex())
        else:
            try:
                name = bytes.fromhex(args.name)
            except ValueError:
                name = b""
            if len(name) != NAME_LEN:
                raise ConfigError(f"a ticket key name is {NAME_LEN * 2} hex digits")
            if not store.revoke(name, policy):
                raise ConfigError(f"no key named {args.name} in the ring")
            status(f"revoked {args.name}; servers drop it at their next refresh")
    except (redis.RedisError, OSError) as exc:
        raise ConfigError(f"Redis at {args.redis}: {exc}") from None
    return 0
