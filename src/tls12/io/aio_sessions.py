"""Session-ID resumption for the asyncio server without waiting on the network in the loop.

The engine asks ``config.session_store`` synchronously from inside the handshake; an event loop
must not block there. So, per connection:

1. ``HelloGate`` holds the first bytes from the client until the whole ClientHello is in
   (records parsed with our own codec, every length through the checked Reader), reads its
   session ID, and awaits ``AsyncSessionStore.get`` (bounded by the store's timeout) before the
   engine sees a byte. Bytes that are not a well-formed ClientHello go straight to the engine,
   which sends the right alert; the gate never judges them.
2. The engine gets a per-connection ``ConnectionSessionView`` as its store: ``get`` answers
   from what the gate fetched, ``put`` and ``delete`` go to ``SessionWriter``.
3. ``SessionWriter`` stores new sessions from one background task, batched into pipelines,
   through a bounded queue: when Redis cannot keep up, new sessions are dropped (counted and
   logged once per episode), never buffered without bound.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from typing import Final

from tls12.config import ServerConfig
from tls12.errors import DecodeError
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello
from tls12.record.framing import default_limit
from tls12.sessions import Session
from tls12.sessions_async import AsyncSessionStore
from tls12.wire.enums import ContentType, HandshakeType
from tls12.wire.reader import Reader

log = logging.getLogger("tls12.aio")

RECORD_HEADER = 5
MAX_FRAGMENT = 2**14 + 2048  # RFC 5246 §6.2.1 (plaintext) with room for what a peer may send
WRITE_QUEUE = 4096
"""New sessions waiting to be stored, per server; beyond this they are dropped."""
BATCH = 256

NEED_MORE: Final = object()
"""``peek_client_hello``: the ClientHello is not complete yet."""


def peek_client_hello(data: bytes, max_message_size: int) -> ClientHello | object | None:
    """The ClientHello at the start of ``data`` (plaintext handshake records), ``NEED_MORE``,
    or None when the bytes are anything else (the engine will say what is wrong)."""
    body = bytearray()
    r = Reader(data, "ClientHello records")
    try:
        while True:
            if r.remaining < RECORD_HEADER:
                return NEED_MORE
            content_type = r.u8()
            r.u16()  # record version: the engine checks it
            length = r.u16()
            if content_type != ContentType.handshake or length == 0 or length > MAX_FRAGMENT:
                return None
            if r.remaining < length:
                return NEED_MORE
            body += r.opaque_fixed(length)
            if len(body) >= 4:
                if body[0] != HandshakeType.client_hello:
                    return None
                size = int.from_bytes(body[1:4], "big")
                if size > max_message_size:
                    return None
                if len(body) >= 4 + size:
                    return ClientHello.decode_body(Reader(bytes(body[4 : 4 + size]), "ClientHello"))
    except DecodeError:
        return None


def wants_lookup(hello: ClientHello, config: ServerConfig) -> bool:
    """Whether the engine may ask the store: a session ID offered, and no ticket it would try
    first (a client resuming by ticket sends a fresh random ID, RFC 5077 §3.4)."""
    if not hello.session_id or config.session_store is None:
        return False
    ticket = hello.extensions.get(ext.SessionTicket)
    by_ticket = ticket is not None and bool(ticket.ticket)
    return not (by_ticket and config.session_tickets and config.ticket_keys is not None)


class SessionWriter:
    """Stores sessions from one background task; ``submit`` never blocks and never grows
    memory past ``max_queue`` entries."""

    def __init__(self, store: AsyncSessionStore, max_queue: int = WRITE_QUEUE) -> None:
        self.store = store
        self.max_queue = max_queue
        self.dropped = 0
        self._queue: asyncio.Queue[tuple[bytes, Session | None]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._overflowing = False

    def submit(self, session_id: bytes, session: Session | None) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue(self.max_queue)
            self._task = asyncio.get_running_loop().create_task(self._drain())
        try:
            self._queue.put_nowait((session_id, session))
            self._overflowing = False
        except asyncio.QueueFull:
            self.dropped += 1
            if not self._overflowing:
                self._overflowing = True
                log.warning(
                    "session store is behind: new sessions dropped (their clients will get "
                    "full handshakes next time)"
                )

    async def _drain(self) -> None:
        queue = self._queue
        if queue is None:  # started before the queue was made: nothing to drain
            return
        while True:
            batch = [await queue.get()]
            while len(batch) < BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self.store.put_many(batch)
            except Exception:  # the store promises not to raise; the writer must not die
                log.exception("session store write failed")

    async def flush(self) -> None:
        """Waits until everything submitted so far has been handed to the store (tests)."""
        while self._queue is not None and not self._queue.empty():
            await asyncio.sleep(0.005)
        await asyncio.sleep(0)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self._queue = None


class ConnectionSessionView:
    """The engine's ``ServerSessionStore`` for one connection."""

    def __init__(self, writer: SessionWriter) -> None:
        self._writer = writer
        self._found: dict[bytes, Session | None] = {}

    def remember(self, session_id: bytes, session: Session | None) -> None:
        self._found[session_id] = session

    def get(self, session_id: bytes) -> Session | None:
        return self._found.get(session_id)

    def put(self, session_id: bytes, session: Session) -> None:
        self._writer.submit(session_id, session)

    def delete(self, session_id: bytes) -> None:
        self._found.pop(session_id, None)
        self._writer.submit(session_id, None)


Release = Callable[[bytes], None]


class HelloGate:
    """Holds a connection's first bytes while its session is fetched. ``config`` is the
    connection's own config (the server's, with this connection's store view)."""

    def __init__(self, config: ServerConfig, store: AsyncSessionStore, writer: SessionWriter):
        self.view = ConnectionSessionView(writer)
        self.config = copy.copy(config)
        object.__setattr__(self.config, "session_store", self.view)
        self._store = store
        configured = config.max_handshake_message_size
        # the ClientHello's own limit unless the operator set one for every type (framing.py)
        self._max = configured if configured is not None else default_limit(1)
        self._buffer = b""
        self._task: asyncio.Task[None] | None = None
        self._release: Release | None = None

    def admit(self, data: bytes, release: Release) -> bytes | None:
        """The bytes to feed the engine now, or None while holding them (``release`` is then
        called once with everything held, when the lookup is done)."""
        self._buffer += data
        if self._task is not None:
            # Still waiting: a client does not send past its ClientHello before the answer,
            # so holding more than a ClientHello's worth means something else is going on.
            if len(self._buffer) > self._max + 4 * MAX_FRAGMENT:
                self.cancel_lookup()
                return self._take()
            return None
        hello = peek_client_hello(self._buffer, self._max)
        if hello is NEED_MORE and len(self._buffer) <= self._max + 4 * MAX_FRAGMENT:
            return None
        if not isinstance(hello, ClientHello) or not wants_lookup(hello, self.config):
            return self._take()
        self._release = release
        self._task = asyncio.get_running_loop().create_task(self._lookup(hello.session_id))
        return None

    def _take(self) -> bytes:
        data, self._buffer = self._buffer, b""
        return data

    async def _lookup(self, session_id: bytes) -> None:
        try:
            self.view.remember(session_id, await self._store.get(session_id))
        finally:
            release, self._release = self._release, None
            if release is not None:
                release(self._take())

    def cancel_lookup(self) -> None:
        self._release = None
        if self._task is not None:
            self._task.cancel()

    def cancel(self) -> None:
        """The connection is gone: stop waiting and drop what was held."""
        self.cancel_lookup()
        self._buffer = b""


class SessionPrefetch:
    """What ``start_server`` keeps for a server using an async store: one writer, and a gate
    per connection."""

    def __init__(self, store: AsyncSessionStore, max_queue: int = WRITE_QUEUE) -> None:
        self.store = store
        self.writer = SessionWriter(store, max_queue)

    def gate(self, config: ServerConfig) -> HelloGate:
        return HelloGate(config, self.store, self.writer)


def prefetch_for(config: ServerConfig, store: AsyncSessionStore | None) -> SessionPrefetch | None:
    """The prefetch for a server: the async store given, or the async twin of the config's
    blocking store (``RedisSessionStore.to_async``); None when the store does not block."""
    if store is None:
        twin = getattr(config.session_store, "to_async", None)
        if twin is None:
            return None
        store = twin()
        if store is None:
            log.warning(
                "the session store blocks and has no async twin (made from a client object, "
                "not a URL): its lookups will run on the event loop"
            )
            return None
    return SessionPrefetch(store)
