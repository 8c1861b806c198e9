#!/usr/bin/env python3
"""A/B of two tls12 source trees on the in-memory handshakes, interleaved in one run.

Each round runs one short child process per tree and workload (the trees alternate, and which
goes first alternates too), so a burst of other load on a shared machine falls on both alike.
Every child times CPU (``time.process_time``) inside the client's and the server's calls for a
batch of handshakes and reports the per-handshake cost; the parent prints medians and minima
over the rounds and the ratio B / A.

    git archive HEAD src | tar -x -C /tmp/base        # the "before" tree
    python benchmarks/ab_engine.py /tmp/base/src src --rounds 9

The last line per workload, ``calls``, is the number of Python (and C) function calls per
handshake, both sides together, counted with cProfile: it does not move with the machine's load.

Workloads: full-rsa, full-ecdsa (ECDHE, X25519), resume-id (tickets off), resume-ticket.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 10
WORKLOADS = ("full-rsa", "full-ecdsa", "resume-id", "resume-ticket")


def child(workload: str, count: int, material_dir: str) -> None:
    """Runs in the child: ``count`` handshakes of ``workload`` after a warm-up, as JSON."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.engine import Split, Tls12Pair
    from benchmarks.material import make_material
    from benchmarks.workloads import ECDHE_ECDSA_AES128, ECDHE_RSA_AES128, EngineWorkload

    suite = ECDHE_RSA_AES128 if workload != "full-ecdsa" else ECDHE_ECDSA_AES128
    resumption = {"resume-id": "id", "resume-ticket": "ticket"}.get(workload)
    kind = "resume" if resumption else "full"
    material, _ = make_material(material_dir)
    pair = Tls12Pair(EngineWorkload(workload, workload, kind, suite, resumption), material)
    session = pair.first_session() if resumption else None
    for _ in range(20):
        pair.handshake(Split(), session)
    # Python function calls (and C calls) per handshake, both sides: a count, so free of the
    # machine's noise; a proxy for the protocol work in Python.
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        pair.handshake(Split(), session)
    profiler.disable()
    calls = sum(v[1] for v in pstats.Stats(profiler).stats.values()) / 10  # type: ignore[attr-defined]
    # Many short batches and their minimum: on a shared machine a batch that ran undisturbed
    # is the estimate of the code's own cost; the median is printed beside it.
    samples = []
    for _ in range(max(count // BATCH, 3)):
        split = Split()
        for _ in range(BATCH):
            pair.handshake(split, session)
        samples.append((split.client / BATCH * 1e6, split.server / BATCH * 1e6))
    client = min(s[0] for s in samples)
    server = min(s[1] for s in samples)
    print(json.dumps({"client": client, "server": server, "calls": calls}))


def run_child(src: str, workload: str, count: int, material_dir: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run(
        [sys.executable, __file__, "--child", workload, "--count", str(count), material_dir],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", help="two src directories: A (before) and B (after)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=200, help="handshakes per child")
    parser.add_argument("--only", action="append", choices=WORKLOADS)
    parser.add_argument("--child", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.count, args.trees[0])
        return 0
    if len(args.trees) != 2:
        parser.error("give two src directories, A then B")
    a, b = (str(Path(t).resolve()) for t in args.trees)
    workloads = args.only or list(WORKLOADS)
    load0 = os.getloadavg()[0]
    results: dict[str, dict[str, list[dict[str, float]]]] = {
        w: {"A": [], "B": []} for w in workloads
    }
    with tempfile.TemporaryDirectory(prefix="tls12-ab-") as material_dir:
        for r in range(args.rounds):
            for w in workloads:
                order = (("A", a), ("B", b)) if r % 2 == 0 else (("B", b), ("A", a))
                for label, src in order:
                    results[w][label].append(run_child(src, w, args.count, material_dir))
    load1 = os.getloadavg()[0]
    print(f"A = {a}\nB = {b}")
    print(
        f"{args.rounds} rounds x {args.count} handshakes per child; CPU us per handshake, "
        f"each child's fastest batch of {BATCH}; median and minimum of those over the rounds"
    )
    print(f"load average (1 min) at start {load0:.2f}, at end {load1:.2f}\n")
    print(
        f"{'workload':14} {'side':6} {'A med':>8} {'B med':>8} {'B/A':>6} {'A min':>8} "
        f"{'B min':>8} {'B/A':>6}"
    )
    for w in workloads:
        for side in ("client", "server", "calls"):
            va = [s[side] for s in results[w]["A"]]
            vb = [s[side] for s in results[w]["B"]]
            ma, mb = statistics.median(va), statistics.median(vb)
            print(
                f"{w:14} {side:6} {ma:8.1f} {mb:8.1f} {mb / ma:6.3f} {min(va):8.1f} "
                f"{min(vb):8.1f} {min(vb) / min(va):6.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
