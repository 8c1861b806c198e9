"""Runs the selected workloads for every implementation and collects the rows."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks import engine, floor, machine, peers, sockets
from benchmarks.client import BulkRun, HandshakeRun
from benchmarks.material import Material, make_material
from benchmarks.results import Report, Row
from benchmarks.timing import MIN_BATCHES, Deadline, median, per_batch
from benchmarks.workloads import (
    ENGINE_WORKLOADS,
    SOCKET_WORKLOADS,
    Budget,
    EngineWorkload,
    Workload,
    select,
)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def run(
    budget: Budget,
    only: list[str] | None = None,
    skip: tuple[str, ...] = (),
    progress: Progress = _quiet,
) -> Report:
    started = time.perf_counter()
    names = peers.available(skip)
    report = Report(
        budget=budget.name,
        machine=machine.describe(),
        peers={n: peers.get(n).version() for n in names},
    )
    with tempfile.TemporaryDirectory(prefix="tls12-bench-") as directory:
        material, _ = make_material(directory)
        for workload in select(only, SOCKET_WORKLOADS):
            results: dict[str, list[sockets.SocketResult]] = {name: [] for name in names}
            for r in range(budget.rounds):
                for name in names:
                    result = sockets.measure(name, workload, material, budget)
                    results[name].append(result)
                    progress(_line(workload.name, name, result, r, budget.rounds))
            report.rows += socket_rows(workload, results, budget)
        measure = floor.timer(budget)
        for ew in select(only, ENGINE_WORKLOADS):
            row = engine_row(ew, material, budget, measure)
            progress(f"{ew.name:<24} " + "  ".join(_fmt_value(row, p) for p in row.values))
            report.rows.append(row)
    report.seconds = time.perf_counter() - started
    report.machine["load_average_end"] = machine.load_average()
    return report


def _line(workload: str, peer: str, result: sockets.SocketResult, r: int, rounds: int) -> str:
    head = f"{workload:<20} {peer:<8}" + (f" round {r + 1}/{rounds}" if rounds > 1 else "")
    run = result.run
    if result.error:
        return f"{head} error: {result.error}"
    if isinstance(run, BulkRun):
        return f"{head} {median(run.rates) or 0:10.1f} MB/s"
    if isinstance(run, HandshakeRun):
        return f"{head} {median(run.rates) or 0:10.1f} handshakes/s"
    return f"{head} no result"


def _fmt_value(row: Row, peer: str) -> str:
    value = row.values.get(peer)
    return f"{peer} {value:.3f} {row.unit}" if value is not None else f"{peer} error"


# -- sockets --------------------------------------------------------------------------------


def socket_rows(
    workload: Workload, results: dict[str, list[sockets.SocketResult]], budget: Budget
) -> list[Row]:
    if workload.kind == "bulk":
        return [_bulk_row(workload, results, budget)]
    return _handshake_rows(workload, results)


def _first_error(results: list[sockets.SocketResult]) -> str | None:
    for r in results:
        if r.error is not None:
            return r.error
        if r.run is None:
            return "no result"
    return None


def _handshake_rows(
    workload: Workload, results: dict[str, list[sockets.SocketResult]]
) -> list[Row]:
    rate = Row("sockets", workload.name, workload.title, "handshakes/s", True)
    cpu = Row("sockets", f"{workload.name}.cpu", "  server CPU per handshake", "ms", False)
    for name, rounds in results.items():
        runs = [r.run for r in rounds if isinstance(r.run, HandshakeRun)]
        error = _first_error(rounds)
        resumed, timed = sum(r.resumed for r in runs), sum(r.timed for r in runs)
        if error is None and workload.kind == "resume" and resumed < timed:
            error = f"only {resumed} of {timed} handshakes were resumed"
        if error is not None:
            rate.values[name] = cpu.values[name] = None
            rate.errors[name] = cpu.errors[name] = error
            continue
        rates = [x for run in runs for x in run.rates]
        per_hs = [
            x
            for result in rounds
            if isinstance(result.run, HandshakeRun)
            for x in result.run.server_cpu_per_handshake(
                result.server.get("cpu_after_connection", [])
            )
        ]
        rate.values[name] = median(rates)
        m = median(per_hs)
        cpu.values[name] = None if m is None else m * 1000
        common = {"rounds": len(runs), "per_batch": [r.per_batch for r in runs], "timed": timed}
        rate.details[name] = {**common, "resumed": resumed, "batch_rates": rates}
        cpu.details[name] = {
            **common,
            "batch_ms": [c * 1000 for c in per_hs],
            "server_cpu_total_s": [r.server.get("cpu_total") for r in rounds],
        }
    return [rate, cpu]


def _bulk_row(
    workload: Workload, results: dict[str, list[sockets.SocketResult]], budget: Budget
) -> Row:
    row = Row("sockets", workload.name, workload.title, "MB/s", True)
    for name, rounds in results.items():
        error = _first_error(rounds)
        if error is not None:
            row.values[name] = None
            row.errors[name] = error
            continue
        runs = [r.run for r in rounds if isinstance(r.run, BulkRun)]
        rates = [x for run in runs for x in run.rates]
        cpu = [
            x
            for result in rounds
            if isinstance(result.run, BulkRun)
            for x in result.run.server_cpu_per_mib(result.server.get("cpu_after_command", []))
        ]
        moved = sum(run.moved for run in runs)
        seconds = sum(sum(run.seconds) for run in runs)
        row.values[name] = median(rates)
        row.details[name] = {
            "rounds": len(runs),
            "bytes": moved,
            "segment_bytes": [run.segment_bytes for run in runs],
            "segment_rates": rates,
            "overall_mb_s": moved / seconds / 1e6 if seconds else None,
            "server_cpu_ms_per_mib": (median(cpu) or 0) * 1000 if cpu else None,
        }
        planned = budget.bulk_bytes * len(runs)
        if moved < planned:
            row.details[name]["note"] = (
                f"time bound reached: {moved / (1 << 20):.2f} MiB moved of "
                f"{len(runs)} x {budget.bulk_bytes >> 20} MiB"
            )
    return row


# -- engine ---------------------------------------------------------------------------------


def engine_row(
    workload: EngineWorkload, material: Material, budget: Budget, measure: floor.Timer
) -> Row:
    per = "MiB" if workload.kind == "bulk" else "handshake"
    row = Row("engine", workload.name, workload.title, f"ms/{per}", False)
    sides = {}
    for pair_type in engine.PAIRS:
        try:
            sides[pair_type.name] = _EngineSide(pair_type(workload, material), workload, budget)
        except Exception as exc:
            row.values[pair_type.name] = None
            row.errors[pair_type.name] = f"{type(exc).__name__}: {exc}"
    _interleave(sides, budget)
    for name, side in sides.items():
        if side.error is not None:
            row.values[name] = None
            row.errors[name] = side.error
            continue
        row.values[name] = (median(side.batches) or 0.0) * 1000
        done = side.count * len(side.batches)
        row.details[name] = {
            "client_ms": side.timed.client / done * 1000,
            "server_ms": side.timed.server / done * 1000,
            "batch_ms": [b * 1000 for b in side.batches],
        }
    if workload.kind == "bulk":
        parts = floor.bulk_floor(workload.suite, measure)
    elif workload.kind == "full":
        parts = floor.handshake_floor(workload.suite, material, measure)
    else:
        parts = floor.resume_floor(measure)
    if parts:
        row.floor = parts.pop("total") * 1000
        row.floor_parts = {k: v * 1000 for k, v in parts.items()}
    return row


class _EngineSide:
    """One implementation's operation (a handshake, or 1 MiB), sized into batches."""

    def __init__(self, pair: Any, workload: EngineWorkload, budget: Budget) -> None:
        self.split = engine.Split()
        self.batches: list[float] = []
        self.error: str | None = None
        if workload.kind == "bulk":
            client, server = pair.handshake(engine.Split())
            self.op: Callable[[], None] = lambda: pair.transfer_mib(client, server, self.split)
        else:
            session = pair.first_session() if workload.kind == "resume" else None
            self.op = lambda: pair.handshake(self.split, session)
        self.op()  # warm-up
        before = self.split.total
        self.op()
        self.count = per_batch(budget.engine_batch_seconds, self.split.total - before, 2000)
        self.timed = engine.Split()

    def batch(self) -> None:
        """Time inside the two sides' calls only, not the harness that moves the bytes."""
        client, server = self.split.client, self.split.server
        for _ in range(self.count):
            self.op()
        spent = engine.Split(self.split.client - client, self.split.server - server)
        self.timed.client += spent.client
        self.timed.server += spent.server
        self.batches.append(spent.total / self.count)


def _interleave(sides: dict[str, _EngineSide], budget: Budget) -> None:
    """Batches alternate between the implementations, so that other load on the machine
    falls on all of them alike."""
    deadline = Deadline(2 * len(sides) * budget.engine_batches * budget.engine_batch_seconds + 1)
    for b in range(budget.engine_batches):
        if b >= MIN_BATCHES and deadline.passed:
            break
        for side in sides.values():
            if side.error is not None:
                continue
            try:
                side.batch()
            except Exception as exc:
                side.error = f"{type(exc).__name__}: {exc}"
