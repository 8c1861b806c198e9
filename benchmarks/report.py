"""The report: fixed-width tables for people, JSON for tools."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.results import BASELINE, SUBJECT, Report, Row

OPTIONAL = "tlslite"


def fmt(value: float | None) -> str:
    """About four significant digits, never scientific notation."""
    if value is None:
        return "error"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.1f}"
    if a >= 10:
        return f"{value:.2f}"
    if a >= 1:
        return f"{value:.3f}"
    return f"{value:.4f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def _table(header: list[str], lines: list[list[str]], left: int = 2) -> str:
    """Columns sized to fit; the first ``left`` columns flush left, the rest right."""
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            out.append(cell.ljust(width) if i < left else cell.rjust(width))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(line) for line in lines)])


def socket_table(rows: list[Row]) -> str:
    optional = any(OPTIONAL in r.values for r in rows)
    header = ["row", "what", "unit", SUBJECT, BASELINE, "tls12/ssl"]
    if optional:
        header += [OPTIONAL, "tlslite/ssl"]
    lines = []
    for r in rows:
        line = [r.id, r.title.strip(), r.unit]
        line += [fmt(r.values.get(SUBJECT)), fmt(r.values.get(BASELINE)), fmt_ratio(r.ratio())]
        if optional:
            if OPTIONAL in r.values:
                line += [fmt(r.values[OPTIONAL]), fmt_ratio(r.ratio(OPTIONAL))]
            else:
                line += ["-", "-"]
        lines.append(line)
    return _table(header, lines, left=3)


def _share(overhead: float | None, value: float | None) -> str:
    if overhead is None or not value:
        return "-"
    return f"{fmt(overhead)} ({overhead / value:.0%})"


def engine_table(rows: list[Row]) -> str:
    """Each row with the bare crypto both implementations share, and what each spends above
    it: tls12's protocol work in Python beside OpenSSL's in C (ssl - bare crypto)."""
    header = [
        "row",
        "unit",
        SUBJECT,
        BASELINE,
        "tls12/ssl",
        "bare crypto",
        "tls12 overhead",
        "ssl overhead",
        "overhead tls12/ssl",
    ]
    lines = []
    for r in rows:
        value = r.values.get(SUBJECT)
        lines.append(
            [
                r.id,
                r.unit,
                fmt(value),
                fmt(r.values.get(BASELINE)),
                fmt_ratio(r.ratio()),
                fmt(r.floor) if r.floor is not None else "-",
                _share(r.overhead, value),
                _share(r.baseline_overhead, r.values.get(BASELINE)),
                fmt_ratio(r.overhead_ratio()),
            ]
        )
    return _table(header, lines, left=2)


def floor_table(rows: list[Row]) -> str:
    lines = []
    for r in rows:
        for part, ms in r.floor_parts.items():
            lines.append([r.id, part, fmt(ms)])
    return _table(["row", "bare operation", "ms"], lines, left=2)


def split_table(rows: list[Row]) -> str:
    lines = []
    for r in rows:
        for peer in (SUBJECT, BASELINE):
            d = r.details.get(peer)
            if d:
                lines.append([r.id, peer, fmt(d["client_ms"]), fmt(d["server_ms"])])
    return _table(["row", "impl", "client ms", "server ms"], lines, left=2)


def render(report: Report) -> str:
    m = report.machine
    out = [
        f"tls12 benchmark ({report.budget} run, {report.seconds:.0f} s) on {m['cpus']} CPUs, "
        f"{m['cpu_model']}; Python {m['python']}, {m['openssl']}, "
        f"cryptography {m['cryptography']}",
        "peers: " + "; ".join(f"{k} = {v}" for k, v in report.peers.items()),
        f"load average (1 min) at start {m.get('load_average_start')}, "
        f"at end {m.get('load_average_end')}",
    ]
    socket_rows = [r for r in report.rows if r.section == "sockets"]
    engine_rows = [r for r in report.rows if r.section == "engine"]
    if socket_rows:
        out += [
            "",
            "Sockets: client and server in separate processes over 127.0.0.1, TLS 1.2 only;",
            "medians over batches (handshakes) or segments (bulk). MB/s = 10^6 bytes/s.",
            "",
            socket_table(socket_rows),
        ]
    if engine_rows:
        out += [
            "",
            "Engine alone: client and server in one process, bytes passed in memory (ssl:",
            "MemoryBIO). CPU time of both sides together; bare crypto = the operations the",
            "workload cannot avoid, timed alone; overhead = what each spends above it",
            "(tls12 - bare crypto, ssl - bare crypto): the protocol work, Python against C.",
            "",
            engine_table(engine_rows),
            "",
            split_table(engine_rows),
        ]
        if any(r.floor_parts for r in engine_rows):
            out += ["", floor_table([r for r in engine_rows if r.floor_parts])]
    notes = []
    for r in report.rows:
        for peer, error in r.errors.items():
            notes.append(f"{r.id} [{peer}]: {error}")
        for peer, d in r.details.items():
            if "note" in d:
                notes.append(f"{r.id} [{peer}]: {d['note']}")
    if notes:
        out += ["", "Notes:", *(f"  {n}" for n in notes)]
    return "\n".join(out)


def write_json(report: Report, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report.as_dict(), indent=2) + "\n")
