"""Blocking sockets over the sans-I/O engine.

``TLSSocket`` behaves like a socket (``send``, ``sendall``, ``recv``, ``recv_into``,
``makefile``, ``settimeout``, ``fileno``, ``close``) and exposes what the handshake agreed on.
All protocol work happens in the engine; this file only moves bytes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography import x509

from tls12.config import ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import ConnectionClosedError, TLSError, TruncationError
from tls12.events import ApplicationData, ConnectionClosed, Negotiated
from tls12.io.server_limits import (
    DEFAULT_MAX_CONNECTIONS,
    RESOURCE_ERRNOS,
    TRANSIENT_ERRNOS,
    Backoff,
    ServerLimits,
    set_nodelay,
)
from tls12.log import connection_failed, handshake_completed, logger, peer_text
from tls12.sessions import Session

RECV_SIZE = 65536


class TLSSocket:
    """A connected TLS socket. Create it with ``connect``, ``wrap_client`` or ``wrap_server``."""

    def __init__(self, sock: socket.socket, conn: Connection) -> None:
        self._sock = sock
        self.connection = conn
        self._incoming = bytearray()
        self._eof = False
        self._closed = False
        self._lock = threading.Lock()

    # -- handshake ------------------------------------------------------------------------

    def do_handshake(self, timeout: float | None = None) -> None:
        """Runs the handshake to completion (or raises the TLSError that ended it).

        ``timeout`` is a deadline for the whole handshake, not per read, so a peer that
        trickles one byte at a time cannot hold the connection open; past it, TimeoutError.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        previous = self._sock.gettimeout()
        self.connection.start()
        self._flush()
        try:
            while not self.connection.handshake_complete:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"the TLS handshake took longer than {timeout} s")
                    self._sock.settimeout(left if previous is None else min(left, previous))
                if not self._pump() and not self.connection.handshake_complete:
                    raise TruncationError("the peer closed the connection during the handshake")
        finally:
            if deadline is not None:
                self._sock.settimeout(previous)

    def _flush(self) -> None:
        data = self.connection.data_to_send()
        if data:
            self._sock.sendall(data)

    def _pump(self) -> bool:
        """Reads once from the socket into the engine. False at a clean end of stream."""
        if self._eof:
            return False
        if self.connection.error is not None:
            raise self.connection.error
        data = self._sock.recv(RECV_SIZE)
        with self._lock:  # the engine is driven by one thread at a time
            try:
                events = self.connection.receive_data(data)
            except TLSError:
                self._flush_quietly()
                raise
            self._flush()
        for event in events:
            if isinstance(event, ApplicationData):
                self._incoming += event.data
            elif isinstance(event, ConnectionClosed):
                self._eof = True
        if not data:
            self._eof = True
        return not self._eof or bool(self._incoming)

    def _flush_quietly(self) -> None:
        with contextlib.suppress(OSError):
            self._flush()

    # -- what was negotiated --------------------------------------------------------------

    @property
    def negotiated(self) -> Negotiated:
        n = self.connection.negotiated
        if n is None:
            raise ConnectionClosedError("the handshake has not completed")
        return n

    def version(self) -> str | None:
        n = self.connection.negotiated
        return n.version if n else None

    def cipher(self) -> tuple[str, str, int] | None:
        """(suite name, protocol, secret bits), as ``ssl.SSLSocket.cipher()`` returns."""
        n = self.connection.negotiated
        if n is None:
            return None
        return (n.cipher_suite.name, n.version, n.cipher_suite.key_len * 8)

    def selected_alpn_protocol(self) -> str | None:
        n = self.connection.negotiated
        return n.alpn_protocol if n else None

    @property
    def session(self) -> Session | None:
        """The session to resume this connection later (a secret: it holds keys)."""
        return self.connection.session

    @property
    def session_reused(self) -> bool:
        n = self.connection.negotiated
        return bool(n and n.resumed)

    @property
    def peer_certificates(self) -> tuple[x509.Certificate, ...]:
        return self.negotiated.peer_certificates

    # -- data -----------------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> int:
        self.sendall(data)
        return len(data)

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ConnectionClosedError("the socket is closed")
        with self._lock:
            self.connection.send(bytes(data))
            self._flush()

    def recv(self, bufsize: int = RECV_SIZE) -> bytes:
        """Up to ``bufsize`` bytes; b"" once the peer has sent close_notify."""
        while not self._incoming:
            if not self._pump():
                return b""
        chunk = bytes(self._incoming[:bufsize])
        del self._incoming[:bufsize]
        return chunk

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        data = self.recv(n)
        view[: len(data)] = data
        return len(data)

    def pending(self) -> int:
        return len(self._incoming)

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        return buffered_file(_TLSRawIO(self, mode), mode, buffering, **kwargs)

    # -- socket plumbing ------------------------------------------------------------------

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._sock.gettimeout()

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def fileno(self) -> int:
        return self._sock.fileno()

    def getpeername(self) -> Any:
        return self._sock.getpeername()

    def getsockname(self) -> Any:
        return self._sock.getsockname()

    def setsockopt(self, *args: Any) -> None:
        self._sock.setsockopt(*args)

    def unwrap(self) -> socket.socket:
        """Sends close_notify, waits for the peer's, and hands back the plain socket."""
        self.connection.close()
        self._flush_quietly()
        while not self.connection.closed_by_peer and self.connection.error is None:
            if not self._pump() and not self.connection.closed_by_peer:
                break
        sock, self._closed = self._sock, True
        return sock

    def close(self) -> None:
        """Sends close_notify (if the connection is healthy) and closes the socket."""
        if self._closed:
            return
        self._closed = True
        if self.connection.error is None and self.connection.handshake_complete:
            self.connection.close()
            self._flush_quietly()
        self._sock.close()

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)

    def __enter__(self) -> TLSSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def buffered_file(raw: io.RawIOBase, mode: str, buffering: int | None, **kwargs: Any) -> Any:
    """What ``socket.makefile`` returns for a raw stream: buffered, and text unless "b"."""
    binary = "b" in mode
    if buffering == 0 and binary:
        return raw
    size = io.DEFAULT_BUFFER_SIZE if buffering in (None, -1, 0) else buffering
    reading, writing = "r" in mode, "w" in mode
    if reading and writing:
        buf: Any = io.BufferedRWPair(raw, raw, size)
    elif writing:
        buf = io.BufferedWriter(raw, size)
    else:
        buf = io.BufferedReader(raw, size)
    return buf if binary else io.TextIOWrapper(buf, **kwargs)


class _TLSRawIO(io.RawIOBase):
    """The raw stream behind ``makefile``."""

    def __init__(self, tls: TLSSocket, mode: str) -> None:
        super().__init__()
        self._tls = tls
        self._mode = mode

    def readable(self) -> bool:
        return "r" in self._mode

    def writable(self) -> bool:
        return "w" in self._mode

    def readinto(self, b: Any) -> int:
        return self._tls.recv_into(b)

    def write(self, b: Any) -> int:
        self._tls.sendall(b)
        return len(b)


def wrap_client(
    sock: socket.socket,
    config: ClientConfig,
    server_name: str | None = None,
    session: Session | None = None,
    handshake_timeout: float | None = None,
) -> TLSSocket:
    """Completes a client handshake on a connected socket, offering ``session`` if given."""
    return _handshake(sock, ClientConnection(config, server_name, session), handshake_timeout)


def wrap_server(
    sock: socket.socket, config: ServerConfig, handshake_timeout: float | None = None
) -> TLSSocket:
    """Completes a server handshake on an accepted socket, within ``handshake_timeout``."""
    return _handshake(sock, ServerConnection(config), handshake_timeout)


def _handshake(sock: socket.socket, conn: Connection, timeout: float | None) -> TLSSocket:
    """A TLSSocket whose handshake completed; the socket is closed if it did not. Either
    outcome is logged on the ``tls12`` logger (see ``tls12.log``)."""
    peer = _peername(sock)
    tls = TLSSocket(sock, conn)
    try:
        tls.do_handshake(timeout)
    except BaseException as exc:
        sock.close()
        if isinstance(exc, (TLSError, OSError)):
            connection_failed(exc, peer)
        raise
    handshake_completed(conn, peer)
    return tls


def _peername(sock: socket.socket) -> Any:
    try:
        return sock.getpeername()
    except OSError:
        return None


def connect(
    host: str,
    port: int,
    config: ClientConfig | None = None,
    *,
    server_name: str | None = None,
    session: Session | None = None,
    timeout: float | None = 30.0,
    nodelay: bool = True,
) -> TLSSocket:
    """Opens a TCP connection and completes the handshake. ``server_name`` defaults to
    ``host`` (used for SNI when it is a DNS name, and for certificate name checks).

    ``session`` (from an earlier ``TLSSocket.session``) is offered for resumption; without
    one, the config's ``session_cache`` is asked, and the new session is kept there.
    ``timeout`` bounds the TCP connect, each later socket operation, and the whole handshake.
    ``nodelay`` sets TCP_NODELAY (see ``set_nodelay``).
    """
    config = config if config is not None else ClientConfig()
    name = server_name if server_name is not None else host
    cache = config.session_cache
    if session is None and cache is not None:
        session = cache.get(name, port)
    sock = socket.create_connection((host, port), timeout=timeout)
    set_nodelay(sock, nodelay)
    tls = wrap_client(sock, config, name, session, handshake_timeout=timeout)
    if cache is not None and tls.session is not None:
        cache.put(name, port, tls.session)
    return tls


Handler = Callable[[TLSSocket], None]

IDLE_WORKER_SECONDS = 2.0
"""How long a TLSServer worker thread with nothing to do waits for work before it ends."""


class TLSServer:
    """A threaded server: accepts, completes the handshake, calls ``handler`` per connection
    on a bounded pool of worker threads. A failed handshake ends that connection only.

    At most ``max_connections`` connections are served at once (one worker thread each);
    while all are busy the server does not accept, and new clients wait in the kernel's
    listen backlog. At most ``max_handshakes`` are in the handshake at once; the others wait
    for a slot within their ``handshake_timeout``. The accept loop survives running out of
    file descriptors or memory and a worker thread that cannot start: it logs, backs off and
    goes on (see ``tls12.io.server_limits``). Failures are logged on the ``tls12`` logger
    (INFO) and passed to ``on_error`` if given. ``nodelay`` sets TCP_NODELAY on each accepted
    socket (TLS records are whole messages; Nagle's algorithm only delays them).
    ``io_timeout`` (seconds, default none) bounds each read and write after the handshake: a
    peer that neither sends nor reads for that long (a ``sendall`` to a peer that never
    reads blocks until then) frees its worker with a TimeoutError.
    """

    def __init__(
        self,
        config: ServerConfig,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        handshake_timeout: float = 30.0,
        on_error: Callable[[BaseException], None] | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_handshakes: int | None = None,
        nodelay: bool = True,
        io_timeout: float | None = None,
    ) -> None:
        self.config = config
        self.io_timeout = io_timeout
        self.handler = handler
        self.handshake_timeout = handshake_timeout
        self.on_error = on_error
        self.limits = ServerLimits(max_connections, max_handshakes)
        self.nodelay = nodelay
        self._listener = socket.create_server((host, port))
        self.address = self._listener.getsockname()[:2]
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(self.limits.max_connections)
        self._handshake_slots = threading.BoundedSemaphore(self.limits.handshakes)
        self._work: queue.SimpleQueue[tuple[socket.socket, Any]] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._idle_workers = 0  # waiting for work and not yet promised any

    @property
    def port(self) -> int:
        return int(self.address[1])

    def serve_forever(self) -> None:
        backoff = Backoff()
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.25):
                continue  # every worker busy: leave new clients in the listen backlog
            try:
                sock, peer = self._listener.accept()
            except OSError as exc:
                self._slots.release()
                if self._stopping.is_set():
                    return
                if exc.errno in TRANSIENT_ERRNOS:
                    continue
                if exc.errno in (errno.EBADF, errno.EINVAL, errno.ENOTSOCK):
                    logger.error("TLSServer: the listening socket is gone (%s); stopping", exc)
                    return
                delay = backoff.next()
                what = "is out of resources" if exc.errno in RESOURCE_ERRNOS else "failed"
                logger.warning("TLSServer: accept() %s (%s); retrying in %.2f s", what, exc, delay)
                self._stopping.wait(delay)
                continue
            try:
                self._dispatch(sock, peer)
            except RuntimeError as exc:  # "can't start new thread"
                sock.close()
                self._slots.release()
                delay = backoff.next()
                logger.warning(
                    "TLSServer: cannot start a worker (%s); dropped %s, retrying in %.2f s",
                    exc, peer_text(peer), delay,
                )  # fmt: skip
                self._stopping.wait(delay)
                continue
            backoff.reset()

    def _dispatch(self, sock: socket.socket, peer: Any) -> None:
        """Hands the connection to an idle worker, or to a new one."""
        with self._pool_lock:
            if self._idle_workers:
                self._idle_workers -= 1
                self._work.put((sock, peer))
                return
        thread = threading.Thread(
            target=self._worker, args=(sock, peer), name="tls12-worker", daemon=True
        )
        thread.start()

    def _worker(self, sock: socket.socket, peer: Any) -> None:
        while True:
            self._serve_one(sock, peer)
            with self._pool_lock:
                self._idle_workers += 1
            while True:
                try:
                    sock, peer = self._work.get(timeout=IDLE_WORKER_SECONDS)
                    break
                except queue.Empty:
                    with self._pool_lock:
                        if self._work.empty():  # nobody promised us work meanwhile
                            self._idle_workers -= 1
                            return

    def _serve_one(self, sock: socket.socket, peer: Any) -> None:
        handshaken = False
        try:
            if self.nodelay:
                set_nodelay(sock)
            started = time.monotonic()
            if not self._handshake_slots.acquire(timeout=self.handshake_timeout):
                waited = TimeoutError(
                    f"no handshake slot (max_handshakes={self.limits.handshakes}) "
                    f"within {self.handshake_timeout} s"
                )
                connection_failed(waited, peer)
                raise waited
            try:
                left = self.handshake_timeout - (time.monotonic() - started)
                tls = wrap_server(sock, self.config, max(left, 0.001))
            finally:
                self._handshake_slots.release()
            handshaken = True
            tls.settimeout(self.io_timeout)
            with tls:
                self.handler(tls)
        except (TLSError, OSError) as exc:  # TimeoutError is an OSError
            if handshaken:  # wrap_server logged a failed handshake itself
                connection_failed(exc, peer, during_handshake=False)
            if self.on_error is not None:
                self.on_error(exc)
        except Exception:
            logger.exception("TLSServer: the handler failed on the connection from %s",
                             peer_text(peer))  # fmt: skip
        finally:
            sock.close()
            self._slots.release()

    def start(self) -> TLSServer:
        """Serves in a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TLSServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
