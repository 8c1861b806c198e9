"""Servers that stay up (issue 16, D1): out of file descriptors, a worker that cannot start,
caps on connections and on handshakes, and the ``tls12`` logger hearing about every handshake.

The descriptor test runs each server as its own process with RLIMIT_NOFILE lowered, fills
its descriptor table with idle clients, lets them go, and checks that a normal client is then
served: the accept loop must have backed off and gone on, not died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_clients import HOST, echo_time, handshaken
from peers import Peer
from tls_support import pki

from tls12.aio import open_connection, start_server
from tls12.errors import ConfigError, TLSError
from tls12.io.sync import TLSSocket, connect
from tls12.io.sync_server import TLSServer

HERE = Path(__file__).parent
NOFILE = 40
IDLE_CLIENTS = 60


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


LIMITED_CLI = (
    "import resource, runpy, sys; "
    "resource.setrlimit(resource.RLIMIT_NOFILE, ({n}, {n})); "
    "sys.argv = ['tls12'] + sys.argv[1:]; "
    "runpy.run_module('tls12', run_name='__main__')"
)
"""``tls12 server`` itself, started with RLIMIT_NOFILE lowered."""


@contextlib.contextmanager
def limited_server(tmp_path: Path, paths: dict[str, Path], kind: str) -> Iterator[Peer]:
    cert, key = str(paths["rsa.crt"]), str(paths["rsa.key"])
    if kind == "cli":
        args = [
            sys.executable, "-c", LIMITED_CLI.format(n=NOFILE), "server", "--port", "0",
            "--cert", cert, "--key", key, "--handshake-timeout", "4",
        ]  # fmt: skip
    else:
        args = [
            "env", f"TLS12_TEST_NOFILE={NOFILE}", sys.executable,
            str(HERE / "serve_for_tests.py"), kind, "0", cert, key,
        ]  # fmt: skip
    with Peer(f"server-{kind}", args, tmp_path) as server:
        match = server.wait_for(rb"listening on 127\.0\.0\.1:(\d+)", stream="stderr")
        server.port = int(match.group(1))  # type: ignore[attr-defined]
        yield server


@pytest.mark.parametrize("kind", ["sync", "aio", "cli"])
def test_server_survives_running_out_of_file_descriptors(
    tmp_path: Path, paths: dict[str, Path], kind: str
) -> None:
    with limited_server(tmp_path, paths, kind) as server:
        port = server.port  # type: ignore[attr-defined]
        echo_time(port)
        idle = [socket.create_connection((HOST, port), timeout=5) for _ in range(IDLE_CLIENTS)]
        time.sleep(1.0)  # the server accepts until accept() fails with EMFILE
        for sock in idle:
            sock.close()
        started = time.monotonic()
        took = None
        while took is None and time.monotonic() - started < 15:
            with contextlib.suppress(OSError, TLSError):
                took = echo_time(port)
        assert took is not None, "no client was served after the pressure was gone"
        assert server.proc.poll() is None, server.diagnostics()
        recovered = time.monotonic() - started
        log = server.stderr().decode()
    assert "Too many open files" in log, log[-2000:]
    if kind == "cli":  # one line each, as every message of the command-line tools
        assert "Traceback" not in log, log[-2000:]
    print(f"\n{kind} server with RLIMIT_NOFILE={NOFILE}: served again {recovered:.2f} s later")


def test_tls_server_survives_a_worker_that_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thread.start() raising RuntimeError ("can't start new thread") is what the system
    does when it is out of threads; the accept loop must drop that client and go on."""
    failures = iter([True, False])
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name.startswith("tls12-worker") and next(failures, False):
            raise RuntimeError("can't start new thread")
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    with TLSServer(pki().server_config(), echo) as server:
        server.start()
        with pytest.raises((OSError, TLSError)):
            connect(HOST, server.port, pki().client_config(), server_name="localhost", timeout=5)
        assert echo_time(server.port) < 10


def echo(tls: TLSSocket) -> None:
    while data := tls.recv():
        tls.sendall(data)


def test_tls_server_caps_concurrent_connections() -> None:
    with TLSServer(pki().server_config(), echo, max_connections=2) as server:
        server.start()
        held = [handshaken(server.port), handshaken(server.port)]
        with pytest.raises(TimeoutError):  # waits in the listen backlog, not served
            connect(HOST, server.port, pki().client_config(), server_name="localhost", timeout=1)
        held.pop().close()
        assert echo_time(server.port) < 10
        for tls in held:
            tls.close()


def test_tls_server_caps_concurrent_handshakes() -> None:
    """With one handshake slot, a client that stalls in its handshake holds it until its
    deadline; the next handshake waits for the slot and then completes."""
    deadline = 1.5
    server = TLSServer(pki().server_config(), echo, max_handshakes=1, handshake_timeout=deadline)
    with server:
        server.start()
        stalled = socket.create_connection((HOST, server.port))
        stalled.sendall(b"\x16\x03\x01\x00")  # a record header, never finished
        time.sleep(0.2)
        started = time.monotonic()
        took = echo_time(server.port)
        assert time.monotonic() - started >= deadline - 0.3, "it did not wait for the slot"
        assert took < deadline + 5
        stalled.close()


def test_limits_are_checked() -> None:
    with pytest.raises(ConfigError, match="max_connections"):
        TLSServer(pki().server_config(), echo, max_connections=0)
    with pytest.raises(ConfigError, match="max_handshakes"):
        TLSServer(pki().server_config(), echo, max_handshakes=0)


def test_asyncio_server_caps_connections_and_handshakes() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main() -> None:
        config = pki().server_config()
        server = await start_server(
            handle, HOST, 0, config, max_connections=2, max_handshakes=1, handshake_timeout=1.5
        )
        port = server.sockets[0].getsockname()[1]
        client = pki().client_config()
        # one stalled handshake holds the only handshake slot ...
        _, stalled = await asyncio.open_connection(HOST, port)
        stalled.write(b"\x16\x03\x01\x00")
        await asyncio.sleep(0.2)
        started = time.monotonic()
        reader, writer = await open_connection(HOST, port, client, server_name="localhost")
        waited = time.monotonic() - started
        assert waited >= 1.0, f"the second handshake did not wait for the slot ({waited:.2f} s)"
        # ... and with two connections up, a third is refused at once
        r2, w2 = await open_connection(HOST, port, client, server_name="localhost")
        with pytest.raises((OSError, TLSError)):
            await open_connection(HOST, port, client, server_name="localhost")
        for w in (writer, w2):
            w.close()
            with contextlib.suppress(OSError, TLSError):
                await w.wait_closed()
        stalled.close()
        await asyncio.sleep(0.1)
        r3, w3 = await open_connection(HOST, port, client, server_name="localhost")
        w3.write(b"again")
        assert await r3.readexactly(5) == b"again"
        w3.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_the_tls12_logger_hears_every_handshake(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tls12")
    with TLSServer(pki().server_config(alpn_protocols=["h2"]), echo) as server:
        server.start()
        config = pki().client_config(alpn_protocols=["h2"])
        with connect(HOST, server.port, config, server_name="localhost") as tls:
            tls.sendall(b"x")
            tls.recv()
            local = tls.getsockname()
        bad = pki().client_config(cipher_suites=["TLS_RSA_WITH_AES_128_GCM_SHA256"])
        with pytest.raises(TLSError):
            connect(HOST, server.port, bad, server_name="localhost")
        time.sleep(0.2)
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "tls12"]
    completed = [m for level, m in lines if level == logging.DEBUG and "handshake with" in m]
    assert any(f"127.0.0.1:{local[1]}" in m and "ALPN h2" in m for m in completed), lines
    assert any("new session" in m and "TLS_ECDHE" in m for m in completed), lines
    failed = [m for level, m in lines if level == logging.INFO and "failed" in m]
    assert any("alert handshake_failure" in m for m in failed), lines


def test_tls_server_io_timeout_frees_the_worker_of_a_peer_that_never_reads() -> None:
    """A handler writing to a peer that never reads blocks in sendall; io_timeout ends it."""
    errors: list[BaseException] = []
    done = threading.Event()

    def blast(tls: TLSSocket) -> None:
        try:
            while True:
                tls.sendall(bytes(65536))
        finally:
            done.set()

    reported = threading.Event()

    def on_error(exc: BaseException) -> None:
        errors.append(exc)
        reported.set()

    with TLSServer(pki().server_config(), blast, io_timeout=0.5, on_error=on_error) as server:
        server.start()
        tls = handshaken(server.port, rcvbuf=4096)
        started = time.monotonic()
        assert done.wait(15), "the worker was still blocked"
        took = time.monotonic() - started
        # on_error runs after the handler's finally block, once the worker's close() is done
        # with the socket (its close_notify flush waits up to io_timeout): wait, bounded.
        assert reported.wait(5), "the worker's error was not reported"
        tls._sock.close()
    assert any(isinstance(e, TimeoutError) for e in errors), errors
    print(f"\nTLSServer io_timeout=0.5: the worker was freed {took:.2f} s after the handshake")


def test_the_asyncio_server_logs_handshakes_by_default(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tls12")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def main() -> None:
        server = await start_server(handle, HOST, 0, pki().server_config())  # no callback
        port = server.sockets[0].getsockname()[1]
        reader, writer = await open_connection(
            HOST, port, pki().client_config(), server_name="localhost"
        )
        await reader.read()
        writer.close()
        bad = pki().client_config(cipher_suites=["TLS_RSA_WITH_AES_128_GCM_SHA256"])
        with pytest.raises(TLSError):
            await open_connection(HOST, port, bad, server_name="localhost")
        await asyncio.sleep(0.2)
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "tls12"]
    assert any(lv == logging.DEBUG and "new session" in m for lv, m in lines), lines
    server_failures = [
        m for lv, m in lines if lv == logging.INFO and "sent alert handshake_failure" in m
    ]
    assert server_failures, lines
