"""``python -m benchmarks [--quick] [--json F] [--only PREFIX] [--no-tlslite] [--quiet]``, from the
root of a checkout (``make bench`` runs it): tls12 against Python's ssl module (and tlslite-ng
when installed), on loopback and in memory, with a table of medians and the ratio tls12 / ssl.

The benchmark is development tooling, not part of the installed package; it imports tls12 from
the environment (``make bench`` uses the checkout's .venv, where tls12 is installed editable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks import main as run_benchmark
from benchmarks.workloads import ENGINE_WORKLOADS, SOCKET_WORKLOADS


def build_parser() -> argparse.ArgumentParser:
    names = ", ".join(w.name for w in (*SOCKET_WORKLOADS, *ENGINE_WORKLOADS))
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=f"Benchmark tls12 against Python's ssl module. Workloads: {names}.",
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
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_benchmark(
        quick=args.quick,
        json_path=args.json,
        only=args.only,
        skip=("tlslite",) if args.no_tlslite else (),
        progress=not args.quiet,
    )


if __name__ == "__main__":
    sys.exit(main())
