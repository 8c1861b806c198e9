#!/usr/bin/env python3
"""What tls12's asyncio server spends per handshake above its engine (issue 14).

``python -m benchmarks.profile_aio [--clients 50] [--seconds 8] [--cprofile]`` from the root
of a checkout. The server (``tls12.io.aio_server.start_server``, the echo handler of
``benchmarks/scaling.py``) runs in this process; the clients are ``scaling.py``'s load
clients (Python ``ssl``, connect-handshake-echo-close in a loop) in other processes.

Printed per handshake:

- the server's CPU (``time.process_time``: user + system, so accept/recv/send/close system
  calls are in it) and its user / system split;
- the engine's share of it: the thread CPU spent inside the ``ServerConnection`` calls the
  asyncio layer makes (``start``, ``receive_data``, ``data_to_send``, ``send``, ``close``);
- the garbage collector's time (part of both of the above) and the objects per handshake
  that only it frees (reference cycles: each is work for the collector);
- the asyncio layer: the difference (``TLSProtocol``, the stream objects and the echo task,
  the event loop and the kernel's share of its system calls).

``--cprofile`` profiles the event loop thread instead (times are then cProfile's, inflated)
and prints the Python calls per handshake: the layer's (functions of ``asyncio``,
``selectors``, ``socket``, ``contextlib``, ``tls12/io`` and ``tls12/log``, and the built-ins
those call) apart from the engine's, and the layer's top functions by calls. The call counts
do not depend on the machine's load (unlike CPU time), except through how reads batch.

For a sampling profile of the server alone (py-spy samples this process, not the clients)::

    py-spy record --nonblocking -r 500 -f raw -o aio.txt -- \\
        python -m benchmarks.profile_aio --no-engine-clock
    python benchmarks/pyspy_summary.py aio.txt --within run_server

Bounded: ``--clients`` clients for ``--seconds``, on 127.0.0.1; the client processes end with
the window and are killed if they do not.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import ssl
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.material import make_material  # noqa: E402
from benchmarks.scaling import HOST, SUITES, Child, _echo, _send, _warm, raise_fd_limit  # noqa: E402

LAYER_MARKERS = ("/asyncio/", "/selectors.py", "/socket.py", "/contextlib.py", "/tls12/io/",
                 "/tls12/log.py", "/logging/", "/benchmarks/scaling.py")  # fmt: skip
"""Where the asyncio layer's Python lives (``scaling._echo`` is the echo handler)."""
ENGINE_CALLS = ("start", "receive_data", "data_to_send", "send", "close")


class GcClock:
    """The garbage collector's time and what it freed (objects in reference cycles), from
    ``gc.callbacks``, while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.seconds = 0.0
        self.collected = 0
        self.collections = [0, 0, 0]
        self.by_generation = [0.0, 0.0, 0.0]
        self._t0 = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if not self.on:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            took = time.perf_counter() - self._t0
            self.seconds += took
            self.by_generation[info["generation"]] += took
            self.collected += info["collected"]
            self.collections[info["generation"]] += 1


class EngineClock:
    """Thread CPU spent inside the engine calls of the event loop thread."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, cls: type) -> type:
        clock = self
        names = {name: getattr(cls, name) for name in ENGINE_CALLS}

        def timed(method: Any) -> Any:
            def call(self: Any, *args: Any) -> Any:
                t0 = time.thread_time()
                try:
                    return method(self, *args)
                finally:
                    clock.seconds += time.thread_time() - t0

            return call

        return type("Timed" + cls.__name__, (cls,), {n: timed(m) for n, m in names.items()})


def is_layer(func: tuple[str, int, str]) -> bool:
    path = func[0]
    return any(marker in path for marker in LAYER_MARKERS)


def layer_calls(stats: pstats.Stats) -> tuple[int, int, Counter[str]]:
    """(layer calls, engine calls, the layer's calls by function) from a cProfile run.

    A call belongs to the layer when the function called is the layer's, or when it is a
    built-in called from the layer's Python; everything else is the engine (and the
    ``cryptography`` calls it makes)."""
    layer = engine = 0
    by_function: Counter[str] = Counter()
    for func, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        builtin = func[0] == "~"
        for caller, (_ccc, ncalls, _ctt, _cct) in callers.items():
            if is_layer(func) or (builtin and is_layer(caller)):
                layer += ncalls
                name = func[2] if builtin else f"{Path(func[0]).name}:{func[2]}"
                by_function[name] += ncalls
            else:
                engine += ncalls
    return layer, engine, by_function


def ssl_context(material: Any, key: str) -> ssl.SSLContext:
    """The asyncio + ``ssl`` server's context, as ``scaling.py`` makes it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(SUITES[key][1])
    ctx.load_cert_chain(material.cert(key), material.key(key))
    return ctx


def run_server(args: argparse.Namespace, material: str) -> dict[str, Any]:
    """Serves on the main thread while a helper thread warms up, starts the load clients,
    waits for them and stops the loop."""
    import tls12.io.aio_server as aio_server
    from benchmarks.material import Material
    from tls12.config import CertifiedKey, ServerConfig

    clock = EngineClock()
    gc_clock = GcClock()
    if not (args.cprofile or args.no_engine_clock or args.impl == "ssl"):
        aio_server.ServerConnection = clock.wrap(aio_server.ServerConnection)  # type: ignore[misc]
    m = Material(material)
    config = ServerConfig(
        certificates=[CertifiedKey.from_files(m.cert(args.key), m.key(args.key))],
        cipher_suites=[SUITES[args.key][0]],
    )
    profile = cProfile.Profile() if args.cprofile else None
    marks: dict[str, Any] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        if args.impl == "ssl":
            server = await asyncio.start_server(
                _echo, HOST, 0, ssl=ssl_context(m, args.key), backlog=1024
            )
        else:
            server = await aio_server.start_server(
                _echo, HOST, 0, config, max_connections=args.clients + 128, backlog=1024
            )
        port = server.sockets[0].getsockname()[1]
        done = loop.create_future()

        def mark(name: str) -> None:  # on the loop thread, between callbacks
            if name == "start":
                if profile is not None:
                    profile.enable()
                marks["engine0"] = clock.seconds
                gc_clock.on = True
                marks["times0"] = os.times()
            else:
                if profile is not None:
                    profile.disable()
                marks["engine1"] = clock.seconds
                gc_clock.on = False
                marks["times1"] = os.times()

        def drive() -> None:
            try:
                _warm(port, material, args.key)
                per = [args.clients // args.procs + (i < args.clients % args.procs)
                       for i in range(args.procs)]  # fmt: skip
                loaders = [
                    Child("--load-client", str(port), "--threads", str(n), "--seconds",
                          str(args.seconds), "--material", material, "--key", args.key)
                    for n in per
                ]  # fmt: skip
                start = time.time() + 1.0
                time.sleep(0.5)
                loop.call_soon_threadsafe(mark, "start")
                for loader in loaders:
                    _send(loader, str(start))
                results = [loader.ask(timeout=args.seconds + 120) for loader in loaders]
                for loader in loaders:
                    loader.stop()
                time.sleep(0.2)  # the last close_notify exchanges
                loop.call_soon_threadsafe(mark, "stop")
                time.sleep(0.1)
                loop.call_soon_threadsafe(done.set_result, results)
            except BaseException as exc:  # noqa: BLE001 - reported on the loop thread
                loop.call_soon_threadsafe(done.set_exception, exc)

        threading.Thread(target=drive, daemon=True).start()
        results = await done
        server.close()
        marks["results"] = results

    asyncio.run(main())
    results = marks["results"]
    latencies = sorted(x for r in results for x in r["latencies"])
    n = max(len(latencies), 1)
    t0, t1 = marks["times0"], marks["times1"]
    user, system = t1.user - t0.user, t1.system - t0.system
    out: dict[str, Any] = {
        "handshakes": len(latencies),
        "errors": sum(r["errors"] for r in results),
        "rate": len(latencies) / args.seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1e3 if latencies else float("nan"),
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e3
        if latencies
        else float("nan"),
        "cpu_ms": (user + system) / n * 1e3,
        "user_ms": user / n * 1e3,
        "system_ms": system / n * 1e3,
        "gc_ms": gc_clock.seconds / n * 1e3,
        "gc_collected": gc_clock.collected / n,
        "gc_collections": gc_clock.collections,
        "gc_by_generation_ms": [t / n * 1e3 for t in gc_clock.by_generation],
    }
    if profile is None and aio_server.ServerConnection.__name__.startswith("Timed"):
        engine = (marks["engine1"] - marks["engine0"]) / n * 1e3
        out["engine_ms"] = engine
        out["layer_ms"] = out["cpu_ms"] - engine
    elif profile is not None:
        stats = pstats.Stats(profile)
        if args.dump:
            stats.dump_stats(args.dump)
        layer, engine_calls, by_function = layer_calls(stats)
        out["layer_calls"] = layer / n
        out["engine_calls"] = engine_calls / n
        out["top"] = [(name, count / n) for name, count in by_function.most_common(args.top)]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--key", choices=sorted(SUITES), default="ecdsa")
    p.add_argument(
        "--impl",
        choices=("tls12", "ssl"),
        default="tls12",
        help="ssl: the asyncio + ssl server (its CPU, its Python calls; no engine split)",
    )
    p.add_argument("--cprofile", action="store_true", help="Python calls per handshake")
    p.add_argument("--top", type=int, default=30)
    p.add_argument(
        "--no-engine-clock",
        action="store_true",
        help="do not time the engine calls (for py-spy: its reads of the thread clock skew it)",
    )
    p.add_argument("--dump", metavar="F", help="with --cprofile: write the pstats file")
    args = p.parse_args(argv)
    raise_fd_limit(args.clients * 2 + 256)
    with tempfile.TemporaryDirectory(prefix="tls12-profile-aio-") as material:
        make_material(material)
        out = run_server(args, material)
    print(
        f"{out['handshakes']} handshakes in {args.seconds:g} s ({out['rate']:.0f}/s, "
        f"{out['errors']} errors), {args.clients} clients, ECDHE-{args.key.upper()}; "
        f"latency p50 {out['p50_ms']:.0f} ms, p99 {out['p99_ms']:.0f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"server CPU per handshake {out['cpu_ms']:.3f} ms "
        f"(user {out['user_ms']:.3f}, system {out['system_ms']:.3f})"
    )
    n = max(out["handshakes"], 1)
    per_1000 = "/".join(f"{c * 1000 / n:.0f}" for c in out["gc_collections"])
    by_gen = " / ".join(f"{t:.3f}" for t in out["gc_by_generation_ms"])
    print(
        f"  garbage collector {out['gc_ms']:.3f} ms per handshake ({by_gen} in generations "
        f"0 / 1 / 2; collections per 1,000 handshakes {per_1000}), {out['gc_collected']:.1f} "
        "objects per handshake freed only by it (reference cycles)"
    )
    if "engine_ms" in out:
        print(
            f"  engine calls {out['engine_ms']:.3f} ms, asyncio layer (the rest) "
            f"{out['layer_ms']:.3f} ms"
        )
    elif "layer_calls" in out:
        print(
            f"Python calls per handshake: layer {out['layer_calls']:.1f}, "
            f"engine {out['engine_calls']:.1f}"
        )
        for name, count in out["top"]:
            print(f"  {count:8.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
