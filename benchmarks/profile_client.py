#!/usr/bin/env python3
"""Profile the client side of tls12's handshakes, and count its Python calls per handshake.

The client's scenarios that ``profile_engine.py`` does not have, built from its functions
(the same ``Setup``, ``handshakes`` and ``measured``; only the client's calls are profiled):

    client-full        full ECDHE-RSA handshakes (RSA-2048), in memory
    client-full-ecdsa  full ECDHE-ECDSA handshakes (P-256), in memory
    client-resume      ticket resumptions, in memory
    client-resume-id   session-ID resumptions (tickets off), in memory

    python benchmarks/profile_client.py client-full          # cProfile, top functions
    python benchmarks/profile_client.py --calls              # calls per handshake, all four
    py-spy record -r 1000 -f raw -o out.txt -- \\
        python benchmarks/profile_client.py client-full --no-cprofile
    python benchmarks/pyspy_summary.py out.txt

``--calls`` counts Python and C function calls per client handshake with cProfile over a
fixed number of handshakes after a warm-up: a count, which the machine's load does not move.

``--marked N`` runs N handshakes after the warm-up with each of the client's calls made
through ``functools.reduce`` (a C function nothing else here calls), so that valgrind counts
the instructions of the client's side alone, which no other load on the machine changes:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --toggle-collect=functools_reduce \\
        --callgrind-out-file=/dev/null \\
        python benchmarks/profile_client.py client-full --marked 20 2>&1 | grep Collected

(divide by N: instructions per client handshake; the garbage collector is off while
counting, and a fixed hash seed keeps dictionaries the same from run to run).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks import profile_engine  # noqa: E402
from benchmarks.workloads import ECDHE_ECDSA_AES128, ECDHE_RSA_AES128  # noqa: E402

SCENARIOS: dict[str, tuple[object, str | None]] = {
    "client-full": (ECDHE_RSA_AES128, None),
    "client-full-ecdsa": (ECDHE_ECDSA_AES128, None),
    "client-resume": (ECDHE_RSA_AES128, "ticket"),
    "client-resume-id": (ECDHE_RSA_AES128, "id"),
}


def scenario(name: str) -> Callable[[], int]:
    if name not in SCENARIOS:
        raise SystemExit(f"unknown scenario {name!r}; one of {', '.join(SCENARIOS)}")
    suite, resume = SCENARIOS[name]
    return profile_engine.handshakes(suite, resume, True)  # type: ignore[arg-type]


def calls_per_handshake(name: str, count: int = 20) -> float:
    """cProfile's count of calls made inside the client's calls, per handshake."""
    step = scenario(name)
    for _ in range(5):
        step()  # warm-up: per-configuration tables, imports
    profile_engine.PROFILER = cProfile.Profile()
    try:
        for _ in range(count):
            step()
        raw = pstats.Stats(profile_engine.PROFILER).stats  # type: ignore[attr-defined]
    finally:
        profile_engine.PROFILER = None
    return sum(v[1] for v in raw.values()) / count


def marked(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` called from inside ``functools.reduce``: valgrind's collection marker."""
    return functools.reduce(lambda _, f: f(*args), [fn], None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="client-full")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-cprofile", action="store_true", help="for py-spy: no cProfile")
    parser.add_argument("--calls", action="store_true", help="calls per handshake, every scenario")
    parser.add_argument("--marked", type=int, default=0, help="N handshakes for valgrind")
    args = parser.parse_args()
    if args.marked:
        step = scenario(args.scenario)
        for _ in range(5):
            step()
        # The collector would run at a different point in each tree's allocations, and a
        # full collection walks every object: off while counting (PYTHONHASHSEED=0 too).
        gc.collect()
        gc.disable()
        profile_engine.measured = marked  # type: ignore[assignment]
        for _ in range(args.marked):
            step()
        return 0
    if args.calls:
        for name in SCENARIOS:
            print(f"{name:18} {calls_per_handshake(name):8.1f} calls per client handshake")
        return 0
    step = scenario(args.scenario)
    step()
    if not args.no_cprofile:
        profile_engine.PROFILER = cProfile.Profile()
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        count += step()
    elapsed = time.perf_counter() - start
    print(f"{args.scenario}: {count} handshakes in {elapsed:.2f} s (wall, profiler included)")
    if profile_engine.PROFILER is not None:
        profile_engine.report(profile_engine.PROFILER, count, "handshake", args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
