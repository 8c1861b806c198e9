"""Real TLS peers for the interop tests: OpenSSL's s_server and s_client as processes, Python's
``ssl`` module as a threaded server or a client, and our own TLSServer with its outcomes
collected for assertions.

Rules every helper follows, so the tests run side by side under pytest-xdist:
- everything listens on 127.0.0.1 on a port the OS picks (port 0); no fixed ports;
- output goes to files in the test's own tmp directory, and ``diagnostics()`` puts their tail
  into assertion messages;
- waiting is polling with a deadline, never a long blind sleep;
- every process is stopped by its own pid (terminate, then kill) and reaped; every thread and
  socket is closed when its context manager exits.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# --- OpenSSL s_server -----------------------------------------------------------------------


class OpenSSLServer(Peer):
    port: int


@contextlib.contextmanager
def openssl_server(
    directory: Path,
    options: Sequence[str],
    *,
    cwd: Path | None = None,
    tls12_only: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[OpenSSLServer]:
    """``openssl s_server -accept 127.0.0.1:0 [-tls1_2] OPTIONS``, stopped on exit.

    The OS picks the port; s_server prints ``ACCEPT 127.0.0.1:PORT`` after listen(), which is
    what we wait for (a probe connection would use up a ``-naccept`` slot). stdin stays an open
    pipe: at EOF on stdin s_server would end the connection ("DONE").
    Received application data is written raw to stdout (without ``-quiet``/``-www``)."""
    args = [openssl_binary(), "s_server", "-accept", f"{HOST}:0"]
    if tls12_only:
        args.append("-tls1_2")
    args += list(options)
    server = OpenSSLServer("s_server", args, directory, cwd=cwd)
    try:
        match = server.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)", timeout)
        server.port = int(match.group(1))
        yield server
    finally:
        server.stop()


def received_by_s_server(stdout: bytes) -> bytes:
    """The application data an s_server (without -www/-quiet) printed for one connection.

    It prints the session summary ending in the renegotiation line, then the data raw, then
    ``DONE`` when the client's close_notify arrives (``ERROR`` otherwise)."""
    start_marker = re.compile(rb"Secure Renegotiation IS (?:NOT )?supported\n")
    start = start_marker.search(stdout)
    if start is None:
        raise AssertionError("s_server did not print a session summary")
    end = stdout.rfind(b"DONE\nshutting down SSL")
    if end < start.end():
        raise AssertionError(
            "s_server did not report a clean close (DONE after close_notify)\n"
            + _tail(stdout[start.end() :], 1500)
        )
    return stdout[start.end() : end]


# --- OpenSSL s_client -----------------------------------------------------------------------


@dataclass
class ClientRun:
    """A finished s_client run."""

    peer: Peer
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def output(self) -> str:
        return (self.stdout + b"\n" + self.stderr).decode("utf-8", errors="replace")

    def diagnostics(self) -> str:
        return self.peer.diagnostics()


def _s_client_args(port: int, options: Sequence[str], tls12_only: bool) -> list[str]:
    args = [openssl_binary(), "s_client", "-connect", f"{HOST}:{port}"]
    if tls12_only:
        args.append("-tls1_2")
    return args + list(options)


def run_openssl_client(
    directory: Path,
    port: int,
    options: Sequence[str],
    *,
    stdin_data: bytes = b"",
    timeout: float = DEFAULT_TIMEOUT,
    tls12_only: bool = True,
) -> ClientRun:
    """Runs ``openssl s_client -connect 127.0.0.1:PORT [-tls1_2] OPTIONS`` to completion,
    feeding ``stdin_data`` (then EOF) from a writer thread; kills it after ``timeout``.

    Without -quiet/-ign_eof, s_client ends the connection at EOF on stdin and treats a read
    from stdin that starts with Q or R as a command; with -quiet it only exits when the
    server closes, and stdout holds exactly the received application data."""
    peer = Peer("s_client", _s_client_args(port, options, tls12_only), directory)

    def feed() -> None:
        with contextlib.suppress(OSError):
            if stdin_data:
                peer.write(stdin_data)
        peer.close_stdin()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        returncode = peer.wait(timeout)
        writer.join(timeout)
        return ClientRun(peer, returncode, peer.stdout(), peer.stderr())
    finally:
        peer.stop()
        writer.join(1)


@contextlib.contextmanager
def openssl_client(
    directory: Path, port: int, options: Sequence[str], *, tls12_only: bool = True
) -> Iterator[Peer]:
    """An interactive s_client: write to its stdin, ``wait_for`` its output; stopped on exit."""
    peer = Peer("s_client", _s_client_args(port, options, tls12_only), directory)
    try:
        yield peer
    finally:
        peer.stop()


def assert_same_bytes(got: bytes, want: bytes, what: str) -> None:
    """Byte-exact comparison that reports sizes and the first difference, not a 1 MiB diff."""
    if got == want:
        return
    first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    where = f"first difference at offset {first}" if first is not None else "one is a prefix"
    raise AssertionError(f"{what}: got {len(got)} bytes, expected {len(want)} ({where})")


# --- OpenSSL names ----------------------------------------------------------------------------


def _openssl_cipher_names() -> dict[int, str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return {c["id"] & 0xFFFF: c["name"] for c in ctx.get_ciphers()}


_CIPHER_NAMES: dict[int, str] = {}


def openssl_cipher_name(suite_id: int) -> str:
    """OpenSSL's name for a cipher suite id (``ECDHE-RSA-AES128-GCM-SHA256`` for 0xC02F)."""
    if not _CIPHER_NAMES:
        _CIPHER_NAMES.update(_openssl_cipher_names())
    try:
        return _CIPHER_NAMES[suite_id]
    except KeyError:
        raise AssertionError(f"this OpenSSL does not know suite {suite_id:#06x}") from None


# --- Python ssl -----------------------------------------------------------------------------


def python_server_context(
    certs: Sequence[tuple[Path, Path]],
    *,
    ciphers: str | None = None,
    alpn: Sequence[str] = (),
    client_ca: Path | None = None,
) -> ssl.SSLContext:
    """A TLS 1.2-only server context. ``certs``: (chain, key) files (one RSA, one ECDSA may be
    given together). ``client_ca`` turns on CERT_REQUIRED with those anchors."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    for chain, key in certs:
        ctx.load_cert_chain(chain, key)
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(client_ca))
    return ctx


def python_client_context(
    cafile: Path,
    *,
    ciphers: str | None = None,
    alpn: Sequence[str] = (),
    cert: tuple[Path, Path] | None = None,
) -> ssl.SSLContext:
    """A TLS 1.2-only client context that verifies the server against ``cafile``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=str(cafile))
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


@dataclass
class Outcome:
    """What one server-side connection ended with: the handler's value or an exception."""

    value: Any = None
    error: BaseException | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def result(self) -> Any:
        if self.error is not None:
            raise AssertionError(f"server side failed: {self.error!r}") from self.error
        return self.value


class _OutcomeQueue:
    def __init__(self) -> None:
        self._q: queue.Queue[Outcome] = queue.Queue()

    def put(self, outcome: Outcome) -> None:
        self._q.put(outcome)

    def next_outcome(self, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
        """The next finished connection's outcome (waits up to ``timeout``)."""
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no server-side connection finished within {timeout}s") from None

    def result(self, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The next connection's handler value; its exception becomes an AssertionError."""
        return self.next_outcome(timeout).result()


class PythonTLSServer(_OutcomeQueue):
    """A Python ``ssl`` server in a thread: one thread per connection runs ``handler`` on the
    wrapped socket; each connection's Outcome (value or exception) is queued."""

    def __init__(
        self,
        context: ssl.SSLContext,
        handler: Callable[[ssl.SSLSocket], Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__()
        self.context = context
        self.handler = handler
        self.timeout = timeout
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket) -> None:
        outcome = Outcome()
        try:
            sock.settimeout(self.timeout)
            with self.context.wrap_socket(sock, server_side=True) as tls:
                outcome.info["cipher"] = tls.cipher()
                outcome.info["alpn"] = tls.selected_alpn_protocol()
                outcome.info["peercert"] = tls.getpeercert()
                outcome.value = self.handler(tls)
        except BaseException as exc:  # reported to the test through the queue
            outcome.error = exc
        finally:
            sock.close()
            self.put(outcome)

    def __enter__(self) -> PythonTLSServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepter.join(5)
        for t in self._threads:
            t.join(5)


def recv_exactly(sock: Any, n: int) -> bytes:
    """Reads exactly n bytes (fails if the stream ends first)."""
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            raise AssertionError(f"stream ended after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def recv_until_eof(sock: Any) -> bytes:
    """Reads until the peer's close_notify (recv returns b"")."""
    buf = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(buf)
        buf += chunk


def py_echo_handler(tls: ssl.SSLSocket) -> bytes:
    """Echoes until the client's close_notify, answers with its own; returns what it echoed."""
    seen = bytearray()
    while True:
        data = tls.recv(65536)
        if not data:
            break
        seen += data
        tls.sendall(data)
    tls.unwrap()
    return bytes(seen)


def py_send_handler(payload: bytes) -> Callable[[ssl.SSLSocket], int]:
    """Sends ``payload``, then close_notify (waiting for the client's); returns its length."""

    def handler(tls: ssl.SSLSocket) -> int:
        tls.sendall(payload)
        tls.unwrap()
        return len(payload)

    return handler


def py_receive_handler(size: int, reply: bytes = b"OK") -> Callable[[ssl.SSLSocket], bytes]:
    """Reads exactly ``size`` bytes, answers ``reply`` and close_notify; returns the bytes."""

    def handler(tls: ssl.SSLSocket) -> bytes:
        data = recv_exactly(tls, size)
        tls.sendall(reply)
        tls.unwrap()
        return data

    return handler


@contextlib.contextmanager
def python_tls_client(
    port: int,
    context: ssl.SSLContext,
    server_hostname: str | None = "localhost",
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[ssl.SSLSocket]:
    """A connected, handshaken Python ``ssl`` client socket; closed on exit."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    try:
        tls = context.wrap_socket(sock, server_hostname=server_hostname)
    except BaseException:
        sock.close()
        raise
    try:
        yield tls
    finally:
        tls.close()


def ssl_unwrap_quietly(tls: ssl.SSLSocket) -> None:
    """close_notify from a Python ssl socket when the peer may already be gone."""
    with contextlib.suppress(OSError, ValueError):
        tls.unwrap()


# --- our own server, with outcomes collected ------------------------------------------------


class OurServer(_OutcomeQueue):
    """tls12's TLSServer in a thread. Each connection's Outcome holds the handler's value (or
    exception) and ``info["negotiated"]``; a failed handshake is an Outcome with the error."""

    def __init__(self, config: Any, handler: Callable[[Any], Any], **kw: Any) -> None:
        from tls12.io.sync import TLSServer

        super().__init__()
        self._user_handler = handler
        self.server = TLSServer(config, self._handle, on_error=self._on_error, **kw)
        self.port: int = self.server.port

    def _handle(self, tls: Any) -> None:
        outcome = Outcome(info={"negotiated": tls.negotiated, "connection": tls.connection})
        try:
            outcome.value = self._user_handler(tls)
        except BaseException as exc:
            outcome.error = exc
        self.put(outcome)

    def _on_error(self, exc: BaseException) -> None:  # handshake failures only
        self.put(Outcome(error=exc))

    def __enter__(self) -> OurServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
