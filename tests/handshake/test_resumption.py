"""The abbreviated handshake (RFC 5246 figure 2) in memory: resumption by session ID and by
ticket, each fallback rule (a full handshake, never an error) and each abort rule."""

from __future__ import annotations

import dataclasses

import pytest
from tls_support import drive, pki

from tls12.config import ClientAuth
from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto.suites import BY_NAME
from tls12.errors import FatalAlertReceived, HandshakeFailure, IllegalParameter
from tls12.handshake import server as server_states
from tls12.handshake.resumption import Resumption
from tls12.sessions import Session

FIGURE_1_CLIENT = [
    "ClientHello",
    "ServerHello",
    "Certificate",
    "ServerKeyExchange",
    "ServerHelloDone",
    "ClientKeyExchange",
    "ChangeCipherSpec",
    "Finished",
]
FIGURE_2 = [
    "ClientHello",
    "ServerHello",
    "ChangeCipherSpec",
    "Finished",
    "ChangeCipherSpec",
    "Finished",
]


def connect(client_config, server_config, session=None, server_name="localhost"):
    client = ClientConnection(client_config, server_name, session)
    server = ServerConnection(server_config)
    client.start()
    drive(client, server)
    assert client.handshake_complete and server.handshake_complete
    return client, server


def exchange_data(client, server):
    client.send(b"ping")
    _, server_events = drive(client, server)
    server.send(b"pong")
    client_events, _ = drive(client, server)
    assert [e.data for e in server_events] == [b"ping"]
    assert [e.data for e in client_events] == [b"pong"]


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_resumption(tickets):
    p = pki()
    server_config = p.server_config()
    client_config = p.client_config(session_tickets=tickets)
    c1, s1 = connect(client_config, server_config)
    assert not c1.negotiated.resumed
    session = c1.session
    assert bool(session.ticket) is tickets
    assert ("NewSessionTicket" in c1.trace.names) is tickets
    c2, s2 = connect(client_config, server_config, session)
    assert c2.negotiated.resumed and s2.negotiated.resumed
    assert c2.trace.names == FIGURE_2
    assert s2.trace.names == FIGURE_2
    assert c2.negotiated.cipher_suite == c1.negotiated.cipher_suite
    assert c2.negotiated.peer_certificates == c1.negotiated.peer_certificates
    exchange_data(c2, s2)


def test_resumption_from_session_bytes():
    p = pki()
    server_config = p.server_config()
    client_config = p.client_config()
    c1, _ = connect(client_config, server_config)
    restored = Session.from_bytes(c1.session.to_bytes())
    c2, _ = connect(client_config, server_config, restored)
    assert c2.negotiated.resumed


def test_resumed_session_can_be_resumed_again():
    p = pki()
    server_config = p.server_config()
    client_config = p.client_config()
    c, _ = connect(client_config, server_config)
    for _ in range(3):
        c, s = connect(client_config, server_config, c.session)
        assert c.negotiated.resumed and s.negotiated.resumed


def full_handshake_after(client_config, server_config, session, server_name="localhost"):
    c, s = connect(client_config, server_config, session, server_name)
    assert not c.negotiated.resumed and not s.negotiated.resumed
    assert c.trace.names[: len(FIGURE_1_CLIENT) - 3] == FIGURE_1_CLIENT[:-3]
    exchange_data(c, s)
    return c, s


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_fallback_unknown_session(tickets):
    p = pki()
    client_config = p.client_config(session_tickets=tickets)
    c1, _ = connect(client_config, p.server_config())
    # another server instance: fresh store and fresh ticket keys
    full_handshake_after(client_config, p.server_config(), c1.session)


def test_fallback_garbage_ticket():
    p = pki()
    server_config = p.server_config()
    c1, _ = connect(p.client_config(), server_config)
    forged = dataclasses.replace(c1.session, ticket=b"\x00" * 200)
    full_handshake_after(p.client_config(), server_config, forged)


def test_fallback_expired_session():
    p = pki()
    now = [1_000_000.0]
    server_config = p.server_config(
        clock=lambda: now[0], session_lifetime=60, session_tickets=False
    )
    client_config = p.client_config(session_tickets=False)
    c1, _ = connect(client_config, server_config)
    now[0] += 61
    # the client itself still offers it (its own clock is the real one)
    c2, s2 = connect(client_config, server_config, c1.session)
    assert c2.trace.entries[0].details["resuming"] == "session id"
    assert not s2.negotiated.resumed and not c2.negotiated.resumed


def test_fallback_suite_no_longer_offered():
    p = pki()
    server_config = p.server_config(session_tickets=False)
    first_suite = BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    other_suite = BY_NAME["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
    c1, _ = connect(
        p.client_config(cipher_suites=[first_suite], session_tickets=False), server_config
    )
    session = c1.session
    # The client would not offer it itself; force the offer to test the server's rule.
    client_config = p.client_config(cipher_suites=[other_suite, first_suite], session_tickets=False)
    c2 = ClientConnection(client_config, "localhost", session)
    server_config2 = dataclasses.replace(server_config, cipher_suites=[other_suite])
    s2 = ServerConnection(server_config2)
    c2.start()
    drive(c2, s2)
    assert not s2.negotiated.resumed
    assert s2.negotiated.cipher_suite == other_suite


def test_client_does_not_offer_session_for_disabled_suite():
    p = pki()
    server_config = p.server_config()
    suite = BY_NAME["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
    c1, _ = connect(p.client_config(cipher_suites=[suite]), server_config)
    other = p.client_config(cipher_suites=["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
    c2, _ = connect(other, server_config, c1.session)
    assert not c2.negotiated.resumed
    assert c2.trace.entries[0].details.get("resuming") is None


def test_fallback_sni_differs():
    p = pki()
    server_config = p.server_config(session_tickets=False)
    client_config = p.client_config(session_tickets=False)
    c1, _ = connect(client_config, server_config)
    moved = dataclasses.replace(c1.session, server_name="127.0.0.1")
    # the client offers it for "localhost"; the server sees SNI localhost vs session's name
    c2 = ClientConnection(client_config, "localhost", None)
    c2._offer = moved  # bypass the client's own SNI rule to test the server's
    s2 = ServerConnection(server_config)
    c2.start()
    drive(c2, s2)
    assert not s2.negotiated.resumed


def test_fallback_session_without_ems_offered_with_ems():
    p = pki()
    server_config = p.server_config(session_tickets=False)
    c1, _ = connect(
        p.client_config(extended_master_secret=False, session_tickets=False), server_config
    )
    assert not c1.session.extended_master_secret
    full_handshake_after(p.client_config(session_tickets=False), server_config, c1.session)


def test_resume_without_ems_on_both_sides_is_allowed():
    p = pki()
    server_config = p.server_config()
    client_config = p.client_config(extended_master_secret=False)
    c1, _ = connect(client_config, server_config)
    c2, _ = connect(client_config, server_config, c1.session)
    assert c2.negotiated.resumed and not c2.negotiated.extended_master_secret


def test_server_aborts_ems_session_offered_without_ems():
    p = pki()
    server_config = p.server_config(session_tickets=False)
    c1, _ = connect(p.client_config(session_tickets=False), server_config)
    assert c1.session.extended_master_secret
    client = ClientConnection(
        p.client_config(extended_master_secret=False, session_tickets=False), "localhost", None
    )
    client._offer = c1.session  # the client's own policy would not offer it
    server = ServerConnection(server_config)
    client.start()
    with pytest.raises(HandshakeFailure, match="7627"):
        server.receive_data(client.data_to_send())
    with pytest.raises(FatalAlertReceived) as info:
        client.receive_data(server.data_to_send())
    assert info.value.description.name == "handshake_failure"


def test_client_aborts_when_server_resumes_with_another_suite(monkeypatch):
    p = pki()
    server_config = p.server_config(session_tickets=False)
    client_config = p.client_config(session_tickets=False)
    c1, _ = connect(client_config, server_config)
    other = next(s for s in client_config.cipher_suites if s.id != c1.session.cipher_suite)

    def lying(config, facts):
        return Resumption(config.session_store.get(facts.client_hello.session_id), other, False)

    monkeypatch.setattr(server_states, "find_resumable", lying)
    client = ClientConnection(client_config, "localhost", c1.session)
    server = ServerConnection(server_config)
    client.start()
    server.receive_data(client.data_to_send())
    with pytest.raises(IllegalParameter, match="cipher suite"):
        client.receive_data(server.data_to_send())
    wire = client.data_to_send()
    assert wire[-7:] == bytes([21, 3, 3, 0, 2, 2, 47]), "a plaintext fatal illegal_parameter alert"


def test_client_aborts_when_server_resumes_with_other_ems_state(monkeypatch):
    p = pki()
    server_config = p.server_config(session_tickets=False)
    client_config = p.client_config(session_tickets=False)
    c1, _ = connect(client_config, server_config)
    stored = server_config.session_store.get(c1.session.session_id)
    server_config.session_store.put(
        stored.session_id, dataclasses.replace(stored, extended_master_secret=False)
    )
    # the server's rule would now fall back; make it resume anyway, without EMS
    monkeypatch.setattr(
        server_states,
        "find_resumable",
        lambda config, facts: Resumption(
            config.session_store.get(facts.client_hello.session_id),
            BY_NAME[c1.negotiated.cipher_suite.name],
            False,
        ),
    )
    client = ClientConnection(client_config, "localhost", c1.session)
    server = ServerConnection(server_config)
    client.start()
    server.receive_data(client.data_to_send())
    with pytest.raises(HandshakeFailure, match="extended master secret"):
        client.receive_data(server.data_to_send())


def test_resumed_session_keeps_client_identity():
    p = pki()
    server_config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    client_config = p.client_config(client_certificates=[p.certified(p.client_ecdsa)])
    c1, s1 = connect(client_config, server_config)
    assert s1.negotiated.peer_certificates[0] == p.client_ecdsa.cert
    c2, s2 = connect(client_config, server_config, c1.session)
    assert s2.negotiated.resumed
    assert s2.negotiated.peer_certificates[0] == p.client_ecdsa.cert


def test_required_client_auth_does_not_resume_anonymous_session():
    p = pki()
    optional = p.server_config(client_auth=ClientAuth.OPTIONAL, client_trust=p.trust)
    c1, _ = connect(p.client_config(), optional)
    required = dataclasses.replace(optional, client_auth=ClientAuth.REQUIRED)
    client_config = p.client_config(client_certificates=[p.certified(p.client_rsa)])
    c2, s2 = connect(client_config, required, c1.session)
    assert not s2.negotiated.resumed
    assert s2.negotiated.peer_certificates[0] == p.client_rsa.cert
