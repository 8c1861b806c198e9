"""``TLS12SSLObject``: the ``ssl.SSLObject`` contract over the sans-I/O engine.

``TLS12Context.wrap_bio`` returns one. It reads ciphertext from an ``ssl.MemoryBIO`` the
caller fills (``incoming``) and writes ciphertext to another the caller drains (``outgoing``),
exactly as ``ssl.SSLObject`` does, so asyncio's ``SSLProtocol`` (``open_connection(ssl=ctx)``,
``start_server``, ``loop.start_tls``) and anyio's ``TLSStream`` (httpx) drive it unchanged:

- ``do_handshake``, ``read``, ``unwrap`` raise ``ssl.SSLWantReadError`` when they need bytes
  that are not in ``incoming`` yet; called again, they go on where they stopped.
- ``read`` returns ``b""`` (or 0) once the peer's close_notify arrived; at the end of
  ``incoming`` (``write_eof``) without one it raises ``ssl.SSLEOFError``.
- Failures are ``ssl.SSLError`` subclasses (a refused certificate is
  ``ssl.SSLCertVerificationError``), after the alert has been written to ``outgoing``.
"""

from __future__ import annotations

import ssl
from typing import Any

from tls12.connection import ClientConnection, ServerConnection
from tls12.errors import TLSError, TruncationError
from tls12.events import ApplicationData
from tls12.io.ssl_context_view import ContextView
from tls12.io.ssl_shapes import (
    SSLObjectView,
    TLS12SSLError,
    channel_binding,
    handshake_failure_logged,
    handshake_logged,
    offering_session,
    ssl_error,
    want_read,
)
from tls12.sessions import Session


class TLS12SSLObject(SSLObjectView):
    """A TLS connection over two memory BIOs, answering as ``ssl.SSLObject``."""

    def __init__(
        self,
        context: ContextView,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        *,
        server_side: bool,
        server_hostname: str | None,
        session: Session | None,
    ) -> None:
        try:
            conn = context._new_connection(server_side, server_hostname, session, self)
        except TLSError as exc:
            raise ssl_error(exc) from exc
        super().__init__(
            conn, verified=context.verify_mode != ssl.CERT_NONE, server_hostname=server_hostname
        )
        self._context = context
        self._incoming = incoming
        self._outgoing = outgoing
        self._plain = bytearray()
        self._started = False

    # -- ssl.SSLObject's attributes -------------------------------------------------------

    @property
    def context(self) -> ContextView:
        return self._context

    @context.setter
    def context(self, value: ContextView) -> None:
        """An SNI callback may switch the context, as with ``ssl`` (see TLS12Context)."""
        self._context = value

    @property
    def session(self) -> Session | None:
        return self.connection.session

    @session.setter
    def session(self, value: Session | None) -> None:
        self.connection = offering_session(
            self.connection,
            value,
            server_side=self.server_side,
            started=self._started,
            what="SSLObject",
        )

    def pending(self) -> int:
        return len(self._plain)

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        return channel_binding(self.connection, cb_type)

    def verify_client_post_handshake(self) -> None:
        raise TLS12SSLError(1, "[TLS12: NOT_SUPPORTED] post-handshake authentication is TLS 1.3")

    # -- moving bytes ---------------------------------------------------------------------

    def _flush(self) -> None:
        data = self.connection.data_to_send()
        if data:
            self._outgoing.write(data)

    def _feed(self) -> bool:
        """Feeds what ``incoming`` holds to the engine; False when it held nothing. At the
        end of ``incoming`` the engine is told of EOF (a truncation raises)."""
        data = self._incoming.read()
        try:
            if not data:
                if self._incoming.eof:
                    self.connection.receive_data(b"")
                return False
            events = self.connection.receive_data(data)
        finally:
            self._flush()
        for event in events:
            if isinstance(event, ApplicationData):
                self._plain += event.data
        return True

    def _start(self) -> None:
        if not self._started:
            self._started = True
            conn = self.connection
            if isinstance(conn, (ClientConnection, ServerConnection)):
                conn.start()
            self._flush()

    # -- the operations -------------------------------------------------------------------

    def do_handshake(self) -> None:
        if self.connection.handshake_complete:
            return
        try:
            self._start()
            while not self.connection.handshake_complete:
                if not self._feed():
                    raise want_read()
        except TLSError as exc:
            self._flush()
            handshake_failure_logged(exc, self.server_hostname)
            raise ssl_error(exc) from exc
        self._context._count(self.connection, completed=True)
        handshake_logged(self.connection, self.server_hostname)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:  # noqa: A002 (ssl's name)
        """Up to ``len`` bytes (into ``buffer`` when given, returning the count); b"" or 0
        after the peer's close_notify."""
        self.do_handshake()
        try:
            while not self._plain and not self.connection.closed_by_peer:
                if not self._feed() and not self.connection.closed_by_peer:
                    raise want_read()
        except TruncationError as exc:
            if not self._plain and not self._context.options & ssl.OP_IGNORE_UNEXPECTED_EOF:
                raise ssl_error(exc) from exc
        except TLSError as exc:
            self._flush()
            raise ssl_error(exc) from exc
        if buffer is None:
            return self._take(len if len > 0 else 1024)
        view = memoryview(buffer).cast("B")
        size = min(len, view.nbytes) if len > 0 else view.nbytes
        chunk = self._take(size)
        view[: chunk.__len__()] = chunk
        return chunk.__len__()

    def _take(self, size: int) -> bytes:
        chunk = bytes(self._plain[:size])
        del self._plain[:size]
        return chunk

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Encrypts all of ``data`` into ``outgoing``; returns its length."""
        self.do_handshake()
        raw = bytes(data)
        try:
            self.connection.send(raw)
        except TLSError as exc:
            raise ssl_error(exc) from exc
        finally:
            self._flush()
        return raw.__len__()

    def unwrap(self) -> None:
        """Sends close_notify; returns once the peer's arrived (SSLWantReadError before)."""
        try:
            self.connection.close()
            self._flush()
            while not self.connection.closed_by_peer:
                if not self._feed() and not self.connection.closed_by_peer:
                    raise want_read()
        except TLSError as exc:
            self._flush()
            raise ssl_error(exc) from exc
