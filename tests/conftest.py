"""Suite-wide settings.

Hypothesis' per-example deadline is a timing assertion: on a loaded 2-core machine (CI, or
pytest-xdist beside real peers) a correct example can take longer than 200 ms. Speed is
measured by the benchmarks, never asserted in tests, so the deadline is off everywhere.

Under CI (``CI`` set) the examples are derandomized: the run that gates a merge explores the
same examples every time, so it passes or fails on the code alone. A developer's `make test`
keeps exploring new examples each run, which is where new findings come from.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("tls12", deadline=None)
settings.register_profile("tls12-ci", deadline=None, derandomize=True)
settings.load_profile("tls12-ci" if os.environ.get("CI") else "tls12")
