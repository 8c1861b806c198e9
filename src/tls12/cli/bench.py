"""``tls12 bench``: tls12 against Python's ssl (and tlslite-ng when installed), on loopback
and in memory, with a table of medians and the ratio tls12 / ssl."""

from __future__ import annotations

import argparse
from typing import Any

from tls12.bench.workloads import ENGINE_WORKLOADS, SOCKET_WORKLOADS


def add_parser(sub: Any) -> None:
    names = ", ".join(w.name for w in (*SOCKET_WORKLOADS, *ENGINE_WORKLOADS))
    p = sub.add_parser(
        "bench",
        help="benchmark tls12 against Python's ssl module (and tlslite-ng if installed)",
        description=f"Workloads: {names}.",
    )
    p.add_argument(
        "--quick", action="store_true", help="fewer iterations, 8 MiB bulk (under a minute)"
    )
    p.add_argument("--json", metavar="F", help="also write the numbers as JSON to F")
    p.add_argument(
        "--only",
        metavar="PREFIX",
        action="append",
        help="run only the workloads whose name starts with PREFIX (repeatable)",
    )
    p.add_argument(
        "--no-tlslite", action="store_true", help="leave tlslite-ng out even when installed"
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tls12.bench import main

    return main(
        quick=args.quick,
        json_path=args.json,
        only=args.only,
        skip=("tlslite",) if args.no_tlslite else (),
        progress=not args.quiet,
    )
