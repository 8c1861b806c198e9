"""Python's ssl module as a threaded server (outcomes queued) and as a client."""

from __future__ import annotations

import contextlib
import queue
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peers.process import DEFAULT_TIMEOUT, HOST

# --- Python ssl -----------------------------------------------------------------------------


def python_server_context(
    certs: Sequence[tuple[Path, Path]],
    *,
    ciphers: str | None = None,
    alpn: Sequence[str] = (),
    client_ca: Path | None = None,
    dh_params: Path | None = None,
) -> ssl.SSLContext:
    """A TLS 1.2-only server context. ``certs``: (chain, key) files (one RSA, one ECDSA may be
    given together). ``client_ca`` turns on CERT_REQUIRED with those anchors. ``dh_params``: a
    PEM file of DH parameters, without which ``ssl`` offers no DHE suite (it has no automatic
    DH group; see ``write_ffdhe2048_params``)."""
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
    if dh_params is not None:
        ctx.load_dh_params(str(dh_params))
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
                outcome.info["cipher"] = tls.cipher()  # [1] is the suite's minimum version
                outcome.info["version"] = tls.version()  # the negotiated version
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
