"""A readable record of a handshake: every message sent and received, with its essentials.

``Trace.render()`` lays the exchange out like the message-flow figures of RFC 5246 §7.3
(client on the left, server on the right, the arrow beside each flight's last message,
``[ChangeCipherSpec]`` bracketed as in the RFC, messages under the new keys marked).
``Trace.to_json_lines()`` gives one JSON object per message for tools.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Any

WIDTH = 78
DETAIL_WIDTH = 46
APPLICATION_DATA = "Application Data"
ALERT = "Alert"
MAX_ALERTS = 4


class Lazy:
    """A detail computed only when the trace is shown (describing a certificate costs more
    than recording that it was sent)."""

    __slots__ = ("_func", "_arg")

    def __init__(self, func: Callable[[Any], str], arg: Any) -> None:
        self._func, self._arg = func, arg

    def __str__(self) -> str:
        return self._func(self._arg)


class TraceEntry:
    """One message: its direction ("send"/"recv" from this endpoint), name, size, whether it
    was encrypted, and its essentials. Details are kept as given and turned into text on
    first access, so recording stays cheap on the hot path."""

    __slots__ = ("direction", "name", "size", "encrypted", "_raw", "_details")

    def __init__(
        self,
        direction: str,
        name: str,
        size: int,
        encrypted: bool,
        details: dict[str, object] | None = None,
    ) -> None:
        self.direction = direction
        self.name = name
        self.size = size
        self.encrypted = encrypted
        self._raw = details or {}
        self._details: dict[str, str] | None = None

    @property
    def details(self) -> dict[str, str]:
        """The essentials as text, for the diagram."""
        if self._details is None:
            self._details = {k: _text(v) for k, v in self._raw.items() if v is not None}
        return self._details

    def json_details(self) -> dict[str, object]:
        """The essentials for JSON: counts and sizes stay numbers, flags stay booleans,
        everything else is text, so each field has one type in every line."""
        return {k: _json_value(v) for k, v in self._raw.items() if v is not None}

    def annotate(self, **details: object) -> None:
        """Adds essentials learnt after the message was recorded (a verified subject)."""
        self._raw = {**self._raw, **details}
        self._details = None

    def __repr__(self) -> str:
        return f"TraceEntry({self.direction} {self.name}, {self.size} bytes, {self.details})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "message": self.name,
            "size": self.size,
            "encrypted": self.encrypted,
            **self.json_details(),
        }


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _json_value(value: object) -> object:
    if isinstance(value, enum.Enum):
        return str(value.name)  # a wire enum by its name, as the diagram shows it
    if isinstance(value, bool | int):
        return value  # counts and sizes stay numbers, flags stay booleans
    return str(value)


_Facts = tuple[str, str, int, bool, "dict[str, object] | None"]
"""What ``TraceEntry`` is made from: direction, name, size, encrypted, details."""


class Trace:
    """Entries in the order they crossed the wire.

    Each message is recorded as the tuple of its facts, and made a ``TraceEntry`` only when
    ``entries`` is read (or at once for a ``listener``): most connections never read their
    trace, and a tuple costs a fraction of an object per message."""

    def __init__(self) -> None:
        self._entries: list[TraceEntry] = []
        self._recorded: list[_Facts] = []
        """Facts not yet made entries; all of them come after ``_entries``."""
        self.listener: Any = None  # optional callable(TraceEntry), for live output
        self._data_seen: set[str] = set()
        self._alerts = 0

    @property
    def entries(self) -> list[TraceEntry]:
        """Every entry so far (the facts recorded since the last read made entries now).
        The same list on every read, brought up to date by the read: a reference kept from
        an earlier read shows later messages only once ``entries`` is read again (a
        ``listener`` sees each one as it happens)."""
        recorded = self._recorded
        if recorded:
            self._entries.extend([TraceEntry(*facts) for facts in recorded])
            recorded.clear()
        return self._entries

    def _record(self, facts: _Facts) -> None:
        if self.listener is None:
            self._recorded.append(facts)
            return
        entries = self.entries
        entries.append(TraceEntry(*facts))
        self.listener(entries[-1])

    def add(
        self, direction: str, msg: object, size: int, encrypted: bool, details: dict[str, object]
    ) -> None:
        # ``_record`` written out: this runs for every handshake message.
        facts = (direction, type(msg).__name__, size, encrypted, details)
        if self.listener is None:
            self._recorded.append(facts)
        else:
            self._record(facts)

    def add_ccs(self, direction: str, encrypted: bool) -> None:
        self._record((direction, "ChangeCipherSpec", 1, encrypted, None))

    def add_application_data(self, direction: str, size: int) -> None:
        """Records the first application data record in each direction only, so a long
        connection does not grow its trace (the figures show one such line too)."""
        if direction in self._data_seen:
            return
        self._data_seen.add(direction)
        self._record((direction, APPLICATION_DATA, size, True, None))

    def add_alert(self, direction: str, level: str, description: str, encrypted: bool) -> None:
        """An alert sent or received: the figures gain the line where a connection ended.
        Only the first MAX_ALERTS are kept, so a peer that draws warning after warning (a
        renegotiation flood) cannot grow the trace."""
        if self._alerts >= MAX_ALERTS:
            return
        self._alerts += 1
        details: dict[str, object] = {"level": level, "description": description}
        self._record((direction, ALERT, 2, encrypted, details))

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def to_json_lines(self) -> str:
        return "".join(json.dumps(e.as_dict()) + "\n" for e in self.entries)

    def render(self, is_client: bool, show_details: bool = True) -> str:
        """The flow as RFC 5246 §7.3 draws it. ``is_client`` says which side recorded it.

        Client messages stand in the left column, server messages end at the right margin, and
        the arrow stands on the line of each flight's last message, as in the RFC's figures.
        ``[ChangeCipherSpec]`` is bracketed as the RFC brackets it (not a handshake message);
        a message sent under the new keys carries ``(encrypted)``. When the first application
        data of each side follow each other, they share one ``<------->`` line, as in the RFC.
        """
        lines = [f"{'Client':<{WIDTH - 6}}Server", ""]
        for flight in _flights(self.entries, is_client):
            lines += _draw_flight(flight, show_details)
        return "\n".join(line.rstrip() for line in lines) + "\n"


# The columns of RFC 5246's figures: client names at CLIENT_COLUMN, the arrow at
# ARROW_COLUMN, server names ending at WIDTH.
CLIENT_COLUMN = 6
ARROW_COLUMN = 35
ARROW_WIDTH = 9
DATA_BOTH_WAYS = "<------->"


class _Flight:
    """Messages one side sent in a row; ``both_ways`` for the RFC's shared data line."""

    __slots__ = ("from_client", "entries", "both_ways")

    def __init__(self, from_client: bool, entry: TraceEntry) -> None:
        self.from_client = from_client
        self.entries = [entry]
        self.both_ways: TraceEntry | None = None  # the server's data on the client's line


def _flights(entries: list[TraceEntry], is_client: bool) -> list[_Flight]:
    """Splits the entries where the sender changes, and around application data and alerts
    (each drawn as a flight of its own, as the RFC draws Application Data)."""
    flights: list[_Flight] = []
    for e in entries:
        from_client = (e.direction == "send") == is_client
        alone = e.name in (APPLICATION_DATA, ALERT)
        last = flights[-1] if flights else None
        if (
            last is not None
            and alone
            and e.name == APPLICATION_DATA
            and last.from_client
            and not from_client
            and last.both_ways is None
            and [x.name for x in last.entries] == [APPLICATION_DATA]
        ):
            last.both_ways = e
            continue
        if (
            last is None
            or alone
            or last.from_client != from_client
            or last.both_ways is not None
            or last.entries[-1].name in (APPLICATION_DATA, ALERT)
        ):
            flights.append(_Flight(from_client, e))
        else:
            last.entries.append(e)
    return flights


def _label(e: TraceEntry) -> str:
    if e.name == "ChangeCipherSpec":
        return "[ChangeCipherSpec]"
    if e.name == ALERT:
        return f"Alert({e.details.get('level')}, {e.details.get('description')})"
    if e.encrypted and e.name != APPLICATION_DATA:
        return f"{e.name} (encrypted)"
    return e.name


def _draw_flight(flight: _Flight, show_details: bool) -> list[str]:
    lines: list[str] = []
    for i, e in enumerate(flight.entries):
        last = i == len(flight.entries) - 1
        arrow = ""
        if last:
            if flight.both_ways is not None:
                arrow = DATA_BOTH_WAYS
            else:
                arrow = "-------->" if flight.from_client else "<--------"
        label = _label(e)
        room = WIDTH - ARROW_COLUMN - ARROW_WIDTH  # for a server name, right of the arrow
        if flight.from_client:
            line = f"{'':<{CLIENT_COLUMN}}{label:<{ARROW_COLUMN - CLIENT_COLUMN - 1}} {arrow}"
            if flight.both_ways is not None and last:
                line = f"{line:<{ARROW_COLUMN + ARROW_WIDTH}}{_label(flight.both_ways):>{room}}"
        else:
            line = f"{'':<{ARROW_COLUMN}}{arrow:<{ARROW_WIDTH}}{label:>{room}}"
        lines.append(line)
        if show_details:
            lines += _details(e, flight.from_client)
            if last and flight.both_ways is not None:
                lines += _details(flight.both_ways, False)
    return lines


def _details(e: TraceEntry, from_client: bool) -> list[str]:
    """The message's essentials under its name, wrapped between items (never inside a name
    or value): indented under a client message, right-aligned under a server message."""
    if e.name == ALERT:
        return []  # the label says it all
    items = [f"{k}={v}" for k, v in e.details.items()]
    rows: list[str] = []
    for item in items:
        if rows and len(rows[-1]) + 2 + len(item) <= DETAIL_WIDTH:
            rows[-1] += ", " + item
        else:
            rows.append(item)
    for n in range(len(rows) - 1):
        rows[n] += ","
    if from_client:
        return [f"{'':<{CLIENT_COLUMN + 4}}{row}" for row in rows]
    return [f"{row:>{WIDTH - 4}}" for row in rows]
