"""``tls12 bench``: gone from the package since 0.2.0; it says where the benchmark went.

The benchmark (tls12 against Python's ``ssl`` and tlslite-ng) is development tooling, so it
lives in ``benchmarks/`` of a checkout and runs with ``make bench``; the wheel no longer ships
it. The subcommand stays only to tell a user of 0.1.0 that, instead of "invalid choice".
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

MOVED = (
    "tls12 bench: the benchmark is no longer part of the installed package; in a checkout of "
    "tls12 run `make bench` (or `python -m benchmarks --quick`)"
)


def add_parser(sub: Any) -> None:
    # Every argument of the old command (--quick, --json F, ...) is taken as a plain word, so
    # the user sees where the benchmark went, not an argparse error about its options.
    p = sub.add_parser(
        "bench", help="moved: run `make bench` in a checkout", prefix_chars="\x00", add_help=False
    )
    p.add_argument("ignored", nargs="*", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print(MOVED, file=sys.stderr)
    return 2
