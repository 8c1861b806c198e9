"""Record size control across resumption (RFC 6066 §4: the length lasts for the session) and
in the session's bytes; record_size_limit is negotiated again on each handshake."""

from __future__ import annotations

import pytest
from engine_helpers import record, split_handshake, split_records
from record_limits_support import (
    client_config,
    connect,
    exchange,
    largest,
    server_config,
)

from tls12 import errors
from tls12.connection import ServerConnection
from tls12.handshake.client_hello import build_client_hello
from tls12.handshake.record_limits import RecordLimits, check_resumed
from tls12.messages import extensions as ext
from tls12.messages.handshake import ServerHello, decode_handshake
from tls12.sessions import Session
from tls12.wire.enums import ContentType


def test_resumption_keeps_the_max_fragment_length() -> None:
    ccfg = client_config(max_fragment_length=1024, session_tickets=False)
    scfg = server_config(session_tickets=False)
    client, _server, _ = connect(ccfg, scfg)
    session = client.session
    assert session is not None and session.max_fragment_length == 1024
    again, server2, wire = connect(ccfg, scfg, session=session)
    assert again.negotiated is not None and again.negotiated.resumed
    assert again.negotiated.max_fragment_length == 1024
    exchange(again, server2, wire, 5000)
    assert largest(wire.server) == 1024 and largest(wire.client) == 1024


def test_resumption_by_ticket_keeps_the_max_fragment_length() -> None:
    ccfg = client_config(max_fragment_length=2048)
    scfg = server_config()
    client, _server, _ = connect(ccfg, scfg)
    assert client.session is not None and client.session.ticket
    again, _server2, _ = connect(ccfg, scfg, session=client.session)
    assert again.negotiated is not None and again.negotiated.resumed
    assert again.negotiated.max_fragment_length == 2048


def test_client_does_not_offer_a_session_of_another_length() -> None:
    scfg = server_config(session_tickets=False)
    client, _server, _ = connect(client_config(max_fragment_length=1024), scfg)
    again, _server2, _ = connect(client_config(max_fragment_length=512), scfg, client.session)
    assert again.negotiated is not None and not again.negotiated.resumed
    assert again.negotiated.max_fragment_length == 512


def test_server_does_not_resume_with_another_length() -> None:
    scfg = server_config(session_tickets=False)
    client, _server, _ = connect(client_config(max_fragment_length=1024), scfg)
    session = client.session
    assert session is not None
    hello = build_client_hello(client_config(session_tickets=False), "localhost", session)
    assert hello.session_id == session.session_id and not hello.extensions.has(
        ext.MaxFragmentLength
    )
    server = ServerConnection(scfg)
    server.receive_data(record(ContentType.handshake, hello.encode()))
    payload = b"".join(b for _t, b in split_records(server.data_to_send()))
    sh = decode_handshake(2, split_handshake(payload)[0][4:])
    assert isinstance(sh, ServerHello) and sh.session_id != session.session_id


def test_client_refuses_a_resumption_that_changes_the_length() -> None:
    session = Session(b"\x01" * 32, 0xC02B, b"\x00" * 48, True, max_fragment_length=512)
    with pytest.raises(errors.IllegalParameter):
        check_resumed(RecordLimits(), session)
    check_resumed(RecordLimits(max_fragment_length=512), session)


def test_record_size_limit_is_negotiated_again_on_resumption() -> None:
    scfg = server_config(session_tickets=False, record_size_limit=700)
    client, _server, _ = connect(client_config(session_tickets=False), scfg)
    again, server2, wire = connect(
        client_config(session_tickets=False, record_size_limit=300), scfg, client.session
    )
    assert again.negotiated is not None and again.negotiated.resumed
    assert (again.negotiated.send_limit, again.negotiated.receive_limit) == (700, 300)
    exchange(again, server2, wire, 2000)
    assert largest(wire.server, protected=True) == 300
    assert largest(wire.client, protected=True) == 700


@pytest.mark.parametrize("length", [None, 512, 1024, 2048, 4096])
def test_session_bytes_keep_the_length(length: int | None) -> None:
    session = Session(b"\x01" * 32, 0xC02B, b"\x00" * 48, True, max_fragment_length=length)
    back = Session.from_bytes(session.to_bytes())
    assert back == session and back.max_fragment_length == length


@pytest.mark.parametrize("flags", [0x0B, 0x10, 0xFF])
def test_session_bytes_with_bad_flags_are_refused(flags: int) -> None:
    raw = bytearray(Session(b"", 0xC02B, b"\x00" * 48, True).to_bytes())
    raw[1 + 2 + 1 + 48] = flags
    with pytest.raises(errors.DecodeError):
        Session.from_bytes(bytes(raw))


