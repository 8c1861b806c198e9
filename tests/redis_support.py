"""Real Redis for the tests: a throwaway ``redis-server`` (Debian package redis-server), a
blackholed Redis (a TCP listener that accepts and never answers) and a delayed Redis (a proxy
in front of a real one adding a fixed delay each way), plus ``tls12 server`` processes."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tls_support import pki

HOST = "127.0.0.1"
TEST_TIMEOUT_MS = 5000
"""Redis timeout for what the tests read and for servers whose timeouts are not the point: the
test machine may be loaded far past what a 100 ms bound tolerates."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited early with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not listen on {port} within {timeout}s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise AssertionError("redis-server is not installed (Debian package redis-server)")
    return binary


@contextlib.contextmanager
def redis_server(
    tmp_path: Path, *extra: str, port: int | None = None
) -> Iterator[tuple[int, subprocess.Popen]]:
    port = port or free_port()
    with open(tmp_path / f"redis-{port}.log", "wb") as log:
        proc = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            wait_listening(port, proc, "redis-server")
            yield port, proc
        finally:
            stop(proc)


@contextlib.contextmanager
def blackhole() -> Iterator[int]:
    """A port that accepts TCP connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(512)
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stopping.set()
        listener.close()
        for conn in held:
            conn.close()


@contextlib.contextmanager
def delayed(target_port: int, delay: float) -> Iterator[int]:
    """A proxy to ``target_port`` that holds every chunk ``delay`` seconds each way."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen(128)
    socks: list[socket.socket] = []

    def pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                time.sleep(delay)
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, target_port))
            socks.extend((client, upstream))
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        for s in socks:
            with contextlib.suppress(OSError):
                s.close()


def server_args(tmp_path: Path, port: int, *extra: str) -> list[str]:
    paths = pki().write(tmp_path)
    return [
        sys.executable,
        "-m",
        "tls12",
        "server",
        "--port",
        str(port),
        "--cert",
        str(paths["rsa.crt"]),
        "--key",
        str(paths["rsa.key"]),
        *extra,
    ]


@contextlib.contextmanager
def tls12_server(tmp_path: Path, *extra: str) -> Iterator[tuple[int, Path]]:
    port = free_port()
    err_path = tmp_path / f"tls12-server-{port}.stderr"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            server_args(tmp_path, port, *extra), stdout=subprocess.DEVNULL, stderr=err
        )
        try:
            wait_listening(port, proc, "tls12 server")
            yield port, err_path
        finally:
            stop(proc)


@contextlib.contextmanager
def redis_unix(tmp_path: Path) -> Iterator[str]:
    """redis-server on a unix socket only: the ``unix://`` URL."""
    sock = tmp_path / "redis.sock"
    with open(tmp_path / "redis-unix.log", "wb") as log:
        proc = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            _wait_for(lambda: sock.exists(), proc, "redis-server on a unix socket")
            yield f"unix://{sock}?db=0"
        finally:
            stop(proc)


def _wait_for(ready: Callable[[], bool], proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited early with code {proc.returncode}")
        if ready():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not ready within 15 s")


@contextlib.contextmanager
def redis_tls(tmp_path: Path) -> Iterator[str]:
    """redis-server speaking TLS only (its --tls-port), with our test PKI's certificate: the
    ``rediss://`` URL, verifying Redis against the test CA."""
    paths = pki().write(tmp_path)
    port = free_port()
    with open(tmp_path / "redis-tls.log", "wb") as log:
        proc = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                "0",
                "--tls-port",
                str(port),
                "--bind",
                HOST,
                "--tls-cert-file",
                str(paths["rsa.crt"]),
                "--tls-key-file",
                str(paths["rsa.key"]),
                "--tls-ca-cert-file",
                str(paths["ca"]),
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            wait_listening(port, proc, "redis-server --tls-port")
            yield f"rediss://{HOST}:{port}/0?ssl_ca_certs={paths['ca']}"
        finally:
            stop(proc)


@contextlib.contextmanager
def redis_sentinel(tmp_path: Path) -> Iterator[str]:
    """A master and one Sentinel watching it as ``tls12``: the ``redis+sentinel://`` URL."""
    with redis_server(tmp_path) as (master, _):
        port = free_port()
        conf = tmp_path / "sentinel.conf"
        conf.write_text(
            f"port {port}\nbind {HOST}\nsentinel monitor tls12 {HOST} {master} 1\n"
            "sentinel down-after-milliseconds tls12 5000\n"
        )
        with open(tmp_path / "sentinel.log", "wb") as log:
            proc = subprocess.Popen(
                [redis_binary(), str(conf), "--sentinel"],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
            try:
                wait_listening(port, proc, "redis-server --sentinel")
                yield f"redis+sentinel://{HOST}:{port}/tls12/0"
            finally:
                stop(proc)


@contextlib.contextmanager
def redis_cluster(tmp_path: Path) -> Iterator[str]:
    """A one-node Redis Cluster holding all 16384 slots: the ``redis+cluster://`` URL."""
    port = free_port()
    with open(tmp_path / "redis-cluster.log", "wb") as log:
        proc = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(port),
                "--bind",
                HOST,
                "--cluster-enabled",
                "yes",
                "--cluster-port",
                str(free_port()),
                "--cluster-config-file",
                str(tmp_path / f"nodes-{port}.conf"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            wait_listening(port, proc, "redis-server --cluster-enabled")
            subprocess.run(
                [
                    "redis-cli",
                    "-h",
                    HOST,
                    "-p",
                    str(port),
                    "cluster",
                    "addslotsrange",
                    "0",
                    "16383",
                ],
                check=True,
                capture_output=True,
                timeout=10,
            )

            def healthy() -> bool:
                out = subprocess.run(
                    ["redis-cli", "-h", HOST, "-p", str(port), "cluster", "info"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                ).stdout
                return "cluster_state:ok" in out

            _wait_for(healthy, proc, "the one-node cluster")
            yield f"redis+cluster://{HOST}:{port}"
        finally:
            stop(proc)
