"""``python -m benchmarks --quick`` (``make bench``) runs end to end and prints every row with
both numbers and a ratio.

No timing assertions: only that each workload ran for tls12 and for ssl.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.workloads import ENGINE_WORKLOADS, SOCKET_WORKLOADS

ROOT = Path(__file__).resolve().parent.parent  # the checkout: benchmarks/ is not installed
NUMBER = r"\d[\d,]*(?:\.\d+)?"
# tls12, ssl, then the ratio: three numbers in a row, the last one ending in "x".
VALUES = re.compile(rf"(?<!\S)({NUMBER})\s+({NUMBER})\s+(\d+(?:\.\d+)?(?:e-?\d+)?)x(?!\S)")


def expected_rows() -> list[str]:
    rows = []
    for w in SOCKET_WORKLOADS:
        rows.append(w.name)
        if w.kind != "bulk":
            rows.append(f"{w.name}.cpu")
    rows += [w.name for w in ENGINE_WORKLOADS]
    return rows


def test_bench_quick_prints_every_row(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out_json)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for row in expected_rows():
        # The first line that starts with the row's name is its line in the main table (the
        # breakdowns below it repeat some names).
        found = [line for line in lines if line.startswith(row + " ")]
        assert found, f"row {row!r} missing in:\n{proc.stdout}"
        match = VALUES.search(found[0])
        assert match, f"row {row!r} lacks a tls12 number, an ssl number and a ratio: {found[0]!r}"
        tls12_value, ssl_value, ratio = (float(g.replace(",", "")) for g in match.groups())
        assert tls12_value > 0 and ssl_value > 0 and ratio > 0

    data = json.loads(out_json.read_text())
    by_id = {r["id"]: r for r in data["rows"]}
    assert set(expected_rows()) <= set(by_id)
    for row in expected_rows():
        values = by_id[row]["values"]
        assert values["tls12"] and values["ssl"], by_id[row]
    assert data["machine"]["cpus"] >= 1


def test_scaling_smoke_prints_both_rows_and_the_targets(tmp_path: Path) -> None:
    """benchmarks/scaling.py end to end at a tiny size (the real run is 1,000 idle
    connections and 50 clients), then benchmarks/targets.py over its JSON."""
    out_json = tmp_path / "scaling.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scaling",
            "--idle",
            "20",
            "--clients",
            "4",
            "--seconds",
            "1",
            "--rounds",
            "1",
            "--no-tracemalloc",
            "--quiet",
            "--json",
            str(out_json),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for row in ("idle-memory ", "concurrent-50 ", "concurrent-50.p99 ", "concurrent-50.cpu "):
        found = [line for line in proc.stdout.splitlines() if line.startswith(row)]
        assert found and VALUES.search(found[0]), f"{row!r} missing in:\n{proc.stdout}"
    data = json.loads(out_json.read_text())
    assert {r["impl"] for r in data["idle"]} == {"tls12", "ssl"}
    assert all(r["connections"] == 20 for r in data["idle"])
    assert all(r["handshakes"] > 0 for r in data["load"])
    bench_json = tmp_path / "bench.json"
    bench_json.write_text(json.dumps({"rows": [], "machine": {}}))
    targets = subprocess.run(
        [sys.executable, "-m", "benchmarks.targets", str(bench_json), str(out_json)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert targets.returncode == 0, targets.stderr
    lines = targets.stdout.splitlines()
    assert any("memory per idle connection" in line for line in lines)
    assert any("50 concurrent clients" in line for line in lines)
    # rows of the other benchmark are missing here: they must say so, never "met"
    assert any("full handshake rate" in line and "no number" in line for line in lines)
