"""The handshake deadlines of one asyncio server: one timer for all its connections.

Every connection a server accepts must complete its handshake within the server's
``handshake_timeout``. A timer per connection (``loop.call_later``) costs a ``TimerHandle``, a
push onto the event loop's heap of timers and, when the handshake completes (as nearly all do),
a cancelled handle left in that heap until the loop sweeps it out: with thousands of
handshakes a second that is Python work on every one of them. Here the connections in their
handshake wait in a dict in the order they started; as they all have the same timeout, that is
also the order of their deadlines, so one timer armed for the oldest deadline is enough.
Starting a handshake's clock is a dict insertion, stopping it a dict removal.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["HandshakeDeadlines"]

EARLY = 1e-3
"""A deadline this close ahead counts as passed: the event loop runs a timer up to its clock's
resolution early, and re-arming for a deadline already (almost) due would only spin."""


class Expires(Protocol):
    def _deadline_passed(self) -> None: ...


class HandshakeDeadlines:
    """Connections in their handshake, oldest first, and the one timer for the oldest."""

    __slots__ = ("_loop", "timeout", "_entries", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self.timeout = timeout
        self._entries: dict[Expires, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, connection: Expires) -> None:
        """Starts ``connection``'s clock: ``_deadline_passed()`` is called after ``timeout``
        seconds unless ``discard`` comes first."""
        deadline = self._loop.time() + self.timeout
        self._entries[connection] = deadline
        if self._timer is None:
            self._timer = self._loop.call_at(deadline, self._fire)

    def discard(self, connection: Expires) -> None:
        """Stops ``connection``'s clock (nothing if it is not running). The timer stays armed:
        when it fires early for a deadline that is gone it re-arms for the next one."""
        self._entries.pop(connection, None)

    def _fire(self) -> None:
        self._timer = None
        entries = self._entries
        now = self._loop.time()
        while entries:
            connection, deadline = next(iter(entries.items()))
            if deadline - now > EARLY:
                self._timer = self._loop.call_at(deadline, self._fire)
                return
            del entries[connection]
            try:
                connection._deadline_passed()
            except Exception as exc:  # one connection's failure must not stop the others'
                self._loop.call_exception_handler(
                    {"message": "handshake deadline callback failed", "exception": exc}
                )
            except BaseException:
                # KeyboardInterrupt / SystemExit go on up, but the others' deadlines stay armed.
                if entries:
                    self._timer = self._loop.call_at(now, self._fire)
                raise
