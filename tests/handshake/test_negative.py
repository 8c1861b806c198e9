"""Every way a handshake must fail, each with the alert that goes on the wire.

The failing side's alert is the last record it queued: a plaintext one is decoded directly, an
encrypted one is read by feeding it to the peer (which raises errors.FatalAlertReceived)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from engine_helpers import (
    peer_sees,
    queued_alert,
    record,
    split_handshake,
    split_records,
    stage,
)
from tls_support import drive, handshake_pair, pki

from tls12 import errors
from tls12.config import ClientAuth, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import BY_NAME, DEFAULT_SUITES, KeyExchange
from tls12.events import ApplicationData, HandshakeComplete, WarningAlertReceived
from tls12.handshake import server_chain
from tls12.handshake.context import HandshakeContext
from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    CertificateVerify,
    ClientKeyExchange,
    Finished,
    HelloRequest,
    ServerHello,
    ServerHelloDone,
    decode_handshake,
)
from tls12.verify import TrustStore
from tls12.wire.enums import AlertDescription, AlertLevel, ContentType

HS = ContentType.handshake
CCS = ContentType.change_cipher_spec
APP = ContentType.application_data
AES128_ECDSA = BY_NAME["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
AES256_RSA = BY_NAME["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
ECDHE_SUITES = [s for s in DEFAULT_SUITES if s.kx is KeyExchange.ECDHE]


def _fresh(
    client_config: ClientConfig | None = None,
    server_config: ServerConfig | None = None,
    server_name: str | None = "localhost",
) -> tuple[ClientConnection, ServerConnection]:
    p = pki()
    client = ClientConnection(client_config or p.client_config(), server_name)
    server = ServerConnection(server_config or p.server_config())
    client.start()
    return client, server


def _server_messages(flight: bytes) -> list[bytes]:
    """The handshake messages of a plaintext server flight."""
    payload = b"".join(body for ctype, body in split_records(flight) if ctype == HS)
    return split_handshake(payload)


def _fails(
    conn: Connection,
    wire: bytes,
    error: type[errors.TLSError],
    alert: AlertDescription,
    peer: Connection | None = None,
    match: str | None = None,
) -> errors.TLSError:
    """``conn`` refuses ``wire`` with ``error`` and queues ``alert``; returns the error."""
    with pytest.raises(error, match=match) as info:
        conn.receive_data(wire)
    assert info.value.alert == alert
    assert conn.error is info.value
    assert queued_alert(conn, peer) == alert
    return info.value


# -- messages in the wrong state ---------------------------------------------------------------


def test_server_sends_finished_first() -> None:
    client, _ = _fresh()
    err = _fails(
        client,
        record(HS, Finished(bytes(12)).encode()),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )
    assert "Finished" in str(err) and "ExpectServerHello" in str(err)


@pytest.mark.parametrize(
    "message",
    [
        ClientKeyExchange(b"\x20" + bytes(32)),
        Finished(bytes(12)),
        CertificateVerify(0x0403, b"sig"),
        ServerHelloDone(),
        HelloRequest(),
    ],
    ids=lambda m: type(m).__name__,
)
def test_client_sends_something_before_client_hello(message: object) -> None:
    server = ServerConnection(pki().server_config())
    _fails(
        server,
        record(HS, message.encode()),  # type: ignore[attr-defined]
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )


def test_server_hello_done_before_certificate() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    hello, certificate, _ske, *_rest, done = _server_messages(server.data_to_send())
    assert done == ServerHelloDone().encode()
    assert certificate[0] == 11
    _fails(
        client,
        record(HS, hello + done),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="ServerHelloDone is not expected",
    )


def test_server_key_exchange_skipped() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    hello, certificate, _ske, *_rest, done = _server_messages(server.data_to_send())
    _fails(
        client,
        record(HS, hello + certificate + done),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )


def test_server_hello_twice() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    hello = _server_messages(server.data_to_send())[0]
    _fails(
        client,
        record(HS, hello + hello),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )


def test_client_hello_twice() -> None:
    client, server = _fresh()
    hello = client.data_to_send()
    server.receive_data(hello)
    server.data_to_send()
    _fails(server, hello, errors.UnexpectedMessage, AlertDescription.unexpected_message)


def test_finished_without_change_cipher_spec() -> None:
    s = stage("after_server_flight")
    cke, _ccs, _finished = split_records(s.to_server)
    plain_finished = record(HS, Finished(bytes(12)).encode())
    _fails(
        s.server,
        record(*cke) + plain_finished,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )


@pytest.mark.parametrize("name", ["start", "after_client_hello"])
def test_change_cipher_spec_before_keys(name: str) -> None:
    s = stage(name)
    ccs = record(CCS, b"\x01")
    conn = s.server if name == "start" else s.client
    _fails(conn, ccs, errors.UnexpectedMessage, AlertDescription.unexpected_message)


def test_unknown_handshake_type() -> None:
    server = ServerConnection(pki().server_config())
    _fails(
        server,
        record(HS, b"\x18\x00\x00\x00"),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )


def test_server_refuses_hello_request_after_the_handshake() -> None:
    client, server = handshake_pair()
    wire = client._records.write(HS, HelloRequest().encode())
    _fails(server, wire, errors.UnexpectedMessage, AlertDescription.unexpected_message, peer=client)


# -- change cipher spec inside a fragmented message --------------------------------------------


def test_change_cipher_spec_inside_a_fragmented_client_hello() -> None:
    client, server = _fresh()
    ((_, body),) = split_records(client.data_to_send())
    wire = record(HS, body[:10]) + record(CCS, b"\x01") + record(HS, body[10:])
    _fails(
        server,
        wire,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="ChangeCipherSpec inside a fragmented handshake message",
    )


def test_change_cipher_spec_inside_a_fragmented_client_key_exchange() -> None:
    s = stage("after_server_flight")
    (_, cke), (_, ccs), _ = split_records(s.to_server)
    wire = record(HS, cke[:5]) + record(CCS, ccs) + record(HS, cke[5:])
    _fails(s.server, wire, errors.UnexpectedMessage, AlertDescription.unexpected_message)


def test_change_cipher_spec_inside_a_fragmented_server_message() -> None:
    s = stage("after_client_hello")
    payload = b"".join(body for _, body in split_records(s.to_client))
    cut = len(_server_messages(s.to_client)[0]) + 7  # a few bytes into the Certificate
    wire = record(HS, payload[:cut]) + record(CCS, b"\x01") + record(HS, payload[cut:])
    _fails(s.client, wire, errors.UnexpectedMessage, AlertDescription.unexpected_message)


def test_change_cipher_spec_where_expected_but_after_a_partial_message() -> None:
    """The state would take the CCS; only the half-received message behind it forbids it."""
    s = stage("after_server_flight")
    (_, cke), (_, ccs), _ = split_records(s.to_server)
    wire = record(HS, cke + Finished(bytes(12)).encode()[:3]) + record(CCS, ccs)
    _fails(
        s.server,
        wire,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="inside a fragmented handshake message",
    )


def test_change_cipher_spec_to_the_client_after_a_partial_message() -> None:
    s = stage("after_client_flight")
    records = split_records(s.to_client)
    ccs_at = [t for t, _ in records].index(CCS)
    before = b"".join(body for _, body in records[:ccs_at])
    wire = record(HS, before + b"\x14\x00") + record(CCS, records[ccs_at][1])
    _fails(
        s.client,
        wire,
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        peer=s.server,
        match="inside a fragmented handshake message",
    )


# -- application data too early ----------------------------------------------------------------


def test_application_data_before_the_handshake_to_the_server() -> None:
    server = ServerConnection(pki().server_config())
    _fails(
        server,
        record(APP, b"GET / HTTP/1.1\r\n"),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
        match="application data",
    )


@pytest.mark.parametrize("name", ["start", "after_client_hello"])
def test_application_data_before_the_handshake_to_the_client(name: str) -> None:
    s = stage(name)
    _fails(
        s.client,
        record(APP, b"hello"),
        errors.UnexpectedMessage,
        AlertDescription.unexpected_message,
    )


def test_send_before_the_handshake_is_a_usage_error() -> None:
    client, _ = _fresh()
    with pytest.raises(errors.UsageError):
        client.send(b"too early")
    assert client.error is None  # the connection goes on


# -- bad lengths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset,value",
    [
        (4 + 34, 33),  # session_id length beyond its ceiling of 32
        (4 + 34, 1),  # session_id length that eats into the cipher suites
        (4 + 35, 0xFF),  # cipher_suites length (high byte) far beyond the message
        (4 + 36, 0x0D),  # cipher_suites length odd
    ],
)
def test_bad_length_in_client_hello_is_decode_error(offset: int, value: int) -> None:
    client, server = _fresh()
    ((_, body),) = split_records(client.data_to_send())
    bad = body[:offset] + bytes([value]) + body[offset + 1 :]
    err = _fails(server, record(HS, bad), errors.DecodeError, AlertDescription.decode_error)
    assert str(err)


def test_truncated_client_hello_is_decode_error() -> None:
    client, server = _fresh()
    ((_, body),) = split_records(client.data_to_send())
    # the handshake header announces 3 bytes fewer: the ClientHello ends inside an extension
    length = int.from_bytes(body[1:4], "big") - 3
    short = body[:1] + length.to_bytes(3, "big") + body[4 : 4 + length]
    _fails(server, record(HS, short), errors.DecodeError, AlertDescription.decode_error)


def test_overlong_length_in_server_hello_is_decode_error() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    hello = bytearray(_server_messages(server.data_to_send())[0])
    assert hello[4 + 34] == 32  # session_id length
    hello[4 + 34] = 40
    _fails(client, record(HS, bytes(hello)), errors.DecodeError, AlertDescription.decode_error)


def test_certificate_list_length_too_long_is_decode_error() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    hello, certificate, *_ = _server_messages(server.data_to_send())
    bad = bytearray(certificate)
    list_length = int.from_bytes(bad[4:7], "big")
    bad[4:7] = (list_length + 1).to_bytes(3, "big")
    _fails(
        client, record(HS, hello + bytes(bad)), errors.DecodeError, AlertDescription.decode_error
    )


def test_empty_handshake_record_is_refused() -> None:
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.TLSError) as info:
        server.receive_data(record(HS, b""))
    assert queued_alert(server) == info.value.alert


# -- tampering ---------------------------------------------------------------------------------


def _flip_last_byte(wire: bytes) -> bytes:
    return wire[:-1] + bytes([wire[-1] ^ 0x01])


def test_tampered_application_data_is_bad_record_mac() -> None:
    client, server = handshake_pair()
    client.send(b"transfer 100 to alice")
    _fails(
        server,
        _flip_last_byte(client.data_to_send()),
        errors.BadRecordMac,
        AlertDescription.bad_record_mac,
        peer=client,
    )


def test_tampered_encrypted_finished_is_bad_record_mac() -> None:
    s = stage("after_server_flight")
    _fails(
        s.server, _flip_last_byte(s.to_server), errors.BadRecordMac, AlertDescription.bad_record_mac
    )


def test_tampered_server_finished_is_bad_record_mac() -> None:
    s = stage("after_client_flight")
    _fails(
        s.client,
        _flip_last_byte(s.to_client),
        errors.BadRecordMac,
        AlertDescription.bad_record_mac,
        peer=s.server,
    )


def test_tampered_key_exchange_signature_is_decrypt_error() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    messages = _server_messages(server.data_to_send())
    ske = bytearray(messages[2])
    assert ske[0] == 12
    ske[-1] ^= 0x01
    messages[2] = bytes(ske)
    _fails(
        client,
        record(HS, b"".join(messages)),
        errors.DecryptError,
        AlertDescription.decrypt_error,
    )


def _corrupt_sent_finished(
    monkeypatch: pytest.MonkeyPatch,
    conn: Connection,
    mutate: Callable[[bytes], bytes] = lambda d: bytes([d[0] ^ 0x80]) + d[1:],
) -> None:
    """Makes ``conn`` (only) compute a wrong verify_data for the Finished it sends; the value
    it expects from its peer is left alone."""
    original = HandshakeContext.finished_data

    def finished_data(self: HandshakeContext, suite, master, from_client):  # type: ignore[no-untyped-def]
        data = original(self, suite, master, from_client)
        if self is conn._ctx and from_client == self.is_client:
            data = mutate(data)
        return data

    monkeypatch.setattr(HandshakeContext, "finished_data", finished_data)


def test_wrong_client_finished_is_decrypt_error(monkeypatch: pytest.MonkeyPatch) -> None:
    client, server = _fresh()
    _corrupt_sent_finished(monkeypatch, client)
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    err = _fails(
        server,
        client.data_to_send(),
        errors.DecryptError,
        AlertDescription.decrypt_error,
        peer=client,
    )
    assert "client's Finished" in str(err)
    assert not server.handshake_complete


def test_wrong_server_finished_is_decrypt_error(monkeypatch: pytest.MonkeyPatch) -> None:
    client, server = _fresh()
    _corrupt_sent_finished(monkeypatch, server)
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    assert server.handshake_complete  # the server does not know yet
    err = _fails(
        client,
        server.data_to_send(),
        errors.DecryptError,
        AlertDescription.decrypt_error,
        peer=server,
    )
    assert "server's Finished" in str(err)
    assert not client.handshake_complete


@pytest.mark.parametrize("size", [11, 13])
def test_finished_of_the_wrong_length_is_decode_error(
    monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    client, server = _fresh()
    _corrupt_sent_finished(monkeypatch, client, lambda d: (d * 2)[:size])
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    _fails(
        server,
        client.data_to_send(),
        errors.DecodeError,
        AlertDescription.decode_error,
        match="expected 12",
    )


# -- record versions ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", [b"\x03\x01", b"\x03\x04"])
def test_application_data_record_with_another_version_is_refused(version: bytes) -> None:
    client, server = handshake_pair()
    client.send(b"hello")
    wire = client.data_to_send()
    _fails(
        server,
        wire[:1] + version + wire[3:],
        errors.ProtocolVersionError,
        AlertDescription.protocol_version,
        peer=client,
    )


def test_server_flight_record_with_another_version_is_refused() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    hello, *rest = _server_messages(server.data_to_send())
    wire = record(HS, hello) + record(HS, b"".join(rest), version=0x0300)
    _fails(client, wire, errors.ProtocolVersionError, AlertDescription.protocol_version)


def test_client_hello_record_may_say_tls_1_0() -> None:
    """RFC 5246 Appendix E.1: the first ClientHello's record may carry {3, 1}."""
    client, server = _fresh()
    wire = client.data_to_send()
    server.receive_data(wire[:1] + b"\x03\x01" + wire[3:])
    assert server.error is None and server.data_to_send()


def test_record_version_that_is_not_tls_is_refused() -> None:
    client, server = _fresh()
    wire = client.data_to_send()
    _fails(
        server,
        wire[:1] + b"\x02\x00" + wire[3:],
        errors.ProtocolVersionError,
        AlertDescription.protocol_version,
    )


# -- the server's choices are checked ----------------------------------------------------------


@pytest.mark.parametrize("suite_id", [0xC02F, 0x1301, 0x0000, 0x00FF])
def test_server_chooses_a_suite_not_offered(suite_id: int) -> None:
    client, server = _fresh(pki().client_config(cipher_suites=[AES128_ECDSA]))
    server.receive_data(client.data_to_send())
    raw = _server_messages(server.data_to_send())[0]
    hello = decode_handshake(raw[0], raw[4:])
    assert isinstance(hello, ServerHello) and hello.cipher_suite == AES128_ECDSA.id
    bad = dataclasses.replace(hello, cipher_suite=suite_id)
    err = _fails(
        client,
        record(HS, bad.encode()),
        errors.IllegalParameter,
        AlertDescription.illegal_parameter,
        peer=server,
    )
    assert f"{suite_id:#06x}" in str(err)


def test_server_hello_with_an_extension_not_offered() -> None:
    client, server = _fresh(pki().client_config(session_tickets=False))
    server.receive_data(client.data_to_send())
    raw = _server_messages(server.data_to_send())[0]
    hello = decode_handshake(raw[0], raw[4:])
    items = (*hello.extensions.items, ext.EncryptThenMac())  # type: ignore[attr-defined]
    bad = dataclasses.replace(hello, extensions=ext.Extensions(items))
    _fails(
        client,
        record(HS, bad.encode()),
        errors.UnsupportedExtension,
        AlertDescription.unsupported_extension,
    )


def test_server_hello_with_an_old_version() -> None:
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    raw = _server_messages(server.data_to_send())[0]
    hello = decode_handshake(raw[0], raw[4:])
    bad = dataclasses.replace(hello, version=0x0302)
    _fails(
        client,
        record(HS, bad.encode()),
        errors.ProtocolVersionError,
        AlertDescription.protocol_version,
    )


# -- certificates ------------------------------------------------------------------------------


@functools.cache
def _other_trust() -> TrustStore:
    return TrustStore.from_certificates([pki().other_ca.cert])


def _client_fails_on_certificate(
    client: ClientConnection,
    server: ServerConnection,
    error: type[errors.TLSError],
    alert: AlertDescription,
) -> errors.TLSError:
    server.receive_data(client.data_to_send())
    err = _fails(client, server.data_to_send(), error, alert)
    return err


def test_unknown_ca() -> None:
    client, server = _fresh(pki().client_config(trust=_other_trust()))
    server.receive_data(client.data_to_send())
    wire = server.data_to_send()
    with pytest.raises(errors.UnknownCA) as info:
        client.receive_data(wire)
    assert "not a trusted authority" in str(info.value)
    alert_wire = client.data_to_send()
    assert split_records(alert_wire) == [(ContentType.alert, b"\x02\x30")]
    assert peer_sees(server, alert_wire) == AlertDescription.unknown_ca


def test_wrong_hostname() -> None:
    client, server = _fresh(server_name="elsewhere.example")
    err = _client_fails_on_certificate(
        client, server, errors.BadCertificate, AlertDescription.bad_certificate
    )
    assert "not for elsewhere.example" in str(err)
    assert "localhost" in str(err)


def test_expired_certificate() -> None:
    p = pki()
    client, server = _fresh(server_config=p.server_config(certificates=[p.certified(p.expired)]))
    err = _client_fails_on_certificate(
        client, server, errors.CertificateExpired, AlertDescription.certificate_expired
    )
    assert "expired on" in str(err)


def test_client_certificate_from_an_unknown_ca() -> None:
    p = pki()
    stranger = p.other_ca.issue(["client.example"], client_auth=True, server_auth=False)
    client, server = _fresh(
        p.client_config(client_certificates=[p.certified(stranger)]),
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust),
    )
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    _fails(
        server, client.data_to_send(), errors.UnknownCA, AlertDescription.unknown_ca, peer=client
    )


def test_client_certificate_required_but_missing() -> None:
    p = pki()
    client, server = _fresh(
        server_config=p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    )
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    _fails(
        server,
        client.data_to_send(),
        errors.HandshakeFailure,
        AlertDescription.handshake_failure,
        peer=client,
    )


# -- certificates that do not parse ----------------------------------------------------------


def _damaged(der: bytes, how: str) -> bytes:
    cert = x509.load_der_x509_certificate(der)
    if how == "issuer":  # invalid UTF-8 in the first issuer attribute
        at = der.index(cert.issuer.public_bytes())
        at = der.index(b"\x0c", at) + 2
        return der[:at] + b"\xff" + der[at + 1 :]
    if how == "subject":
        start = der.index(cert.issuer.public_bytes()) + len(cert.issuer.public_bytes())
        at = der.index(b"\x0c", der.index(cert.subject.public_bytes(), start)) + 2
        return der[:at] + b"\xff" + der[at + 1 :]
    if how == "version":  # X.509 version 10
        assert der.count(b"\xa0\x03\x02\x01\x02") == 1
        return der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x09")
    # subjectKeyIdentifier's OID turned into keyUsage's, which is already there
    assert der.count(b"\x06\x03\x55\x1d\x0e") == 1
    return der.replace(b"\x06\x03\x55\x1d\x0e", b"\x06\x03\x55\x1d\x0f")


@pytest.mark.parametrize(
    "how,server_name",
    [
        ("issuer", "localhost"),
        ("subject", "elsewhere.example"),
        ("version", "localhost"),
        ("duplicate_extension", "localhost"),
    ],
)
def test_malformed_server_certificate_is_bad_certificate(how: str, server_name: str) -> None:
    client, server = _fresh(server_name=server_name)
    server.receive_data(client.data_to_send())
    flight = server.data_to_send()
    der = pki().ecdsa.chain[0].public_bytes(Encoding.DER)
    assert der in flight  # same length, so every length around it stays right
    _fails(
        client,
        flight.replace(der, _damaged(der, how)),
        errors.BadCertificate,
        AlertDescription.bad_certificate,
    )


@pytest.mark.parametrize("how", ["issuer", "version", "duplicate_extension"])
def test_malformed_client_certificate_is_bad_certificate(how: str) -> None:
    p = pki()
    client, server = _fresh(
        p.client_config(client_certificates=[p.certified(p.client_rsa)]),
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust),
    )
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    flight = client.data_to_send()
    der = p.client_rsa.chain[0].public_bytes(Encoding.DER)
    assert der in flight
    _fails(
        server,
        flight.replace(der, _damaged(der, how)),
        errors.BadCertificate,
        AlertDescription.bad_certificate,
        peer=client,
    )


# -- nothing in common -------------------------------------------------------------------------


def test_no_suite_in_common() -> None:
    p = pki()
    client, server = _fresh(
        p.client_config(cipher_suites=[AES128_ECDSA]),
        p.server_config(cipher_suites=[AES256_RSA]),
    )
    err = _fails(
        server, client.data_to_send(), errors.HandshakeFailure, AlertDescription.handshake_failure
    )
    assert AES128_ECDSA.name in str(err)  # says what the client offered


def test_no_certificate_for_the_offered_suites() -> None:
    p = pki()
    client, server = _fresh(
        p.client_config(cipher_suites=[AES128_ECDSA]),
        p.server_config(certificates=[p.certified(p.rsa)]),
    )
    _fails(
        server, client.data_to_send(), errors.HandshakeFailure, AlertDescription.handshake_failure
    )


def test_no_group_in_common() -> None:
    p = pki()
    client, server = _fresh(
        p.client_config(groups=["x25519"], cipher_suites=ECDHE_SUITES),
        p.server_config(groups=["secp384r1"]),
    )
    err = _fails(
        server, client.data_to_send(), errors.HandshakeFailure, AlertDescription.handshake_failure
    )
    assert "group" in str(err)


def test_client_sees_the_servers_handshake_failure() -> None:
    p = pki()
    client, server = _fresh(
        p.client_config(cipher_suites=[AES128_ECDSA]),
        p.server_config(cipher_suites=[AES256_RSA]),
    )
    with pytest.raises(errors.HandshakeFailure):
        server.receive_data(client.data_to_send())
    assert peer_sees(client, server.data_to_send()) == AlertDescription.handshake_failure
    assert str(client.error) == "peer sent fatal alert handshake_failure (40)"


# -- events, then an error ------------------------------------------------------------------


def test_events_before_a_fatal_error_are_delivered_and_the_error_raised_next() -> None:
    s = stage("after_client_flight")
    s.server.send(b"first")
    good = s.server.data_to_send()
    s.server.send(b"second")
    bad = _flip_last_byte(s.server.data_to_send())
    events = s.client.receive_data(s.to_client + good + bad)
    assert [type(e) for e in events] == [HandshakeComplete, ApplicationData]
    assert events[1] == ApplicationData(b"first")
    err = s.client.error
    assert isinstance(err, errors.BadRecordMac)
    assert queued_alert(s.client, s.server) == AlertDescription.bad_record_mac
    with pytest.raises(errors.BadRecordMac) as info:
        s.client.receive_data(b"\x17\x03\x03\x00\x00")
    assert info.value is err


def test_a_deferred_internal_error_keeps_its_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(server_chain, "verify_server_path", broken)
    s = stage("after_client_hello")
    warning = record(ContentType.alert, b"\x01\x70")  # unrecognized_name, a warning: an event
    events = s.client.receive_data(warning + s.to_client)
    assert events == [WarningAlertReceived(AlertLevel.warning, AlertDescription.unrecognized_name)]
    err = s.client.error
    assert isinstance(err, errors.InternalError)
    assert queued_alert(s.client) == AlertDescription.internal_error
    assert isinstance(err.__cause__, RuntimeError)


def test_an_internal_error_raised_at_once_keeps_its_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(server_chain, "verify_server_path", broken)
    s = stage("after_client_hello")
    with pytest.raises(errors.InternalError, match="RuntimeError: boom") as info:
        s.client.receive_data(s.to_client)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert queued_alert(s.client) == AlertDescription.internal_error


# -- after an error ----------------------------------------------------------------------------


def test_every_call_after_an_error_raises_the_same_error() -> None:
    client, _ = _fresh()
    client.data_to_send()
    with pytest.raises(errors.UnexpectedMessage) as info:
        client.receive_data(record(HS, Finished(bytes(12)).encode()))
    err = info.value
    alert = client.data_to_send()
    assert split_records(alert) == [(ContentType.alert, b"\x02\x0a")]
    calls = [
        lambda: client.receive_data(b"\x16\x03\x03\x00\x01\x00"),
        lambda: client.receive_data(b""),
        lambda: client.send(b"data"),
    ]
    for call in calls * 2:
        with pytest.raises(errors.UnexpectedMessage) as again:
            call()
        assert again.value is err
    assert client.error is err
    client.close()  # nothing more to say: the fatal alert was the last word
    assert client.data_to_send() == b""
    assert not client.handshake_complete


def test_a_connected_pair_stays_failed_after_tampering() -> None:
    client, server = handshake_pair()
    client.send(b"x")
    with pytest.raises(errors.BadRecordMac) as info:
        server.receive_data(_flip_last_byte(client.data_to_send()))
    server.data_to_send()
    client.send(b"y")
    good = client.data_to_send()
    with pytest.raises(errors.BadRecordMac) as again:
        server.receive_data(good)
    assert again.value is info.value
    with pytest.raises(errors.BadRecordMac):
        server.send(b"z")
    assert server.data_to_send() == b""


def _real_errors() -> list[errors.TLSError]:
    p = pki()
    found = []
    scenarios = [
        (p.client_config(), p.server_config(), "elsewhere.example", "client"),
        (p.client_config(trust=_other_trust()), p.server_config(), "localhost", "client"),
        (
            p.client_config(cipher_suites=[AES128_ECDSA]),
            p.server_config(cipher_suites=[AES256_RSA]),
            "localhost",
            "server",
        ),
        (
            p.client_config(alpn_protocols=["h2"]),
            p.server_config(alpn_protocols=["x"]),
            "localhost",
            "server",
        ),
    ]
    for client_config, server_config, name, failing in scenarios:
        client, server = _fresh(client_config, server_config, name)
        with pytest.raises(errors.TLSError) as info:
            server.receive_data(client.data_to_send())
            client.receive_data(server.data_to_send())
        assert (client if failing == "client" else server).error is info.value
        found.append(info.value)
    return found


def test_error_messages_are_readable() -> None:
    for error in _real_errors():
        text = str(error)
        assert len(text) > 20 and text[0].isalpha(), text
        assert "\\x" not in text and "b'" not in text and "<" not in text, text
        assert isinstance(error.alert, AlertDescription)


def test_peer_fatal_alert_is_reported_by_name() -> None:
    client, _ = _fresh()
    client.data_to_send()
    alert = record(ContentType.alert, b"\x02\x28")
    with pytest.raises(errors.FatalAlertReceived) as info:
        client.receive_data(alert)
    assert info.value.description == AlertDescription.handshake_failure
    assert "handshake_failure" in str(info.value)
    assert client.data_to_send() == b""  # no alert in answer to a fatal alert


@pytest.mark.parametrize("description", [AlertDescription.user_canceled, 100])
def test_refusal_warning_during_the_handshake_ends_it(description: int) -> None:
    client, _ = _fresh()
    with pytest.raises(errors.FatalAlertReceived):
        client.receive_data(record(ContentType.alert, bytes([1, description])))


def test_client_ignores_hello_request_during_the_handshake() -> None:
    """RFC 5246 §7.4.1.1: a HelloRequest that arrives while the client is negotiating is
    ignored and stays out of the transcript (the Finished checks would fail otherwise)."""
    client, server = _fresh()
    server.receive_data(client.data_to_send())
    flight = server.data_to_send()
    client.receive_data(record(HS, HelloRequest().encode()) + flight)
    drive(client, server)
    assert client.handshake_complete and server.handshake_complete
