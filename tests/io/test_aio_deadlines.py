"""tls12.io.aio_deadlines: one server's handshake clock, one timer for all its connections.

The end-to-end proofs (silent and trickling clients dropped at the deadline, a thousand of
them at once) are in test_aio_streams.py and test_stalled_clients.py; these pin the clock
itself: each connection expires no earlier than its own timeout and not much later, in the
order they started, and a stopped clock never fires.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tls12.io.aio_deadlines import EARLY, HandshakeDeadlines

SLACK = 0.25
"""How late an expiry may be on a loaded 2-core machine."""


class Conn:
    def __init__(self, loop: asyncio.AbstractEventLoop, log: list[tuple[str, float]], name: str):
        self.loop, self.log, self.name = loop, log, name
        self.started = loop.time()

    def _deadline_passed(self) -> None:
        self.log.append((self.name, self.loop.time() - self.started))


def test_each_connection_expires_after_its_own_timeout_in_order() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        log: list[tuple[str, float]] = []
        clock = HandshakeDeadlines(loop, 0.2)
        for name in "abc":
            clock.add(Conn(loop, log, name))
            await asyncio.sleep(0.05)
        assert len(clock) == 3
        await asyncio.sleep(0.4)
        assert len(clock) == 0
        return log

    log = asyncio.run(main())
    assert [name for name, _ in log] == ["a", "b", "c"]
    for name, elapsed in log:
        assert 0.2 - EARLY <= elapsed < 0.2 + SLACK, (name, elapsed)


def test_a_discarded_connection_never_expires_and_does_not_delay_the_next() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        log: list[tuple[str, float]] = []
        clock = HandshakeDeadlines(loop, 0.2)
        first, second = Conn(loop, log, "first"), None
        clock.add(first)
        await asyncio.sleep(0.1)
        second = Conn(loop, log, "second")
        clock.add(second)
        clock.discard(first)  # its handshake completed: the timer armed for it stays
        clock.discard(first)  # a second stop is nothing
        await asyncio.sleep(0.45)
        return log

    log = asyncio.run(main())
    assert [name for name, _ in log] == ["second"]
    assert 0.2 - EARLY <= log[0][1] < 0.2 + SLACK, log


def test_the_clock_restarts_after_it_emptied() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        log: list[tuple[str, float]] = []
        clock = HandshakeDeadlines(loop, 0.1)
        clock.add(Conn(loop, log, "one"))
        await asyncio.sleep(0.25)
        clock.add(Conn(loop, log, "two"))
        await asyncio.sleep(0.25)
        return log

    log = asyncio.run(main())
    assert [name for name, _ in log] == ["one", "two"]
    for name, elapsed in log:
        assert 0.1 - EARLY <= elapsed < 0.1 + SLACK, (name, elapsed)


def test_one_failing_expiry_does_not_stop_the_others() -> None:
    class Broken(Conn):
        def _deadline_passed(self) -> None:
            raise RuntimeError("broken")

    async def main() -> tuple[list[tuple[str, float]], list[dict[str, Any]]]:
        loop = asyncio.get_running_loop()
        reported: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        log: list[tuple[str, float]] = []
        clock = HandshakeDeadlines(loop, 0.1)
        clock.add(Broken(loop, log, "broken"))
        clock.add(Conn(loop, log, "fine"))
        await asyncio.sleep(0.3)
        return log, reported

    log, reported = asyncio.run(main())
    assert [name for name, _ in log] == ["fine"]
    assert len(reported) == 1 and isinstance(reported[0]["exception"], RuntimeError)
