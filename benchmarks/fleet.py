"""The fleet benchmark (issue 18): k ``tls12 server`` processes sharing one Redis, on loopback.

    python benchmarks/fleet.py [--servers 3] [--handshakes 200] [--seconds 8]

Standalone: it needs only tls12, redis-server and openssl on PATH. It prints

1. the share of handshakes that resume when each client connects to a random server of the
   fleet, offering the session it got last time, by session ID (client tickets off) and by
   ticket; the goal is every offered session resuming anywhere;
2. full handshakes per second against ``--workers 1`` and ``--workers 2`` (clients:
   ``openssl s_time -new``, eight at once), the ratio, the CPU each side spends per
   handshake, and the ratio the machine allows when the clients share its cores;
3. the handshake time of a client offering a session ID when Redis is up, stopped
   (connection refused) and blackholed (accepts, never answers), against full handshakes on
   a server with no Redis at all: the added latency, with the Redis timeout at 100 ms;
4. handshakes/s from 8 concurrent clients resuming by session ID when Redis is 100 ms
   away (a proxy holding each chunk 50 ms each way) against Redis direct: with the lookup off
   the event loop, the server overlaps the waits instead of serving one lookup at a time.

Numbers are ratios and percentiles on this machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tls12.config import ClientConfig
from tls12.io.sync import connect
from tls12.pki import make_ca
from tls12.sessions import Session
from tls12.verify import TrustStore

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise SystemExit(f"{what} did not listen on {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Fleet:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        ca = make_ca("fleet bench CA")
        self.ca_path = ca.write(workdir / "ca.pem")
        self.cert, self.key = ca.issue(["localhost", "127.0.0.1"], key_type="rsa").write(
            workdir, "rsa"
        )
        self.trust = TrustStore.from_certificates([ca.cert])

    @contextlib.contextmanager
    def redis(self) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(port, proc, "redis-server")
            yield port, proc
        finally:
            stop(proc)

    @contextlib.contextmanager
    def servers(self, k: int, *extra: str) -> Iterator[list[int]]:
        procs, ports = [], []
        try:
            for _ in range(k):
                port = free_port()
                proc = subprocess.Popen(
                    [sys.executable, "-m", "tls12", "server", "--port", str(port), "--quiet"]
                    + ["--cert", str(self.cert), "--key", str(self.key), *extra],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                procs.append(proc)
                wait_port(port, proc, "tls12 server")
                ports.append(port)
            yield ports
        finally:
            for proc in procs:
                stop(proc)

    def client(self, tickets: bool) -> ClientConfig:
        return ClientConfig(trust=self.trust, session_tickets=tickets)

    def handshake(
        self, port: int, config: ClientConfig, session: Session | None
    ) -> tuple[bool, Session | None, float]:
        start = time.perf_counter()
        tls = connect(HOST, port, config, server_name="localhost", session=session, timeout=10)
        took = time.perf_counter() - start
        tls.sendall(b"x")
        tls.recv()
        resumed, new = tls.session_reused, tls.session
        tls.unwrap().close()
        return resumed, new, took


def resumption_share(fleet: Fleet, k: int, n: int) -> dict[str, float]:
    out = {}
    with fleet.redis() as (redis_port, _):
        url = f"redis://{HOST}:{redis_port}/0"
        with fleet.servers(k, "--session-store", url, "--ticket-keys", url) as ports:
            for mode, tickets in (("session ID", False), ("ticket", True)):
                config = fleet.client(tickets)
                _, session, _ = fleet.handshake(random.choice(ports), config, None)
                resumed = 0
                for _ in range(n):
                    ok, session, _ = fleet.handshake(random.choice(ports), config, session)
                    resumed += ok
                out[mode] = resumed / n
    return out


def s_time(port: int, ca: Path, seconds: int, clients: int) -> tuple[float, float]:
    """Full handshakes per second from ``clients`` parallel ``openssl s_time -new``, and the
    clients' CPU seconds (user) per handshake."""
    cmd = ["openssl", "s_time", "-connect", f"{HOST}:{port}", "-new", "-tls1_2"]
    cmd += ["-CAfile", str(ca), "-time", str(seconds), "-www", "/"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(clients)
    ]
    total, count, user = 0.0, 0, 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        real = re.search(r"(\d+) connections in (\d+) real seconds", out)
        cpu = re.search(r"(\d+) connections in ([\d.]+)s;", out)
        if real is None or cpu is None:
            raise SystemExit(f"openssl s_time printed no count:\n{out}")
        total += int(real.group(1)) / max(1, int(real.group(2)))
        count += int(cpu.group(1))
        user += float(cpu.group(2))
    return total, user / max(1, count)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its live children (the workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


@contextlib.contextmanager
def one_server(fleet: Fleet, *extra: str) -> Iterator[tuple[int, int]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tls12", "server", "--port", str(port), "--quiet"]
        + ["--cert", str(fleet.cert), "--key", str(fleet.key), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, proc, "tls12 server")
        yield port, proc.pid
    finally:
        stop(proc)


def workers_rate(fleet: Fleet, seconds: int, clients: int) -> dict[int, tuple[float, float, float]]:
    """For 1 and 2 workers: (handshakes/s, server CPU ms per handshake, client CPU ms per
    handshake)."""
    out = {}
    for workers in (1, 2):
        args = ("--www", "--no-tickets", "--workers", str(workers))
        with one_server(fleet, *args) as (port, pid):
            time.sleep(1.0)
            before = cpu_seconds(pid)
            rate, client_cpu = s_time(port, fleet.ca_path, seconds, clients)
            server_cpu = (cpu_seconds(pid) - before) / max(1.0, rate * seconds)
            out[workers] = (rate, server_cpu * 1000, client_cpu * 1000)
    return out


@contextlib.contextmanager
def blackhole() -> Iterator[int]:
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(1024)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        for conn in held:
            conn.close()


@contextlib.contextmanager
def delayed(target: int, delay: float) -> Iterator[int]:
    """A TCP proxy to ``target`` holding every chunk ``delay`` seconds each way."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(128)

    def pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                time.sleep(delay)
                dst.sendall(data)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client = listener.accept()[0]
                upstream = socket.create_connection((HOST, target))
                threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def concurrent_rate(fleet: Fleet, url: str, threads: int, seconds: float) -> tuple[float, float]:
    """Handshakes/s from ``threads`` clients each resuming by session ID, and the share
    resumed, against one server whose session store is ``url``."""
    config = fleet.client(False)
    with fleet.servers(1, "--session-store", url, "--redis-timeout", "1000") as (port,):
        _, session, _ = fleet.handshake(port, config, None)
        time.sleep(0.5)  # let the session's write land
        counts = [0] * threads
        resumed = [0] * threads
        stop_at = time.monotonic() + seconds

        def run(i: int) -> None:
            while time.monotonic() < stop_at:
                ok, _, _ = fleet.handshake(port, config, session)
                counts[i] += 1
                resumed[i] += ok

        workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    total = sum(counts)
    return total / seconds, sum(resumed) / max(1, total)


def slow_redis(fleet: Fleet, threads: int, seconds: float) -> dict[str, tuple[float, float]]:
    with fleet.redis() as (port, _):
        out = {"Redis direct": concurrent_rate(fleet, f"redis://{HOST}:{port}/0", threads, seconds)}
        with delayed(port, 0.05) as slow:
            url = f"redis://{HOST}:{slow}/0"
            out["Redis 100 ms away"] = concurrent_rate(fleet, url, threads, seconds)
    return out


def percentiles(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"median {statistics.median(ms):6.2f} ms  p99 {p99:6.2f} ms  max {ms[-1]:7.2f} ms"


def offered_id_times(
    fleet: Fleet, extra: list[str], n: int, offer: bool = True
) -> tuple[list[float], int]:
    config = fleet.client(False)
    with fleet.servers(1, "--redis-timeout", "100", *extra) as (port,):
        _, session, _ = fleet.handshake(port, config, None)
        times, resumed = [], 0
        for _ in range(n):
            ok, _, took = fleet.handshake(port, config, session if offer else None)
            times.append(took)
            resumed += ok
            time.sleep(0.01)
    return times, resumed


def redis_trouble(fleet: Fleet, n: int) -> dict[str, tuple[list[float], int]]:
    out = {"full, no Redis": offered_id_times(fleet, ["--no-tickets"], n, offer=False)}
    with fleet.redis() as (port, _):
        url = f"redis://{HOST}:{port}/0"
        out["Redis up"] = offered_id_times(fleet, ["--session-store", url], n)
    stopped = f"redis://{HOST}:{free_port()}/0"
    out["Redis stopped"] = offered_id_times(fleet, ["--session-store", stopped], n)
    with blackhole() as hole:
        url = f"redis://{HOST}:{hole}/0"
        out["Redis blackholed"] = offered_id_times(fleet, ["--session-store", url], n)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--handshakes", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--clients", type=int, default=8, help="parallel openssl s_time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(Path(tmp))
        print(f"fleet of {args.servers} servers, one Redis, random server per connection")
        for mode, share in resumption_share(fleet, args.servers, args.handshakes).items():
            print(f"  resumed by {mode:10}: {share:6.1%} of {args.handshakes}")
        rates = workers_rate(fleet, args.seconds, args.clients)
        print(f"full handshakes/s ({args.clients} x openssl s_time -new, --no-tickets, --www)")
        for workers, (rate, server_ms, client_ms) in rates.items():
            print(
                f"  --workers {workers}: {rate:7.1f}/s  server CPU {server_ms:.2f} ms/handshake"
                f"  client CPU {client_ms:.2f} ms/handshake"
            )
        print(f"  ratio 2/1: {rates[2][0] / rates[1][0]:.2f}x")
        _, server_ms, client_ms = rates[1]
        cores = len(os.sched_getaffinity(0))
        ceiling = min(2.0, cores * 1000 / (server_ms + client_ms) / (1000 / server_ms))
        print(
            f"  ceiling with the clients on the same {cores} cores (CPU per handshake): "
            f"{ceiling:.2f}x; load average {os.getloadavg()[0]:.1f} during the run"
        )
        print("client offering a session ID, --redis-timeout 100 (tickets off on the client)")
        for name, (times, resumed) in redis_trouble(fleet, args.handshakes).items():
            print(f"  {name:20}: {percentiles(times)}  resumed {resumed}/{len(times)}")
        print("8 concurrent clients resuming by session ID, --redis-timeout 1000")
        for name, (rate, share) in slow_redis(fleet, 8, args.seconds).items():
            print(f"  {name:20}: {rate:6.1f} handshakes/s, {share:6.1%} resumed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
