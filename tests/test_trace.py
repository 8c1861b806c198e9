"""tls12.trace: messages are recorded as facts and made entries when read; the entries, their
order and what a listener sees are those of recording each entry at once."""

from __future__ import annotations

from tls12.messages.handshake import ClientHello, Finished, ServerHello
from tls12.trace import Trace, TraceEntry


def _record(trace: Trace) -> None:
    trace.add("recv", ClientHello(b"r" * 32, (1,)), 100, False, {"suites": 1})
    trace.add("send", ServerHello(b"r" * 32, 1), 80, False, {"suite": "X"})
    trace.add_ccs("send", False)
    trace.add("send", Finished(b"f" * 12), 16, True, {})
    trace.add_alert("send", "warning", "close_notify", True)
    trace.add_application_data("recv", 5)
    trace.add_application_data("recv", 7)  # only the first per direction


def _shape(entries: list[TraceEntry]) -> list[tuple[object, ...]]:
    return [(e.direction, e.name, e.size, e.encrypted, e.details) for e in entries]


EXPECTED = [
    ("recv", "ClientHello", 100, False, {"suites": "1"}),
    ("send", "ServerHello", 80, False, {"suite": "X"}),
    ("send", "ChangeCipherSpec", 1, False, {}),
    ("send", "Finished", 16, True, {}),
    ("send", "Alert", 2, True, {"level": "warning", "description": "close_notify"}),
    ("recv", "Application Data", 5, True, {}),
]


def test_entries_read_late_are_those_recorded() -> None:
    trace = Trace()
    _record(trace)
    assert _shape(trace.entries) == EXPECTED
    assert trace.entries is trace.entries  # made once, then kept


def test_reads_between_records_keep_the_order() -> None:
    trace = Trace()
    trace.add("recv", ClientHello(b"r" * 32, (1,)), 100, False, {"suites": 1})
    trace.entries[-1].annotate(server_name="a.example")
    trace.add("send", ServerHello(b"r" * 32, 1), 80, False, {"suite": "X"})
    assert trace.names == ["ClientHello", "ServerHello"]
    assert trace.entries[0].details == {"suites": "1", "server_name": "a.example"}


def test_a_listener_sees_each_entry_as_it_is_recorded() -> None:
    trace = Trace()
    seen: list[TraceEntry] = []
    trace.listener = seen.append
    _record(trace)
    assert _shape(seen) == EXPECTED
    assert seen == trace.entries
