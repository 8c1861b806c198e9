"""Clients (and one server) that misbehave on purpose, shared by the flow-control, limits,
soak, stalled-client and CLI tests.

Each drives a real socket against a real server on 127.0.0.1; the ones that complete a
handshake use our engine as the client (the server under test must not know it is a test).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tls_support import pki

from tls12.io.sync import TLSSocket, connect, wrap_client
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello
from tls12.wire.enums import ContentType

HOST = "127.0.0.1"


def vm_rss(pid: int) -> int:
    """Resident set size of process ``pid``, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc status")


def mib(n: float) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def handshaken(port: int, rcvbuf: int | None = None) -> TLSSocket:
    """A client whose handshake completed; ``rcvbuf`` shrinks its receive buffer before the
    connection is made (so the TCP window it announces is small too)."""
    if rcvbuf is None:
        return connect(HOST, port, pki().client_config(), server_name="localhost", timeout=10)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect((HOST, port))
    return wrap_client(sock, pki().client_config(), "localhost", handshake_timeout=10)


def renegotiation_record(tls: TLSSocket) -> bytes:
    """One encrypted handshake record packed with minimal ClientHellos (45 bytes each): the
    server refuses each renegotiation with a no_renegotiation warning alert (31 bytes
    encrypted), so every record it reads makes it write 70 % as many bytes back, without the
    application ever seeing anything."""
    conn = tls.connection
    hello = ClientHello(
        random=os.urandom(32),
        cipher_suites=(0xC02F,),
        extensions=ext.Extensions(()),
    ).encode()
    return conn._records.write(ContentType.handshake, hello * (16000 // len(hello)))


def echo_time(port: int, payload: bytes = b"ping" * 256) -> float:
    """Seconds for a new client to connect, handshake, and get ``payload`` echoed back."""
    started = time.monotonic()
    with handshaken(port) as tls:
        tls.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = tls.recv()
            assert chunk, "the server closed a normal client"
            got += chunk
        assert got == payload
    return time.monotonic() - started


class Flood:
    """A thread that keeps sending from one connection and never reads.

    ``kind`` is "renegotiation" (records of refused renegotiations) or "echo" (application
    data to an echo server). ``sent`` counts the bytes the kernel took; once the server stops
    reading, sends fail with EAGAIN and the thread just waits.
    """

    def __init__(self, port: int, kind: str = "renegotiation") -> None:
        self.tls = handshaken(port, rcvbuf=4096)  # we never read
        self.sock: socket.socket = self.tls._sock
        self.kind = kind
        self.sent = 0
        self.send_error: OSError | None = None  # the server closed the connection
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Flood:
        self._thread.start()
        return self

    def _run(self) -> None:
        self.sock.setblocking(False)
        pending = memoryview(b"")
        while not self._stop.is_set():
            if not pending:
                # a fresh record each time: a replayed one fails its MAC (sequence numbers)
                pending = memoryview(self._next())
            try:
                n = self.sock.send(pending)
            except BlockingIOError:
                self._stop.wait(0.01)
                continue
            except OSError as exc:
                self.send_error = exc
                return
            self.sent += n
            pending = pending[n:]

    def _next(self) -> bytes:
        if self.kind == "renegotiation":
            return renegotiation_record(self.tls)
        self.tls.connection.send(os.urandom(16000))
        return self.tls.connection.data_to_send()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self.sock.close()


def measure_during(
    seconds: float, sample: Callable[[], None], every: float = 0.25
) -> None:
    """Calls ``sample`` every ``every`` seconds for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sample()
        time.sleep(every)


HELLO_REQUEST_RECORD = b"\x16\x03\x03\x00\x04\x00\x00\x00\x00"
"""A client ignores HelloRequest during a handshake (RFC 5246 §7.4.1.1), so a server can send
one every 0.1 s forever: only a deadline for the whole handshake stops it."""


@contextlib.contextmanager
def trickling_server(seconds: float) -> Iterator[int]:
    """A TCP server that reads the ClientHello, then sends a HelloRequest every 0.1 s for
    ``seconds`` (or until the client goes away) and closes."""
    listener = socket.create_server((HOST, 0))
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                end = time.monotonic() + seconds
                while time.monotonic() < end and not stop.is_set():
                    conn.sendall(HELLO_REQUEST_RECORD)
                    time.sleep(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)
