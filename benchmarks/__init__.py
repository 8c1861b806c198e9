"""The benchmark (``make bench``, ``python -m benchmarks``): tls12 against Python's ``ssl``
(OpenSSL) and, when installed, tlslite-ng.

Socket workloads run the client here and the server in another process, over loopback;
engine workloads run both engines in this process with no sockets, beside the cost of the
bare cryptography. ``runner.run`` does the work, ``report.render`` prints it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from benchmarks import report, runner
from benchmarks.workloads import FULL, QUICK


def main(
    quick: bool = False,
    json_path: str | None = None,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    progress: bool = True,
) -> int:
    """Runs the benchmark, prints the table; 1 if tls12 or ssl has no number somewhere."""

    def show(line: str) -> None:
        if progress:
            print(line, file=sys.stderr, flush=True)

    result = runner.run(QUICK if quick else FULL, list(only or []), tuple(skip), show)
    print(report.render(result), flush=True)
    if json_path:
        report.write_json(result, json_path)
    return 1 if result.failed() else 0
