"""The handshake trace, rendered and as JSON lines, against RFC 5246's figures 1 and 2.

The figures are copied from the RFC and parsed into flights (who sends which messages,
between two arrows); the rendered diagram of a real handshake is parsed the same way. A
message marked ``*`` in figure 1 is optional: each scenario says which it expects.
"""

from __future__ import annotations

import json
import re

import pytest
from tls_support import drive, pki

from tls12.config import ClientAuth
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.trace import WIDTH

# RFC 5246 §7.3, Figure 1. Message flow for a full handshake
FIGURE_1 = """
      ClientHello                  -------->
                                                      ServerHello
                                                     Certificate*
                                               ServerKeyExchange*
                                              CertificateRequest*
                                   <--------      ServerHelloDone
      Certificate*
      ClientKeyExchange
      CertificateVerify*
      [ChangeCipherSpec]
      Finished                     -------->
                                               [ChangeCipherSpec]
                                   <--------             Finished
      Application Data             <------->     Application Data
"""

# RFC 5246 §7.3, Figure 2. Message flow for an abbreviated handshake
FIGURE_2 = """
      ClientHello                   -------->
                                                       ServerHello
                                                [ChangeCipherSpec]
                                    <--------             Finished
      [ChangeCipherSpec]
      Finished                      -------->
      Application Data              <------->     Application Data
"""

Flight = tuple[str, tuple[str, ...]]  # ("client" | "server", message names)


def rfc_flights(figure: str, present: set[str]) -> list[Flight]:
    """Flights of an RFC figure; optional (``*``) messages are kept when named in
    ``present`` as ``"client:Certificate"`` / ``"server:CertificateRequest"``."""
    flights: list[Flight] = []
    current: list[str] = []
    side = "client"

    def close_flight(sender: str) -> None:
        nonlocal current
        if current:
            flights.append((sender, tuple(current)))
        current = []

    for line in figure.strip("\n").splitlines():
        if "<------->" in line:  # application data both ways: one flight each
            close_flight(side)
            flights += [("client", ("Application Data",)), ("server", ("Application Data",))]
            continue
        text = re.sub(r"-------->|<--------", "", line)
        name = text.strip()
        column = len(text) - len(text.lstrip())
        who = "client" if column < 20 else "server"
        if who != side:
            close_flight(side)
            side = who
        optional = name.endswith("*")
        name = name.rstrip("*").strip("[]")
        if not optional or f"{who}:{name}" in present:
            current.append(name)
        if "-------->" in line or "<--------" in line:
            close_flight(side)
    close_flight(side)
    return flights


def diagram_flights(diagram: str) -> tuple[list[Flight], list[tuple[str, str, bool]]]:
    """Flights of a rendered trace, checking its layout on the way: client messages start
    at column 0, server messages end at column WIDTH, an arrow after each flight points
    from its sender. Also returns (side, name, bracketed) for each message."""
    lines = diagram.splitlines()
    assert lines[0].startswith("Client") and lines[0].rstrip().endswith("Server")
    assert len(lines[0].rstrip()) == WIDTH
    assert lines[-1] == "[...] = sent under the new keys (after ChangeCipherSpec)"
    flights: list[Flight] = []
    messages: list[tuple[str, str, bool]] = []
    current: list[str] = []
    side: str | None = None
    for line in lines[2:-2]:
        if "-------->" in line or "<--------" in line:
            arrow_side = "client" if "-------->" in line else "server"
            assert arrow_side == side, f"arrow {line.strip()} after a {side} flight"
            flights.append((side, tuple(current)))
            current, side = [], None
            continue
        if not line.startswith(" "):  # a client message
            who, name = "client", line
        elif line.endswith("    ") or (line.startswith("    ") and len(line) < WIDTH):
            continue  # a detail line (server details end, client details start, with spaces)
        else:
            assert len(line) == WIDTH, f"server message not right-aligned: {line!r}"
            who, name = "server", line.strip()
        assert side in (None, who), f"{who} message {name} inside a {side} flight"
        side = who
        bracketed = name.startswith("[") and name.endswith("]")
        name = name.strip("[]")
        current.append(name)
        messages.append((who, name, bracketed))
    assert not current, "the last flight has no arrow"
    return flights, messages


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
    want = rfc_flights(figure, present)
    # The RFC draws the two Application Data flights on one line; after the handshake our
    # trace shows the first application data record each way.
    assert flights[: len(want) - 2] == want[:-2], diagram
    assert flights[len(want) - 2 :] == want[-2:], diagram
    # [brackets]: sent under the new keys. Only Finished (and data) are.
    for who, name, bracketed in messages:
        assert bracketed == (name == "Finished"), (who, name, diagram)
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
