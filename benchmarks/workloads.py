"""What is measured: the socket workloads, the in-memory engine workloads, and the budgets
that bound every loop in count and in time (``--quick`` or the full run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Suite:
    """One cipher suite under the names each implementation knows it by."""

    iana: str
    openssl: str
    tlslite_cipher: str
    tlslite_kx: str
    key: str
    """The certificate key type the suite needs: "rsa" or "ecdsa"."""


ECDHE_RSA_AES128 = Suite(
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "aes128gcm",
    "ecdhe_rsa",
    "rsa",
)
ECDHE_ECDSA_AES128 = Suite(
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "aes128gcm",
    "ecdhe_ecdsa",
    "ecdsa",
)
ECDHE_ECDSA_CHACHA = Suite(
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "chacha20-poly1305",
    "ecdhe_ecdsa",
    "ecdsa",
)


@dataclass(frozen=True)
class Workload:
    """One socket workload: a kind of handshake, or a bulk transfer in one direction.

    ``kind`` is "full", "resume" or "bulk"; ``resumption`` is "id" or "ticket" (resume only);
    ``direction`` is "c2s" or "s2c" (bulk only). Instances are pickled to the server process.
    """

    name: str
    title: str
    kind: str
    suite: Suite
    resumption: str | None = None
    direction: str | None = None

    @property
    def tickets(self) -> bool:
        """Whether session tickets are on (both sides): off only to force session IDs."""
        return self.resumption != "id"


SOCKET_WORKLOADS: tuple[Workload, ...] = (
    Workload("full-rsa", "full handshake, ECDHE-RSA, RSA-2048", "full", ECDHE_RSA_AES128),
    Workload("full-ecdsa", "full handshake, ECDHE-ECDSA, P-256", "full", ECDHE_ECDSA_AES128),
    Workload(
        "resume-id", "resumed handshake, session ID", "resume", ECDHE_RSA_AES128, resumption="id"
    ),
    Workload(
        "resume-ticket",
        "resumed handshake, ticket",
        "resume",
        ECDHE_RSA_AES128,
        resumption="ticket",
    ),
    Workload(
        "bulk-aes128gcm-c2s",
        "bulk AES-128-GCM, client to server",
        "bulk",
        ECDHE_ECDSA_AES128,
        direction="c2s",
    ),
    Workload(
        "bulk-aes128gcm-s2c",
        "bulk AES-128-GCM, server to client",
        "bulk",
        ECDHE_ECDSA_AES128,
        direction="s2c",
    ),
    Workload(
        "bulk-chacha20-c2s",
        "bulk ChaCha20-Poly1305, client to server",
        "bulk",
        ECDHE_ECDSA_CHACHA,
        direction="c2s",
    ),
    Workload(
        "bulk-chacha20-s2c",
        "bulk ChaCha20-Poly1305, server to client",
        "bulk",
        ECDHE_ECDSA_CHACHA,
        direction="s2c",
    ),
)


@dataclass(frozen=True)
class EngineWorkload:
    """One in-memory workload: client and server engines in this process, no sockets."""

    name: str
    title: str
    kind: str
    """"full", "resume" (per handshake) or "bulk" (per MiB)."""
    suite: Suite
    resumption: str | None = None


ENGINE_WORKLOADS: tuple[EngineWorkload, ...] = (
    EngineWorkload(
        "engine-full-rsa", "engine: full handshake, ECDHE-RSA", "full", ECDHE_RSA_AES128
    ),
    EngineWorkload(
        "engine-full-ecdsa", "engine: full handshake, ECDHE-ECDSA", "full", ECDHE_ECDSA_AES128
    ),
    EngineWorkload(
        "engine-resume-ticket",
        "engine: resumed handshake, ticket",
        "resume",
        ECDHE_RSA_AES128,
        resumption="ticket",
    ),
    EngineWorkload(
        "engine-bulk-aes128gcm", "engine: 1 MiB, AES-128-GCM", "bulk", ECDHE_ECDSA_AES128
    ),
    EngineWorkload(
        "engine-bulk-chacha20", "engine: 1 MiB, ChaCha20-Poly1305", "bulk", ECDHE_ECDSA_CHACHA
    ),
)

CHUNK = 16 * 1024
"""Application writes are 16 KiB: one full TLS record each."""
MIB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """Bounds for every loop: counts and seconds. A loop stops at whichever comes first,
    after at least ``min_batches`` batches (or ``MIN_SEGMENTS`` bulk segments).

    Socket workloads run in ``rounds``: each round measures every implementation once, one
    after the other, so that a burst of other load on the machine hits them all alike. The
    counts and seconds below are per round; medians are taken over all rounds' batches.
    """

    name: str
    rounds: int
    warmup: int
    """Untimed handshakes before the timed batches (a resumption workload adds its first,
    full handshake to these)."""
    batches: int
    min_batches: int
    batch_seconds: float
    max_per_batch: int
    handshake_seconds: float
    """Stop starting batches once a socket handshake measurement has run this long."""
    bulk_bytes: int
    """Bytes per bulk workload and round (per direction and cipher), over one connection."""
    segment_bytes: int
    """A bulk transfer is timed in segments of at most this size (medians over segments)."""
    segment_seconds: float
    """A slow peer gets smaller segments, sized to take about this long."""
    bulk_seconds: float
    engine_batch_seconds: float
    engine_batches: int
    """Engine workloads alternate tls12 and ssl batch by batch."""


QUICK = Budget(
    name="quick",
    rounds=1,
    warmup=2,
    batches=3,
    min_batches=3,
    batch_seconds=0.2,
    max_per_batch=200,
    handshake_seconds=1.0,
    bulk_bytes=8 * MIB,
    segment_bytes=2 * MIB,
    segment_seconds=0.25,
    bulk_seconds=1.5,
    engine_batch_seconds=0.1,
    engine_batches=3,
)

FULL = Budget(
    name="full",
    rounds=3,
    warmup=5,
    batches=3,
    min_batches=3,
    batch_seconds=0.7,
    max_per_batch=5000,
    handshake_seconds=3.0,
    bulk_bytes=64 * MIB,
    segment_bytes=8 * MIB,
    segment_seconds=0.5,
    bulk_seconds=3.0,
    engine_batch_seconds=0.4,
    engine_batches=9,
)


W = TypeVar("W", Workload, EngineWorkload)


def select(names: list[str] | None, workloads: tuple[W, ...]) -> tuple[W, ...]:
    """The workloads whose name starts with one of ``names`` (all of them when None)."""
    if not names:
        return workloads
    return tuple(w for w in workloads if any(w.name.startswith(n) for n in names))
