"""The numbers a run produces: one ``Row`` per line of the report, JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

BASELINE = "ssl"
SUBJECT = "tls12"


@dataclass
class Row:
    """One measured quantity for every implementation (medians), in one unit."""

    section: str
    """"sockets" or "engine"."""
    id: str
    title: str
    unit: str
    higher_is_better: bool
    values: dict[str, float | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    floor: float | None = None
    """Engine rows: the bare cryptography's cost in the same unit."""
    floor_parts: dict[str, float] = field(default_factory=dict)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per implementation: the samples behind the median, counts, CPU splits."""

    def ratio(self, impl: str = SUBJECT, base: str = BASELINE) -> float | None:
        a, b = self.values.get(impl), self.values.get(base)
        if a is None or b is None or b == 0:
            return None
        return a / b

    @property
    def overhead(self) -> float | None:
        """Engine rows: tls12's cost beyond the bare cryptography."""
        value = self.values.get(SUBJECT)
        if value is None or self.floor is None:
            return None
        return value - self.floor

    @property
    def baseline_overhead(self) -> float | None:
        """Engine rows: OpenSSL's (``ssl``'s) cost beyond the same bare cryptography, the
        protocol work done in C: the limit tls12's overhead is measured against."""
        value = self.values.get(BASELINE)
        if value is None or self.floor is None:
            return None
        return value - self.floor

    def overhead_ratio(self) -> float | None:
        """tls12's protocol overhead over OpenSSL's (how far the Python protocol work is from
        the C one; 1.0x would be parity above the crypto both share)."""
        ours, theirs = self.overhead, self.baseline_overhead
        if ours is None or theirs is None or theirs <= 0:
            return None
        return ours / theirs

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio_tls12_ssl"] = self.ratio()
        d["overhead"] = self.overhead
        d["baseline_overhead"] = self.baseline_overhead
        d["overhead_ratio"] = self.overhead_ratio()
        return d


@dataclass
class Report:
    budget: str
    machine: dict[str, Any]
    peers: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0

    def failed(self, required: tuple[str, ...] = (SUBJECT, BASELINE)) -> list[str]:
        """Row ids where a required implementation has no number."""
        return [r.id for r in self.rows if any(r.values.get(p) is None for p in required)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget": self.budget,
            "seconds": self.seconds,
            "machine": self.machine,
            "peers": self.peers,
            "rows": [r.as_dict() for r in self.rows],
        }
