#!/usr/bin/env python3
"""The benchmark, from a checkout: ``python benchmarks/run.py [--quick] [--json F] ...``.

The same code as ``tls12 bench`` (``src/tls12/bench``), with the same options.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tls12.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
