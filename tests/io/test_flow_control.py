"""Output to a peer that does not read is bounded (issue 16, D2).

A client completes the handshake and then sends records packed with renegotiating
ClientHellos as fast as the server takes them, and never reads. The server refuses each with a
no_renegotiation warning alert that nobody collects. The asyncio servers (``tls12 server`` and
``tls12.aio.start_server``) must stop reading from that peer once their write buffer is past
the high-water mark, so their RSS stays flat, and another client is served meanwhile. The
blocking ``TLSServer`` gets the same treatment (its ``sendall`` blocks, so its reading stops).

Each server runs as its own process so its RSS can be read from /proc.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_clients import Flood, echo_time, mib, vm_rss
from peers import Peer
from tls_support import pki

TLS12 = [sys.executable, "-m", "tls12"]
HERE = Path(__file__).parent
STALL_WITHIN = 12.0
"""Seconds within which the flooder's sends must block for good (measured: 2-4 s, the time
the server takes to read what the kernel buffers hold). Without flow control, never."""
QUIET = 2.0
"""How long the flooder must have sent nothing for the server to count as not reading."""
SLACK_BYTES = 256 << 10
"""What the flooder may still get in afterwards (a server thread that was only descheduled on
a loaded machine); without flow control it is megabytes a second."""
RSS_GROWTH_BOUND = 8 << 20
"""Most a server's RSS may grow under the flood. Measured with flow control: under 1 MiB.
Without it the asyncio server grew by about 20 MiB a second."""
SERVED_WITHIN = 2.0
"""A generous functional deadline for the other client (measured: a few milliseconds)."""

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the server's memory from /proc"
)


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


@contextlib.contextmanager
def server_process(tmp_path: Path, paths: dict[str, Path], kind: str) -> Iterator[Peer]:
    cert, key = str(paths["rsa.crt"]), str(paths["rsa.key"])
    if kind == "cli":
        args = [*TLS12, "server", "--port", "0", "--quiet", "--cert", cert, "--key", key]
    else:
        # refusals without limit: the flood must be stopped by flow control alone
        args = ["env", "TLS12_TEST_REFUSALS=1000000000", sys.executable,
                str(HERE / "serve_for_tests.py"), kind, "0", cert, key]  # fmt: skip
    with Peer(f"server-{kind}", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        server.port = int(match.group(1))  # type: ignore[attr-defined]
        yield server


CASES = [
    ("aio", "renegotiation"),
    ("sync", "renegotiation"),
    ("cli", "echo"),
]


@pytest.mark.parametrize(("kind", "flood"), CASES)
def test_a_flooding_client_that_never_reads_cannot_grow_the_server(
    tmp_path: Path, paths: dict[str, Path], kind: str, flood: str
) -> None:
    """The first seconds fill the kernel's socket buffers (several MiB each way on loopback,
    not the server's RSS); then the server must stop reading from the flooder, whose sends
    then block for good. Its RSS stays flat meanwhile, and once the flooder is stopped, other
    clients are served in milliseconds."""
    with server_process(tmp_path, paths, kind) as server:
        pid, port = server.pid, server.port  # type: ignore[attr-defined]
        for _ in range(10):
            echo_time(port)  # imports, caches and allocator arenas into the baseline
        baseline = vm_rss(pid)
        flooder = Flood(port, flood).start()
        try:
            started = time.monotonic()
            peak, last_sent, quiet_since = baseline, -1, time.monotonic()
            while time.monotonic() - quiet_since < QUIET:
                assert time.monotonic() - started < STALL_WITHIN, (
                    f"the server was still reading from the flooder after {STALL_WITHIN} s "
                    f"({mib(flooder.sent)} taken; server RSS +{mib(vm_rss(pid) - baseline)})"
                )
                if flooder.sent != last_sent:
                    last_sent, quiet_since = flooder.sent, time.monotonic()
                peak = max(peak, vm_rss(pid))
                time.sleep(0.05)
            stalled = quiet_since - started
            latencies = []
            for _ in range(10):
                latencies.append(echo_time(port))
                peak = max(peak, vm_rss(pid))
            sent = flooder.sent
        finally:
            flooder.stop()
        assert server.proc.poll() is None
    growth = peak - baseline
    print(
        f"\n{kind} server, {flood} flood: the server stopped reading after {mib(sent)} "
        f"({stalled:.1f} s); server RSS {mib(baseline)} -> peak {mib(peak)} (+{mib(growth)}); "
        f"meanwhile another client was served in "
        f"{min(latencies) * 1000:.1f}..{max(latencies) * 1000:.1f} ms"
    )
    assert sent - last_sent < SLACK_BYTES, "the server went on reading from the flooder"
    assert flooder.send_error is None, "the flooder was disconnected, not held back"
    assert growth < RSS_GROWTH_BOUND, f"RSS grew by {mib(growth)} under the flood"
    assert max(latencies) < SERVED_WITHIN


def test_tls12_server_ends_a_renegotiation_flood(tmp_path: Path, paths: dict[str, Path]) -> None:
    """With the default max_refused_renegotiations (16), the next attempt ends the
    connection with an unexpected_message alert, and other clients are served meanwhile."""
    with server_process(tmp_path, paths, "cli") as server:
        port = server.port  # type: ignore[attr-defined]
        flooder = Flood(port, "renegotiation").start()
        try:
            started = time.monotonic()
            while flooder.send_error is None and time.monotonic() - started < STALL_WITHIN:
                time.sleep(0.05)
            latency = echo_time(port)
        finally:
            flooder.stop()
    assert flooder.send_error is not None, "the server held the flooding connection open"
    assert flooder.sent < 4 << 20  # what the kernel took before the reset arrived
    print(
        f"\ntls12 server ended the renegotiation flood after {flooder.sent} bytes; "
        f"another client served in {latency * 1000:.1f} ms"
    )


NEVER_READING = 20
ESTABLISHED_BOUND = 256 << 10
"""The documented most an established connection whose peer never reads costs the server
(docs/SECURITY.md; measured about 165 KiB: the write buffer up to its high-water mark, the
StreamReader up to twice its limit, and the engine's partial record)."""


def test_cost_of_an_established_connection_whose_peer_never_reads(
    tmp_path: Path, paths: dict[str, Path]
) -> None:
    with server_process(tmp_path, paths, "cli") as server:
        pid, port = server.pid, server.port  # type: ignore[attr-defined]
        for _ in range(20):
            echo_time(port)
        baseline = vm_rss(pid)
        flooders = [Flood(port, "echo").start() for _ in range(NEVER_READING)]
        try:
            last, started = -1, time.monotonic()
            while sum(f.sent for f in flooders) != last:
                assert time.monotonic() - started < 20, "the server kept reading"
                last = sum(f.sent for f in flooders)
                time.sleep(QUIET)
            held = vm_rss(pid)
            latency = echo_time(port)
        finally:
            for flood in flooders:
                flood.stop()
    per_connection = (held - baseline) / NEVER_READING
    print(
        f"\n{NEVER_READING} never-reading echo clients: {mib(last)} taken in all (most of it "
        f"in kernel socket buffers), server RSS +{mib(held - baseline)} = "
        f"{per_connection / 1024:.1f} KiB per connection; another client served in "
        f"{latency * 1000:.1f} ms"
    )
    assert per_connection < ESTABLISHED_BOUND
