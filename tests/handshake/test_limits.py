"""The configurable limits (issue: robustness): each one refuses with its alert, names the
config field, and leaves a normal peer alone."""

from __future__ import annotations

import os

import pytest
from engine_helpers import queued_alert, record
from tls_support import drive, handshake_pair, pki

from tls12 import errors
from tls12.connection import ClientConnection, ServerConnection
from tls12.messages import extensions as ext
from tls12.messages.alert import Alert
from tls12.messages.handshake import ClientHello
from tls12.wire.enums import AlertDescription, AlertLevel, ContentType

HS = ContentType.handshake


def client_hello(**kw: object) -> bytes:
    fields: dict[str, object] = {
        "random": os.urandom(32),
        "cipher_suites": (0xC02F,),
        "extensions": ext.Extensions(
            (ext.SupportedGroups((29,)), ext.SignatureAlgorithms((0x0804,)))
        ),
    }
    fields.update(kw)
    return record(HS, ClientHello(**fields).encode())  # type: ignore[arg-type]


def test_too_many_extensions():
    server = ServerConnection(pki().server_config(max_extensions=4))
    many = tuple(ext.UnknownExtension(1000 + i, b"") for i in range(5))
    with pytest.raises(errors.DecodeError, match="max_extensions"):
        server.receive_data(client_hello(extensions=ext.Extensions(many)))
    assert queued_alert(server) == AlertDescription.decode_error


def test_too_many_cipher_suites():
    server = ServerConnection(pki().server_config(max_list_entries=16))
    with pytest.raises(errors.DecodeError, match="max_list_entries"):
        server.receive_data(client_hello(cipher_suites=tuple(range(1, 18)) + (0xC02F,)))


def test_too_many_groups_from_the_client():
    server = ServerConnection(pki().server_config(max_list_entries=8))
    groups = ext.SupportedGroups(tuple(range(0x1000, 0x1010)))
    with pytest.raises(errors.DecodeError, match="supported_groups"):
        server.receive_data(client_hello(extensions=ext.Extensions((groups,))))


def test_a_normal_hello_is_within_the_defaults():
    client, server = handshake_pair()
    assert client.handshake_complete and server.handshake_complete


def test_chain_longer_than_the_limit():
    p = pki()
    inter = p.ca.intermediate("limit test intermediate")
    leaf = inter.issue(["localhost"], key_type="ecdsa")
    server_config = p.server_config(certificates=[p.certified(leaf)])
    client = ClientConnection(p.client_config(max_certificate_chain_length=1), "localhost")
    server = ServerConnection(server_config)
    client.start()
    with pytest.raises(errors.BadCertificate, match="max_certificate_chain_length"):
        drive(client, server)
    ok = ClientConnection(p.client_config(max_certificate_chain_length=2), "localhost")
    ok.start()
    drive(ok, ServerConnection(server_config))
    assert ok.handshake_complete


def warning(description: AlertDescription) -> bytes:
    return Alert(AlertLevel.warning, description).encode()


def test_flood_of_warning_alerts():
    client, server = handshake_pair()
    limit = server.config.max_warning_alerts
    wire = b"".join(
        client._records.write(ContentType.alert, warning(AlertDescription.user_canceled))
        for _ in range(limit)
    )
    events = server.receive_data(wire)
    assert len(events) == limit, "a few warnings are fine"
    with pytest.raises(errors.UnexpectedMessage, match="max_warning_alerts"):
        server.receive_data(
            client._records.write(ContentType.alert, warning(AlertDescription.user_canceled))
        )


def test_warnings_with_data_between_are_fine():
    client, server = handshake_pair()
    for _ in range(3 * server.config.max_warning_alerts):
        server.receive_data(
            client._records.write(ContentType.alert, warning(AlertDescription.user_canceled))
        )
        client.send(b"x")
        server.receive_data(client.data_to_send())
    assert server.error is None


def test_flood_of_empty_records():
    client, server = handshake_pair()
    limit = server.config.max_empty_records
    empty = client._records._write.encrypt  # build empty records by hand: send() skips them
    wire = bytearray()
    for _ in range(limit + 1):
        seq = client._records._next_write_seq()
        fragment = empty(seq, ContentType.application_data, b"")
        wire += record(ContentType.application_data, fragment)
    with pytest.raises(errors.UnexpectedMessage, match="max_empty_records"):
        server.receive_data(bytes(wire))


def test_sender_stops_at_the_key_usage_limit():
    p = pki()
    client, server = handshake_pair(client_config=p.client_config(max_records_per_key=4))
    client.send(b"a")  # record 2: the client's Finished was record 1 (seq 0)
    with pytest.raises(errors.KeyUsageLimit, match="max_records_per_key"):
        client.send(b"b" * (3 * 16384))
    events = server.receive_data(client.data_to_send())
    assert [type(e).__name__ for e in events] == ["ApplicationData", "ConnectionClosed"]


def test_receiver_stops_a_peer_past_the_key_usage_limit():
    p = pki()
    client, server = handshake_pair(server_config=p.server_config(max_records_per_key=3))
    client.send(b"a")
    client.send(b"b")
    server.receive_data(client.data_to_send())
    client.send(b"c")
    client.send(b"d")
    with pytest.raises(errors.KeyUsageLimit):
        server.receive_data(client.data_to_send())
    events = client.receive_data(server.data_to_send())
    assert [type(e).__name__ for e in events] == ["ConnectionClosed"], "a clean close_notify"


def test_close_notify_during_the_handshake():
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config())
    client.start()
    server.receive_data(client.data_to_send())
    close = record(ContentType.alert, warning(AlertDescription.close_notify))
    with pytest.raises(errors.FatalAlertReceived, match="during the handshake"):
        client.receive_data(close)
    wire = client.data_to_send()
    assert wire[-2:] == bytes([1, 0]), "we answer with our own close_notify"


def test_handshake_message_over_the_size_limit():
    server = ServerConnection(pki().server_config(max_handshake_message_size=1024))
    header = bytes([1]) + (2000).to_bytes(3, "big")
    with pytest.raises(errors.DecodeError, match="1024"):
        server.receive_data(record(HS, header))


@pytest.mark.parametrize(
    "field",
    [
        "max_handshake_message_size",
        "max_certificate_chain_length",
        "max_extensions",
        "max_list_entries",
        "max_warning_alerts",
        "max_empty_records",
        "max_records_per_key",
    ],
)
def test_limits_must_be_positive(field):
    with pytest.raises(errors.ConfigError, match=field):
        pki().client_config(**{field: 0})


def test_the_socket_layers_send_path_keeps_order_and_the_key_usage_limit():
    """``Connection._send_pieces`` (what TLSSocket writes with writev) puts what was queued
    first, then the new records; past max_records_per_key it raises as ``send`` does, takes
    nothing, and leaves the close_notify in ``data_to_send``."""
    p = pki()
    client, server = handshake_pair(client_config=p.client_config(max_records_per_key=5))
    client.send(b"a")  # queued in the engine, not taken yet
    pieces = client._send_pieces(memoryview(b"b"))
    events = server.receive_data(b"".join(pieces))
    assert [e.data for e in events] == [b"a", b"b"]  # type: ignore[attr-defined]
    assert client.data_to_send() == b""
    with pytest.raises(errors.KeyUsageLimit, match="max_records_per_key"):
        client._send_pieces(b"c" * (3 * 16384))
    events = server.receive_data(client.data_to_send())
    assert [type(e).__name__ for e in events] == ["ConnectionClosed"]
