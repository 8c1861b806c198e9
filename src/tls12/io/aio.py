"""asyncio streams over the sans-I/O engine.

``open_connection`` (in ``tls12.io.aio_client``) and ``start_server`` (in
``tls12.io.aio_server``) work like their ``asyncio`` namesakes and hand out
ordinary ``asyncio.StreamReader`` / ``asyncio.StreamWriter`` objects::

    reader, writer = await tls12.aio.open_connection("example.com", 443, config)
    writer.write(b"GET / HTTP/1.0\\r\\n\\r\\n")
    await writer.drain()
    page = await reader.read()
    writer.close()
    await writer.wait_closed()

Two objects do the work:

``TLSProtocol`` is the ``asyncio.Protocol`` of the TCP connection. It feeds the bytes it
receives to the engine, writes what the engine wants to send, and passes the events on to
the application's protocol (``asyncio.StreamReaderProtocol`` for streams). The application's
protocol sees the connection only once the handshake has completed.

``TLSTransport`` is the ``asyncio.Transport`` the application writes through: ``write``
encrypts through the engine, ``close`` sends close_notify and waits (a bounded time) for the
peer's before closing TCP. Flow control passes straight through: the application pausing
reading pauses the TCP transport, and the TCP transport's pause_writing/resume_writing reach
the application's protocol, which is what makes ``StreamWriter.drain`` wait.

Output to a peer that does not read is bounded: while the TCP transport's write buffer is past
its high-water mark (pause_writing), we stop reading from that peer too. Records the engine
answers on its own (refused renegotiations, the alert of a failure) would otherwise pile up
in the write buffer without the application ever seeing them; with reading paused the peer's
bytes wait in the kernel's buffers, and TCP flow control stops the peer. And the event loop
reads at most FAIR_SHARE bytes from each connection per turn (``TLSProtocol`` is a
``BufferedProtocol`` over one shared buffer), so one busy peer cannot keep the others waiting
and a connection holds no read buffer of its own.

A handshake that has not completed after ``handshake_timeout`` seconds is abandoned and the
TCP connection dropped. An engine error is raised to the reader (``reader.read()`` raises the
``TLSError``) after the alert the engine queued has been written; the connection then closes.

``get_extra_info`` on the transport or the writer knows:
``'tls12'`` (the engine ``Connection``), ``'negotiated'`` (``Negotiated``), ``'session'``,
``'cipher'`` (``(IANA name, 'TLSv1.2', secret bits)`` as ``TLSSocket.cipher()``),
``'peercert'`` (``ssl``'s dictionary of the peer's verified leaf), ``'peercert_binary'``
(its DER), ``'peer_certificates'`` (``x509.Certificate`` chain), ``'ssl_object'`` (an
``SSLObjectView`` answering like ``ssl.SSLObject``), ``'server_hostname'``, ``'compression'``
(None), and whatever the TCP transport knows (``'peername'``, ``'sockname'``, ``'socket'``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tls12.connection import ClientConnection, ServerConnection
from tls12.errors import TLSError, TruncationError
from tls12.events import ApplicationData, ConnectionClosed, Event, HandshakeComplete
from tls12.io.aio_buffer import read_buffer
from tls12.io.aio_deadlines import HandshakeDeadlines
from tls12.io.aio_extra import TLS_NAMES, ClosedSide, tls_extra_info
from tls12.io.aio_sessions import HelloGate

__all__ = [
    "SHUTDOWN_TIMEOUT",
    "TLSProtocol",
    "TLSTransport",
]

STREAM_LIMIT = 2**16
SHUTDOWN_TIMEOUT = 5.0
"""Seconds ``close()`` waits for the peer's close_notify before closing TCP anyway; also the
longest a failing connection waits for its alert to be written."""

ErrorCallback = Callable[[BaseException, "TLSTransport"], None]
"""``on_handshake_error(exc, transport)``: ``transport.get_extra_info('tls12')`` is the engine
(its trace shows how far the handshake got), ``'peername'`` the peer's address."""


class TLSProtocol(asyncio.BufferedProtocol):
    """The TCP side: bytes to and from the engine, events to ``app_protocol``."""

    # Slots: no __dict__ per connection, and cheaper attribute access on the hot paths.
    __slots__ = ("connection", "_suppress_ragged_eofs", "_gate", "transport", "_app", "_loop",
                 "_handshake_timeout", "_shutdown_timeout", "_waiter", "_on_handshake_error",
                 "_raw", "_timer", "_deadlines", "_deadline_pending", "_app_connected",
                 "_app_lost", "_closing", "_lost", "_error", "_peername", "_pause_reasons",
                 "_buffer", "__weakref__")  # fmt: skip

    def __init__(
        self,
        connection: ClientConnection | ServerConnection,
        app_protocol: asyncio.BaseProtocol,
        *,
        loop: asyncio.AbstractEventLoop,
        handshake_timeout: float | None = 30.0,
        waiter: asyncio.Future[None] | None = None,
        on_handshake_error: ErrorCallback | None = None,
        shutdown_timeout: float = SHUTDOWN_TIMEOUT,
        suppress_ragged_eofs: bool = False,
        gate: HelloGate | None = None,
    ) -> None:
        self.connection = connection
        self._suppress_ragged_eofs = suppress_ragged_eofs
        self._gate = gate  # holds the ClientHello while its session is fetched (aio_sessions)
        self.transport = TLSTransport(self)
        self._app: Any = app_protocol
        self._loop = loop
        self._handshake_timeout = handshake_timeout
        self._shutdown_timeout = shutdown_timeout
        self._waiter = waiter
        self._on_handshake_error = on_handshake_error
        self._raw: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        # a server's shared handshake clock instead of a timer of our own (aio_deadlines)
        self._deadlines: HandshakeDeadlines | None = None
        self._deadline_pending = False
        self._app_connected = False
        self._app_lost = False
        self._closing = False  # the application asked to close
        self._lost = False  # TCP connection gone
        self._error: BaseException | None = None
        self._peername: Any = None
        self._pause_reasons: set[str] = set()
        """Why we are not reading from the peer: "output" (our write buffer is past its
        high-water mark), "app" (the application paused reading), or a reason a server adds
        (waiting for a handshake slot, an asynchronous lookup before the handshake goes on)."""
        self._buffer = read_buffer()

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio gives a stream protocol a Transport; connection_made is typed BaseTransport
        self._raw = transport  # type: ignore[assignment]
        self._buffer = read_buffer()  # the buffer of the thread the loop runs in
        self._peername = transport.get_extra_info("peername")
        timeout, deadlines = self._handshake_timeout, self._deadlines
        if timeout is not None and deadlines is not None:
            deadlines.add(self)
            self._deadline_pending = True
        elif timeout is not None:
            self._timer = self._loop.call_later(timeout, self._handshake_expired)
        try:
            self.connection.start()
        except TLSError as exc:
            self._fail(exc)
            return
        self._flush()

    def get_buffer(self, sizehint: int) -> memoryview:
        """asyncio.BufferedProtocol: the loop reads at most FAIR_SHARE bytes per connection
        per turn into a buffer every connection of this thread shares (it is consumed in
        ``buffer_updated`` before any other read), so reading costs a connection nothing
        while it waits and one busy peer cannot hold the event loop for long."""
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        # The one copy of the bytes read: the engine reads a bytes object in place.
        data = self._buffer[:nbytes].tobytes()
        if self._gate is None and self._error is None:
            self._process(data)
        else:
            self.data_received(data)

    def data_received(self, data: bytes) -> None:
        if self._error is not None or not data:
            return
        if self._gate is not None:
            held = self._gate.admit(data, self._gate_released)
            if held is None:
                return
            self._gate, data = None, held
        self._process(data)

    def _process(self, data: bytes) -> None:
        conn = self.connection
        try:
            events = conn.receive_data(data)
        except TLSError as exc:
            self._fail(exc)
            return
        out = conn.data_to_send()  # everything this input produced: one write per flight
        if out:
            self._write(out)
        if events:
            self._dispatch(events)
        if conn.error is not None:  # events came before a fatal error
            self._fail(conn.error)

    def _gate_released(self, data: bytes) -> None:
        self._gate = None
        if not self._lost and data:
            self.data_received(data)

    def eof_received(self) -> bool:
        if self._error is None and not self._closing and not self.connection.closed_by_peer:
            established = self.connection.handshake_complete
            try:
                self.connection.receive_data(b"")  # raises TruncationError: no close_notify
            except TruncationError as exc:
                if self._suppress_ragged_eofs and established:
                    # asked for: a TCP close after the handshake reads as a clean end
                    if self._app_connected and not self._app_lost:
                        self._app.eof_received()
                else:
                    self._fail(exc)
            except TLSError as exc:
                self._fail(exc)
        return False  # close the TCP transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._gate is not None:
            self._gate.cancel()
        self._cancel_timer()
        clean = self._closing or self.connection.closed_by_peer
        if self._error is None and exc is not None and not clean:
            self._error = exc
        if not self._app_connected:
            error = self._error or ConnectionResetError(
                "the connection closed before the TLS handshake completed"
            )
            self._handshake_failed(error)
        else:
            self._lose_app(self._error)
        self._raw = None
        self.transport._tls = ClosedSide(self.connection, self._peername, self._app)

    def pause_writing(self) -> None:
        self.set_reading_paused("output", True)
        if self._app_connected and not self._app_lost:
            self._app.pause_writing()

    def resume_writing(self) -> None:
        self.set_reading_paused("output", False)
        if self._app_connected and not self._app_lost:
            self._app.resume_writing()

    def set_reading_paused(self, reason: str, paused: bool) -> None:
        """Reads from the peer only while no reason to pause is left (see the module
        docstring and ``_pause_reasons``)."""
        reasons = self._pause_reasons
        was_paused = bool(reasons)
        if paused:
            reasons.add(reason)
        else:
            reasons.discard(reason)
        if bool(reasons) != was_paused:  # the TCP transport is told only of a change
            self._update_reading()

    def _update_reading(self) -> None:
        raw = self._raw
        if raw is None or self._lost or raw.is_closing():
            return
        try:
            if self._pause_reasons:
                raw.pause_reading()
            else:
                raw.resume_reading()
        except (RuntimeError, AttributeError):
            pass

    # -- events ----------------------------------------------------------------------------

    def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, ApplicationData):
                if self._app_connected and not self._app_lost:
                    self._app.data_received(event.data)
            elif isinstance(event, HandshakeComplete):
                self._handshake_completed()
            elif isinstance(event, ConnectionClosed):
                self._close_notify_received()
            # warning alerts and refused renegotiations need nothing from us

    def _handshake_completed(self) -> None:
        self._cancel_timer()
        if self._app_connected:
            return
        self._app_connected = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._app.connection_made(self.transport)

    def _close_notify_received(self) -> None:
        # The engine has queued our close_notify in answer; no more data can flow either way.
        if self._app_connected and not self._app_lost:
            self._app.eof_received()
        self._flush()
        self._close_raw()

    def _deadline_passed(self) -> None:
        """The server's shared handshake clock (aio_deadlines) ran out for us."""
        self._deadline_pending = False
        self._handshake_expired()

    def _handshake_expired(self) -> None:
        self._timer = None
        if self._app_connected or self._raw is None:
            return
        if self._error is None:
            self._error = TimeoutError(
                f"the TLS handshake did not complete within {self._handshake_timeout:g} s"
            )
        self._raw.abort()

    def _handshake_failed(self, error: BaseException) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        if self._on_handshake_error is not None:
            self._on_handshake_error(error, self.transport)
            self._on_handshake_error = None

    def _fail(self, exc: BaseException) -> None:
        """The engine failed: its alert is queued. Tell the application now, write the alert,
        then close TCP (aborting if the alert cannot be written in time)."""
        if self._error is None:
            self._error = exc
        self._cancel_timer()
        if self._app_connected:
            self._lose_app(self._error)
        elif self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(self._error)
        self._flush()
        self._close_raw()

    def _lose_app(self, error: BaseException | None) -> None:
        if self._app_lost:
            return
        self._app_lost = True
        self._app.connection_lost(error)

    # -- output ----------------------------------------------------------------------------

    def _flush(self) -> None:
        data = self.connection.data_to_send()
        if data:
            self._write(data)

    def _write(self, data: bytes) -> None:
        raw = self._raw
        if raw is not None and not self._lost:
            try:  # noqa: SIM105 - contextlib.suppress is three Python calls per write
                raw.write(data)
            except RuntimeError:  # written after write_eof: nothing to do
                pass

    def _close_raw(self) -> None:
        raw = self._raw
        if raw is None or self._lost:
            return
        if not raw.is_closing():
            raw.close()
        self._cancel_timer()
        # A peer that does not read would keep the alert or close_notify in the buffer forever;
        # with nothing left to write, the transport reports connection_lost on its own.
        if raw.get_write_buffer_size():
            self._timer = self._loop.call_later(self._shutdown_timeout, self._abort_raw)

    def _abort_raw(self) -> None:
        self._timer = None
        if self._raw is not None and not self._lost:
            self._raw.abort()

    def _cancel_timer(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        if self._deadline_pending:
            self._deadline_pending = False
            self._deadlines.discard(self)  # type: ignore[union-attr]  # set with the flag

    # -- what TLSTransport calls -----------------------------------------------------------

    def app_write(self, data: bytes) -> None:
        self._send(data)

    def _send(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypts ``data`` (not copied first: the engine is done with it on return), one write."""
        raw = self._raw
        if self._error is not None or self._closing or raw is None or raw.is_closing():
            return  # as asyncio's transports do: drain() and the reader report the problem
        conn = self.connection
        try:
            conn.send(data)
        except TLSError as exc:
            self._fail(exc)
            return
        out = conn.data_to_send()
        if out:
            self._write(out)

    def app_close(self) -> None:
        if self._closing:
            return
        self._closing = True
        raw = self._raw
        if raw is None or self._lost or raw.is_closing():
            return
        conn = self.connection
        if conn.error is None and conn.handshake_complete and not conn.closed_by_peer:
            conn.close()
            self._flush()
            # Wait for the peer's close_notify (a clean close both ways), not forever.
            self._cancel_timer()
            self._timer = self._loop.call_later(self._shutdown_timeout, self._close_raw)
            self.set_reading_paused("app", False)  # to hear the close_notify, unless stuck
        else:
            self._close_raw()

    def app_abort(self) -> None:
        self._closing = True
        if self._raw is not None and not self._lost:
            self._raw.abort()

    def extra_info(self, name: str, default: Any = None) -> Any:
        if name in TLS_NAMES:
            return tls_extra_info(self.connection, name, default)
        if name == "peername" and self._peername is not None:
            return self._peername
        if self._raw is not None:
            return self._raw.get_extra_info(name, default)
        return default


class TLSTransport(asyncio.Transport):
    """What the application writes through (a ``StreamWriter``'s transport)."""

    __slots__ = ("_tls", "__weakref__")

    def __init__(self, protocol: TLSProtocol) -> None:
        super().__init__()
        self._tls: TLSProtocol | ClosedSide = protocol

    # -- BaseTransport -----------------------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._tls.extra_info(name, default)

    def is_closing(self) -> bool:
        raw = self._tls._raw
        return self._tls._closing or self._tls._lost or raw is None or raw.is_closing()

    def close(self) -> None:
        """Sends close_notify; TCP closes when the peer's close_notify arrives (or after
        SHUTDOWN_TIMEOUT)."""
        self._tls.app_close()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._tls._app = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        # _app is Any: Protocol or BufferedProtocol methods are called on it, by its kind
        return self._tls._app  # type: ignore[no-any-return]

    # -- ReadTransport -----------------------------------------------------------------

    def is_reading(self) -> bool:
        raw = self._tls._raw
        return raw is not None and raw.is_reading()

    def pause_reading(self) -> None:
        self._tls.set_reading_paused("app", True)

    def resume_reading(self) -> None:
        self._tls.set_reading_paused("app", False)

    # -- WriteTransport ----------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
        if isinstance(data, memoryview) and (
            data.itemsize != 1 or data.ndim != 1 or not data.c_contiguous
        ):
            data = data.tobytes()  # the engine slices bytes: a view of another shape is copied
        if data:
            self._tls._send(data)

    def write_eof(self) -> None:
        raise NotImplementedError("TLS cannot half-close a connection; use close()")

    def can_write_eof(self) -> bool:
        return False

    def abort(self) -> None:
        self._tls.app_abort()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        raw = self._tls._raw
        if raw is not None:
            raw.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        raw = self._tls._raw
        return raw.get_write_buffer_size() if raw is not None else 0

    def get_write_buffer_limits(self) -> tuple[int, int]:
        raw = self._tls._raw
        return raw.get_write_buffer_limits() if raw is not None else (0, 0)
