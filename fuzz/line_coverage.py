"""Line coverage of tls12 when a harness replays a set of inputs (needs coverage.py).

    .venv/bin/python -m fuzz.line_coverage fuzz_server_engine fuzz/corpus/fuzz_server_engine [...]

Prints the statement coverage of the package areas the harness is about; used for the run
record in fuzz/README.md (seed corpus alone, then seed corpus plus what a run found).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

AREAS = {
    "fuzz_record_layer": ("record",),
    "fuzz_messages": ("messages", "wire"),
    "fuzz_client_engine": ("connection.py", "handshake", "record", "messages", "crypto"),
    "fuzz_server_engine": ("connection.py", "handshake", "record", "messages", "crypto"),
}


def main(argv: list[str]) -> int:
    import coverage

    harness, dirs = argv[0], [Path(d) for d in argv[1:]]
    src = Path(__file__).resolve().parents[1] / "src" / "tls12"
    cov = coverage.Coverage(source=[str(src)], branch=False, data_file=None)
    cov.start()
    module = importlib.import_module(f"fuzz.{harness}")
    files = [p for d in dirs for p in sorted(d.iterdir()) if p.is_file()]
    for path in files:
        try:
            module.test_one_input(path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - a known finding; coverage still counts
            print(f"{path.name}: {type(exc).__name__}", file=sys.stderr)
    cov.stop()
    total_run = total_stmts = 0
    for area in AREAS[harness]:
        paths = [src / area] if area.endswith(".py") else sorted((src / area).glob("*.py"))
        run = stmts = 0
        for path in paths:
            _, statements, _, missing, _ = cov.analysis2(str(path))
            stmts += len(statements)
            run += len(statements) - len(missing)
        total_run += run
        total_stmts += stmts
        print(f"  {area:<14} {run:>5}/{stmts:<5} {100 * run / max(stmts, 1):5.1f}%")
    print(f"{harness}: {len(files)} inputs, {total_run}/{total_stmts} statements "
          f"({100 * total_run / max(total_stmts, 1):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
