"""``TLS12Socket``: a TLSSocket with the ``ssl.SSLSocket`` methods http.client, urllib3 and
socketserver call (see sslcompat.py for the overview)."""

from __future__ import annotations

import _socket
import contextlib
import os
import socket
import ssl
from typing import TYPE_CHECKING, Any, Protocol

from tls12.errors import TLSError, TruncationError
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
    want_write,
)
from tls12.io.tls_file import TLSRawIO, buffered_file
from tls12.io.tls_socket import RECV_SIZE, TLSSocket
from tls12.sessions import Session

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer  # typeshed's "any buffer" (collections.abc.Buffer)


def _is_connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


class SocketContext(ContextView, Protocol):
    """The context as a wrapped listening socket sees it: ``accept`` wraps each new
    connection with it."""

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
    ) -> TLS12Socket:
        """A TLS12Socket over ``sock``."""


# --- the socket -------------------------------------------------------------------------------


# TLSSocket's __enter__ returns TLSSocket where socket's returns Self: both give the socket
class TLS12Socket(TLSSocket, ssl.SSLSocket):  # type: ignore[misc]
    """A ``TLSSocket`` that also answers as an ``ssl.SSLSocket``: OpenSSL-style ``cipher()``,
    ``getpeercert()`` dictionaries, ``ssl.SSLError`` failures, ``accept()`` on a wrapped
    listening socket, ``connect()`` on a wrapped unconnected one, and an implicit handshake
    on first use when ``do_handshake_on_connect`` is False.

    It is an ``ssl.SSLSocket`` for ``isinstance`` (the websockets sync server asserts it):
    the ``socket.socket`` part is a shell over a duplicate of the connection's descriptor,
    never used for I/O. Every socket method reaches the wrapped socket; the methods that
    would send or receive without TLS (sendto, sendmsg, recvfrom, recvmsg, dup...) raise as
    ``ssl`` does."""

    def __init__(
        self,
        sock: socket.socket,
        context: SocketContext,
        *,
        server_side: bool,
        server_hostname: str | None,
        do_handshake_on_connect: bool,
        suppress_ragged_eofs: bool,
        session: Session | None,
    ) -> None:
        try:
            conn = context._new_connection(server_side, server_hostname, session, self)
        except TLSError as exc:
            raise ssl_error(exc) from exc
        socket.socket.__init__(self, sock.family, sock.type, sock.proto, os.dup(sock.fileno()))
        # The duplicate shares the file status flags: put back the wrapped socket's mode
        # (a default timeout would have made the shared description non-blocking).
        sock.settimeout(sock.gettimeout())
        TLSSocket.__init__(self, sock, conn, suppress_ragged_eofs=suppress_ragged_eofs)
        self._context = context
        self.server_side = server_side
        self.server_hostname = server_hostname
        self.do_handshake_on_connect = do_handshake_on_connect
        self._handshake_started = False
        self._io_refs = 0
        self._close_pending = False
        if do_handshake_on_connect and _is_connected(sock):
            if sock.gettimeout() == 0.0:
                raise ValueError(
                    "do_handshake_on_connect should not be specified for non-blocking sockets"
                )
            try:
                self.do_handshake()
            except (OSError, ValueError):
                self.close()
                raise

    # -- handshake ---------------------------------------------------------------------

    # ssl's signature (block), not TLSSocket's (timeout): this class answers as ssl.SSLSocket
    def do_handshake(self, block: bool = False) -> None:  # type: ignore[override]
        """Runs (or continues, after a timeout or an SSLWant*Error) the handshake; failures
        are ssl.SSLError. On a non-blocking socket it raises ssl.SSLWantReadError or
        ssl.SSLWantWriteError, as ``ssl`` does, and the next call goes on where it stopped."""
        if self.connection.handshake_complete:
            return
        self._handshake_started = True
        timeout = self.context.handshake_timeout
        restore = timeout is not None and self._sock.gettimeout() is None
        if restore:
            self._sock.settimeout(timeout)
        try:
            self._start()
            self._flush_blocking()
            while not self.connection.handshake_complete:
                if not self._pump() and not self.connection.handshake_complete:
                    raise TruncationError("the peer closed the connection during the handshake")
                self._flush_blocking()
        except BlockingIOError as exc:
            raise self._want(exc) from None
        except TLSError as exc:
            self._flush_quietly()
            handshake_failure_logged(exc, self.getpeername_or_none())
            raise ssl_error(exc) from exc
        finally:
            if restore:
                with contextlib.suppress(OSError):
                    self._sock.settimeout(None)
        self.context._count(self.connection, completed=True)
        handshake_logged(self.connection, self.getpeername_or_none())

    def getpeername_or_none(self) -> Any:
        try:
            return self._sock.getpeername()
        except OSError:
            return None

    def _want(self, exc: BlockingIOError) -> ssl.SSLError:
        """ssl's exception for a socket that would block: write when records are queued."""
        return want_write() if self._out else want_read()

    # typeshed: an ssl.SSLContext; ours is the TLS12Context, seen through SocketContext
    @property  # type: ignore[override]
    def context(self) -> SocketContext:
        return self._context

    @context.setter
    def context(self, value: SocketContext) -> None:
        """An sni_callback may switch the context, as with ``ssl``."""
        self._context = value

    @property
    def _sslobj(self) -> SSLObjectView | None:
        """What ``ssl.SSLSocket._sslobj`` is to code that reaches for it (httpcore asks it
        for the ALPN protocol): a view of the engine, None once closed."""
        return None if self._closed else self._view()

    def _ensure_handshake(self) -> None:
        if not self.connection.handshake_complete:
            self.do_handshake()

    def connect(self, address: Any) -> None:
        self._sock.connect(address)
        if self.do_handshake_on_connect:
            self.do_handshake()

    def connect_ex(self, address: Any) -> int:
        rc = self._sock.connect_ex(address)
        if rc == 0 and self.do_handshake_on_connect:
            self.do_handshake()
        return rc

    def accept(self) -> tuple[TLS12Socket, Any]:
        """Accepts on a wrapped listening socket; the new connection is wrapped (and, with
        do_handshake_on_connect, handshaken) as ``ssl.SSLSocket.accept`` does."""
        newsock, addr = self._sock.accept()
        try:
            tls = self.context.wrap_socket(
                newsock,
                server_side=True,
                do_handshake_on_connect=self.do_handshake_on_connect,
                suppress_ragged_eofs=self.suppress_ragged_eofs,
            )
        except BaseException:
            newsock.close()
            raise
        return tls, addr

    # -- data --------------------------------------------------------------------------

    def recv(self, bufsize: int = RECV_SIZE, flags: int = 0) -> bytes:
        if flags:
            raise ValueError("non-zero flags not allowed in calls to recv() on TLS12Socket")
        self._ensure_handshake()
        try:
            return super().recv(bufsize)
        except BlockingIOError:
            raise want_read() from None
        except TruncationError as exc:
            if self.suppress_ragged_eofs:
                return b""
            raise ssl_error(exc) from exc
        except TLSError as exc:
            raise ssl_error(exc) from exc

    # nbytes 0 means "all the buffer holds", as in ssl; typeshed types it int | None
    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:  # type: ignore[override]
        if flags:
            raise ValueError("non-zero flags not allowed in calls to recv_into() on TLS12Socket")
        return super().recv_into(buffer, nbytes)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        if buffer is not None:
            return self.recv_into(buffer, len)
        return self.recv(len)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        if flags:
            raise ValueError("non-zero flags not allowed in calls to sendall() on TLS12Socket")
        super().sendall(data)

    def send(self, data: ReadableBuffer, flags: int = 0) -> int:
        """As ``ssl.SSLSocket.send``: the count of bytes sent, or SSLWantWriteError on a
        non-blocking socket that took nothing (retry with the same data)."""
        if flags:
            raise ValueError("non-zero flags not allowed in calls to send() on TLS12Socket")
        self._ensure_handshake()
        try:
            return super().send(data)
        except BlockingIOError:
            raise want_write() from None
        except TLSError as exc:
            raise ssl_error(exc) from exc

    def write(self, data: ReadableBuffer) -> int:
        return self.send(data)

    # -- what was negotiated, as ssl reports it ------------------------------------------

    def _view(self) -> SSLObjectView:
        return SSLObjectView(
            self.connection,
            verified=self.context.verify_mode != ssl.CERT_NONE,
            server_hostname=self.server_hostname,
        )

    def cipher(self) -> tuple[str, str, int] | None:
        return self._view().cipher()

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        return self._view().shared_ciphers()

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's leaf certificate: ssl's dictionary ({} when it was not verified), its
        DER bytes with ``binary_form``, None when the peer sent none."""
        return self._view().getpeercert(binary_form)

    def compression(self) -> None:
        return None

    def selected_npn_protocol(self) -> None:
        return None

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        return channel_binding(self.connection, cb_type)

    def verify_client_post_handshake(self) -> None:
        raise TLS12SSLError(1, "[TLS12: NOT_SUPPORTED] post-handshake authentication is TLS 1.3")

    # typeshed: an ssl.SSLSession; ours is a tls12 Session
    @property  # type: ignore[override]
    def session(self) -> Session | None:
        return self.connection.session

    @session.setter
    def session(self, value: Session | None) -> None:
        self.connection = offering_session(
            self.connection,
            value,
            server_side=self.server_side,
            started=self._handshake_started,
            what="SSLSocket",
        )

    # -- socket plumbing -----------------------------------------------------------------

    @property
    def family(self) -> socket.AddressFamily:
        return self._sock.family

    @property
    def type(self) -> socket.SocketKind:
        return self._sock.type

    @property
    def proto(self) -> int:
        return self._sock.proto

    def getsockopt(self, *args: Any) -> Any:
        return self._sock.getsockopt(*args)

    def bind(self, address: Any) -> None:
        self._sock.bind(address)

    def listen(self, backlog: int = socket.SOMAXCONN) -> None:
        self._sock.listen(backlog)

    def makefile(self, mode: str = "r", buffering: int | None = None, **kwargs: Any) -> Any:
        """As ``socket.makefile``: the file keeps the connection open until it is closed too
        (http.client closes the socket while the response is still being read)."""
        raw = _CountedRawIO(self, mode)
        self._io_refs += 1
        return buffered_file(raw, mode, buffering, **kwargs)

    def _decref_socketios(self) -> None:
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._close_pending and self._io_refs == 0:
            self._close_pending = False
            self.close()

    def close(self) -> None:
        """Closes (with close_notify) once no file from ``makefile`` is open any more."""
        if self._io_refs > 0:
            self._close_pending = True
            return
        TLSSocket.close(self)
        self._close_shell()

    def _close_shell(self) -> None:
        with contextlib.suppress(OSError):
            _socket.socket.close(self)

    def _decline(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("this operation would bypass TLS on a TLS12Socket (as on ssl.SSLSocket)")

    sendto = recvfrom = recvfrom_into = sendmsg = recvmsg = recvmsg_into = _decline

    # refused (ssl raises too); typeshed's socket.dup returns Self
    def dup(self) -> socket.socket:  # type: ignore[override]
        raise NotImplementedError(f"Can't dup() {self.__class__.__name__} instances")

    def detach(self) -> int:
        raise NotImplementedError("detach() a TLS12Socket: use unwrap() to get the socket back")

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        # socket.socket's private send-based sendfile, absent from typeshed
        return self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined, no-any-return]

    def getblocking(self) -> bool:
        return self._sock.getblocking()

    @property
    def timeout(self) -> float | None:
        return self._sock.gettimeout()

    def get_inheritable(self) -> bool:
        return self._sock.get_inheritable()

    def set_inheritable(self, inheritable: bool) -> None:
        self._sock.set_inheritable(inheritable)

    def unwrap(self) -> socket.socket:
        try:
            sock = TLSSocket.unwrap(self)
        except TLSError as exc:
            raise ssl_error(exc) from exc
        self._close_shell()
        return sock

    def shutdown(self, how: int) -> None:
        """Sends close_notify before shutting the write side (socketserver calls
        ``shutdown(SHUT_WR)`` before ``close()``: the peer still sees a clean TLS close)."""
        conn = self.connection
        writing = how in (socket.SHUT_WR, socket.SHUT_RDWR)
        if writing and conn.error is None and conn.handshake_complete:
            self._queue_close_notify()
            self._flush_quietly()
        self._sock.shutdown(how)

    def __repr__(self) -> str:
        side = "server" if self.server_side else "client"
        try:
            fd = self._sock.fileno()
        except OSError:
            fd = -1
        return f"<TLS12Socket {side} fd={fd} version={self.version()!r}>"


class _CountedRawIO(TLSRawIO):
    """``makefile``'s raw stream; closing it releases its hold on the socket."""

    def __init__(self, tls: TLS12Socket, mode: str) -> None:
        super().__init__(tls, mode)
        self._owner: TLS12Socket | None = tls

    def close(self) -> None:
        if not self.closed and self._owner is not None:
            owner, self._owner = self._owner, None
            super().close()
            owner._decref_socketios()
            return
        super().close()
