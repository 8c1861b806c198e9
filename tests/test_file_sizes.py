"""No source file in src/tls12 past 500 lines: a file that long has more than one job and must
be split (the house rule; config.py was split at 499)."""

from __future__ import annotations

from pathlib import Path

import tls12

ROOT = Path(tls12.__file__).parent
MAX_LINES = 500


def test_no_source_file_is_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in ROOT.rglob("*.py")
    }
    assert len(sizes) > 50  # the package was found
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
