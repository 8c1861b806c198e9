"""``tls12 server --workers N|auto``: N server processes on one port, supervised.

The protocol work is Python under one GIL, so a host with N cores needs N processes. Each
worker is a fork of the supervisor made after the configuration was loaded and checked (so a
bad flag fails once, before any worker starts); it then starts its own background threads
(ticket ring refresh) and its own event loop, and shares sessions and ticket keys with the
others through the configured Redis or key file.

Listening: with ``SO_REUSEPORT`` (Linux, the BSDs) each worker binds its own socket to the
port and the kernel spreads connections across them; the supervisor keeps one bound socket
(not listening, so it never receives connections) to hold the port, which also fixes the port
for ``--port 0``. Without ``SO_REUSEPORT`` the supervisor makes one listening socket and the
workers share it.

A worker that dies is restarted (with a growing delay when it keeps dying at once); SIGTERM
or SIGINT to the supervisor stops every worker with SIGTERM (SIGKILL after a grace period)
and exits 0. A worker stops cleanly on SIGTERM: it closes its listening socket and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from tls12.cli.common import status
from tls12.errors import ConfigError

MAX_WORKERS = 256
GRACE = 10.0
"""Seconds the supervisor waits for workers to exit after SIGTERM before killing them."""

Serve = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
"""``serve(listen)``: the serving coroutine of one process; ``listen`` holds the keyword
arguments for ``start_server`` (``host``/``port``/``reuse_port`` or ``sock``)."""


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        default="1",
        metavar="N|auto",
        help="serve from N processes on the one port (auto: one per core; default 1)",
    )


def count(args: argparse.Namespace) -> int:
    value = str(args.workers).strip().lower()
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:
            return max(1, os.cpu_count() or 1)
    try:
        n = int(value)
    except ValueError:
        raise ConfigError(f"--workers takes a number or 'auto', not {args.workers!r}") from None
    if not 1 <= n <= MAX_WORKERS:
        raise ConfigError(f"--workers must be between 1 and {MAX_WORKERS}")
    return n


def run_until_signal(serve: Serve, listen: dict[str, Any]) -> int:
    """Runs one serving process until SIGTERM/SIGINT, then stops cleanly; exit code 0."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # asyncio.run always runs main() as a task; this says so to mypy
            raise RuntimeError("run_until_signal's coroutine must run as a task")
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(listen)

    asyncio.run(main())
    return 0


def _reuse_port_available() -> bool:
    if not hasattr(socket, "SO_REUSEPORT"):
        return False
    with socket.socket() as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        except OSError:
            return False
    return True


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class Supervisor:
    """Starts, watches and stops the worker processes."""

    def __init__(self, n: int, host: str, port: int, serve: Serve) -> None:
        self.n = n
        self.serve = serve
        self.stopping = False
        self.children: dict[int, float] = {}  # pid -> start time
        self.reuse_port = _reuse_port_available()
        self._sock = socket.socket(_family(host), socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.reuse_port:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._sock.bind((host, port))
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        if not self.reuse_port:
            self._sock.listen(1024)
        self._delay = 0.0

    def listen_args(self) -> dict[str, Any]:
        if self.reuse_port:
            return {"host": self.host, "port": self.port, "reuse_port": True}
        return {"host": None, "port": None, "sock": self._sock}

    def spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                if self.reuse_port:
                    self._sock.close()
                code = run_until_signal(self.serve, self.listen_args())
            except ConfigError as exc:
                print(f"tls12: worker {os.getpid()}: {exc}", file=sys.stderr)
            except BaseException as exc:  # one line, never a traceback from a worker
                print(f"tls12: worker {os.getpid()} failed: {exc!r}", file=sys.stderr)
            finally:
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _reap(self) -> None:
        while self.children:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            lived = time.monotonic() - started
            self._delay = 0.0 if lived > 5 else min(5.0, max(0.1, self._delay * 2))
            status(
                f"tls12 server: worker {pid} exited ({_describe(code)}); restarting"
                + (f" in {self._delay:g} s" if self._delay else "")
            )
            time.sleep(self._delay)
            if not self.stopping:
                self.spawn()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            for _ in range(self.n):
                self.spawn()
            status(
                f"tls12 server supervising {self.n} workers on {self.host}:{self.port} "
                f"({'SO_REUSEPORT' if self.reuse_port else 'one shared socket'})"
            )
            while not self.stopping:
                self._reap()
                time.sleep(0.05)
        finally:
            self.stop()
        return 0

    def stop(self) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.children.pop(pid, None)
        self._sock.close()


def _describe(code: int) -> str:
    if os.WIFSIGNALED(code):
        return f"signal {signal.Signals(os.WTERMSIG(code)).name}"
    return f"code {os.waitstatus_to_exitcode(code)}"


def supervise(args: argparse.Namespace, serve: Serve) -> int:
    """Runs ``count(args)`` workers of ``serve`` on ``args.host:args.port``."""
    if not hasattr(os, "fork"):
        raise ConfigError("--workers needs a system with fork()")
    try:
        supervisor = Supervisor(count(args), args.host, args.port, serve)
    except (OSError, OverflowError) as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    return supervisor.run()
