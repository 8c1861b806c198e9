"""``TLSServer``: a blocking TLS server on a bounded pool of worker threads.

Each accepted connection is handshaken (``wrap_server``, with a deadline for the whole
handshake) and handed to the application's ``handler`` in a worker thread; the limits and the
accept loop's back-off are those of ``tls12.io.server_limits``.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from tls12.config import ServerConfig
from tls12.errors import TLSError
from tls12.io.server_limits import (
    DEFAULT_MAX_CONNECTIONS,
    RESOURCE_ERRNOS,
    TRANSIENT_ERRNOS,
    Backoff,
    ServerLimits,
    set_nodelay,
)
from tls12.io.sync import TLSSocket, wrap_server
from tls12.log import connection_failed, logger, peer_text

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
