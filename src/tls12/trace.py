"""A readable record of a handshake: every message sent and received, with its essentials.

``Trace.render()`` lays the exchange out like the message-flow figures of RFC 5246 §7.3
(client on the left, server on the right, arrows between flights, encrypted messages marked).
``Trace.to_json_lines()`` gives one JSON object per message for tools.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import Any

WIDTH = 78
DETAIL_WIDTH = 46


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
        if self._details is None:
            self._details = {k: str(v) for k, v in self._raw.items() if v is not None}
        return self._details

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
            **self.details,
        }


class Trace:
    """Entries in the order they crossed the wire."""

    def __init__(self) -> None:
        self.entries: list[TraceEntry] = []
        self.listener: Any = None  # optional callable(TraceEntry), for live output
        self._data_seen: set[str] = set()

    def _append(self, entry: TraceEntry) -> None:
        self.entries.append(entry)
        if self.listener is not None:
            self.listener(entry)

    def add(
        self, direction: str, msg: object, size: int, encrypted: bool, details: dict[str, object]
    ) -> None:
        self._append(TraceEntry(direction, type(msg).__name__, size, encrypted, details))

    def add_ccs(self, direction: str, encrypted: bool) -> None:
        self._append(TraceEntry(direction, "ChangeCipherSpec", 1, encrypted))

    def add_application_data(self, direction: str, size: int) -> None:
        """Records the first application data record in each direction only, so a long
        connection does not grow its trace (the figures show one such line too)."""
        if direction in self._data_seen:
            return
        self._data_seen.add(direction)
        self._append(TraceEntry(direction, "Application Data", size, True))

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def to_json_lines(self) -> str:
        return "".join(json.dumps(e.as_dict()) + "\n" for e in self.entries)

    def render(self, is_client: bool, show_details: bool = True) -> str:
        """The flow as RFC 5246 draws it. ``is_client`` says which side recorded the trace."""
        lines = [f"{'Client':<40}{'Server':>38}", ""]
        previous: bool | None = None
        in_data = False
        for e in self.entries:
            from_client = (e.direction == "send") == is_client
            is_data = e.name == "Application Data"
            # A flight ends when the sender changes, and where the handshake ends: the RFC
            # draws "Finished -------->" and the application data on a line of its own.
            if previous is not None and (from_client != previous or is_data != in_data):
                lines.append(_arrow(previous))
            previous, in_data = from_client, is_data
            label = ("[" + e.name + "]") if e.encrypted and e.name != "Application Data" else e.name
            if from_client:
                lines.append(label)
            else:
                lines.append(f"{label:>{WIDTH}}")
            if show_details and e.details:
                text = ", ".join(f"{k}={v}" for k, v in e.details.items())
                for part in textwrap.wrap(text, DETAIL_WIDTH):
                    lines.append(("    " + part) if from_client else f"{part + '    ':>{WIDTH}}")
        if previous is not None:
            lines.append(_arrow(previous))
        lines.append("")
        lines.append("[...] = sent under the new keys (after ChangeCipherSpec)")
        return "\n".join(lines)


def _arrow(from_client: bool) -> str:
    return f"{'':<32}{'-------->' if from_client else '<--------':^14}"
