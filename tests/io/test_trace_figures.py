"""The handshake trace, rendered and as JSON lines, against RFC 5246's figures 1 and 2.

The figures are copied from the RFC and parsed into flights (who sends which messages,
between two arrows); the rendered diagram of a real handshake is parsed the same way. A
message marked ``*`` in figure 1 is optional: each scenario says which it expects.
"""

from __future__ import annotations

import json

import pytest
from figure_support import ARROWS, FIGURE_1, FIGURE_2, diagram_flights, message_lines, rfc_flights
from tls_support import drive, pki

from tls12.config import ClientAuth
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import TLSError
from tls12.messages.handshake import HelloRequest
from tls12.trace import MAX_ALERTS
from tls12.wire.enums import ContentType


def run(client_config, server_config, session=None) -> tuple[ClientConnection, ServerConnection]:
    client = ClientConnection(client_config, "localhost", session)
    server = ServerConnection(server_config)
    client.start()
    drive(client, server)
    assert client.handshake_complete and server.handshake_complete
    client.send(b"GET / HTTP/1.0\r\n\r\n")
    drive(client, server)
    server.send(b"HTTP/1.0 200 OK\r\n\r\n")
    drive(client, server)
    return client, server


def full(client_auth: bool) -> tuple[ClientConnection, ServerConnection]:
    p = pki()
    server_kw: dict = {"session_tickets": False}
    client_kw: dict = {"session_tickets": False}
    if client_auth:
        server_kw.update(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
        client_kw["client_certificates"] = [p.certified(p.client_rsa)]
    return run(p.client_config(**client_kw), p.server_config(**server_kw))


def abbreviated(tickets: bool) -> tuple[ClientConnection, ServerConnection]:
    p = pki()
    server_config = p.server_config(session_tickets=tickets)
    client_config = p.client_config(session_tickets=tickets)
    first, _ = run(client_config, server_config)
    client, server = run(client_config, server_config, first.session)
    assert client.negotiated.resumed
    return client, server


SCENARIOS = {
    "full": (lambda: full(False), FIGURE_1, {"server:Certificate", "server:ServerKeyExchange"}),
    "full-client-auth": (
        lambda: full(True),
        FIGURE_1,
        {
            "server:Certificate",
            "server:ServerKeyExchange",
            "server:CertificateRequest",
            "client:Certificate",
            "client:CertificateVerify",
        },
    ),
    "abbreviated-session-id": (lambda: abbreviated(False), FIGURE_2, set()),
    "abbreviated-ticket": (lambda: abbreviated(True), FIGURE_2, set()),
}


def test_the_figure_parser_reads_the_rfc():
    assert rfc_flights(FIGURE_2, set()) == [
        ("client", ("ClientHello",)),
        ("server", ("ServerHello", "ChangeCipherSpec", "Finished")),
        ("client", ("ChangeCipherSpec", "Finished")),
        ("client", ("Application Data",)),
        ("server", ("Application Data",)),
    ]
    assert rfc_flights(FIGURE_1, set())[1] == ("server", ("ServerHello", "ServerHelloDone"))


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("side", ["client", "server"])
def test_rendered_diagram_matches_the_rfc_figure(scenario, side):
    make, figure, present = SCENARIOS[scenario]
    client, server = make()
    conn: Connection = client if side == "client" else server
    diagram = conn.trace.render(is_client=side == "client")
    flights, messages = diagram_flights(diagram)
    assert flights == rfc_flights(figure, present), diagram
    # The RFC brackets ChangeCipherSpec (not a handshake message); under the new keys only
    # Finished is sent, and the trace says so.
    for who, name, encrypted in messages:
        assert encrypted == (name == "Finished"), (who, name, diagram)
    assert "[ChangeCipherSpec]" in diagram and "[Finished]" not in diagram
    # the same diagram without details has the same flights
    plain, _ = diagram_flights(conn.trace.render(is_client=side == "client", show_details=False))
    assert plain == flights


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_both_sides_draw_the_same_picture(scenario):
    make, _, _ = SCENARIOS[scenario]
    client, server = make()
    client_view = diagram_flights(client.trace.render(is_client=True, show_details=False))
    server_view = diagram_flights(server.trace.render(is_client=False, show_details=False))
    assert client_view == server_view


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("side", ["client", "server"])
def test_json_lines_follow_the_figure(scenario, side):
    make, figure, present = SCENARIOS[scenario]
    client, server = make()
    conn: Connection = client if side == "client" else server
    text = conn.trace.to_json_lines()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    want = [(who, name) for who, names in rfc_flights(figure, present) for name in names]
    got = []
    for r in records:
        assert {"direction", "message", "size", "encrypted"} <= set(r)
        assert isinstance(r["size"], int) and r["size"] > 0
        assert r["encrypted"] is (r["message"] in ("Finished", "Application Data"))
        sent_by_client = (r["direction"] == "send") == (side == "client")
        got.append(("client" if sent_by_client else "server", r["message"]))
    assert got == want
    hello = records[0]
    assert hello["message"] == "ClientHello" and hello["server_name"] == "localhost"
    if scenario.startswith("full"):
        server_hello = records[1]
        assert server_hello["suite"] == client.negotiated.cipher_suite.name


def test_full_handshake_with_tickets_adds_new_session_ticket_before_the_servers_ccs():
    """RFC 5077 §3.1: NewSessionTicket sits between ServerHelloDone's answer and the
    server's ChangeCipherSpec; otherwise the flow is figure 1's."""
    p = pki()
    client, _ = run(p.client_config(), p.server_config())
    flights, _ = diagram_flights(client.trace.render(is_client=True, show_details=False))
    assert flights[3] == ("server", ("NewSessionTicket", "ChangeCipherSpec", "Finished"))


def test_details_wrap_between_items_never_inside_one():
    p = pki()
    client, _ = run(p.client_config(), p.server_config())
    diagram = client.trace.render(is_client=True)
    suite = client.negotiated.cipher_suite.name
    assert any(line.strip().startswith(f"suite={suite}") for line in diagram.splitlines())
    for line in diagram.splitlines():
        stripped = line.strip()
        if "=" in stripped and not any(a in line for a in ARROWS):
            # every detail row starts with a key and ends at an item boundary
            assert stripped.split("=", 1)[0].isidentifier(), line


def test_alerts_are_drawn_where_the_connection_ends():
    p = pki()
    client, server = run(p.client_config(), p.server_config())
    client.close()
    drive(client, server)
    lines = message_lines(client.trace.render(is_client=True, show_details=False))
    assert lines[-2].split() == ["Alert(warning,", "close_notify)", "-------->"]
    assert lines[-1].split() == ["<--------", "Alert(warning,", "close_notify)"]


def test_a_fatal_alert_is_drawn_and_the_trace_stays_bounded():
    """A refused hello ends in a drawn fatal alert; a flood of refused renegotiations adds
    no more than a few alert lines."""
    p = pki()
    legacy = p.client_config(cipher_suites=["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"])
    client = ClientConnection(legacy, "localhost")
    server = ServerConnection(p.server_config())
    client.start()
    with pytest.raises(TLSError):
        drive(client, server)
    text = server.trace.render(is_client=False, show_details=False)
    assert text.splitlines()[-1].split() == ["<--------", "Alert(fatal,", "handshake_failure)"]

    client, server = run(p.client_config(), p.server_config())
    before = len(client.trace.entries)
    for _ in range(50):
        client.receive_data(server._records.write(ContentType.handshake, HelloRequest().encode()))
        assert client.data_to_send()  # a no_renegotiation warning each time
    assert len(client.trace.entries) - before == MAX_ALERTS


def test_json_fields_keep_one_type_each():
    p = pki()
    types: dict[str, set[type]] = {}
    for make in (lambda: full(True), lambda: abbreviated(True), lambda: abbreviated(False)):
        for conn in make():
            for line in conn.trace.to_json_lines().splitlines():
                for key, value in json.loads(line).items():
                    types.setdefault(key, set()).add(type(value))
    mixed = {k: v for k, v in types.items() if len(v) > 1}
    assert not mixed
    assert types["size"] == {int} and types["encrypted"] == {bool}
    assert p is not None
