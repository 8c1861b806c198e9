"""The sans-I/O engine: bytes in, events and bytes out.

One loop handles input: records → handshake reassembly → message decode → ``state.handle``.
Every error is caught at that single point: the right alert is queued (encrypted when keys are
active), the error is stored, and every later call raises the same error.
"""

from __future__ import annotations

import abc
import contextlib
import weakref
from collections.abc import Callable

from tls12.config import ClientConfig, ServerConfig
from tls12.crypto.exporter import ExporterSecret
from tls12.errors import (
    ConnectionClosedError,
    FatalAlertReceived,
    InternalError,
    KeyUsageLimit,
    TLSError,
    TruncationError,
    UnexpectedMessage,
    UsageError,
)
from tls12.events import (
    ApplicationData,
    ConnectionClosed,
    Event,
    Negotiated,
    WarningAlertReceived,
)
from tls12.flood_counts import FloodCounts
from tls12.handshake import client as client_states
from tls12.handshake import server as server_states
from tls12.handshake.connected import Connected
from tls12.handshake.context import AnyContext, ClientContext, HandshakeContext, ServerContext
from tls12.handshake.state import Failed, State
from tls12.messages.alert import Alert, check_change_cipher_spec
from tls12.messages.handshake import decode_handshake, message_name
from tls12.ocsp import OcspResponse
from tls12.record.framing import HandshakeBuffer
from tls12.record.layer import RecordLayer
from tls12.sessions import Session
from tls12.trace import Trace
from tls12.wire.enums import (
    TLS12_VERSION,
    AlertDescription,
    ContentType,
)


class Connection(abc.ABC):
    """Common engine of both sides; use ClientConnection or ServerConnection."""

    is_client: bool
    config: ClientConfig | ServerConfig
    _ctx: AnyContext
    """Made by each side's constructor, typed by side (ClientContext, ServerContext)."""

    @abc.abstractmethod
    def start(self) -> None:
        """Begin: the client queues its ClientHello; the server has nothing to send first."""

    def __init__(self, config: ClientConfig | ServerConfig) -> None:
        self.config = config
        self._records = RecordLayer()
        self._handshake = HandshakeBuffer(config.max_handshake_message_size, _admitter(self))
        self._out = bytearray()
        self._state: State | None = None
        self._negotiated: Negotiated | None = None
        self._session: Session | None = None
        self._exporter: ExporterSecret | None = None
        self._error: TLSError | None = None
        self._closed_by_peer = False
        self._close_sent = False
        self._floods = FloodCounts(config.max_warning_alerts, config.max_empty_records)

    # -- public API -----------------------------------------------------------------------

    @property
    def trace(self) -> Trace:
        return self._ctx.trace

    @property
    def state_name(self) -> str:
        return self._state.name if self._state else "Start"

    @property
    def handshake_complete(self) -> bool:
        return self._state is not None and self._state.connected

    @property
    def negotiated(self) -> Negotiated | None:
        """The handshake's result once it has completed; kept by the connection, so it stays
        readable after a later fatal error ends the connection."""
        return self._negotiated

    @property
    def session(self) -> Session | None:
        """The session this connection can be resumed with, once the handshake completed
        (still readable after a later error: the session was established)."""
        return self._session

    def export_keying_material(
        self, label: str | bytes, length: int, context: bytes | None = None
    ) -> bytes:
        """RFC 5705 keying material for ``label`` (``openssl s_client -keymatexport``).

        Available once the handshake has completed, for the connection's lifetime; labels TLS
        uses itself are refused. ``context=None`` and ``context=b""`` differ (RFC 5705 §4).
        """
        if self._exporter is None:
            raise UsageError("keying material can be exported only after the handshake")
        return self._exporter.export(label, length, context)

    @property
    def ocsp_response(self) -> OcspResponse | None:
        """Client: the server's stapled OCSP response once checked (tls12.ocsp), or None when
        none was stapled; the same object as ``negotiated.ocsp_response``."""
        return self._ctx.ocsp_response

    @property
    def tls_unique(self) -> bytes | None:
        """RFC 5929 tls-unique: the first Finished's verify_data, once the handshake is done
        (renegotiation is refused, so there is only ever one handshake)."""
        return self._ctx.first_finished if self.handshake_complete else None

    @property
    def error(self) -> TLSError | None:
        return self._error

    @property
    def closed_by_peer(self) -> bool:
        return self._closed_by_peer

    def data_to_send(self) -> bytes:
        """Bytes to write to the peer. Never raises, so a queued alert can always be sent."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def receive_data(self, data: bytes) -> list[Event]:
        """Feeds bytes from the transport; ``b""`` means the transport reached EOF.

        When a fatal error follows events in the same bytes (a Finished, then a bad record),
        the events are returned and the error is raised by the next call; ``error`` shows it
        at once and its alert is already queued.
        """
        self._check_usable()
        events: list[Event] = []
        try:
            if not data:
                return self._eof()
            if self._closed_by_peer:
                return events  # RFC 5246 §7.2.1: data after a closure alert is ignored
            self._records.feed(data)
            self._process(events)
            return events
        except Exception as exc:
            return self._failed(exc, events)

    # -- receive_data in two, for TLSSocket.recv_into: _feed, then _receive_into (straight
    # into the reader's buffer) or _receive_buffered (the ordinary loop) ------------------

    def _feed(self, data: bytes) -> None:
        """Buffers non-empty ``data`` without reading a record of it yet."""
        self._check_usable()
        if not self._closed_by_peer:  # RFC 5246 §7.2.1: data after a closure is ignored
            self._records.feed(data)

    def _receive_buffered(self) -> list[Event]:
        """``receive_data`` for the bytes ``_feed`` buffered: the same loop, events, errors."""
        self._check_usable()
        events: list[Event] = []
        try:
            if not self._closed_by_peer:
                self._process(events)
            return events
        except Exception as exc:
            return self._failed(exc, events)

    def _receive_into(self, target: memoryview) -> int:
        """Decrypts the application data records at the front of the buffered input straight
        into ``target`` (``RecordLayer.read_application_data_into``), with the checks the
        record loop makes for them (see ``_read_bulk``). Returns the bytes written, 0 when
        more input is needed, -1 when this path does not apply (before the handshake, past
        a close, between handshake fragments, a CBC suite) or the record at the front is not
        one it takes: ``receive_data`` / ``_receive_buffered`` then."""
        self._check_usable()
        if self._closed_by_peer or not self.handshake_complete or not self._handshake.at_boundary:
            return -1
        try:
            n = self._records.read_application_data_into(target, self.config.max_records_per_key)
        except TLSError as exc:
            self._fail(exc)
            raise
        except Exception as exc:
            raise self._internal(exc) from exc
        if n > 0:
            self._floods.progress()
            self._ctx.trace.add_application_data("recv", self._records.first_plaintext_length)
        return n

    def _failed(self, exc: Exception, events: list[Event]) -> list[Event]:
        """The one place input errors end up: the error is stored and its alert queued; the
        events before it are returned (the error is raised by the next call), else it is
        raised. Anything not a TLSError is a bug, and still ends the connection."""
        if isinstance(exc, TLSError):
            self._fail(exc)
            if events:
                return events
            raise exc
        err = self._internal(exc)
        if events:
            return events
        raise err from exc

    def _internal(self, exc: Exception) -> InternalError:
        """A bug (not a TLSError) met while reading input: it still ends the connection."""
        err = InternalError(f"internal error: {type(exc).__name__}: {exc}")
        err.__cause__ = exc
        self._fail(err)
        return err

    def send(self, data: bytes | bytearray | memoryview) -> None:
        """Queues application data (fragmented at 2^14 bytes per record, or at the limit
        RFC 6066 / RFC 8449 negotiated: ``negotiated.send_limit``), encrypted before
        this returns: ``data`` may be a view of a buffer the caller reuses."""
        if self._may_send(data):
            self._records.write_into(self._out, ContentType.application_data, data)

    def _send_pieces(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """``send(data)`` then ``data_to_send()``, for the blocking socket layer: the output
        as pieces that one ``writev`` sends (``RecordLayer.write_pieces``), so the records'
        ciphertext is not copied into a buffer and out again. Whatever was queued before
        comes first. On an error nothing is taken: ``data_to_send`` has the output (the
        close_notify of KeyUsageLimit)."""
        if not self._may_send(data):
            return []
        records = self._records.write_pieces(ContentType.application_data, data)
        return [self.data_to_send(), *records] if self._out else records

    def _may_send(self, data: bytes | bytearray | memoryview) -> bool:
        """The checks of ``send``: raises when ``data`` may not be sent; True when there is
        something to send."""
        self._check_usable()
        if self._close_sent:
            raise ConnectionClosedError("cannot send after close()")
        if not self.handshake_complete:
            raise UsageError("cannot send application data before the handshake completes")
        if not data:
            return False
        records = -(-len(data) // self._records.max_fragment)
        if self._records.write_seq + records > self.config.max_records_per_key:
            self.close()
            raise KeyUsageLimit(
                f"sending {records} more records would pass max_records_per_key "
                f"({self.config.max_records_per_key}); the connection was closed, open a "
                "new one"
            )
        self._ctx.trace.add_application_data("send", len(data))
        return True

    def close(self) -> None:
        """Queues close_notify. Receiving may continue until the peer's close_notify."""
        if self._close_sent or self._error is not None:
            return
        self._close_sent = True
        self._ctx.send_alert(AlertDescription.close_notify)

    # -- the input loop -------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self._error is not None:
            raise self._error

    def _process(self, events: list[Event]) -> None:
        records = self._records
        read_record = records.read_record
        max_records = self.config.max_records_per_key
        application_data = ContentType.application_data
        while True:
            if self.handshake_complete and self._handshake.at_boundary:
                self._read_bulk(events, max_records)
            record = read_record()
            if record is None:
                break
            content_type, payload = record
            if records.read_seq > max_records:
                raise KeyUsageLimit(
                    "the peer sent more records under one key than max_records_per_key "
                    f"({max_records})"
                )
            if content_type is application_data and payload:
                # The bulk path, the same checks as below without the general dispatch: a
                # non-empty data record ends both flood counts and queues no handshake events.
                self._floods.progress()
                if not self.handshake_complete or not self._handshake.at_boundary:
                    raise UnexpectedMessage("application data received before the handshake")
                self._ctx.trace.add_application_data("recv", len(payload))
                events.append(ApplicationData(payload))
                continue
            self._floods.count(content_type, payload)
            if content_type == ContentType.handshake:
                self._on_handshake(payload)
            elif content_type == ContentType.application_data:
                if not self.handshake_complete or not self._handshake.at_boundary:
                    raise UnexpectedMessage("application data received before the handshake")
                if payload:
                    self._ctx.trace.add_application_data("recv", len(payload))
                    events.append(ApplicationData(payload))
            elif content_type == ContentType.change_cipher_spec:
                self._on_change_cipher_spec(payload)
            elif content_type == ContentType.alert:
                event = self._on_alert(payload)
                if event is not None:
                    events.append(event)
            else:  # the record layer already refuses other types
                raise UnexpectedMessage(f"record of content type {content_type} not expected")
            events.extend(self._ctx.events)
            self._ctx.events.clear()
            if self._closed_by_peer:
                # RFC 5246 §7.2.1: anything after a closure alert is ignored, even bytes
                # that would not parse as a record.
                self._records.discard_input()
                break
        self._ctx.flush()

    def _read_bulk(self, events: list[Event], max_records: int) -> None:
        """The run of application data records at the front of the input in one call
        (``RecordLayer.read_application_data``), with the checks the record loop makes for
        each: application data is allowed (the caller checked: the handshake is complete, at
        a message boundary), the key usage limit (no record past it is taken here; the loop
        reads it and refuses it), and the flood counts end. Records that fail are the loop's."""
        plaintexts: list[bytes] = []
        try:
            # A record whose sequence number is max_records or more would make read_seq pass
            # the limit: it is left to the loop, which raises KeyUsageLimit on it.
            self._records.read_application_data(plaintexts, max_records)
        finally:
            if plaintexts:
                self._floods.progress()
                self._ctx.trace.add_application_data("recv", len(plaintexts[0]))
                events.extend(map(ApplicationData, plaintexts))

    def _on_handshake(self, payload: bytes) -> None:
        self._handshake.feed(payload)
        while True:
            item = self._handshake.next_message()
            if item is None:
                return
            msg_type, body, raw = item
            msg = decode_handshake(msg_type, body)
            state = self._require_state()
            if state.ignores(msg_type):
                continue  # never part of the transcript either
            self._state = state.handle(msg, raw)
            self._after_state_change()

    def _admit(self, msg_type: int) -> None:
        """Called with a handshake message's type as soon as its header is seen: a type the
        current state does not expect is unexpected_message before its body is buffered or
        decoded (RFC 5246 §7.4)."""
        state = self._require_state()
        if state.ignores(msg_type):
            return  # read and dropped by _on_handshake
        if not state.accepts(msg_type):
            raise UnexpectedMessage(
                f"{message_name(msg_type)} is not expected in state {state.name}"
            )

    def _on_change_cipher_spec(self, payload: bytes) -> None:
        check_change_cipher_spec(payload)
        if not self._handshake.at_boundary:
            raise UnexpectedMessage("ChangeCipherSpec inside a fragmented handshake message")
        self._state = self._require_state().handle_change_cipher_spec()
        self._after_state_change()

    def _on_alert(self, payload: bytes) -> Event | None:
        alert = Alert.decode(payload)
        self._ctx.trace.add_alert(
            "recv", alert.level.name, alert.description.name, self._records.read_encrypted
        )
        if alert.description == AlertDescription.close_notify:
            self._closed_by_peer = True
            if not self._close_sent:
                self.close()
            if not self.handshake_complete:
                raise FatalAlertReceived(alert.description)
            return ConnectionClosed()
        if not alert.is_warning:  # fatal, or a level byte that is neither 1 nor 2
            raise FatalAlertReceived(
                alert.description, hint=self._require_state().refusal_hint(alert.description)
            )
        # A warning mid-handshake is harmless except one that says "no": user_canceled and
        # no_renegotiation cannot be followed by a completed handshake.
        refusals = (AlertDescription.user_canceled, AlertDescription.no_renegotiation)
        if not self.handshake_complete and alert.description in refusals:
            raise FatalAlertReceived(alert.description)
        return WarningAlertReceived(alert.level, alert.description)

    def _after_state_change(self) -> None:
        """Once the hellos have settled the version, every record must carry exactly 1.2
        (RFC 5246 §6.2.1); before that a ClientHello record may say {3, x}."""
        if self._records.expected_version is None:  # the first message handled is a hello
            self._records.expected_version = TLS12_VERSION
        if self._negotiated is None and isinstance(self._state, Connected):
            self._negotiated = self._state.negotiated
            self._session = self._state.session
            self._exporter = self._ctx.exporter

    def _require_state(self) -> State:
        if self._state is None:
            raise UnexpectedMessage("a message arrived before the connection was started")
        return self._state

    def _eof(self) -> list[Event]:
        if self._closed_by_peer:
            return []
        raise TruncationError(
            "the peer closed the transport without close_notify"
            + ("" if self.handshake_complete else " during the handshake")
        )

    def _fail(self, exc: TLSError) -> None:
        """Stores the error and queues its alert (none for alerts we received or for EOF)."""
        if self._error is not None:
            return
        self._error = exc
        self._state = Failed(self._ctx)
        if isinstance(exc, (FatalAlertReceived, TruncationError)):
            return
        with contextlib.suppress(TLSError):
            self._ctx.flush()
        with contextlib.suppress(TLSError):
            self._ctx.send_alert(exc.alert)


class ClientConnection(Connection):
    """The client side: ``start()`` queues the ClientHello."""

    is_client = True
    config: ClientConfig
    _ctx: ClientContext

    def __init__(
        self,
        config: ClientConfig,
        server_name: str | None = None,
        session: Session | None = None,
    ) -> None:
        super().__init__(config)
        self._ctx = HandshakeContext(True, config, self._records, self._out)
        self.server_name = server_name
        self._offer = session

    def start(self) -> None:
        if self._state is not None:
            raise UsageError("start() was already called")
        self._state = client_states.start(self._ctx, self.server_name, self._offer)


class ServerConnection(Connection):
    """The server side: waits for a ClientHello."""

    is_client = False
    config: ServerConfig
    _ctx: ServerContext

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self._ctx = HandshakeContext(False, config, self._records, self._out)
        self._state = server_states.ExpectClientHello(self._ctx)

    def start(self) -> None:
        """Nothing to send first; present so both sides can be driven alike."""


def _admitter(conn: Connection) -> Callable[[int], None]:
    """``conn._admit`` for its HandshakeBuffer without a reference cycle (a bound method would
    make one: the connection holds the buffer), so a connection no longer used is freed at
    once instead of by the garbage collector, with everything it holds."""
    ref = weakref.ref(conn)

    def admit(msg_type: int) -> None:
        owner = ref()
        if owner is not None:
            owner._admit(msg_type)

    return admit
