"""``TLSSocket``: a blocking, timed or non-blocking socket over the sans-I/O engine.

It behaves like a socket (``send``, ``sendall``, ``recv``, ``recv_into``, ``makefile``,
``settimeout``, ``fileno``, ``close``) and exposes what the handshake agreed on. All protocol
work happens in the engine; this file only moves bytes, and never loses or repeats one:

- Ciphertext the engine produced is *committed*: it sits in ``_out`` until the socket took
  every byte of it, whatever timeout or ``BlockingIOError`` interrupts a write. Every later
  write (``send``, ``sendall``, ``close``, the handshake) flushes it first, so the TLS record
  stream stays whole.
- ``send()`` follows OpenSSL's ``SSL_write`` (what ``ssl.SSLSocket.send`` does): it returns a
  count only once the records carrying those bytes are all in the kernel. When the socket
  would block part-way, the records stay queued and ``send`` raises (BlockingIOError, or
  TimeoutError on a timed socket); the caller retries with the same data, as with ``ssl``,
  and that retry first finishes the queued records, then reports their bytes as sent.
- One thread may send while another receives. The engine lock is held only while the engine
  runs (microseconds), never across socket I/O; a writer lock serialises socket writes and
  the receiving side never waits for it (it writes what it can without blocking and leaves
  the rest to the writer), so a peer that echoes cannot deadlock the two threads.
- ``recv_into`` decrypts whole data records straight into the caller's buffer when they fit;
  other input goes through the engine's events into a queue of its ``bytes``, which ``recv``
  hands back whole, and ``recv_into`` copies once.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import ConnectionClosedError, TLSError, TruncationError
from tls12.events import ApplicationData, ConnectionClosed
from tls12.io.negotiated_view import _NegotiatedView
from tls12.io.socket_calls import MAX_IOV, recv_first, send_first, sendv_first
from tls12.io.tls_file import TLSRawIO, buffered_file

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer  # typeshed's "any buffer" (collections.abc.Buffer)

RECV_SIZE = 65536

MAX_OUT_BEFORE_READ = 64 * 1024
"""Committed ciphertext above which the receiving side writes (and waits) before reading."""
SEND_CHUNK = 16384
"""Application bytes per step of ``send``: one record, as ``SSL_write`` writes. It bounds the
queued ciphertext, and whole records keep a non-blocking sender in step with TCP (64 KiB steps
left tails waiting on delayed ACKs: 8 MiB to a stalled reader took 5.3 s, not 1.1 s)."""


class TLSSocket(_NegotiatedView):
    """A connected TLS socket. Create it with ``connect``, ``wrap_client`` or ``wrap_server``.

    ``suppress_ragged_eofs``: when True, a peer that closes TCP without close_notify after the
    handshake (Python's http.server does) reads as an ordinary end of stream (``b""``); by
    default it raises TruncationError, so a truncation attack cannot pass for a clean end.
    """

    def __init__(
        self, sock: socket.socket, conn: Connection, *, suppress_ragged_eofs: bool = False
    ) -> None:
        self._sock = sock
        self.connection = conn
        self.suppress_ragged_eofs = suppress_ragged_eofs
        # Decrypted data not yet read, from ``_head`` on; ``_pending_bytes`` counts it.
        self._incoming: deque[bytes] = deque()
        self._head = 0
        self._pending_bytes = 0
        self._eof = False
        self._closed = False
        self._started = False
        self._engine_lock = threading.Lock()  # held only while the engine runs
        self._write_lock = threading.Lock()  # one writer on the socket at a time
        self._read_lock = threading.Lock()  # one reader on the socket at a time
        self._send_lock = threading.Lock()  # one send()/sendall() at a time
        self._out: deque[bytes] = deque()  # committed, not yet written (from _out_head on)
        self._out_head = 0
        self._read_first, self._unread = True, False  # see recv_first; fed, not yet read
        self._written = 0  # ciphertext bytes the socket has taken, ever
        self._queued = 0  # ciphertext bytes committed, ever
        self._credit: tuple[int, int] | None = None  # (end offset, app bytes) of a retry

    # -- handshake ------------------------------------------------------------------------

    def do_handshake(self, timeout: float | None = None) -> None:
        """Runs the handshake to completion (or raises the TLSError that ended it). May be
        called again after a BlockingIOError or TimeoutError: it goes on where it stopped.

        ``timeout`` is a deadline for the whole handshake, not per read, so a peer that
        trickles one byte at a time cannot hold the connection open; past it, TimeoutError.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        previous = self._sock.gettimeout()
        try:
            self._start()
            self._flush_blocking()
            while not self.connection.handshake_complete:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"the TLS handshake took longer than {timeout} s")
                    self._sock.settimeout(left if previous is None else min(left, previous))
                if not self._pump() and not self.connection.handshake_complete:
                    raise TruncationError("the peer closed the connection during the handshake")
                self._flush_blocking()
        except TLSError:
            self._flush_quietly()
            raise
        finally:
            if deadline is not None:
                self._sock.settimeout(previous)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            conn = self.connection
            with self._engine_lock:
                if isinstance(conn, (ClientConnection, ServerConnection)):
                    conn.start()
                self._commit()

    # -- output: committed ciphertext -----------------------------------------------------

    def _commit(self) -> None:
        """Moves what the engine wants to send into ``_out`` (caller holds the engine lock)."""
        data = self.connection.data_to_send()
        if data:
            self._out.append(data)
            self._queued += len(data)

    def _flush_blocking(self) -> None:
        """Writes every committed byte, in the socket's own mode: blocks, times out
        (TimeoutError) or raises BlockingIOError; what was not written stays queued."""
        while True:
            with self._write_lock:
                self._write_out(flags=0)
            if not self._out:  # a reader appends before it tries the write lock: seen here
                return

    def _flush_nonblocking(self) -> None:
        """Writes what the socket takes now without waiting; the receiving side uses it so
        it never waits on a writer (a writer holding the lock writes this data too)."""
        if not self._write_lock.acquire(blocking=False):
            return
        try:
            with contextlib.suppress(BlockingIOError, InterruptedError):
                self._write_out(flags=socket.MSG_DONTWAIT)
        finally:
            self._write_lock.release()

    def _write_out(self, flags: int) -> None:
        """Writes ``_out`` until empty from the engine's ``bytes`` (no copy; writev for
        several). Only the write-lock holder (the caller) pops or moves ``_out_head``; others
        only append (deque operations are atomic), so no engine lock is needed."""
        out = self._out
        while out:
            head = self._out_head
            if head or len(out) == 1:
                first = out[0]
                n = send_first(self._sock, memoryview(first)[head:] if head else first, flags)
            else:
                n = sendv_first(self._sock, list(itertools.islice(out, MAX_IOV)), flags)
            self._written += n
            while n:
                left = len(out[0]) - head
                if n < left:
                    head += n
                    break
                n -= left
                head = 0
                out.popleft()
            self._out_head = head

    def _flush_quietly(self) -> None:
        with contextlib.suppress(OSError):
            self._flush_blocking()

    # -- input ----------------------------------------------------------------------------

    def _pump(self, feed: bool = False) -> bool:
        """Reads once from the socket into the engine. False at a clean end of stream.
        Raises what the socket raises (BlockingIOError, TimeoutError) with nothing lost.
        ``feed`` (recv_into) only buffers the bytes; those are read before the socket is."""
        if self._eof:
            return False
        if self.connection.error is not None:
            raise self.connection.error
        if self._queued - self._written > MAX_OUT_BEFORE_READ:
            # What our reading made the engine answer (refused renegotiations, warnings) is
            # piling up because the peer does not read it: read no more until it does, so a
            # flood cannot grow our memory. A sender's own queue stays far below this.
            self._flush_blocking()
        try:
            return self._pump_locked(feed)
        except TLSError:
            self._flush_alert()
            raise

    def _flush_alert(self) -> None:
        """Sends the engine's alert if the socket takes it now (a reader never waits)."""
        with self._engine_lock:
            self._commit()
        with contextlib.suppress(OSError):
            self._flush_nonblocking()

    def _pump_locked(self, feed: bool) -> bool:
        with self._read_lock:
            suppressed = self._read_once(feed)
            if suppressed is not None:
                return suppressed
        if self._out:
            self._flush_nonblocking()
        return not self._eof or bool(self._incoming)

    def _read_once(self, feed: bool) -> bool | None:
        """One read into the engine (the caller holds the read lock). Returns what
        ``_pump`` returns when a ragged EOF is suppressed, else None."""
        data: bytes | None = None  # None: read what was fed, not the socket
        if feed or not self._unread:
            data, self._read_first = recv_first(self._sock, RECV_SIZE, self._read_first)
        self._unread = feed and bool(data)
        with self._engine_lock:
            established = self.connection.handshake_complete
            try:
                if data is None:
                    events = self.connection._receive_buffered()
                elif self._unread:
                    self.connection._feed(data)
                    events = []
                else:
                    events = self.connection.receive_data(data)
            except TruncationError:
                self._eof = True
                if self.suppress_ragged_eofs and established:
                    return bool(self._incoming)
                raise
            finally:
                self._commit()
            for event in events:
                if isinstance(event, ApplicationData):
                    self._incoming.append(event.data)
                    self._pending_bytes += len(event.data)
                elif isinstance(event, ConnectionClosed):
                    self._eof = True
            if data == b"":
                self._eof = True
        return None

    # -- data -----------------------------------------------------------------------------

    def send(self, data: ReadableBuffer) -> int:
        """Sends application data; returns how many bytes went out (all of them on a blocking
        socket). On a non-blocking or timed socket that cannot take everything, the records
        already made stay queued and BlockingIOError / TimeoutError is raised, or a short
        count is returned when some records went out; retry with the data not counted."""
        if self._closed:
            raise ConnectionClosedError("the socket is closed")
        view = memoryview(data).cast("B")
        with self._send_lock:
            return self._send_locked(view)

    def _send_locked(self, view: memoryview) -> int:
        if self._credit is not None:  # a retry: finish the records the last call made
            self._flush_blocking()
            end, count = self._credit
            self._credit = None
            if len(view) < count:
                raise ValueError(
                    f"send() retried with {len(view)} bytes after {count} were queued: retry "
                    "with the same data, as with ssl"
                )
            return count
        if self._out:
            self._flush_blocking()  # ciphertext committed by the receiving side or a handshake
        sent = 0
        total = len(view)
        out = self._out
        while sent < total:
            chunk = view[sent : sent + SEND_CHUNK] if sent or total > SEND_CHUNK else view
            with self._engine_lock:
                try:
                    pieces = self.connection._send_pieces(chunk)  # encrypted at once
                except BaseException:
                    self._commit()  # the close_notify of KeyUsageLimit, an alert
                    raise
                out.extend(pieces)
                self._queued += sum(map(len, pieces))
                end = self._queued
            try:
                self._flush_blocking()
            except (BlockingIOError, TimeoutError):
                if self._written >= end:  # ours went out; what blocked came after it
                    return sent + len(chunk)
                self._credit = (end, len(chunk))
                if sent:
                    return sent
                raise
            sent += len(chunk)
        return sent

    def sendall(self, data: ReadableBuffer) -> None:
        """Sends everything. On a timed socket the timeout bounds the whole call; after a
        TimeoutError the stream is still consistent (the records made are queued and go out
        first on the next write), but how much of ``data`` was sent is unknown, as with a
        plain socket's sendall: the peer receives a prefix of ``data`` (every record made,
        none cut), then whatever is sent next."""
        view = memoryview(data).cast("B")
        timeout = self._sock.gettimeout()
        deadline = None if not timeout else time.monotonic() + timeout
        try:
            while len(view):
                n = self.send(view)
                view = view[n:]
                if len(view) and deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError("The write operation timed out")
        except TimeoutError:
            # The records already made still go out first, but they belong to this call:
            # the next sendall() starts with its own data, not with a retry of this one.
            self._credit = None
            raise

    def recv(self, bufsize: int = RECV_SIZE) -> bytes:
        """Up to ``bufsize`` bytes; b"" once the peer has sent close_notify."""
        while not self._incoming:
            if not self._pump():
                return b""
        with self._engine_lock:
            incoming = self._incoming
            if not incoming:  # another thread read it first
                return b""
            first = incoming[0]
            if (
                self._head == 0
                and len(first) <= bufsize
                and (len(first) == bufsize or len(incoming) == 1)
            ):
                incoming.popleft()  # the common case: one whole record, no copy
                self._pending_bytes -= len(first)
                return first
            chunk = bytearray(min(bufsize, self._pending_bytes))
            self._take_into(memoryview(chunk))
        return bytes(chunk)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        with memoryview(buffer) as raw, raw.cast("B") as view:
            n = min(nbytes or len(view), len(view))
            if n == 0:
                return 0
            with view[:n] as target:
                while not self._incoming:
                    got = self._receive_into(target)  # whole data records that fit
                    if got > 0:
                        return got
                    if not self._pump(feed=got == 0):  # < 0: what was fed, or the socket
                        return 0
                with self._engine_lock:
                    return self._take_into(target)

    def _receive_into(self, target: memoryview) -> int:
        try:
            with self._engine_lock:
                return -1 if self._eof else self.connection._receive_into(target)
        except TLSError:
            self._flush_alert()
            raise

    def _take_into(self, target: memoryview) -> int:
        """Moves up to ``len(target)`` unread bytes into ``target``, each copied once
        (caller holds the engine lock)."""
        incoming = self._incoming
        done = 0
        while done < len(target) and incoming:
            first = incoming[0]
            head = self._head
            k = min(len(first) - head, len(target) - done)
            with memoryview(first) as src:
                target[done : done + k] = src[head : head + k]
            done += k
            if head + k == len(first):
                incoming.popleft()
                self._head = 0
            else:
                self._head = head + k
        self._pending_bytes -= done
        return done

    def pending(self) -> int:
        """Decrypted bytes ready to read. Records ``recv_into`` fed but did not read are
        decrypted here, without waiting: a reader thread that holds the read lock reads them
        itself. An error there is raised by the next ``recv``, and its alert is sent now."""
        if self._unread and not self._incoming and self._read_lock.acquire(blocking=False):
            try:
                self._read_once(feed=False)  # only what was fed: no socket read
            except TLSError:
                pass  # stored by the engine: the next recv raises it
            finally:
                self._read_lock.release()
            self._flush_alert()  # the alert, or what the records made the engine answer
        return self._pending_bytes

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        return buffered_file(TLSRawIO(self, mode), mode, buffering, **kwargs)

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

    def _queue_close_notify(self) -> None:
        with self._engine_lock:
            self.connection.close()
            self._commit()

    def unwrap(self) -> socket.socket:
        """Sends close_notify, waits for the peer's, and hands back the plain socket."""
        self._queue_close_notify()
        self._flush_blocking()
        while not self.connection.closed_by_peer and self.connection.error is None:
            if not self._pump() and not self.connection.closed_by_peer:
                break
        sock, self._closed = self._sock, True
        return sock

    def close(self) -> None:
        """Sends close_notify (if the connection is healthy) and closes the socket. Queued
        records go out first when the socket takes them without blocking for long."""
        if self._closed:
            return
        self._closed = True
        if self.connection.error is None and self.connection.handshake_complete:
            self._queue_close_notify()
            if self._sock.gettimeout() == 0.0:
                self._flush_nonblocking()
            else:
                self._flush_quietly()
        elif self._out:  # an alert the engine queued when it failed
            with contextlib.suppress(OSError):
                self._flush_nonblocking()
        self._sock.close()

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)

    def __enter__(self) -> TLSSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
