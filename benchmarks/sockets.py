"""One socket measurement: a server process, the client in this process, over loopback."""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass, field
from typing import Any

from benchmarks import peers
from benchmarks.client import BulkRun, HandshakeRun, run_bulk, run_handshakes
from benchmarks.material import Material
from benchmarks.server import serve
from benchmarks.workloads import Budget, Workload

START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


def _context() -> Any:
    """fork where there is one (fast, and this process runs no threads); spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


@dataclass
class SocketResult:
    peer: str
    workload: Workload
    run: HandshakeRun | BulkRun | None = None
    server: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class BenchError(Exception):
    pass


def measure(peer_name: str, workload: Workload, material: Material, budget: Budget) -> SocketResult:
    """Runs one workload for one implementation; failures end up in ``error``, not raised."""
    ctx = _context()
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(
        target=serve, args=(peer_name, workload, material, theirs), name=f"bench-{peer_name}"
    )
    proc.daemon = True
    proc.start()
    theirs.close()
    result = SocketResult(peer_name, workload)
    try:
        if not ours.poll(START_TIMEOUT):
            raise BenchError("the server process did not start")
        status, value = ours.recv()
        if status != "ready":
            raise BenchError(f"the server could not start: {value}")
        client = peers.get(peer_name).client(workload, material)
        try:
            if workload.kind == "bulk":
                result.run = run_bulk(client, value, workload, budget)
            else:
                result.run = run_handshakes(client, value, workload, budget)
        except Exception as exc:
            result.error = f"client: {type(exc).__name__}: {exc}"
        ours.send("stop")
        if not ours.poll(STOP_TIMEOUT):
            raise BenchError("the server process did not report back")
        _, result.server = ours.recv()
        if result.server.get("error_count"):
            first = result.server["errors"][0]
            count = result.server["error_count"]
            result.error = (result.error + "; " if result.error else "") + (
                f"server: {first}" + (f" (and {count - 1} more)" if count > 1 else "")
            )
    except EOFError:
        proc.join(timeout=5)
        message = f"the server process ended unexpectedly (exit code {proc.exitcode})"
        result.error = (result.error + "; " if result.error else "") + message
    except (BenchError, OSError) as exc:
        result.error = (result.error + "; " if result.error else "") + str(exc)
    finally:
        ours.close()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
    return result
