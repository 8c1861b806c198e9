"""Loops bounded in count and in time, and the statistics the report shows (medians)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

MIN_BATCHES = 3
"""A loop cut short by its deadline still gives a median of at least this many batches."""


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def per_batch(seconds: float, estimate: float, max_count: int) -> int:
    """How many operations of ``estimate`` seconds fill a batch of ``seconds`` (at least 1)."""
    if estimate <= 0:
        return max_count
    return max(1, min(max_count, int(seconds / estimate)))


def sample(
    op: Callable[[], object],
    *,
    batches: int,
    batch_seconds: float,
    max_per_batch: int,
    warmup: int = 1,
    clock: Callable[[], float] = time.process_time,
) -> list[float]:
    """Seconds per call of ``op``, one value per batch.

    A few untimed calls first (``warmup``), then the first timed call sizes the batches so
    that each lasts about ``batch_seconds``; at most ``max_per_batch`` calls per batch. No new
    batch starts (after the first ``MIN_BATCHES``) once twice the planned time has passed.
    The default clock is this process's CPU time, which other load on the machine disturbs
    less than the wall clock does.
    """
    for _ in range(warmup):
        op()
    start = clock()
    op()
    count = per_batch(batch_seconds, clock() - start, max_per_batch)
    deadline = Deadline(2 * batches * batch_seconds + 1)
    results = []
    for b in range(batches):
        if b >= MIN_BATCHES and deadline.passed:
            break
        start = clock()
        for _ in range(count):
            op()
        results.append((clock() - start) / count)
    return results


class Deadline:
    """A point in time after which a loop stops starting new work."""

    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    @property
    def passed(self) -> bool:
        return time.perf_counter() >= self.end
