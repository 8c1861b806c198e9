"""Peer processes: output to files, polling with deadlines, always stopped by pid."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

HOST = "127.0.0.1"
POLL = 0.01
DEFAULT_TIMEOUT = 15.0

_counter = itertools.count()


def openssl_binary() -> str:
    path = shutil.which("openssl")
    if path is None:
        raise AssertionError("the openssl command is not installed (Debian package openssl)")
    return path


def _tail(data: bytes, limit: int) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else "[...]" + text[-limit:]


# --- processes ------------------------------------------------------------------------------


class Peer:
    """A peer process whose stdout and stderr go to files (never to pipes that could fill)."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        directory: Path,
        *,
        cwd: Path | None = None,
    ) -> None:
        n = next(_counter)
        self.name = name
        self.args = [str(a) for a in args]
        self.stdout_path = directory / f"{name}-{os.getpid()}-{n}.stdout"
        self.stderr_path = directory / f"{name}-{os.getpid()}-{n}.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.PIPE, stdout=out, stderr=err, cwd=cwd
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stdout(self) -> bytes:
        return self.stdout_path.read_bytes()

    def stderr(self) -> bytes:
        return self.stderr_path.read_bytes()

    def output(self) -> str:
        """stdout then stderr, as text (for searching for messages)."""
        return (self.stdout() + b"\n" + self.stderr()).decode("utf-8", errors="replace")

    def diagnostics(self, limit: int = 3000) -> str:
        rc = self.proc.poll()
        return (
            f"\n--- {self.name} (pid {self.pid}, exit status {rc}): {' '.join(self.args)}\n"
            f"--- stdout ({self.stdout_path}):\n{_tail(self.stdout(), limit)}\n"
            f"--- stderr ({self.stderr_path}):\n{_tail(self.stderr(), limit)}\n"
        )

    def wait_for(
        self, pattern: bytes, timeout: float = DEFAULT_TIMEOUT, *, stream: str = "stdout"
    ) -> re.Match[bytes]:
        """Polls the output file until the regex ``pattern`` matches; fails with the output
        when the deadline passes or the process exits first."""
        regex = re.compile(pattern)
        read = self.stdout if stream == "stdout" else self.stderr
        deadline = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            match = regex.search(read())
            if match:
                return match
            if exited:
                raise AssertionError(
                    f"{self.name} exited before printing {pattern!r}" + self.diagnostics()
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} did not print {pattern!r} within {timeout}s" + self.diagnostics()
                )
            time.sleep(POLL)

    def write(self, data: bytes) -> None:
        """Writes to the peer's stdin (blocking until the peer has read enough of it)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Waits for the process to exit by itself; fails (with the output) after timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} did not exit within {timeout}s" + self.diagnostics()
            ) from None

    def stop(self) -> None:
        """Terminates (then kills) this process by its pid and reaps it. Idempotent."""
        self.close_stdin()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        else:
            self.proc.wait()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
