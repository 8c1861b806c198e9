"""The client side of a socket workload: timed handshakes, or a timed bulk transfer.

It runs in the benchmark's own process; the server runs in another (``server.py``).
Every loop is bounded by the budget in count and in time.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field

from benchmarks.peers.base import Channel, ClientPeer, recv_exact, tune
from benchmarks.timing import Deadline, median, per_batch
from benchmarks.workloads import CHUNK, Budget, Workload

IO_TIMEOUT = 30.0
WARMUP_BYTES = 4 * CHUNK
MIN_SEGMENTS = 3


def open_socket(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    return tune(sock)


@dataclass
class HandshakeRun:
    """Timed handshakes: ``warmup`` untimed connections, then batches of ``per_batch``."""

    warmup: int
    per_batch: int
    batch_seconds: list[float] = field(default_factory=list)
    resumed: int = 0
    timed: int = 0

    @property
    def rates(self) -> list[float]:
        return [self.per_batch / s for s in self.batch_seconds]

    def server_cpu_per_handshake(self, cpu_after_connection: list[float]) -> list[float]:
        """Server CPU seconds per handshake for each batch, from the server's stamps."""
        out = []
        for b in range(len(self.batch_seconds)):
            first = self.warmup + b * self.per_batch
            last = first + self.per_batch - 1
            if last >= len(cpu_after_connection):
                break
            spent = cpu_after_connection[last] - cpu_after_connection[first - 1]
            out.append(spent / self.per_batch)
        return out


def _one_handshake(peer: ClientPeer, port: int) -> bool:
    sock = open_socket(port)
    try:
        channel = peer.connect(sock)
        resumed = channel.resumed
        channel.close()
    finally:
        sock.close()  # already closed after a clean close; this is for the failures
    return resumed


def run_handshakes(peer: ClientPeer, port: int, workload: Workload, budget: Budget) -> HandshakeRun:
    """Connect, handshake, close cleanly; again and again. A resumption workload's first
    connection is a full handshake (untimed) that provides the session to resume."""
    warmup = budget.warmup + (1 if workload.kind == "resume" else 0)
    durations = []
    for _ in range(warmup):
        start = time.perf_counter()
        _one_handshake(peer, port)
        durations.append(time.perf_counter() - start)
    estimate = median(durations[-2:]) or 0.0
    run = HandshakeRun(warmup, per_batch(budget.batch_seconds, estimate, budget.max_per_batch))
    deadline = Deadline(budget.handshake_seconds)
    for b in range(budget.batches):
        if b >= budget.min_batches and deadline.passed:
            break
        start = time.perf_counter()
        for _ in range(run.per_batch):
            run.resumed += _one_handshake(peer, port)
        run.batch_seconds.append(time.perf_counter() - start)
        run.timed += run.per_batch
    return run


@dataclass
class BulkRun:
    """A transfer over one connection, timed in segments (the first, small one untimed)."""

    direction: str
    segment_bytes: int
    sizes: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return sum(self.sizes)

    @property
    def rates(self) -> list[float]:
        """MB/s (10^6 bytes per second) of each timed segment."""
        return [n / s / 1e6 for n, s in zip(self.sizes, self.seconds, strict=True)]

    def server_cpu_per_mib(self, cpu_after_command: list[float]) -> list[float]:
        """Server CPU seconds per MiB of each timed segment (command 0 is the warm-up)."""
        out = []
        for i, n in enumerate(self.sizes, start=1):
            if i >= len(cpu_after_command):
                break
            out.append((cpu_after_command[i] - cpu_after_command[i - 1]) / (n / (1 << 20)))
        return out


class _Transfer:
    def __init__(self, channel: Channel, direction: str) -> None:
        self.channel = channel
        self.upload = direction == "c2s"
        self.payload = os.urandom(CHUNK)
        self.buffer = memoryview(bytearray(65536))
        self.ack = memoryview(bytearray(1))

    def segment(self, n: int) -> float:
        """Seconds to move n bytes, from the command to the last byte (or the ack)."""
        channel = self.channel
        start = time.perf_counter()
        if self.upload:
            channel.sendall(b"U" + n.to_bytes(8, "big"))
            whole, rest = divmod(n, CHUNK)
            payload = self.payload
            for _ in range(whole):
                channel.sendall(payload)
            if rest:
                channel.sendall(payload[:rest])
            if not recv_exact(channel, self.ack):
                raise EOFError("the server closed before acknowledging the upload")
        else:
            channel.sendall(b"D" + n.to_bytes(8, "big"))
            left, buffer, size = n, self.buffer, len(self.buffer)
            while left:
                got = channel.recv_into(buffer[: min(left, size)])
                if not got:
                    raise EOFError(f"the server closed with {left} of {n} bytes unsent")
                left -= got
        return time.perf_counter() - start


def run_bulk(peer: ClientPeer, port: int, workload: Workload, budget: Budget) -> BulkRun:
    """``budget.bulk_bytes`` in 16 KiB writes over one connection, in timed segments.

    A slow implementation gets segments sized to last about ``budget.segment_seconds`` and
    stops after ``budget.bulk_seconds`` (having moved fewer bytes; the report says how many).
    """
    direction = workload.direction or "c2s"
    sock = open_socket(port)
    try:
        channel = peer.connect(sock)
        transfer = _Transfer(channel, direction)
        warm = transfer.segment(WARMUP_BYTES)
        rate = WARMUP_BYTES / max(warm, 1e-9)
        segment = int(rate * budget.segment_seconds) // CHUNK * CHUNK
        segment = max(WARMUP_BYTES, min(budget.segment_bytes, segment))
        run = BulkRun(direction, segment)
        deadline = Deadline(budget.bulk_seconds)
        while run.moved < budget.bulk_bytes:
            if len(run.sizes) >= MIN_SEGMENTS and deadline.passed:
                break
            n = min(segment, budget.bulk_bytes - run.moved)
            run.seconds.append(transfer.segment(n))
            run.sizes.append(n)
        channel.close()
    finally:
        sock.close()
    return run
