"""A client and a server engine talking in memory: every suite and group, data both ways,
ALPN, SNI, client certificates, refused renegotiation, orderly and truncated closes, traces."""

from __future__ import annotations

import functools
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from engine_helpers import app_data, peer_sees, queued_alert, split_records
from tls_support import drive, handshake_pair, pki

from tls12 import errors
from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import ALL_SUITES, BY_NAME, Auth, CipherSuite, KeyExchange
from tls12.events import (
    ApplicationData,
    ConnectionClosed,
    HandshakeComplete,
    RenegotiationRefused,
    WarningAlertReceived,
)
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, HelloRequest
from tls12.wire.enums import AlertDescription, AlertLevel, ContentType, NamedGroup

GROUPS = (NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1)
MAX_FRAGMENT = 1 << 14


def _pair(
    client: ClientConfig | None = None,
    server: ServerConfig | None = None,
    server_name: str | None = "localhost",
) -> tuple[ClientConnection, ServerConnection, list[object], list[object]]:
    p = pki()
    c = ClientConnection(client or p.client_config(), server_name)
    s = ServerConnection(server or p.server_config())
    c.start()
    client_events, server_events = drive(c, s)
    return c, s, client_events, server_events


def _transfer(sender: Connection, receiver: Connection, data: bytes) -> list[object]:
    sender.send(data)
    wire = sender.data_to_send()
    events = receiver.receive_data(wire)
    assert app_data(events) == data
    return events


def _assert_data_flows(client: Connection, server: Connection) -> None:
    _transfer(client, server, b"ping from the client")
    _transfer(server, client, b"pong from the server")


# -- every suite × group -----------------------------------------------------------------------


# Every suite; the ECDHE ones with each group (the others have no named group to vary).
MATRIX = [
    (suite, group)
    for suite in ALL_SUITES
    for group in (GROUPS if suite.kx is KeyExchange.ECDHE else (None,))
]


@pytest.mark.parametrize(
    "suite,group", MATRIX, ids=[f"{s}-{g.name if g else 'none'}" for s, g in MATRIX]
)
def test_every_suite_and_group(suite: CipherSuite, group: NamedGroup | None) -> None:
    p = pki()
    client_groups: dict[str, object] = {}
    server_groups: dict[str, object] = {}
    if group is not None:
        # The server uses only ``group``; the client also lists P-256, the curve of the
        # ECDSA certificate, which it must accept (RFC 8422 §5.1).
        server_groups["groups"] = [group]
        client_groups["groups"] = list(dict.fromkeys([group, NamedGroup.secp256r1]))
    client, server, client_events, server_events = _pair(
        p.client_config(cipher_suites=[suite], **client_groups),
        p.server_config(cipher_suites=[suite], **server_groups),
    )
    assert client.handshake_complete and server.handshake_complete
    for conn, events in ((client, client_events), (server, server_events)):
        done = [e for e in events if isinstance(e, HandshakeComplete)]
        assert len(done) == 1
        negotiated = done[0].negotiated
        assert negotiated == conn.negotiated
        assert negotiated.cipher_suite == suite
        if group is not None:
            assert negotiated.group == group
        assert negotiated.version == "TLSv1.2"
        assert negotiated.extended_master_secret
        assert negotiated.secure_renegotiation
        assert not negotiated.resumed
    leaf_key = client.negotiated.peer_certificates[0].public_key()  # type: ignore[union-attr]
    assert isinstance(leaf_key, rsa.RSAPublicKey) == (suite.auth is Auth.RSA)
    _assert_data_flows(client, server)
    # a few more, of awkward sizes, both ways and interleaved
    client.send(b"")  # nothing to send: no record at all (an empty read would mean EOF)
    assert client.data_to_send() == b""
    for size in (1, 15, 16, 17, 255, 4096):
        blob = os.urandom(size)
        client.send(blob)
        server.send(blob[::-1])
        assert app_data(server.receive_data(client.data_to_send())) == blob
        assert app_data(client.receive_data(server.data_to_send())) == blob[::-1]


def _check_bulk(sender: Connection, receiver: Connection, size: int) -> None:
    data = os.urandom(size)
    sender.send(data)
    wire = sender.data_to_send()
    records = split_records(wire)
    expected_records = -(-size // MAX_FRAGMENT)
    assert len(records) == expected_records
    assert all(ctype == ContentType.application_data for ctype, _ in records)
    overhead = len(records[0][1]) - MAX_FRAGMENT
    assert 0 < overhead <= 2048
    # every record but the last carries exactly 2^14 plaintext bytes
    assert all(len(body) == MAX_FRAGMENT + overhead for _, body in records[:-1])
    events = receiver.receive_data(wire)
    chunks = [e.data for e in events if isinstance(e, ApplicationData)]
    assert len(chunks) == expected_records
    assert all(len(c) == MAX_FRAGMENT for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= MAX_FRAGMENT
    assert b"".join(chunks) == data


@pytest.mark.parametrize("suite", ALL_SUITES, ids=str)
def test_one_mebibyte_each_way_in_2_14_records(suite: CipherSuite) -> None:
    p = pki()
    client, server, _, _ = _pair(
        p.client_config(cipher_suites=[suite]), p.server_config(cipher_suites=[suite])
    )
    assert client.negotiated.cipher_suite == suite  # type: ignore[union-attr]
    _check_bulk(client, server, 1 << 20)
    _check_bulk(server, client, (1 << 20) + 1)


def test_bulk_data_fed_in_odd_chunks() -> None:
    client, server = handshake_pair()
    data = os.urandom(100_000)
    client.send(data)
    wire = client.data_to_send()
    got = bytearray()
    for i in range(0, len(wire), 977):
        got += app_data(server.receive_data(wire[i : i + 977]))
    assert got == data


# -- ALPN --------------------------------------------------------------------------------------


def test_alpn_agreed_in_server_preference() -> None:
    p = pki()
    client, server, _, _ = _pair(
        p.client_config(alpn_protocols=["h2", "http/1.1"]),
        p.server_config(alpn_protocols=[b"http/1.1", "h2"]),
    )
    assert client.negotiated.alpn_protocol == "http/1.1"  # type: ignore[union-attr]
    assert server.negotiated.alpn_protocol == "http/1.1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "client_protocols,server_protocols",
    [((), ("h2",)), (("h2",), ()), ((), ())],
)
def test_alpn_absent_when_one_side_does_not_use_it(
    client_protocols: tuple[str, ...], server_protocols: tuple[str, ...]
) -> None:
    p = pki()
    client, server, _, _ = _pair(
        p.client_config(alpn_protocols=client_protocols),
        p.server_config(alpn_protocols=server_protocols),
    )
    assert client.negotiated.alpn_protocol is None  # type: ignore[union-attr]
    assert server.negotiated.alpn_protocol is None  # type: ignore[union-attr]


def test_alpn_without_overlap_is_no_application_protocol() -> None:
    p = pki()
    client = ClientConnection(p.client_config(alpn_protocols=["h2", "http/1.1"]), "localhost")
    server = ServerConnection(p.server_config(alpn_protocols=["spdy/3", "imap"]))
    client.start()
    with pytest.raises(errors.NoApplicationProtocol) as info:
        server.receive_data(client.data_to_send())
    assert info.value.alert == AlertDescription.no_application_protocol
    assert "h2" in str(info.value) and "imap" in str(info.value)
    wire = server.data_to_send()
    assert split_records(wire) == [(ContentType.alert, b"\x02\x78")]
    assert peer_sees(client, wire) == AlertDescription.no_application_protocol
    assert isinstance(client.error, errors.FatalAlertReceived)
    assert client.data_to_send() == b""  # no alert in answer to an alert


# -- SNI ---------------------------------------------------------------------------------------


@functools.cache
def _sni_identities() -> dict[str, CertifiedKey]:
    p = pki()
    return {
        name: p.certified(p.ca.issue([name], key_type="ecdsa"))
        for name in ("api.example.com", "*.example.org", "exact.example.org")
    }


def _sni_server() -> ServerConfig:
    ids = _sni_identities()
    return pki().server_config(sni_certificates={k: [v] for k, v in ids.items()})


@pytest.mark.parametrize(
    "server_name,expected",
    [
        ("api.example.com", "api.example.com"),
        ("API.Example.COM", "api.example.com"),
        ("www.example.org", "*.example.org"),
        ("exact.example.org", "exact.example.org"),  # an exact name beats the wildcard
    ],
)
def test_sni_selects_the_certificate(server_name: str, expected: str) -> None:
    client, server, _, _ = _pair(server=_sni_server(), server_name=server_name)
    assert client.handshake_complete
    leaf = client.negotiated.peer_certificates[0]  # type: ignore[union-attr]
    assert leaf == _sni_identities()[expected].chain[0]
    assert server.negotiated.server_name == server_name  # type: ignore[union-attr]
    _assert_data_flows(client, server)


def test_sni_unknown_name_falls_back_to_the_default_chain() -> None:
    client, _, _, _ = _pair(server=_sni_server(), server_name="localhost")
    leaf = client.negotiated.peer_certificates[0]  # type: ignore[union-attr]
    p = pki()
    assert leaf in (p.rsa.chain[0], p.ecdsa.chain[0])


def test_sni_wildcard_covers_one_label_only() -> None:
    config = _sni_server()
    assert config.certificates_for("a.b.example.org") == config.certificates
    # so the client, asking for a.b.example.org, gets the localhost chain and refuses it
    p = pki()
    client = ClientConnection(p.client_config(), "a.b.example.org")
    server = ServerConnection(config)
    client.start()
    with pytest.raises(errors.BadCertificate):
        drive(client, server)


def test_sni_with_an_internationalised_name() -> None:
    p = pki()
    identity = p.certified(p.ca.issue(["xn--bcher-kva.example"], key_type="ecdsa"))
    config = p.server_config(sni_certificates={"xn--bcher-kva.example": [identity]})
    client, server, _, _ = _pair(server=config, server_name="bücher.example")
    assert client.handshake_complete
    assert client.negotiated.peer_certificates[0] == identity.chain[0]  # type: ignore[union-attr]
    assert server.negotiated.server_name == "xn--bcher-kva.example"  # type: ignore[union-attr]


# -- suite preference --------------------------------------------------------------------------

CHACHA = BY_NAME["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]
AES128 = BY_NAME["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]


@pytest.mark.parametrize("prefer_client", [False, True])
def test_prefer_client_order(prefer_client: bool) -> None:
    p = pki()
    client, server, _, _ = _pair(
        p.client_config(cipher_suites=[CHACHA, AES128]),
        p.server_config(cipher_suites=[AES128, CHACHA], prefer_client_order=prefer_client),
    )
    expected = CHACHA if prefer_client else AES128
    assert client.negotiated.cipher_suite == expected  # type: ignore[union-attr]
    assert server.negotiated.cipher_suite == expected  # type: ignore[union-attr]


# -- client certificates -----------------------------------------------------------------------

WITH_CLIENT_AUTH = [
    "ClientHello",
    "ServerHello",
    "Certificate",
    "ServerKeyExchange",
    "CertificateRequest",
    "ServerHelloDone",
    "Certificate",
    "ClientKeyExchange",
    "CertificateVerify",
    "ChangeCipherSpec",
    "Finished",
    "ChangeCipherSpec",
    "Finished",
]


@pytest.mark.parametrize("mode", [ClientAuth.REQUIRED, ClientAuth.OPTIONAL])
@pytest.mark.parametrize("which", ["client_rsa", "client_ecdsa"])
def test_client_certificate_accepted(mode: ClientAuth, which: str) -> None:
    p = pki()
    identity = getattr(p, which)
    client, server, _, _ = _pair(
        p.client_config(client_certificates=[p.certified(identity)], session_tickets=False),
        p.server_config(client_auth=mode, client_trust=p.trust, session_tickets=False),
    )
    assert server.handshake_complete and client.handshake_complete
    assert server.negotiated.peer_certificates[0] == identity.chain[0]  # type: ignore[union-attr]
    assert client.trace.names == WITH_CLIENT_AUTH
    assert server.trace.names == WITH_CLIENT_AUTH
    _assert_data_flows(client, server)


def test_client_certificate_optional_and_absent() -> None:
    p = pki()
    client, server, _, _ = _pair(
        p.client_config(),
        p.server_config(client_auth=ClientAuth.OPTIONAL, client_trust=p.trust),
    )
    assert server.handshake_complete
    assert server.negotiated.peer_certificates == ()  # type: ignore[union-attr]
    sent = [e for e in client.trace.entries if e.direction == "send"]
    assert [e.name for e in sent][:2] == ["ClientHello", "Certificate"]
    assert sent[1].details.get("certificates") == "0"
    assert "CertificateVerify" not in client.trace.names
    _assert_data_flows(client, server)


def test_client_certificate_required_but_missing() -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    )
    client.start()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    with pytest.raises(errors.HandshakeFailure, match="no certificate"):
        server.receive_data(client.data_to_send())
    assert queued_alert(server, client) == AlertDescription.handshake_failure
    assert not server.handshake_complete


# -- renegotiation is refused, and the connection goes on -------------------------------------


def test_server_refuses_a_client_renegotiation() -> None:
    client, server = handshake_pair()
    verify_data = client._state.proof.verify_data  # type: ignore[union-attr]
    hello = ClientHello(
        random=os.urandom(32),
        cipher_suites=(AES128.id,),
        extensions=ext.Extensions((ext.SupportedGroups((29,)), ext.RenegotiationInfo(verify_data))),
    )
    wire = client._records.write(ContentType.handshake, hello.encode())
    events = server.receive_data(wire)
    assert events == [RenegotiationRefused()]
    answer = server.data_to_send()
    records = split_records(answer)
    assert len(records) == 1 and records[0][0] == ContentType.alert
    assert len(records[0][1]) > 2  # encrypted
    assert client.receive_data(answer) == [
        WarningAlertReceived(AlertLevel.warning, AlertDescription.no_renegotiation)
    ]
    assert client.error is None and server.error is None
    _assert_data_flows(client, server)


def test_client_refuses_a_hello_request() -> None:
    client, server = handshake_pair()
    wire = server._records.write(ContentType.handshake, HelloRequest().encode())
    assert client.receive_data(wire) == [RenegotiationRefused()]
    answer = client.data_to_send()
    assert [t for t, _ in split_records(answer)] == [ContentType.alert]
    assert server.receive_data(answer) == [
        WarningAlertReceived(AlertLevel.warning, AlertDescription.no_renegotiation)
    ]
    assert client.error is None and server.error is None
    _assert_data_flows(client, server)


# -- closing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("initiator", ["client", "server"])
def test_close_notify_both_ways_then_clean_eof(initiator: str) -> None:
    client, server = handshake_pair()
    first, second = (client, server) if initiator == "client" else (server, client)
    first.send(b"last words")
    first.close()
    events = second.receive_data(first.data_to_send())
    assert events == [ApplicationData(b"last words"), ConnectionClosed()]
    assert second.closed_by_peer
    reply = second.data_to_send()  # the answering close_notify
    assert [t for t, _ in split_records(reply)] == [ContentType.alert]
    assert first.receive_data(reply) == [ConnectionClosed()]
    assert first.closed_by_peer
    assert first.receive_data(b"") == []
    assert second.receive_data(b"") == []
    assert first.error is None and second.error is None
    with pytest.raises(errors.ConnectionClosedError):
        first.send(b"more")
    with pytest.raises(errors.ConnectionClosedError):
        second.send(b"more")


def test_data_after_close_notify_is_ignored() -> None:
    """RFC 5246 §7.2.1: "Any data received after a closure alert is ignored." """
    client, server = handshake_pair()
    client.close()
    server.receive_data(client.data_to_send())
    server.data_to_send()
    late = client._records.write(ContentType.application_data, b"late")
    assert server.receive_data(late) == []
    assert server.data_to_send() == b"", "no alert answers ignored data"
    assert server.receive_data(b"") == [], "EOF after close_notify is clean"


def test_eof_without_close_notify_is_truncation() -> None:
    client, server = handshake_pair()
    _transfer(client, server, b"some data")
    with pytest.raises(errors.TruncationError):
        server.receive_data(b"")
    assert server.data_to_send() == b""  # nobody left to tell
    with pytest.raises(errors.TruncationError):
        server.receive_data(b"")


def test_eof_during_the_handshake_is_truncation() -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    client.start()
    client.data_to_send()
    with pytest.raises(errors.TruncationError, match="during the handshake"):
        client.receive_data(b"")


# -- the trace ---------------------------------------------------------------------------------

FIGURE_1 = [
    ("ClientHello", "client", False),
    ("ServerHello", "server", False),
    ("Certificate", "server", False),
    ("ServerKeyExchange", "server", False),
    ("ServerHelloDone", "server", False),
    ("ClientKeyExchange", "client", False),
    ("ChangeCipherSpec", "client", False),
    ("Finished", "client", True),
    ("ChangeCipherSpec", "server", False),
    ("Finished", "server", True),
]


@pytest.mark.parametrize("side", ["client", "server"])
def test_trace_follows_figure_1(side: str) -> None:
    p = pki()
    client, server, _, _ = _pair(
        p.client_config(session_tickets=False), p.server_config(session_tickets=False)
    )
    conn = client if side == "client" else server
    assert conn.trace.names == [name for name, _, _ in FIGURE_1]
    for entry, (name, sender, encrypted) in zip(conn.trace.entries, FIGURE_1, strict=True):
        assert entry.name == name
        assert entry.direction == ("send" if sender == side else "recv")
        assert entry.encrypted == encrypted
    text = conn.trace.render(is_client=side == "client")
    assert text.index("ClientHello") < text.index("ServerHelloDone") < text.index("Finished (en")


def test_trace_with_a_ticket_puts_it_before_the_servers_change_cipher_spec() -> None:
    client, server = handshake_pair()
    names = client.trace.names
    if "NewSessionTicket" in names:  # tickets are on by default
        assert names[-3:] == ["NewSessionTicket", "ChangeCipherSpec", "Finished"]
    assert names[:5] == [name for name, _, _ in FIGURE_1[:5]]
    assert server.trace.names == names


# -- results outlive a later error ------------------------------------------------------------


@pytest.mark.parametrize("side", ["client", "server"])
def test_negotiated_and_session_survive_a_fatal_error_after_the_handshake(side: str) -> None:
    """The connection keeps what the handshake established: a tampered record afterwards
    ends the connection, but what was negotiated and the session stay readable."""
    client, server = handshake_pair()
    conn, peer = (client, server) if side == "client" else (server, client)
    negotiated, session = conn.negotiated, conn.session
    assert negotiated is not None and session is not None
    peer.send(b"x" * 100)
    record = bytearray(peer.data_to_send())
    record[-1] ^= 1  # the tag no longer matches
    with pytest.raises(errors.BadRecordMac):
        conn.receive_data(bytes(record))
    assert conn.state_name == "Failed" and not conn.handshake_complete
    assert conn.negotiated == negotiated and conn.session == session


def test_a_peer_that_keeps_renegotiating_is_ended() -> None:
    """max_refused_renegotiations refusals, then the next attempt ends the connection with
    unexpected_message (a refused-renegotiation flood costs us a record each time)."""
    client, server = handshake_pair(server_config=pki().server_config(max_refused_renegotiations=2))
    verify_data = client._state.proof.verify_data  # type: ignore[union-attr]
    hello = ClientHello(
        random=os.urandom(32),
        cipher_suites=(AES128.id,),
        extensions=ext.Extensions((ext.RenegotiationInfo(verify_data),)),
    ).encode()
    for _ in range(2):
        wire = client._records.write(ContentType.handshake, hello)
        assert server.receive_data(wire) == [RenegotiationRefused()]
        client.receive_data(server.data_to_send())  # the no_renegotiation warning
    wire = client._records.write(ContentType.handshake, hello)
    with pytest.raises(errors.UnexpectedMessage, match="max_refused_renegotiations"):
        server.receive_data(wire)
    assert queued_alert(server, client) == AlertDescription.unexpected_message


def test_connected_engines_keep_no_transcript() -> None:
    """Once both Finished messages are checked the handshake's messages are dropped: an idle
    connection does not hold them (benchmarks/scaling.py measures the memory per connection)."""
    p = pki()
    config = p.server_config()
    first_client, first_server = handshake_pair(server_config=config)
    client = ClientConnection(p.client_config(), "localhost", first_client.session)
    server = ServerConnection(config)
    client.start()
    drive(client, server)
    assert client.negotiated.resumed and not first_client.negotiated.resumed
    for side in (first_client, first_server, client, server):
        assert side.handshake_complete
        assert len(side._ctx.transcript) == 0
