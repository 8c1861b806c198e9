"""A hostile peer bending the state machine: each input has one defined answer, on both sides.

- ChangeCipherSpec early (before keys are pending, or where the state wants something else),
  twice (in the clear, or encrypted under the new keys), with a bad body, after the handshake,
  or in the middle of a fragmented handshake message: unexpected_message (a second CCS in the
  clear cannot be read under the new keys: bad_record_mac; a bad body: decode_error).
- Application data before the handshake completes, in the clear or encrypted between the
  ChangeCipherSpec and the Finished, or inside a fragmented handshake message after it:
  unexpected_message.
- Warning alerts between handshake messages, between the ChangeCipherSpec and the Finished, or
  between the fragments of one message: reported as events, the handshake completes. More than
  ``max_warning_alerts`` in a row, or a refusal (user_canceled, no_renegotiation), ends it.
- HelloRequest (to a client) or ClientHello (to a server) after the handshake: refused with a
  no_renegotiation warning, the connection stays usable, however often it is tried. Any other
  handshake message after the handshake: unexpected_message.
- close_notify in the middle of the handshake ends it: errors.FatalAlertReceived saying so, and our
  own close_notify is queued (encrypted when our keys are active).
- Data after close_notify is ignored (RFC 5246 §7.2.1), even bytes that are not a record.
- ECDHE key shares that are not good points of the group, from a client or (validly signed)
  from a server: illegal_parameter.

Records after a ChangeCipherSpec are built with the sender's real keys: ``resealed`` rewinds
its write sequence number and seals exactly the records a hostile peer would send.
"""

from __future__ import annotations

import pytest
from engine_helpers import (
    Stage,
    app_data,
    queued_alert,
    record,
    split_handshake,
    split_records,
    stage,
)
from tls_support import drive, handshake_pair, pki

from tls12 import errors
from tls12.config import ClientAuth
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto import signatures
from tls12.events import (
    ApplicationData,
    ConnectionClosed,
    HandshakeComplete,
    RenegotiationRefused,
    WarningAlertReceived,
)
from tls12.messages import extensions as ext
from tls12.messages import key_exchange as kx_bodies
from tls12.messages.alert import Alert
from tls12.messages.handshake import (
    ClientHello,
    ClientKeyExchange,
    Finished,
    HelloRequest,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    decode_handshake,
)
from tls12.wire.enums import AlertDescription, AlertLevel, ContentType
from tls12.wire.writer import Writer

HS = ContentType.handshake
CCS = ContentType.change_cipher_spec
ALERT = ContentType.alert
APP = ContentType.application_data
CCS_BODY = b"\x01"


def warning(description: AlertDescription = AlertDescription.unrecognized_name) -> bytes:
    return Alert(AlertLevel.warning, description).encode()


CLOSE_NOTIFY = warning(AlertDescription.close_notify)


def fails(
    conn: Connection,
    wire: bytes,
    error: type[errors.TLSError],
    alert: AlertDescription,
    peer: Connection | None = None,
    match: str | None = None,
) -> errors.TLSError:
    """``conn`` refuses ``wire`` with ``error`` and queues ``alert`` as its last record."""
    with pytest.raises(error, match=match) as info:
        conn.receive_data(wire)
    assert info.value.alert == alert
    assert conn.error is info.value
    assert queued_alert(conn, peer) == alert
    return info.value


def resealed(sender: Connection, items: list[tuple[ContentType, bytes]]) -> bytes:
    """Records sealed with ``sender``'s current write keys from sequence number 0: what it
    would have sent right after its ChangeCipherSpec had it been hostile."""
    sender._records._write_seq = 0
    return b"".join(sender._records.write(ctype, data) for ctype, data in items)


def opened(sender: Connection, fragment: bytes, ctype: ContentType, seq: int = 0) -> bytes:
    """The plaintext of a record ``sender`` sealed in its current epoch (AEAD suites: the
    sealing object opens too)."""
    return sender._records._write.decrypt(seq, ctype, fragment)


def handshake_messages(wire: bytes) -> list[bytes]:
    """The handshake messages of the plaintext handshake records in ``wire``."""
    payload = b"".join(body for ctype, body in split_records(wire) if ctype == HS)
    return split_handshake(payload)


def client_auth_stage(name: str) -> Stage:
    p = pki()
    return stage(
        name,
        p.client_config(client_certificates=[p.certified(p.client_ecdsa)]),
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust),
    )


def assert_usable(client: Connection, server: Connection) -> None:
    client.send(b"ping")
    assert app_data(server.receive_data(client.data_to_send())) == b"ping"
    server.send(b"pong")
    assert app_data(client.receive_data(server.data_to_send())) == b"pong"
    assert client.error is None and server.error is None


# -- ChangeCipherSpec too early ----------------------------------------------------------------


def test_ccs_to_the_server_after_its_flight_before_the_key_exchange() -> None:
    s = stage("after_server_flight")
    fails(
        s.server,
        record(CCS, CCS_BODY),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="not expected in state ExpectClientKeyExchange",
    )


@pytest.mark.parametrize("after", [1, 2, 3], ids=["ServerHello", "Certificate", "KeyExchange"])
def test_ccs_to_the_client_in_the_middle_of_the_server_flight(after: int) -> None:
    s = stage("after_client_hello")
    messages = handshake_messages(s.to_client)
    assert len(messages) >= 4
    fails(
        s.client,
        record(HS, b"".join(messages[:after])) + record(CCS, CCS_BODY),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="ChangeCipherSpec is not expected",
    )


def test_ccs_to_the_server_instead_of_certificate_verify() -> None:
    """Keys are pending, but the client proved nothing about its certificate yet: skipping
    CertificateVerify is refused."""
    s = client_auth_stage("after_server_flight")
    records = split_records(s.to_server)
    messages = split_handshake(records[0][1])
    assert [m[0] for m in messages] == [11, 16, 15]  # Certificate ClientKeyExchange CertVerify
    fails(
        s.server,
        record(HS, messages[0] + messages[1]) + record(CCS, CCS_BODY),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="not expected in state ExpectCertificateVerify",
    )


def test_ccs_to_the_server_instead_of_its_client_certificate() -> None:
    s = client_auth_stage("after_server_flight")
    fails(
        s.server,
        record(CCS, CCS_BODY),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="ExpectClientCertificate",
    )


def test_ccs_to_the_client_instead_of_the_promised_ticket() -> None:
    s = stage("after_client_flight")
    records = split_records(s.to_client)
    assert [t for t, _ in records] == [HS, CCS, HS]
    assert records[0][1][0] == 4  # NewSessionTicket, announced in the ServerHello
    fails(
        s.client,
        record(CCS, CCS_BODY),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=s.server,
        match="ExpectNewSessionTicket",
    )


# -- ChangeCipherSpec twice, or at the wrong time ----------------------------------------------


def test_ccs_twice_in_the_clear_to_the_server() -> None:
    """After the first CCS the server reads with the new keys: a second, plaintext one does
    not authenticate."""
    s = stage("after_server_flight")
    cke, ccs, _finished = split_records(s.to_server)
    fails(
        s.server,
        record(*cke) + record(*ccs) + record(*ccs),
        errors.BadRecordMac,
        AlertDescription.bad_record_mac,
    )


def test_ccs_twice_in_the_clear_to_the_client() -> None:
    s = stage("after_client_flight")
    ticket, ccs, _finished = split_records(s.to_client)
    fails(
        s.client,
        record(*ticket) + record(*ccs) + record(*ccs),
        errors.BadRecordMac,
        AlertDescription.bad_record_mac,
        peer=s.server,
    )


def test_ccs_twice_encrypted_to_the_server() -> None:
    s = stage("after_server_flight")
    cke, ccs, _finished = split_records(s.to_server)
    second = resealed(s.client, [(CCS, CCS_BODY)])
    fails(
        s.server,
        record(*cke) + record(*ccs) + second,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="not expected in state ExpectFinished",
    )


def test_ccs_twice_encrypted_to_the_client() -> None:
    s = stage("after_client_flight")
    ticket, ccs, _finished = split_records(s.to_client)
    second = resealed(s.server, [(CCS, CCS_BODY)])
    fails(
        s.client,
        record(*ticket) + record(*ccs) + second,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=s.server,
        match="not expected in state ExpectFinished",
    )


@pytest.mark.parametrize("side", ["client", "server"])
def test_ccs_after_the_handshake(side: str) -> None:
    client, server = handshake_pair()
    receiver, sender = (client, server) if side == "client" else (server, client)
    fails(
        receiver,
        sender._records.write(CCS, CCS_BODY),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=sender,
        match="Connected",
    )


@pytest.mark.parametrize("body", [b"\x02", b"\x00", b"\x01\x01"], ids=["02", "00", "0101"])
@pytest.mark.parametrize("side", ["client", "server"])
def test_ccs_with_a_bad_body(side: str, body: bytes) -> None:
    s = stage("after_server_flight" if side == "server" else "after_client_flight")
    if side == "server":
        conn, flight, peer = s.server, s.to_server, s.client
    else:
        conn, flight, peer = s.client, s.to_client, s.server
    first = split_records(flight)[0]
    fails(
        conn,
        record(*first) + record(CCS, body),
        errors.DecodeError,
        AlertDescription.decode_error,
        peer=peer,
        match="ChangeCipherSpec body",
    )


@pytest.mark.parametrize("side", ["client", "server"])
def test_ccs_inside_a_fragmented_message_after_the_handshake(side: str) -> None:
    client, server = handshake_pair()
    receiver, sender = (client, server) if side == "client" else (server, client)
    wire = sender._records.write(HS, HelloRequest().encode()[:2]) + sender._records.write(
        CCS, CCS_BODY
    )
    fails(
        receiver,
        wire,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=sender,
        match="inside a fragmented handshake message",
    )


# -- application data before the handshake completes -------------------------------------------


def test_application_data_to_the_server_after_its_flight() -> None:
    s = stage("after_server_flight")
    fails(
        s.server,
        record(APP, b"GET / HTTP/1.1\r\n\r\n"),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="application data",
    )


def test_application_data_to_the_client_in_the_middle_of_the_server_flight() -> None:
    s = stage("after_client_hello")
    hello = handshake_messages(s.to_client)[0]
    fails(
        s.client,
        record(HS, hello) + record(APP, b"hello"),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="application data",
    )


def test_encrypted_application_data_to_the_server_instead_of_the_finished() -> None:
    """Under the new keys, after the client's CCS, but before its Finished: the server has
    not seen the proof of the handshake yet."""
    s = stage("after_server_flight")
    cke, ccs, _finished = split_records(s.to_server)
    early = resealed(s.client, [(APP, b"transfer 100 to mallory")])
    fails(
        s.server,
        record(*cke) + record(*ccs) + early,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="application data",
    )


def test_encrypted_application_data_to_the_client_instead_of_the_finished() -> None:
    s = stage("after_client_flight")
    ticket, ccs, _finished = split_records(s.to_client)
    early = resealed(s.server, [(APP, b"you owe us 100")])
    fails(
        s.client,
        record(*ticket) + record(*ccs) + early,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=s.server,
        match="application data",
    )


def test_application_data_to_the_client_before_the_servers_ccs() -> None:
    s = stage("after_client_flight")
    ticket = split_records(s.to_client)[0]
    fails(
        s.client,
        record(*ticket) + record(APP, b"hello"),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=s.server,
        match="application data",
    )


@pytest.mark.parametrize("side", ["client", "server"])
def test_application_data_inside_a_fragmented_message_after_the_handshake(side: str) -> None:
    client, server = handshake_pair()
    receiver, sender = (client, server) if side == "client" else (server, client)
    wire = sender._records.write(HS, b"\x00\x00") + sender._records.write(APP, b"x")
    fails(
        receiver,
        wire,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=sender,
        match="application data",
    )


# -- hostile key shares --------------------------------------------------------------------------

P256_OFF_CURVE = b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big")
BAD_SHARES = {
    "x25519_all_zero": ("x25519", bytes(32)),  # a low-order point: the secret would be 0
    "x25519_short": ("x25519", bytes(range(31))),
    "p256_not_on_the_curve": ("secp256r1", P256_OFF_CURVE),
    "p256_compressed": ("secp256r1", b"\x02" + bytes(range(32))),
    "p256_point_at_infinity": ("secp256r1", b"\x00"),
}


@pytest.mark.parametrize("case", list(BAD_SHARES))
def test_bad_ecdhe_share_from_the_client_is_illegal_parameter(case: str) -> None:
    group, point = BAD_SHARES[case]
    p = pki()
    s = stage("after_server_flight", p.client_config(groups=[group]))
    bad = ClientKeyExchange(kx_bodies.encode_ecdh_client_public(point)).encode()
    fails(
        s.server,
        record(HS, bad),
        errors.IllegalParameter,
        AlertDescription.illegal_parameter,
        match="key share",
    )


def test_empty_ecdhe_share_from_the_client_is_decode_error() -> None:
    s = stage("after_server_flight")
    fails(
        s.server,
        record(HS, ClientKeyExchange(b"\x00").encode()),
        errors.DecodeError,
        AlertDescription.decode_error,
    )


def _signed_server_key_exchange(
    flight: bytes, client_hello: bytes, group: int, point: bytes
) -> bytes:
    """The server flight with its ServerKeyExchange replaced by one carrying ``point``, validly
    signed by the server's (ECDSA) certificate key: a hostile server, not a forger."""
    messages = handshake_messages(flight)
    hello = decode_handshake(messages[0][0], messages[0][4:])
    client_random = client_hello[5 + 4 + 2 : 5 + 4 + 2 + 32]
    params = kx_bodies.EcdheServerKeyExchange.encode_params(group, point)
    scheme = 0x0403  # ecdsa_secp256r1_sha256
    signature = signatures.sign(
        pki().ecdsa.key,  # type: ignore[arg-type]
        scheme,
        client_random + hello.random + params,  # type: ignore[attr-defined]
    )
    w = Writer()
    kx_bodies.DigitallySigned(scheme, signature).encode(w)
    assert messages[2][0] == 12
    messages[2] = ServerKeyExchange(params + w.getvalue()).encode()
    return record(HS, b"".join(messages))


@pytest.mark.parametrize(
    "case,group",
    [
        ("x25519_all_zero", 29),
        ("p256_not_on_the_curve", 23),
        ("p256_compressed", 23),
        ("group_not_offered", 25),  # secp521r1: off by default
    ],
)
def test_bad_ecdhe_share_from_the_server_is_illegal_parameter(case: str, group: int) -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config(certificates=[p.certified(p.ecdsa)]))
    client.start()
    client_hello = client.data_to_send()
    server.receive_data(client_hello)
    point = BAD_SHARES[case][1] if case in BAD_SHARES else b"\x04" + bytes(132)
    wire = _signed_server_key_exchange(server.data_to_send(), client_hello, group, point)
    fails(client, wire, errors.IllegalParameter, AlertDescription.illegal_parameter)


def test_the_signed_key_exchange_helper_makes_a_valid_one() -> None:
    """The control for the test above: the server's real share, re-signed by the helper, is
    accepted and the client answers with its flight."""
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config(certificates=[p.certified(p.ecdsa)]))
    client.start()
    client_hello = client.data_to_send()
    server.receive_data(client_hello)
    flight = server.data_to_send()
    ske = kx_bodies.EcdheServerKeyExchange.decode(handshake_messages(flight)[2][4:])
    client.receive_data(_signed_server_key_exchange(flight, client_hello, ske.group, ske.public))
    assert client.error is None
    assert [t for t, _ in split_records(client.data_to_send())] == [HS, CCS, HS]


# -- warning alerts between handshake messages --------------------------------------------------


def _interleave_warnings(flight: bytes) -> bytes:
    """Each plaintext handshake message in its own record, a warning alert before each; the
    records after a ChangeCipherSpec are left as they are."""
    out = bytearray()
    records = split_records(flight)
    for i, (ctype, body) in enumerate(records):
        if ctype == CCS:
            out += record(ALERT, warning()) + record(CCS, body)
            out += b"".join(record(t, b) for t, b in records[i + 1 :])
            break
        if ctype != HS:
            out += record(ctype, body)
            continue
        for message in split_handshake(body):
            out += record(ALERT, warning()) + record(HS, message)
    return bytes(out)


def test_warning_alerts_between_every_plaintext_handshake_message() -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config())
    client.start()
    seen: dict[str, list[object]] = {"client": [], "server": []}
    for _ in range(4):
        wire = client.data_to_send()
        if wire:
            seen["server"] += server.receive_data(_interleave_warnings(wire))
        wire = server.data_to_send()
        if wire:
            seen["client"] += client.receive_data(_interleave_warnings(wire))
    assert client.handshake_complete and server.handshake_complete
    expected = WarningAlertReceived(AlertLevel.warning, AlertDescription.unrecognized_name)
    # client: ClientHello alone; server: CKE and the CCS; client: the server's 5 + ticket + CCS
    assert seen["server"].count(expected) == 3
    assert seen["client"].count(expected) >= 6
    assert sum(isinstance(e, HandshakeComplete) for e in seen["client"]) == 1
    assert sum(isinstance(e, HandshakeComplete) for e in seen["server"]) == 1
    assert_usable(client, server)


def test_encrypted_warning_between_the_clients_ccs_and_finished() -> None:
    s = stage("after_server_flight")
    cke, ccs, finished = split_records(s.to_server)
    plain_finished = opened(s.client, finished[1], HS)
    tail = resealed(s.client, [(ALERT, warning()), (HS, plain_finished)])
    events = s.server.receive_data(record(*cke) + record(*ccs) + tail)
    assert events[0] == WarningAlertReceived(AlertLevel.warning, AlertDescription.unrecognized_name)
    assert isinstance(events[1], HandshakeComplete)
    s.client.receive_data(s.server.data_to_send())
    assert s.client.handshake_complete
    assert_usable(s.client, s.server)


def test_encrypted_warning_between_the_servers_ccs_and_finished() -> None:
    s = stage("after_client_flight")
    ticket, ccs, finished = split_records(s.to_client)
    plain_finished = opened(s.server, finished[1], HS)
    tail = resealed(s.server, [(ALERT, warning()), (HS, plain_finished)])
    events = s.client.receive_data(record(*ticket) + record(*ccs) + tail)
    assert events[0] == WarningAlertReceived(AlertLevel.warning, AlertDescription.unrecognized_name)
    assert isinstance(events[1], HandshakeComplete)
    assert_usable(s.client, s.server)


@pytest.mark.parametrize("side", ["client", "server"])
def test_warning_between_the_fragments_of_one_handshake_message(side: str) -> None:
    """RFC 5246 §6.2.1 lets record types interleave; only CCS and application data must fall
    on a message boundary."""
    s = stage("after_client_hello" if side == "client" else "start")
    conn, flight = (s.client, s.to_client) if side == "client" else (s.server, s.to_server)
    payload = handshake_messages(flight)[0]  # ServerHello or ClientHello
    rest = b"".join(handshake_messages(flight)[1:])
    wire = (
        record(HS, payload[:7])
        + record(ALERT, warning())
        + record(HS, payload[7:] + rest)
        + b"".join(record(t, b) for t, b in split_records(flight) if t != HS)
    )
    events = conn.receive_data(wire)
    assert WarningAlertReceived(AlertLevel.warning, AlertDescription.unrecognized_name) in events
    assert conn.error is None
    drive(s.client, s.server)
    assert s.client.handshake_complete and s.server.handshake_complete


@pytest.mark.parametrize("side", ["client", "server"])
def test_warning_flood_during_the_handshake(side: str) -> None:
    s = stage("after_client_hello" if side == "client" else "start")
    conn = s.client if side == "client" else s.server
    limit = conn.config.max_warning_alerts
    assert conn.receive_data(record(ALERT, warning()) * limit) != []
    fails(
        conn,
        record(ALERT, warning()),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="max_warning_alerts",
    )


@pytest.mark.parametrize(
    "description", [AlertDescription.user_canceled, AlertDescription.no_renegotiation]
)
def test_refusal_warning_to_the_server_during_the_handshake_ends_it(
    description: AlertDescription,
) -> None:
    s = stage("after_server_flight")
    with pytest.raises(errors.FatalAlertReceived) as info:
        s.server.receive_data(record(ALERT, warning(description)))
    assert info.value.description == description
    assert s.server.data_to_send() == b"", "no alert answers an alert"


def test_fatal_alert_to_the_server_during_the_handshake() -> None:
    s = stage("after_server_flight")
    with pytest.raises(errors.FatalAlertReceived, match="bad_certificate") as info:
        s.server.receive_data(record(ALERT, b"\x02\x2a"))
    assert info.value.description == AlertDescription.bad_certificate
    assert s.server.data_to_send() == b""
    assert not s.server.handshake_complete


@pytest.mark.parametrize(
    "body", [b"\x01", b"\x01\x00\x00"], ids=["short", "long"]
)
@pytest.mark.parametrize("side", ["client", "server"])
def test_malformed_alert_is_decode_error(side: str, body: bytes) -> None:
    s = stage("after_client_hello" if side == "client" else "start")
    conn = s.client if side == "client" else s.server
    fails(conn, record(ALERT, body), errors.DecodeError, AlertDescription.decode_error)


# -- renegotiation after the handshake ----------------------------------------------------------


def _renegotiating_hello(client: ClientConnection) -> bytes:
    import os

    verify_data = client._state.proof.verify_data  # type: ignore[union-attr]
    return ClientHello(
        random=os.urandom(32),
        cipher_suites=(0xC02B, 0xC02F),
        extensions=ext.Extensions((ext.SupportedGroups((29,)), ext.RenegotiationInfo(verify_data))),
    ).encode()


def test_server_refuses_renegotiation_every_time_and_stays_usable() -> None:
    client, server = handshake_pair()
    for _ in range(3 * server.config.max_warning_alerts):
        wire = client._records.write(HS, _renegotiating_hello(client))
        assert server.receive_data(wire) == [RenegotiationRefused()]
        assert client.receive_data(server.data_to_send()) == [
            WarningAlertReceived(AlertLevel.warning, AlertDescription.no_renegotiation)
        ]
        assert_usable(client, server)


def test_client_refuses_hello_requests_every_time_and_stays_usable() -> None:
    client, server = handshake_pair()
    for _ in range(3 * client.config.max_warning_alerts):
        wire = server._records.write(HS, HelloRequest().encode())
        assert client.receive_data(wire) == [RenegotiationRefused()]
        assert server.receive_data(client.data_to_send()) == [
            WarningAlertReceived(AlertLevel.warning, AlertDescription.no_renegotiation)
        ]
        assert_usable(client, server)


def test_renegotiation_hello_with_data_around_it() -> None:
    """A ClientHello between two application data records, split across two records: the
    data before and after is delivered, the hello refused."""
    client, server = handshake_pair()
    hello = _renegotiating_hello(client)
    wire = (
        client._records.write(APP, b"before")
        + client._records.write(HS, hello[:9])
        + client._records.write(HS, hello[9:])
        + client._records.write(APP, b"after")
    )
    events = server.receive_data(wire)
    assert events == [ApplicationData(b"before"), RenegotiationRefused(), ApplicationData(b"after")]
    assert server.error is None


def test_client_refuses_a_client_hello_after_the_handshake() -> None:
    client, server = handshake_pair()
    hello = _renegotiating_hello(client)
    fails(
        client,
        server._records.write(HS, hello),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=server,
        match="ClientHello",
    )


def test_server_hello_pushed_after_the_refused_hello_request() -> None:
    """The client said no_renegotiation; a server that carries on anyway is refused."""
    client, server = handshake_pair()
    client.receive_data(server._records.write(HS, HelloRequest().encode()))
    server.receive_data(client.data_to_send())
    fake = ServerHello(random=bytes(32), cipher_suite=0xC02B, session_id=b"").encode()
    fails(
        client,
        server._records.write(HS, fake),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=server,
        match="ServerHello",
    )


@pytest.mark.parametrize("side", ["client", "server"])
def test_handshake_messages_after_the_handshake(side: str) -> None:
    for message in (Finished(bytes(12)), ServerHelloDone()):
        c, s = handshake_pair()
        receiver, sender = (c, s) if side == "client" else (s, c)
        fails(
            receiver,
            sender._records.write(HS, message.encode()),
            errors.UnexpectedMessage,
            AlertDescription.unexpected_message,
            peer=sender,
        )


def test_hello_request_with_a_body_is_decode_error() -> None:
    client, server = handshake_pair()
    fails(
        client,
        server._records.write(HS, b"\x00\x00\x00\x01\x00"),
        errors.DecodeError,
        AlertDescription.decode_error,
        peer=server,
    )


# -- close_notify in the middle of the handshake --------------------------------------------------


def _closed_during_handshake(conn: Connection, wire: bytes, peer: Connection) -> None:
    with pytest.raises(errors.FatalAlertReceived, match="during the handshake") as info:
        conn.receive_data(wire)
    assert info.value.description == AlertDescription.close_notify
    assert conn.error is info.value
    answer = conn.data_to_send()
    records = split_records(answer)
    assert len(records) == 1 and records[0][0] == ALERT, "our close_notify, nothing else"
    if len(records[0][1]) == 2:
        assert records[0][1] == CLOSE_NOTIFY
    else:  # encrypted: the peer reads it as an orderly close
        assert peer.receive_data(answer) == [ConnectionClosed()]
    with pytest.raises(errors.FatalAlertReceived):
        conn.receive_data(b"")


def test_close_notify_to_the_server_before_the_client_hello() -> None:
    server = ServerConnection(pki().server_config())
    client = ClientConnection(pki().client_config(), "localhost")
    _closed_during_handshake(server, record(ALERT, CLOSE_NOTIFY), client)


def test_close_notify_to_the_server_after_its_flight() -> None:
    s = stage("after_server_flight")
    _closed_during_handshake(s.server, record(ALERT, CLOSE_NOTIFY), s.client)


def test_close_notify_to_the_server_after_the_clients_ccs() -> None:
    s = stage("after_server_flight")
    cke, ccs, _finished = split_records(s.to_server)
    close = resealed(s.client, [(ALERT, CLOSE_NOTIFY)])
    _closed_during_handshake(s.server, record(*cke) + record(*ccs) + close, s.client)


def test_close_notify_to_the_client_in_the_middle_of_the_server_flight() -> None:
    s = stage("after_client_hello")
    hello = handshake_messages(s.to_client)[0]
    _closed_during_handshake(s.client, record(HS, hello) + record(ALERT, CLOSE_NOTIFY), s.server)


def test_close_notify_to_the_client_after_the_servers_ccs() -> None:
    """The client's own keys are active by then: its close_notify goes out encrypted, and the
    server (connected already) reads it as an orderly close."""
    s = stage("after_client_flight")
    ticket, ccs, _finished = split_records(s.to_client)
    close = resealed(s.server, [(ALERT, CLOSE_NOTIFY)])
    _closed_during_handshake(s.client, record(*ticket) + record(*ccs) + close, s.server)


def test_close_notify_in_the_middle_of_a_fragmented_message() -> None:
    s = stage("start")
    hello = handshake_messages(s.to_server)[0]
    _closed_during_handshake(
        s.server, record(HS, hello[:20]) + record(ALERT, CLOSE_NOTIFY), s.client
    )


# -- data after close_notify is ignored (RFC 5246 §7.2.1) --------------------------------------


def _closed_by(sender: Connection, receiver: Connection) -> None:
    sender.close()
    assert receiver.receive_data(sender.data_to_send()) == [ConnectionClosed()]
    assert receiver.data_to_send() != b""  # our answering close_notify


@pytest.mark.parametrize("side", ["client", "server"])
def test_records_after_close_notify_are_ignored(side: str) -> None:
    client, server = handshake_pair()
    receiver, sender = (client, server) if side == "client" else (server, client)
    _closed_by(sender, receiver)
    late = (
        sender._records.write(APP, b"late data")
        + sender._records.write(HS, HelloRequest().encode())
        + sender._records.write(CCS, CCS_BODY)
        + b"".join(sender._records.write(ALERT, warning()) for _ in range(20))
        + sender._records.write(ALERT, b"\x02\x28")
    )
    assert receiver.receive_data(late) == []
    assert receiver.data_to_send() == b"", "nothing answers ignored data"
    assert receiver.error is None
    assert receiver.receive_data(b"") == [], "EOF after close_notify is clean"


@pytest.mark.parametrize("side", ["client", "server"])
def test_close_notify_and_late_data_in_one_read(side: str) -> None:
    client, server = handshake_pair()
    receiver, sender = (client, server) if side == "client" else (server, client)
    sender.send(b"last")
    sender.close()
    wire = sender.data_to_send() + sender._records.write(APP, b"too late")
    assert receiver.receive_data(wire) == [ApplicationData(b"last"), ConnectionClosed()]
    assert receiver.error is None


def test_second_close_notify_is_ignored() -> None:
    client, server = handshake_pair()
    _closed_by(client, server)
    again = client._records.write(ALERT, CLOSE_NOTIFY)
    assert server.receive_data(again) == []
    assert server.data_to_send() == b""


@pytest.mark.parametrize(
    "junk",
    ["tampered", "unknown_type", "oversize", "other_version"],
)
def test_undecodable_bytes_after_close_notify_are_ignored(junk: str) -> None:
    """Not even the record header is looked at: a tampered record or a foreign header after
    close_notify must not turn an orderly close into a fatal alert."""
    client, server = handshake_pair()
    _closed_by(client, server)
    late = client._records.write(APP, b"late")
    wire = {
        "tampered": late[:-1] + bytes([late[-1] ^ 1]),
        "unknown_type": b"\x63\x03\x03\x00\x01\x00",
        "oversize": b"\x17\x03\x03\xff\xff",
        "other_version": b"\x17\x03\x01" + late[3:],
    }[junk]
    try:
        events = server.receive_data(wire)
    except errors.TLSError as exc:
        raise AssertionError(f"raised {exc!r}") from None
    assert events == []
    assert server.error is None, f"stored {server.error!r}"
    assert server.data_to_send() == b"", "a fatal alert was queued after our close_notify"
    assert server.receive_data(b"") == []
