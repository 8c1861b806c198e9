#!/usr/bin/env python3
"""The targets of issue 14, met or not, from one run's numbers.

``python -m benchmarks.targets BENCH.json SCALING.json`` reads what ``python -m benchmarks
--json BENCH.json`` and ``python -m benchmarks.scaling --json SCALING.json`` wrote and prints
one line per target: the goal, the measured ratio (tls12 / ssl, the same run), met or not.
``make bench`` runs all three. A row without a number says so (never "met").
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any


def _ratio(rows: dict[str, Any], row_id: str) -> float | None:
    row = rows.get(row_id)
    return None if row is None else row.get("ratio_tls12_ssl")


def targets(bench: dict[str, Any], scaling: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) per target; met is None when a number is missing."""
    rows = {r["id"]: r for r in bench.get("rows", [])}
    out: list[tuple[str, str, bool | None]] = []

    def check(goal: str, ids: list[str], ok: Any, fmt: str = "{:.2f}x") -> None:
        values = [_ratio(rows, i) for i in ids]
        shown = ", ".join(
            f"{i}: " + ("-" if v is None else fmt.format(v))
            for i, v in zip(ids, values, strict=True)
        )
        met = None if any(v is None for v in values) else all(ok(v) for v in values)
        out.append((goal, shown, met))

    check("full handshake rate >= 0.9x ssl", ["full-rsa", "full-ecdsa"], lambda v: v >= 0.9)
    check("resumed rate >= 0.9x ssl", ["resume-id", "resume-ticket"], lambda v: v >= 0.9)
    check(
        "server CPU per full handshake <= 1.2x ssl",
        ["full-rsa.cpu", "full-ecdsa.cpu"],
        lambda v: v <= 1.2,
    )
    check(
        "server CPU per resumed handshake <= 1.5x ssl",
        ["resume-id.cpu", "resume-ticket.cpu"],
        lambda v: v <= 1.5,
    )
    check(
        "bulk AES-128-GCM >= 1.0x ssl, both directions",
        ["bulk-aes128gcm-c2s", "bulk-aes128gcm-s2c"],
        lambda v: v >= 1.0,
    )
    check(
        "bulk ChaCha20-Poly1305 >= 1.0x ssl, both directions",
        ["bulk-chacha20-c2s", "bulk-chacha20-s2c"],
        lambda v: v >= 1.0,
    )
    idle = {r["impl"]: r for r in scaling.get("idle", [])}
    if "tls12" in idle and "ssl" in idle:
        t, s = idle["tls12"]["rss_per_connection"], idle["ssl"]["rss_per_connection"]
        n = idle["tls12"]["connections"]
        measured = f"{t / 1024:.1f} KiB vs {s / 1024:.1f} KiB RSS per connection ({t / s:.2f}x)"
        out.append((f"memory per idle connection ({n}) <= ssl's", measured, t <= s))
    else:
        out.append(("memory per idle connection <= ssl's", "-", None))
    load: dict[str, list[dict[str, Any]]] = {}
    for r in scaling.get("load", []):
        load.setdefault(r["impl"], []).append(r)
    if "tls12" in load and "ssl" in load:
        rate = {i: statistics.median(r["rate"] for r in load[i]) for i in ("tls12", "ssl")}
        p99 = {i: statistics.median(r["p99_ms"] for r in load[i]) for i in ("tls12", "ssl")}
        ratio = rate["tls12"] / rate["ssl"] if rate["ssl"] else 0.0
        measured = (
            f"{ratio:.2f}x ({rate['tls12']:.0f} vs {rate['ssl']:.0f} handshakes/s; "
            f"p99 {p99['tls12']:.0f} vs {p99['ssl']:.0f} ms)"
        )
        out.append(("50 concurrent clients: handshakes/s >= 0.9x ssl", measured, ratio >= 0.9))
    else:
        out.append(("50 concurrent clients: handshakes/s >= 0.9x ssl", "-", None))
    engine = [
        r for r in bench.get("rows", []) if r["id"].startswith(("engine-full", "engine-resume"))
    ]
    printed = all(
        r.get("overhead") is not None and r.get("baseline_overhead") is not None for r in engine
    )
    out.append(
        (
            "overhead above bare crypto printed beside ssl's (handshake rows)",
            f"{len(engine)} engine handshake rows",
            printed if engine else None,
        )
    )
    return out


def render(items: list[tuple[str, str, bool | None]], bench: dict[str, Any]) -> str:
    machine = bench.get("machine", {})
    lines = ["Targets of issue 14 (this run; ratios tls12 / ssl)"]
    start, end = machine.get("load_average_start"), machine.get("load_average_end")
    if start is not None:
        lines.append(f"load average (1 min) at the benchmark's start {start}, end {end}")
    width = max(len(g) for g, _, _ in items)
    for goal, measured, met in items:
        verdict = "no number" if met is None else ("met" if met else "NOT met")
        lines.append(f"  {goal:{width}}  {verdict:9}  {measured}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    bench, scaling = (json.loads(Path(a).read_text()) for a in args)
    print(render(targets(bench, scaling), bench))
    return 0


if __name__ == "__main__":
    sys.exit(main())
