#!/usr/bin/env python3
"""tls12's asyncio server against an asyncio + ``ssl`` server as connections grow (issue 14).

``python -m benchmarks.scaling [--quick] [--json F]`` from the root of a checkout. Two
measurements, each server in a process of its own, every client in other processes, all on
127.0.0.1, TLS 1.2 with one suite for both servers (ECDHE-ECDSA-AES128-GCM-SHA256, P-256,
X25519; ``--key rsa`` for ECDHE-RSA with RSA-2048); the clients are Python ``ssl`` for both:

1. **Idle connections** (``--idle``, default 1,000): one client process opens that many
   connections one after another, each completing its handshake and one echo round trip,
   and keeps them open. The server reports its resident memory (``/proc/self/statm``) before
   and with all of them open: the difference divided by the count is the memory per
   connection. A second pass (at most 300 connections) with ``tracemalloc`` on in the server
   gives the Python-heap bytes per connection (OpenSSL's own structures are not on the Python
   heap, so for ``ssl`` that number is only the Python side) and, for tls12, the allocation
   sites that hold them (``--top``).
2. **Concurrent clients** (``--clients``, default 50, over ``--procs`` processes, default 2,
   as threads): each client connects, completes a full handshake, sends 4 bytes, reads the
   echo, closes with close_notify both ways, and repeats, for ``--seconds``. Printed:
   handshakes/s, the latency of connect + handshake + echo (p50, p99), and the server's CPU
   per handshake (its own ``time.process_time``). The servers alternate over ``--rounds``
   rounds; medians over rounds, and each round's line (the spread on a shared machine).

``--before SRC`` adds tls12 served from another tree's ``src`` to both measurements (an A/B
of a change in one run, beside the same ssl server); ``--only idle|load`` runs one of them.

Bounded: at most the given connections and seconds; every process is killed at the end. The
file descriptor soft limit is raised to the hard limit when it is too low for the count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.material import SERVER_NAME, make_material  # noqa: E402
from benchmarks.scaling_report import BEFORE, IMPLS, report  # noqa: E402

HOST = "127.0.0.1"
"""tls12 served from another source tree (``--before SRC``): an A/B of a change, in one run."""
SUITES = {
    "ecdsa": ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    "rsa": ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"),
}
PAGE = os.sysconf("SC_PAGE_SIZE")
TRACED = 300
"""Connections in the tracemalloc pass: the heap per connection does not depend on the count,
and tracing makes every handshake slower."""


def raise_fd_limit(needed: int) -> int:
    """Raises the soft limit on open files to the hard limit if ``needed`` does not fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = hard if hard == resource.RLIM_INFINITY else max(soft, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise SystemExit(f"need {needed} open files, the hard limit is {hard} (ulimit -Hn)")
    return soft


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


# -- the server process ---------------------------------------------------------------------


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _start(impl: str, material_dir: str, key: str, capacity: int) -> asyncio.Server:
    from benchmarks.material import Material

    material = Material(material_dir)
    iana, openssl_name = SUITES[key]
    if impl == "tls12":
        from tls12.config import CertifiedKey, ServerConfig
        from tls12.io.aio_server import start_server

        config = ServerConfig(
            certificates=[CertifiedKey.from_files(material.cert(key), material.key(key))],
            cipher_suites=[iana],
        )
        return await start_server(_echo, HOST, 0, config, max_connections=capacity, backlog=1024)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(openssl_name)
    ctx.load_cert_chain(material.cert(key), material.key(key))
    return await asyncio.start_server(_echo, HOST, 0, ssl=ctx, backlog=1024)


def _commands(trace: bool) -> None:
    """The control channel (stdin lines, answers on stdout), in a thread of the server."""
    baseline: tracemalloc.Snapshot | None = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "stats":
            gc.collect()
            out: dict[str, Any] = {"rss": rss_bytes(), "cpu": time.process_time()}
            if trace:
                out["heap"] = tracemalloc.get_traced_memory()[0]
            print(json.dumps(out), flush=True)
        elif words[0] == "mark" and trace:
            gc.collect()
            baseline = tracemalloc.take_snapshot()
            print("{}", flush=True)
        elif words[0] == "top" and trace and baseline is not None:
            gc.collect()
            diff = tracemalloc.take_snapshot().compare_to(baseline, "lineno")
            rows = [
                {"where": str(d.traceback[0]), "bytes": d.size_diff, "count": d.count_diff}
                for d in diff[: int(words[1])]
            ]
            print(json.dumps(rows), flush=True)
        elif words[0] == "quit":
            break
    os._exit(0)


def serve(impl: str, material_dir: str, key: str, capacity: int, trace: bool) -> None:
    raise_fd_limit(capacity + 64)
    if trace:
        tracemalloc.start(1)

    async def main() -> None:
        server = await _start(impl, material_dir, key, capacity)
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port}), flush=True)
        threading.Thread(target=_commands, args=(trace,), daemon=True).start()
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the client processes ----------------------------------------------------------------


def _client_context(material_dir: str, key: str) -> ssl.SSLContext:
    from benchmarks.material import Material

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(SUITES[key][1])
    ctx.load_verify_locations(Material(material_dir).cafile)
    return ctx


def _connect(ctx: ssl.SSLContext, port: int) -> ssl.SSLSocket:
    sock = socket.create_connection((HOST, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tls = ctx.wrap_socket(sock, server_hostname=SERVER_NAME)
    tls.sendall(b"ping")
    got = b""
    while len(got) < 4:
        chunk = tls.recv(4 - len(got))
        if not chunk:
            raise ConnectionError("server closed before the echo")
        got += chunk
    return tls


def idle_client(port: int, count: int, material_dir: str, key: str) -> None:
    """Opens ``count`` connections, says READY, holds them until stdin closes or says so."""
    raise_fd_limit(count + 64)
    ctx = _client_context(material_dir, key)
    held = [_connect(ctx, port) for _ in range(count)]
    print(json.dumps({"ready": len(held)}), flush=True)
    sys.stdin.readline()
    for tls in held:
        with contextlib.suppress(OSError):
            tls.close()


def load_client(port: int, threads: int, seconds: float, material_dir: str, key: str) -> None:
    """``threads`` clients in a loop of connect-handshake-echo-close for ``seconds``."""
    raise_fd_limit(threads + 64)
    ctx = _client_context(material_dir, key)
    start = float(sys.stdin.readline())  # the parent's common start time (time.time())
    time.sleep(max(0.0, start - time.time()))
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads

    def run(i: int) -> None:
        mine = latencies[i]
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                tls = _connect(ctx, port)
                mine.append(time.perf_counter() - t0)
                tls.unwrap().close()
            except (OSError, ValueError):
                errors[i] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    flat = [x for lst in latencies for x in lst]
    print(json.dumps({"latencies": flat, "errors": sum(errors)}), flush=True)


# -- the parent ----------------------------------------------------------------------------


class Child:
    """A child process of this script with a line protocol on stdin/stdout."""

    def __init__(
        self, *args: str, src: str | None = None, module: str = "benchmarks.scaling"
    ) -> None:
        env = dict(os.environ, PYTHONPATH=src) if src else None  # tls12 from another tree
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, line: str | None = None, timeout: float = 120) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if line is not None:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not box or not box[0]:
            self.stop()
            raise RuntimeError(f"child {self.proc.args[3:]} did not answer {line!r}")
        return json.loads(box[0])

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _server(
    impl: str, material: str, key: str, capacity: int, trace: bool, src: str | None = None
) -> tuple[Child, int]:
    served = "tls12" if impl == BEFORE else impl
    args = ["--serve", served, "--material", material, "--key", key, "--capacity", str(capacity)]
    child = Child(*args, *(["--trace"] if trace else []), src=src)
    return child, int(child.ask()["port"])


def _warm(port: int, material: str, key: str, n: int = 20) -> None:
    """A few connections first, so lazy imports and first-use caches are not counted."""
    ctx = _client_context(material, key)
    for _ in range(n):
        _connect(ctx, port).unwrap().close()


def measure_idle(
    impl: str, material: str, key: str, count: int, trace: bool, top: int, src: str | None = None
) -> dict[str, Any]:
    server, port = _server(impl, material, key, count + 128, trace, src)
    client: Child | None = None
    try:
        _warm(port, material, key)
        time.sleep(0.3)  # the warm-up connections' close_notify exchanges finish
        if trace:
            server.ask("mark")
        before = server.ask("stats")
        t0 = time.perf_counter()
        client = Child(
            "--idle-client", str(port), "--count", str(count), "--material", material, "--key", key
        )
        ready = client.ask(timeout=300)["ready"]
        opened = time.perf_counter() - t0
        time.sleep(0.5)  # the last handshakes' tasks settle
        after = server.ask("stats")
        result: dict[str, Any] = {
            "impl": impl,
            "connections": ready,
            "rss_per_connection": (after["rss"] - before["rss"]) / ready,
            "open_seconds": opened,
        }
        if trace:
            result["heap_per_connection"] = (after["heap"] - before["heap"]) / ready
            if top:
                result["top"] = server.ask(f"top {top}")
        return result
    finally:
        if client is not None:
            client.stop()
        server.stop()


def measure_load(
    impl: str,
    material: str,
    key: str,
    clients: int,
    procs: int,
    seconds: float,
    src: str | None = None,
) -> dict[str, Any]:
    server, port = _server(impl, material, key, clients + 128, False, src)
    loaders: list[Child] = []
    try:
        _warm(port, material, key)
        per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        loaders = [
            Child(
                "--load-client",
                str(port),
                "--threads",
                str(n),
                "--seconds",
                str(seconds),
                "--material",
                material,
                "--key",
                key,
            )
            for n in per
        ]
        start = time.time() + 1.0  # every loader has imported and built its context by then
        before = server.ask("stats")
        for loader in loaders:
            _send(loader, str(start))
        results = [loader.ask(timeout=seconds + 120) for loader in loaders]
        after = server.ask("stats")
    finally:
        for loader in loaders:
            loader.stop()
        server.stop()
    latencies = sorted(x for r in results for x in r["latencies"])
    done = len(latencies)
    return {
        "impl": impl,
        "handshakes": done,
        "errors": sum(r["errors"] for r in results),
        "rate": done / seconds,
        "p50_ms": _pct(latencies, 50) * 1e3,
        "p99_ms": _pct(latencies, 99) * 1e3,
        # the server's CPU over the whole window, start wait included (it is idle then)
        "server_cpu_ms": (after["cpu"] - before["cpu"]) / max(done, 1) * 1e3,
    }


def _send(child: Child, line: str) -> None:
    assert child.proc.stdin is not None
    child.proc.stdin.write(line + "\n")
    child.proc.stdin.flush()


def _pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def run(args: argparse.Namespace) -> dict[str, Any]:
    idle = args.idle if args.idle is not None else (200 if args.quick else 1000)
    seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 8.0)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 2)
    limit = raise_fd_limit(idle + 256)
    load0 = os.getloadavg()[0]
    out: dict[str, Any] = {"idle": [], "load": [], "fd_soft_limit": limit, "key": args.key}
    impls = [*IMPLS, BEFORE] if args.before else list(IMPLS)
    with tempfile.TemporaryDirectory(prefix="tls12-scaling-") as material:
        make_material(material)
        for impl in impls if args.only in (None, "idle") else []:
            src = args.before if impl == BEFORE else None
            _progress(args, f"idle: {idle} connections to {impl}")
            row = measure_idle(impl, material, args.key, idle, False, 0, src)
            if not args.no_tracemalloc:
                _progress(args, f"idle: {idle} connections to {impl}, tracemalloc on")
                top = args.top if impl != "ssl" else 0
                traced = measure_idle(impl, material, args.key, min(idle, TRACED), True, top, src)
                row["heap_per_connection"] = traced["heap_per_connection"]
                row["traced_connections"] = traced["connections"]
                if "top" in traced:
                    row["top"] = traced["top"]
            out["idle"].append(row)
        for r in range(rounds if args.only in (None, "load") else 0):
            for impl in impls if r % 2 == 0 else impls[::-1]:
                src = args.before if impl == BEFORE else None
                _progress(args, f"load: {args.clients} clients against {impl}, round {r + 1}")
                row = measure_load(impl, material, args.key, args.clients, args.procs, seconds, src)
                row["round"] = r + 1
                out["load"].append(row)
    out["loadavg"] = [load0, os.getloadavg()[0]]
    out["seconds"], out["rounds"] = seconds, rounds
    return out


def _progress(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(f"[scaling] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="200 idle connections, 3 s, 1 round")
    p.add_argument("--json", metavar="F")
    p.add_argument("--idle", type=int, help="idle connections (default 1000)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    p.add_argument("--seconds", type=float, help="per server per round (default 8)")
    p.add_argument("--rounds", type=int, help="default 2")
    p.add_argument("--key", choices=sorted(SUITES), default="ecdsa")
    p.add_argument("--top", type=int, default=12, help="tls12 allocation sites to show")
    p.add_argument("--no-tracemalloc", action="store_true", help="RSS only (faster)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument(
        "--before", metavar="SRC", help="also measure tls12 from another tree's src (an A/B)"
    )
    p.add_argument("--only", choices=("idle", "load"), help="one of the two measurements")
    # the child processes
    p.add_argument("--serve", choices=IMPLS, help=argparse.SUPPRESS)
    p.add_argument("--idle-client", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--load-client", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--material", help=argparse.SUPPRESS)
    p.add_argument("--capacity", type=int, default=2048, help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve(args.serve, args.material, args.key, args.capacity, args.trace)
        return 0
    if args.idle_client:
        idle_client(args.idle_client, args.count, args.material, args.key)
        return 0
    if args.load_client:
        load_client(args.load_client, args.threads, args.seconds, args.material, args.key)
        return 0
    t0 = time.monotonic()
    out = run(args)
    out["wall_seconds"] = time.monotonic() - t0
    print(report(out, args.clients, args.procs))
    print(f"(scaling run: {out['wall_seconds']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    bad = [r for r in out["load"] if r["handshakes"] == 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
