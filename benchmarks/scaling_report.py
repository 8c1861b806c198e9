"""The text report of benchmarks/scaling.py: idle memory per connection and the concurrent
load rows, tls12 beside asyncio + ssl, from the run's results."""

from __future__ import annotations

import statistics
from typing import Any

IMPLS = ("tls12", "ssl")
BEFORE = "tls12-before"


def report(out: dict[str, Any], clients: int, procs: int) -> str:
    lines = [
        f"asyncio servers on 127.0.0.1, TLS 1.2, ECDHE-{out['key'].upper()} "
        f"(clients: Python ssl in other processes); fd soft limit {out['fd_soft_limit']}",
        f"load average (1 min) at start {out['loadavg'][0]:.2f}, at end {out['loadavg'][1]:.2f}",
        "",
    ]
    idle = {r["impl"]: r for r in out["idle"]}
    n = idle["tls12"]["connections"]
    lines.append(f"idle connections ({n} established, each after a handshake and one echo)")
    lines.append(f"{'row':22} {'unit':16} {'tls12':>9} {'ssl':>9} {'tls12/ssl':>10}")
    t, s = idle["tls12"], idle["ssl"]
    lines.append(
        _row(
            "idle-memory",
            "KiB/conn (RSS)",
            t["rss_per_connection"] / 1024,
            s["rss_per_connection"] / 1024,
        )
    )
    if "heap_per_connection" in t:
        lines.append(
            _row(
                "idle-memory.heap",
                "KiB/conn (heap)",
                t["heap_per_connection"] / 1024,
                s["heap_per_connection"] / 1024,
            )
        )
    if BEFORE in idle:
        b = idle[BEFORE]
        lines.append(
            _row(
                "idle-memory.before",
                "KiB/conn (RSS)",
                b["rss_per_connection"] / 1024,
                s["rss_per_connection"] / 1024,
            )
        )
        if "heap_per_connection" in b:
            lines.append(
                _row(
                    "idle-memory.heap.before",
                    "KiB/conn (heap)",
                    b["heap_per_connection"] / 1024,
                    s["heap_per_connection"] / 1024,
                )
            )
    lines.append("")
    load: dict[str, list[dict[str, Any]]] = {i: [] for i in IMPLS}
    for r in out["load"]:
        load[r["impl"]].append(r)
    med = {
        i: {
            k: statistics.median(r[k] for r in load[i])
            for k in ("rate", "p50_ms", "p99_ms", "server_cpu_ms")
        }
        for i in IMPLS
    }
    lines.append(
        f"{clients} concurrent clients in {procs} processes, {out['seconds']:g} s per "
        f"server per round, {out['rounds']} round(s), medians over rounds"
    )
    lines.append(f"{'row':22} {'unit':16} {'tls12':>9} {'ssl':>9} {'tls12/ssl':>10}")
    lines.append(_row("concurrent-50", "handshakes/s", med["tls12"]["rate"], med["ssl"]["rate"]))
    lines.append(_row("concurrent-50.p50", "ms", med["tls12"]["p50_ms"], med["ssl"]["p50_ms"]))
    lines.append(_row("concurrent-50.p99", "ms", med["tls12"]["p99_ms"], med["ssl"]["p99_ms"]))
    lines.append(
        _row(
            "concurrent-50.cpu",
            "server ms/hs",
            med["tls12"]["server_cpu_ms"],
            med["ssl"]["server_cpu_ms"],
        )
    )
    errors = {i: sum(r["errors"] for r in load[i]) for i in IMPLS}
    if any(errors.values()):
        lines.append(f"client errors: {errors}")
    for impl in ("tls12", BEFORE):
        if impl in idle and idle[impl].get("top"):
            lines.append("")
            lines.append(
                f"{impl}: Python heap per idle connection, by allocation site (tracemalloc)"
            )
            traced = idle[impl]["traced_connections"]
            for row in idle[impl]["top"]:
                lines.append(
                    f"  {row['bytes'] / traced:9.0f} B  {row['count'] / traced:5.1f} blocks  "
                    f"{row['where']}"
                )
    return "\n".join(lines)


def _row(name: str, unit: str, a: float, b: float) -> str:
    return f"{name:22} {unit:16} {a:9.1f} {b:9.1f} {a / b:9.2f}x"
