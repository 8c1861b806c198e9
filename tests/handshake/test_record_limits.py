"""Record size control in the engine: RFC 6066 §4 max_fragment_length and RFC 8449
record_size_limit, negotiated in memory, with the record sizes read off the wire
(record_limits_support.py); resumption in test_record_limits_sessions.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from engine_helpers import join_records, queued_alert, record, split_handshake, split_records
from record_limits_support import (
    client_config,
    connect,
    exchange,
    largest,
    run,
    server_config,
)
from tls_support import pki

from tls12 import errors
from tls12.config import ClientConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.handshake.client_hello import build_client_hello
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, ServerHello, decode_handshake
from tls12.wire.enums import AlertDescription, ContentType

# -- max_fragment_length ----------------------------------------------------------------------


@pytest.mark.parametrize("length", [512, 1024, 2048, 4096])
def test_max_fragment_length_binds_both_sides_and_every_record(length: int) -> None:
    client, server, wire = connect(client_config(max_fragment_length=length), server_config())
    for side in (client, server):
        n = side.negotiated
        assert n is not None
        assert (n.max_fragment_length, n.send_limit, n.receive_limit) == (length, length, length)
        assert n.record_size_limit is None
    # The server's flight (certificate and all) is cut at the length, in the clear already.
    assert largest(wire.server, protected=False) <= length
    if length == 512:  # the flight is 731 bytes: one full record, then the rest
        assert wire.server[0][1] == 512
    exchange(client, server, wire, 20000)
    assert largest(wire.client) == length and largest(wire.server) == length
    assert sum(1 for t, _n, _p in wire.client if t == ContentType.application_data) == -(
        -20000 // length
    )


def test_without_max_fragment_length_records_hold_16384() -> None:
    client, server, wire = connect(client_config(), server_config())
    assert client.negotiated is not None and client.negotiated.max_fragment_length is None
    assert client.negotiated.send_limit == client.negotiated.receive_limit == 16384
    exchange(client, server, wire, 20000)
    assert largest(wire.client) == 16384


def test_server_setting_caps_what_the_server_sends_only() -> None:
    client, server, wire = connect(client_config(), server_config(max_fragment_length=1024))
    exchange(client, server, wire, 5000)
    assert largest(wire.server) == 1024
    assert largest(wire.client) == 5000
    assert server.negotiated is not None and server.negotiated.max_fragment_length is None


def test_max_fragment_length_is_in_the_trace() -> None:
    client, server, _ = connect(client_config(max_fragment_length=512), server_config())
    hello = client.trace.entries[0]
    assert hello.name == "ClientHello" and hello.details["max_fragment_length"] == "512"
    assert "record_size_limit" not in hello.details
    for side, is_client in ((client, True), (server, False)):
        text = side.trace.render(is_client)
        assert "max_fragment_length=512" in text, text
        assert "send<=512 receive<=512" in text, text


# -- record_size_limit ------------------------------------------------------------------------


def test_record_size_limit_each_way() -> None:
    client, server, wire = connect(
        client_config(record_size_limit=100), server_config(record_size_limit=2000)
    )
    c, s = client.negotiated, server.negotiated
    assert c is not None and s is not None
    assert (c.record_size_limit, c.send_limit, c.receive_limit) == (2000, 2000, 100)
    assert (s.record_size_limit, s.send_limit, s.receive_limit) == (100, 100, 2000)
    exchange(client, server, wire, 10000)
    # Only protected records are bound (RFC 8449 §4): the certificate flight is not.
    assert largest(wire.server, protected=False) > 100
    assert largest(wire.server, protected=True) == 100
    assert largest(wire.client, protected=True) == 2000


def test_record_size_limit_64_the_smallest() -> None:
    client, server, wire = connect(
        client_config(record_size_limit=64), server_config(record_size_limit=64)
    )
    exchange(client, server, wire, 1000)
    assert largest(wire.server, protected=True) == 64
    assert largest(wire.client, protected=True) == 64


def test_server_without_a_setting_answers_16384_and_honours_the_client() -> None:
    client, server, wire = connect(client_config(record_size_limit=500), server_config())
    assert client.negotiated is not None and client.negotiated.record_size_limit == 16384
    exchange(client, server, wire, 3000)
    assert largest(wire.server, protected=True) == 500
    assert largest(wire.client, protected=True) == 3000


def test_server_setting_unused_when_the_client_does_not_offer() -> None:
    client, server, wire = connect(client_config(), server_config(record_size_limit=100))
    assert server.negotiated is not None and server.negotiated.receive_limit == 16384
    exchange(client, server, wire, 3000)
    assert largest(wire.client, protected=True) == 3000


def test_server_prefers_record_size_limit_over_max_fragment_length() -> None:
    """RFC 8449 §5: a server that sees both ignores max_fragment_length."""
    client, server, wire = connect(
        client_config(max_fragment_length=512, record_size_limit=1000), server_config()
    )
    n = client.negotiated
    assert n is not None
    assert (n.max_fragment_length, n.record_size_limit, n.receive_limit) == (None, 16384, 1000)
    assert largest(wire.server, protected=False) > 512
    exchange(client, server, wire, 3000)
    assert largest(wire.server, protected=True) == 1000


# -- bad input ----------------------------------------------------------------------------------


def _hello_with(config: ClientConfig, *replace: ext.Extension) -> bytes:
    """A ClientHello record from ``config`` with extensions of the same type replaced (or
    added), as bytes for the server."""
    hello = build_client_hello(config, "localhost", None)
    types = {int(e.extension_type) for e in replace}
    items = [e for e in hello.extensions if int(e.extension_type) not in types] + list(replace)
    hello = dataclasses.replace(hello, extensions=ext.Extensions(tuple(items)))
    return record(ContentType.handshake, hello.encode())


def _server_refuses(wire: bytes) -> tuple[errors.TLSError, AlertDescription]:
    server = ServerConnection(server_config())
    with pytest.raises(errors.TLSError) as info:
        server.receive_data(wire)
    return info.value, queued_alert(server)


@pytest.mark.parametrize("code", [0, 5, 255])
def test_server_refuses_an_unknown_max_fragment_length(code: int) -> None:
    error, alert = _server_refuses(
        _hello_with(client_config(), ext.UnknownExtension(1, bytes([code])))
    )
    assert alert == AlertDescription.illegal_parameter
    assert isinstance(error, errors.IllegalParameter)
    assert f"max_fragment_length value {code}" in str(error)


@pytest.mark.parametrize("code", [0, 5, 255])
def test_an_unknown_max_fragment_length_beside_record_size_limit_is_ignored(code: int) -> None:
    # RFC 8449 §5: a server that supports record_size_limit "MUST ignore" max_fragment_length
    # when both appear, whatever its value.
    wire = _hello_with(
        client_config(),
        ext.UnknownExtension(1, bytes([code])),
        ext.RecordSizeLimit(1024),
    )
    server = ServerConnection(server_config())
    server.receive_data(wire)
    assert server.error is None
    payload = b"".join(b for _t, b in split_records(server.data_to_send()))
    hello = decode_handshake(2, split_handshake(payload)[0][4:])
    assert isinstance(hello, ServerHello)
    assert not hello.extensions.has(ext.MaxFragmentLength)
    assert hello.extensions.get(ext.RecordSizeLimit) is not None


@pytest.mark.parametrize("limit", [0, 1, 63])
def test_server_refuses_a_record_size_limit_below_64(limit: int) -> None:
    error, alert = _server_refuses(
        _hello_with(client_config(), ext.UnknownExtension(28, limit.to_bytes(2, "big")))
    )
    assert alert == AlertDescription.illegal_parameter
    assert "below 64" in str(error)


@pytest.mark.parametrize(
    ("ext_type", "body"),
    [(1, b""), (1, b"\x01\x01"), (28, b""), (28, b"\x40"), (28, b"\x00\x40\x00")],
)
def test_wrong_extension_lengths_are_decode_errors(ext_type: int, body: bytes) -> None:
    error, alert = _server_refuses(
        _hello_with(client_config(), ext.UnknownExtension(ext_type, body))
    )
    assert alert == AlertDescription.decode_error
    assert isinstance(error, errors.DecodeError)


def test_a_larger_record_size_limit_means_16384() -> None:
    """RFC 8449 §4: a server must not refuse a limit above what the version allows."""
    config = client_config(record_size_limit=16384)
    client = ClientConnection(config, "localhost")
    client.start()
    client.data_to_send()
    server = ServerConnection(server_config())
    server.receive_data(_hello_with(config, ext.RecordSizeLimit(0xFFFF)))
    assert server.data_to_send()
    assert server.trace.entries[1].name == "ServerHello"
    assert server.trace.entries[1].details["record_limits"] == "send<=16384 receive<=16384"


def _server_flight(ccfg: ClientConfig) -> tuple[ClientConnection, list[bytes]]:
    """A started client, and the handshake messages of the server's first flight to it."""
    client = ClientConnection(ccfg, "localhost")
    server = ServerConnection(server_config())
    client.start()
    server.receive_data(client.data_to_send())
    payload = b"".join(b for _t, b in split_records(server.data_to_send()))
    return client, split_handshake(payload)


def _with_server_hello(messages: list[bytes], *replace: ext.Extension) -> bytes:
    """The flight again with the ServerHello's extensions of these types replaced or added."""
    sh = decode_handshake(2, messages[0][4:])
    assert isinstance(sh, ServerHello)
    types = {int(e.extension_type) for e in replace}
    items = [e for e in sh.extensions if int(e.extension_type) not in types] + list(replace)
    sh = dataclasses.replace(sh, extensions=ext.Extensions(tuple(items)))
    return record(ContentType.handshake, sh.encode() + b"".join(messages[1:]))


def _client_refuses(
    client: ClientConnection, wire: bytes
) -> tuple[errors.TLSError, AlertDescription]:
    with pytest.raises(errors.TLSError) as info:
        client.receive_data(wire)
    return info.value, queued_alert(client)


def test_client_refuses_a_different_max_fragment_length() -> None:
    client, messages = _server_flight(client_config(max_fragment_length=512))
    error, alert = _client_refuses(client, _with_server_hello(messages, ext.MaxFragmentLength(2)))
    assert alert == AlertDescription.illegal_parameter
    assert "answered max_fragment_length 1024, we asked for 512" in str(error)


def test_client_refuses_an_unknown_max_fragment_length_answer() -> None:
    client, messages = _server_flight(client_config(max_fragment_length=512))
    error, alert = _client_refuses(
        client, _with_server_hello(messages, ext.UnknownExtension(1, b"\x07"))
    )
    assert alert == AlertDescription.illegal_parameter


def test_client_refuses_an_unasked_max_fragment_length() -> None:
    client, messages = _server_flight(client_config())
    _error, alert = _client_refuses(client, _with_server_hello(messages, ext.MaxFragmentLength(1)))
    assert alert == AlertDescription.unsupported_extension


def test_client_refuses_both_answers() -> None:
    """RFC 8449 §5: a client that receives both aborts (illegal_parameter)."""
    client, messages = _server_flight(client_config(max_fragment_length=512, record_size_limit=512))
    error, alert = _client_refuses(
        client, _with_server_hello(messages, ext.MaxFragmentLength(1), ext.RecordSizeLimit(512))
    )
    assert alert == AlertDescription.illegal_parameter
    assert "both" in str(error)


def test_client_refuses_a_server_record_size_limit_below_64() -> None:
    client, messages = _server_flight(client_config(record_size_limit=512))
    _error, alert = _client_refuses(
        client, _with_server_hello(messages, ext.UnknownExtension(28, b"\x00\x3f"))
    )
    assert alert == AlertDescription.illegal_parameter


def _unlimited(conn: Connection) -> None:
    """Test-only: make ``conn`` ignore what was negotiated and send full records."""
    conn._records.max_fragment = 16384


@pytest.mark.parametrize(
    ("ccfg", "scfg", "named"),
    [
        ({"max_fragment_length": 512}, {}, "the negotiated max_fragment_length of 512"),
        ({"record_size_limit": 3000}, {"record_size_limit": 1000},
         "the record_size_limit of 1000 we advertised"),
    ],
)  # fmt: skip
def test_a_record_over_the_limit_is_record_overflow(
    ccfg: dict[str, int], scfg: dict[str, int], named: str
) -> None:
    client, server, _ = connect(client_config(**ccfg), server_config(**scfg))
    _unlimited(client)
    client.send(b"x" * 1500)
    with pytest.raises(errors.RecordOverflow) as info:
        server.receive_data(client.data_to_send())
    assert named in str(info.value), info.value
    assert queued_alert(server, client) == AlertDescription.record_overflow


def test_an_oversize_cleartext_record_right_after_server_hello_is_record_overflow() -> None:
    """RFC 6066 §4: "immediately", handshake messages included."""
    client, messages = _server_flight(client_config(max_fragment_length=512))
    wire = join_records(
        [
            (ContentType.handshake, messages[0]),
            (ContentType.handshake, b"".join(messages[1:])),
        ]
    )
    assert len(b"".join(messages[1:])) > 512
    error, alert = _client_refuses(client, wire)
    assert alert == AlertDescription.record_overflow
    assert "max_fragment_length of 512" in str(error)


def test_limits_within_the_limit_are_accepted_exactly() -> None:
    client, server, wire = connect(client_config(max_fragment_length=512), server_config())
    client.send(b"y" * 512)
    assert run(client, server, wire)[1] == b"y" * 512


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 256, 511, 513, 8192, 16384, True, "512", 512.0])
def test_config_refuses_other_max_fragment_lengths(value: object) -> None:
    for make in (client_config, server_config):
        with pytest.raises(errors.ConfigError, match="max_fragment_length"):
            make(max_fragment_length=value)


@pytest.mark.parametrize("value", [0, 63, 16385, 65535, True, "100"])
def test_config_refuses_record_size_limits_outside_64_to_16384(value: object) -> None:
    for make in (client_config, server_config):
        with pytest.raises(errors.ConfigError, match="record_size_limit"):
            make(record_size_limit=value)


def test_client_hello_carries_the_offers() -> None:
    hello = build_client_hello(
        client_config(max_fragment_length=4096, record_size_limit=1200), "localhost", None
    )
    assert isinstance(hello, ClientHello)
    assert hello.extensions.get(ext.MaxFragmentLength) == ext.MaxFragmentLength(4)
    assert hello.extensions.get(ext.RecordSizeLimit) == ext.RecordSizeLimit(1200)
    plain = build_client_hello(client_config(), "localhost", None)
    assert not plain.extensions.has(ext.MaxFragmentLength)
    assert not plain.extensions.has(ext.RecordSizeLimit)


@pytest.mark.parametrize("etm", [True, False])
@pytest.mark.parametrize(
    "suite",
    ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
)
def test_limits_count_plaintext_whatever_the_protection_adds(suite: str, etm: bool) -> None:
    """RFC 8449 §4: the limit is on the plaintext; MAC, IV and padding come on top (§4.1)."""
    ccfg = pki().client_config(cipher_suites=[suite], record_size_limit=64, encrypt_then_mac=etm)
    scfg = server_config(cipher_suites="compatible", record_size_limit=64, encrypt_then_mac=etm)
    client, server, wire = connect(ccfg, scfg)
    assert client.negotiated is not None and client.negotiated.cipher_suite.name == suite
    exchange(client, server, wire, 1000)
    sent = [n for t, n, p in wire.client if t == ContentType.application_data]
    assert len(sent) == -(-1000 // 64)

