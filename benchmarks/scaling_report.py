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
    if "tls12" in idle and "ssl" in idle:
        lines.extend(_idle_rows(idle))
        lines.append("")
    if out["load"]:
        lines.extend(_load_rows(out, clients, procs))
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


def _idle_rows(idle: dict[str, dict[str, Any]]) -> list[str]:
    n = idle["tls12"]["connections"]
    lines = [f"idle connections ({n} established, each after a handshake and one echo)"]
    lines.append(f"{'row':22} {'unit':16} {'tls12':>9} {'ssl':>9} {'tls12/ssl':>10}")
    t, s = idle["tls12"], idle["ssl"]
    lines.append(
        _row("idle-memory", "KiB/conn (RSS)", t["rss_per_connection"] / 1024,
             s["rss_per_connection"] / 1024)
    )  # fmt: skip
    if "heap_per_connection" in t:
        lines.append(
            _row("idle-memory.heap", "KiB/conn (heap)", t["heap_per_connection"] / 1024,
                 s["heap_per_connection"] / 1024)
        )  # fmt: skip
    if BEFORE in idle:
        b = idle[BEFORE]
        lines.append(
            _row("idle-memory.before", "KiB/conn (RSS)", b["rss_per_connection"] / 1024,
                 s["rss_per_connection"] / 1024)
        )  # fmt: skip
        if "heap_per_connection" in b:
            lines.append(
                _row("idle-memory.heap.before", "KiB/conn (heap)",
                     b["heap_per_connection"] / 1024, s["heap_per_connection"] / 1024)
            )  # fmt: skip
    return lines


LOAD_KEYS = ("rate", "p50_ms", "p99_ms", "server_cpu_ms")


def _load_rows(out: dict[str, Any], clients: int, procs: int) -> list[str]:
    load: dict[str, list[dict[str, Any]]] = {}
    for r in out["load"]:
        load.setdefault(r["impl"], []).append(r)
    med = {
        i: {k: statistics.median(r[k] for r in rows) for k in LOAD_KEYS} for i, rows in load.items()
    }
    lines = [
        f"{clients} concurrent clients in {procs} processes, {out['seconds']:g} s per "
        f"server per round, {out['rounds']} round(s), medians over rounds",
        f"{'row':22} {'unit':16} {'tls12':>9} {'ssl':>9} {'tls12/ssl':>10}",
    ]
    rows = [
        ("concurrent-50", "handshakes/s", "rate"),
        ("concurrent-50.p50", "ms", "p50_ms"),
        ("concurrent-50.p99", "ms", "p99_ms"),
        ("concurrent-50.cpu", "server ms/hs", "server_cpu_ms"),
    ]
    for impl, suffix in (("tls12", ""), (BEFORE, ".before")):
        if impl in med and "ssl" in med:
            for name, unit, key in rows:
                lines.append(_row(name + suffix, unit, med[impl][key], med["ssl"][key]))
    lines.append("rounds (handshakes/s, p50 / p99 ms, server CPU ms/hs; tls12/ssl rate):")
    for r in sorted({row.get("round", 1) for row in out["load"]}):
        ssl_rate = next(
            (x["rate"] for x in out["load"] if x.get("round", 1) == r and x["impl"] == "ssl"), 0
        )
        for x in out["load"]:
            if x.get("round", 1) == r:
                ratio = f"  {x['rate'] / ssl_rate:.2f}x" if ssl_rate and x["impl"] != "ssl" else ""
                lines.append(
                    f"  round {r} {x['impl']:13} {x['rate']:7.1f}  {x['p50_ms']:5.0f} / "
                    f"{x['p99_ms']:5.0f}  {x['server_cpu_ms']:5.2f}{ratio}"
                )
    errors = {i: sum(r["errors"] for r in rows_) for i, rows_ in load.items()}
    if any(errors.values()):
        lines.append(f"client errors: {errors}")
    return lines


def _row(name: str, unit: str, a: float, b: float) -> str:
    return f"{name:22} {unit:16} {a:9.1f} {b:9.1f} {a / b:9.2f}x"
