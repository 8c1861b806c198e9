"""The record size options of ``tls12 client`` and ``tls12 server``: ``--maxfraglen``
(``openssl s_client -maxfraglen``, RFC 6066 §4) and ``--record-size-limit`` (RFC 8449), and
the line that reports what was negotiated."""

from __future__ import annotations

import argparse
from typing import Any

from tls12.errors import ConfigError
from tls12.events import Negotiated
from tls12.record.limits import check_max_fragment_length, check_record_size_limit


def _whole_number(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def add_options(p: argparse.ArgumentParser, *, client: bool) -> None:
    if client:
        p.add_argument(
            "--maxfraglen",
            metavar="N",
            type=_whole_number,
            help="ask for RFC 6066 max_fragment_length N (512, 1024, 2048 or 4096): records "
            "both ways carry at most N bytes once the server agrees",
        )
    else:
        p.add_argument(
            "--max-send-fragment",
            metavar="N",
            type=_whole_number,
            help="send records of at most N plaintext bytes (512, 1024, 2048 or 4096); a "
            "client's max_fragment_length request is honoured either way",
        )
    p.add_argument(
        "--record-size-limit",
        metavar="N",
        type=_whole_number,
        help="RFC 8449: accept protected records of at most N plaintext bytes (64..16384)"
        + ("" if client else "; told to clients that offer record_size_limit"),
    )


def config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The config fields for the options given, checked with the option's name."""
    kw: dict[str, Any] = {}
    if hasattr(args, "maxfraglen"):
        flag, length = "--maxfraglen", args.maxfraglen
    else:
        flag, length = "--max-send-fragment", args.max_send_fragment
    try:
        check_max_fragment_length(length)
    except ConfigError as exc:
        raise ConfigError(f"{flag}: {exc}") from None
    try:
        check_record_size_limit(args.record_size_limit)
    except ConfigError as exc:
        raise ConfigError(f"--record-size-limit: {exc}") from None
    if length is not None:
        kw["max_fragment_length"] = length
    if args.record_size_limit is not None:
        kw["record_size_limit"] = args.record_size_limit
    return kw


def describe(n: Negotiated) -> str | None:
    """``Record sizes: ...`` when anything limits them, else None."""
    parts = []
    if n.max_fragment_length is not None:
        parts.append(f"max_fragment_length {n.max_fragment_length}")
    if n.record_size_limit is not None:
        parts.append(f"peer's record_size_limit {n.record_size_limit}")
    if not parts and n.send_limit == n.receive_limit == 16384:
        return None
    parts.append(f"send <= {n.send_limit}, receive <= {n.receive_limit} bytes per record")
    return "Record sizes: " + ", ".join(parts)
