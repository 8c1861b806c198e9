"""Suite-wide settings.

Hypothesis' per-example deadline is a timing assertion: on a loaded 2-core machine (CI, or
pytest-xdist beside real peers) a correct example can take longer than 200 ms. Speed is
measured by the benchmarks, never asserted in tests, so the deadline is off everywhere.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("tls12", deadline=None)
settings.load_profile("tls12")
