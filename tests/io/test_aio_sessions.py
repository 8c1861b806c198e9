"""The asyncio server's session store never waits on the network in the event loop (D3).

A real ``redis-server``, a blackholed Redis (accepts, never answers) and a delayed Redis (a
proxy adding 250 ms each way). An unrelated, established connection echoes every few
milliseconds while other clients offer session IDs: its echo time stays in milliseconds
whatever Redis does, and a handshake costs at most the store's timeout. Before the async
store, one lookup against the blackhole froze the whole loop for the full timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

from redis_support import HOST, TEST_TIMEOUT_MS, blackhole, delayed, redis_server
from tls_support import pki

from tls12 import aio
from tls12.config import ServerConfig
from tls12.io.aio_sessions import NEED_MORE, SessionWriter, peek_client_hello
from tls12.io.sync import connect
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello
from tls12.sessions import Session
from tls12.sessions_redis import RedisSessionStore


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@contextlib.contextmanager
def aio_server(config: ServerConfig) -> Iterator[int]:
    """Our asyncio server on its own loop in a thread."""
    loop = asyncio.new_event_loop()
    ready: list[int] = []
    started = threading.Event()

    async def main() -> asyncio.Server:
        server = await aio.start_server(echo, HOST, 0, config)
        ready.append(int(server.sockets[0].getsockname()[1]))
        started.set()
        return server

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(main(), loop).result(10)
    started.wait(10)
    try:
        yield ready[0]
    finally:

        async def shutdown() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def handshake(port: int, session: Session | None = None) -> tuple[bool, Session, float]:
    """A session-ID handshake (tickets off): (resumed, session, seconds)."""
    start = time.monotonic()
    tls = connect(
        HOST,
        port,
        pki().client_config(session_tickets=False),
        server_name="localhost",
        session=session,
        timeout=10,
    )
    took = time.monotonic() - start
    tls.sendall(b"x")
    assert tls.recv() == b"x"
    resumed, new = tls.session_reused, tls.session
    tls.unwrap().close()
    assert new is not None
    return resumed, new, took


class Pinger:
    """An unrelated connection that echoes one byte every 5 ms; records each round trip."""

    def __init__(self, port: int) -> None:
        self.tls = connect(HOST, port, pki().client_config(), server_name="localhost", timeout=10)
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.monotonic()
            self.tls.sendall(b"p")
            assert self.tls.recv() == b"p"
            self.times.append(time.monotonic() - start)
            time.sleep(0.005)

    def __enter__(self) -> Pinger:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.tls.unwrap().close()

    @property
    def worst(self) -> float:
        return max(self.times)


def store_config(url: str, timeout_ms: int) -> ServerConfig:
    store = RedisSessionStore.from_url(url, timeout_ms=timeout_ms)
    return pki().server_config(session_store=store)


def resumes_eventually(port: int, session: Session) -> bool:
    """The new session is written by a background task: allow it a moment to land."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if handshake(port, session)[0]:
            return True
        time.sleep(0.05)
    return False


def test_sessions_resume_through_real_redis_and_land_with_ttl(tmp_path):
    with (
        redis_server(tmp_path) as (redis_port, _),
        aio_server(store_config(f"redis://{HOST}:{redis_port}/0", 200)) as port,
    ):
        resumed, session, _ = handshake(port)
        assert not resumed
        assert resumes_eventually(port, session)
        raw = RedisSessionStore.from_url(
            f"redis://{HOST}:{redis_port}/0", timeout_ms=TEST_TIMEOUT_MS
        )
        assert 7000 < raw._redis.ttl(raw._key(session.session_id)) <= 7200


def test_blackholed_redis_never_stalls_an_unrelated_connection():
    timeout_ms = 1000
    with (
        blackhole() as hole,
        aio_server(store_config(f"redis://{HOST}:{hole}/0", timeout_ms)) as port,
    ):
        _, session, _ = handshake(port)  # its put goes to the blackhole, in the background
        with Pinger(port) as pinger:
            took = []
            for _ in range(8):  # spread past the back-off periods (0.5 s, then 1 s)
                took.append(handshake(port, session)[2])
                time.sleep(0.3)
        print(
            f"blackhole: handshakes {[round(t * 1000) for t in took]} ms, "
            f"unrelated echo worst {pinger.worst * 1000:.1f} ms over {len(pinger.times)}"
        )
        assert len(pinger.times) > 20
        # a lookup after each back-off period pays the timeout (the loop keeps serving
        # meanwhile); never more
        assert max(took) >= timeout_ms / 1000, "some lookup reached the blackhole"
        assert max(took) < timeout_ms / 1000 + 0.5
        assert pinger.worst < timeout_ms / 1000 / 2, "the event loop waited on Redis"
        # while backing off, handshakes do not wait at all
        assert min(took) < 0.3


DELAY = 0.25
"""Seconds the delayed Redis holds each chunk, each way."""


def test_delayed_redis_resumes_without_stalling_others(tmp_path):
    with (
        redis_server(tmp_path) as (redis_port, _),
        delayed(redis_port, DELAY) as slow,
        aio_server(store_config(f"redis://{HOST}:{slow}/0", 1000)) as port,
    ):
        _, session, _ = handshake(port)
        with Pinger(port) as pinger:
            assert resumes_eventually(port, session)
            took = [handshake(port, session) for _ in range(4)]
        print(
            f"delayed: handshakes {[round(t[2] * 1000) for t in took]} ms, "
            f"unrelated echo worst {pinger.worst * 1000:.1f} ms"
        )
        assert all(resumed for resumed, _, _ in took)
        assert all(t >= 2 * DELAY for _, _, t in took), "each lookup crosses the proxy twice"
        # a blocking lookup would hold the loop 2 x DELAY at a time
        assert pinger.worst < DELAY, "the event loop waited on Redis"


def test_redis_slower_than_the_timeout_costs_a_handshake_the_timeout_only(tmp_path):
    with (
        redis_server(tmp_path) as (redis_port, _),
        delayed(redis_port, 0.1) as slow,
        aio_server(store_config(f"redis://{HOST}:{slow}/0", 50)) as port,
    ):
        _, session, _ = handshake(port)
        resumed, _, took = handshake(port, session)
        assert not resumed, "the lookup timed out: a full handshake"
        assert took < 0.05 + 0.5


def test_peek_reads_the_offered_session_id_across_records():
    session_id = bytes(range(32))
    hello = ClientHello(
        bytes(32), (0xC02F,), session_id, ext.Extensions((ext.ExtendedMasterSecret(),))
    ).encode()
    records = b""
    for i in range(0, len(hello), 7):  # one handshake message split over many records
        piece = hello[i : i + 7]
        records += b"\x16\x03\x01" + len(piece).to_bytes(2, "big") + piece
    assert peek_client_hello(records[:-1], 65536) is NEED_MORE
    parsed = peek_client_hello(records, 65536)
    assert isinstance(parsed, ClientHello) and parsed.session_id == session_id
    assert peek_client_hello(b"GET / HTTP/1.1\r\n\r\n", 65536) is None
    assert peek_client_hello(b"\x16\x03\x01\x00\x04\x02\x00\x00\x00", 65536) is None
    assert peek_client_hello(b"\x16\x03\x01\x00\x04\x01\xff\xff\xff", 65536) is None


class StuckStore:
    """A store whose writes never finish (Redis hung mid-write), counting what reached it."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.release = asyncio.Event()

    async def get(self, session_id: bytes) -> Session | None:
        return None

    async def put_many(self, items: list[tuple[bytes, Session | None]]) -> None:
        self.batches.append(len(items))
        await self.release.wait()


def test_session_writer_queue_is_bounded_when_the_store_hangs():
    async def main() -> None:
        store = StuckStore()
        writer = SessionWriter(store, max_queue=8)
        s = Session(bytes(32), 0xC02F, bytes(48), True, created=time.time())
        for i in range(1000):
            writer.submit(i.to_bytes(32, "big"), s)
            if i == 0:
                await asyncio.sleep(0)  # the writer takes the first batch and hangs on it
        assert store.batches == [1]
        assert writer.dropped == 1000 - 1 - 8, "beyond the queue, sessions are dropped"
        store.release.set()
        await writer.flush()
        assert sum(store.batches) == 1 + 8
        writer.close()

    asyncio.run(main())
