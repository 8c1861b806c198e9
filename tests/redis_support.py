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
from collections.abc import Iterator
from pathlib import Path

from tls_support import pki

HOST = "127.0.0.1"


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
