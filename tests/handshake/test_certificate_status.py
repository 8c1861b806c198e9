"""CertificateStatus in the engine (RFC 6066 §8): when the server staples and echoes
status_request, how the client's state machine takes the message, and the alert for each
malformed, unsolicited or misplaced one (the server's flight is edited in memory)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from engine_helpers import join_records, queued_alert, split_handshake, split_records
from tls_support import drive, pki

from tls12 import errors
from tls12.config import CertifiedKey, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, ServerConnection
from tls12.messages import extensions as ext
from tls12.messages.handshake import CertificateStatus, ClientHello, ServerHello
from tls12.ocsp import CertStatus
from tls12.ocsp_staple import Staple
from tls12.pki_ocsp import ocsp_response
from tls12.wire.enums import AlertDescription, ContentType, ExtensionType, HandshakeType
from tls12.wire.reader import Reader


def stapling_server(**kw: object) -> ServerConfig:
    p = pki()
    staple = Staple(ocsp_response(p.ca, p.rsa.cert))
    return p.server_config(
        certificates=[CertifiedKey(tuple(p.rsa.chain), p.rsa.key, ocsp_staple=staple)], **kw
    )


def asking_client(**kw: object) -> ClientConfig:
    kw.setdefault("ocsp_status_request", True)
    return pki().client_config(**kw)


def pair(
    client_config: ClientConfig, server_config: ServerConfig
) -> tuple[ClientConnection, ServerConnection]:
    client = ClientConnection(client_config, "localhost")
    server = ServerConnection(server_config)
    client.start()
    return client, server


def server_flight(client: ClientConnection, server: ServerConnection) -> list[bytes]:
    """The server's first flight as whole handshake messages (plaintext, one record)."""
    server.receive_data(client.data_to_send())
    records = split_records(server.data_to_send())
    assert all(t == ContentType.handshake for t, _ in records)
    return split_handshake(b"".join(body for _, body in records))


def as_records(messages: list[bytes]) -> bytes:
    return join_records([(ContentType.handshake, b"".join(messages))])


def names(messages: list[bytes]) -> list[int]:
    return [m[0] for m in messages]


def refused(client: ClientConnection, wire: bytes) -> tuple[errors.TLSError, AlertDescription]:
    with pytest.raises(errors.TLSError) as info:
        client.receive_data(wire)
    return info.value, queued_alert(client)


def status_message(body: bytes) -> bytes:
    return bytes([HandshakeType.certificate_status]) + len(body).to_bytes(3, "big") + body


# -- the server's side ----------------------------------------------------------------------


def test_server_staples_after_certificate_and_echoes_status_request():
    client, server = pair(asking_client(), stapling_server())
    flight = server_flight(client, server)
    assert names(flight)[:3] == [
        HandshakeType.server_hello,
        HandshakeType.certificate,
        HandshakeType.certificate_status,
    ]
    hello = ServerHello.decode_body(Reader(flight[0][4:]))
    assert hello.extensions.get(ext.StatusRequest) == ext.StatusRequest(None)
    client.receive_data(as_records(flight))
    drive(client, server)
    assert client.handshake_complete
    result = client.ocsp_response
    assert result is not None and result.cert_status is CertStatus.GOOD
    assert client.negotiated is not None and client.negotiated.ocsp_response is result
    names_seen = client.trace.names
    assert names_seen.index("CertificateStatus") == names_seen.index("Certificate") + 1


def test_server_without_a_request_sends_no_status_and_no_echo():
    client, server = pair(pki().client_config(), stapling_server())
    flight = server_flight(client, server)
    assert HandshakeType.certificate_status not in names(flight)
    hello = ServerHello.decode_body(Reader(flight[0][4:]))
    assert not hello.extensions.has(ext.StatusRequest)


def test_server_with_no_staple_does_not_echo_and_does_not_fail():
    """RFC 6066 §8: a server that has nothing to staple just leaves the extension out."""
    client, server = pair(asking_client(), pki().server_config())
    flight = server_flight(client, server)
    assert HandshakeType.certificate_status not in names(flight)
    hello = ServerHello.decode_body(Reader(flight[0][4:]))
    assert not hello.extensions.has(ext.StatusRequest)
    client.receive_data(as_records(flight))
    drive(client, server)
    assert client.handshake_complete and client.ocsp_response is None


def test_server_level_staple_is_used_only_for_the_leaf_it_answers_for():
    """ServerConfig.ocsp_staple answers for the RSA leaf: an ECDSA handshake staples nothing."""
    p = pki()
    staple = Staple(ocsp_response(p.ca, p.rsa.cert))
    config = p.server_config(ocsp_staple=staple)
    for schemes, stapled in ((["rsa_pss_rsae_sha256"], True), (["ecdsa_secp256r1_sha256"], False)):
        client, server = pair(asking_client(signature_schemes=schemes), config)
        drive(client, server)
        assert client.handshake_complete
        assert (client.ocsp_response is not None) is stapled
    assert staple.last_problem is not None and "not for the certificate" in staple.last_problem


def test_expired_staple_is_not_stapled_by_the_configured_clock():
    """The server judges expiry with config.clock: the same staple, a clock two days on."""
    config = stapling_server(clock=lambda: time.time() + 2 * 86400)
    client, server = pair(asking_client(), config)
    flight = server_flight(client, server)
    assert HandshakeType.certificate_status not in names(flight)
    staple = config.certificates[0].ocsp_staple  # type: ignore[index]
    assert staple is not None and "expired" in (staple.last_problem or "")


def test_abbreviated_handshake_has_no_certificate_status():
    config = stapling_server()
    client, server = pair(asking_client(), config)
    drive(client, server)
    assert client.ocsp_response is not None
    again = ClientConnection(asking_client(), "localhost", session=client.session)
    resuming = ServerConnection(config)
    again.start()
    drive(again, resuming)
    assert again.negotiated is not None and again.negotiated.resumed
    assert "CertificateStatus" not in again.trace.names
    assert again.ocsp_response is None and again.negotiated.ocsp_response is None


# -- the client's side: what is refused, and with which alert ---------------------------------


def _replace_status(body: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def edit(flight: list[bytes]) -> list[bytes]:
        i = names(flight).index(HandshakeType.certificate_status)
        return [*flight[:i], status_message(body), *flight[i + 1 :]]

    return edit


GOOD = ocsp_response(pki().ca, pki().rsa.cert)

MALFORMED = {
    "status_type 2": _replace_status(b"\x02" + len(GOOD).to_bytes(3, "big") + GOOD),
    "zero-length response": _replace_status(b"\x01\x00\x00\x00"),
    "length longer than the body": _replace_status(
        b"\x01" + (len(GOOD) + 1).to_bytes(3, "big") + GOOD
    ),
    "trailing bytes": _replace_status(b"\x01" + len(GOOD).to_bytes(3, "big") + GOOD + b"\x00"),
    "no length": _replace_status(b"\x01"),
    "empty body": _replace_status(b""),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_certificate_status_is_decode_error(case):
    client, server = pair(asking_client(), stapling_server())
    flight = MALFORMED[case](server_flight(client, server))
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.DecodeError), exc
    assert alert == AlertDescription.decode_error
    assert "CertificateStatus" in str(exc) or "certificate_status" in str(exc), str(exc)


def test_unsolicited_certificate_status_is_unexpected_message():
    """The client did not ask: a CertificateStatus after Certificate is refused from its
    header, before its body is read."""
    client, server = pair(pki().client_config(), pki().server_config())
    flight = server_flight(client, server)
    flight.insert(2, status_message(b"\x01\x00\x00\x01\x00"))  # a body that would not parse
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.UnexpectedMessage)
    assert alert == AlertDescription.unexpected_message
    assert "CertificateStatus" in str(exc)


def test_certificate_status_without_the_echo_is_unexpected_message():
    """The client asked, the server did not echo status_request (no staple), then sent one."""
    client, server = pair(asking_client(), pki().server_config())
    flight = server_flight(client, server)
    flight.insert(2, status_message(b"\x01\x00\x00\x01\x00"))
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.UnexpectedMessage)
    assert alert == AlertDescription.unexpected_message


def test_certificate_status_after_server_key_exchange_is_unexpected_message():
    client, server = pair(asking_client(), stapling_server())
    flight = server_flight(client, server)
    status = flight.pop(2)
    flight.insert(3, status)  # after ServerKeyExchange
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.UnexpectedMessage)
    assert alert == AlertDescription.unexpected_message


def test_a_second_certificate_status_is_unexpected_message():
    client, server = pair(asking_client(), stapling_server())
    flight = server_flight(client, server)
    flight.insert(3, flight[2])
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.UnexpectedMessage)


def test_echo_then_no_certificate_status_is_accepted():
    """RFC 6066 §8: a server may echo status_request and still send no CertificateStatus."""
    client, server = pair(asking_client(), stapling_server())
    flight = server_flight(client, server)
    del flight[2]
    client.receive_data(as_records(flight))
    assert client.error is None, client.error
    assert client.state_name == "ExpectNewSessionTicket"  # its own flight went out
    assert "ClientKeyExchange" in client.trace.names and client.ocsp_response is None


def test_echo_without_staple_fails_a_client_that_requires_one():
    client, server = pair(asking_client(require_ocsp_staple=True), stapling_server())
    flight = server_flight(client, server)
    del flight[2]
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert alert == AlertDescription.bad_certificate_status_response
    assert "require_ocsp_staple" in str(exc)


def test_non_empty_status_request_echo_is_decode_error():
    client, server = pair(asking_client(), stapling_server())
    flight = server_flight(client, server)
    hello = ServerHello.decode_body(Reader(flight[0][4:]))
    items = tuple(
        ext.StatusRequest() if isinstance(e, ext.StatusRequest) else e for e in hello.extensions
    )
    edited = ServerHello(
        hello.random, hello.cipher_suite, hello.session_id, ext.Extensions(items)
    ).encode()
    exc, alert = refused(client, as_records([edited, *flight[1:]]))
    assert isinstance(exc, errors.DecodeError)
    assert alert == AlertDescription.decode_error
    assert "status_request" in str(exc)


def test_unsolicited_status_request_echo_is_unsupported_extension():
    client, server = pair(pki().client_config(), pki().server_config())
    flight = server_flight(client, server)
    hello = ServerHello.decode_body(Reader(flight[0][4:]))
    items = (*hello.extensions.items, ext.StatusRequest(None))
    edited = ServerHello(
        hello.random, hello.cipher_suite, hello.session_id, ext.Extensions(items)
    ).encode()
    exc, alert = refused(client, as_records([edited, *flight[1:]]))
    assert isinstance(exc, errors.UnsupportedExtension)
    assert alert == AlertDescription.unsupported_extension


def test_a_garbage_response_is_bad_certificate_status_response():
    client, server = pair(asking_client(), stapling_server())
    flight = _replace_status(b"\x01\x00\x00\x03abc")(server_flight(client, server))
    exc, alert = refused(client, as_records(flight))
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert alert == AlertDescription.bad_certificate_status_response
    assert "not a valid DER OCSPResponse" in str(exc)


def test_the_client_judges_expiry_by_its_configured_clock():
    """The staple the server sends is current; a client whose clock is two days on refuses
    it (CLOCK_SKEW is minutes, not days)."""
    client, server = pair(asking_client(clock=lambda: time.time() + 2 * 86400), stapling_server())
    exc, alert = refused(client, as_records(server_flight(client, server)))
    assert isinstance(exc, errors.BadCertificateStatusResponse)
    assert "expired" in str(exc)


def test_certificate_status_round_trip_and_decode_errors_from_the_codec():
    msg = CertificateStatus(GOOD)
    raw = msg.encode()
    assert raw[:1] == bytes([22]) and raw[4] == 1
    assert CertificateStatus.decode_body(Reader(raw[4:])) == msg


# -- the server's reading of the client's status_request --------------------------------------


def hello_with_status_request(body: bytes) -> bytes:
    """An asking client's ClientHello record with status_request's body replaced by raw bytes."""
    client = ClientConnection(asking_client(), "localhost")
    client.start()
    [(ctype, payload)] = split_records(client.data_to_send())
    hello = ClientHello.decode_body(Reader(payload[4:]))
    items = tuple(
        ext.UnknownExtension(ExtensionType.status_request, body)
        if isinstance(e, ext.StatusRequest)
        else e
        for e in hello.extensions
    )
    edited = ClientHello(
        hello.random, hello.cipher_suites, hello.session_id, ext.Extensions(items)
    ).encode()
    return join_records([(ctype, edited)])


@pytest.mark.parametrize(
    "body",
    [b"\x01", b"\x01\x00", b"\x01\x00\x04\x00\x05abcde\x00\x00", b"\x01\x00\x00\x00\x00\x00"],
    ids=["no lists", "cut responder list", "responder id past its list", "trailing byte"],
)
def test_malformed_status_request_is_decode_error(body):
    server = ServerConnection(stapling_server())
    with pytest.raises(errors.DecodeError):
        server.receive_data(hello_with_status_request(body))
    assert queued_alert(server) == AlertDescription.decode_error


def test_responder_ids_and_request_extensions_still_get_the_staple():
    """RFC 6066 §8: the server SHOULD use them to pick a responder; with a fixed staple file
    there is one answer, which it sends."""
    body = b"\x01" + b"\x00\x06\x00\x04abcd" + b"\x00\x02\x30\x00"
    server = ServerConnection(stapling_server())
    server.receive_data(hello_with_status_request(body))
    [(_, payload)] = split_records(server.data_to_send())
    assert HandshakeType.certificate_status in names(split_handshake(payload))


def test_an_unknown_status_type_gets_no_staple():
    server = ServerConnection(stapling_server())
    server.receive_data(hello_with_status_request(b"\x07whatever"))
    [(_, payload)] = split_records(server.data_to_send())
    flight = split_handshake(payload)
    assert HandshakeType.certificate_status not in names(flight)
    assert not ServerHello.decode_body(Reader(flight[0][4:])).extensions.has(ext.StatusRequest)


def test_rsa_key_transport_staple_is_followed_by_server_hello_done():
    """No ServerKeyExchange (RSA key transport): CertificateStatus, then ServerHelloDone."""
    suite = ["TLS_RSA_WITH_AES_128_GCM_SHA256"]
    client, server = pair(asking_client(cipher_suites=suite), stapling_server(cipher_suites=suite))
    flight = server_flight(client, server)
    assert names(flight) == [
        HandshakeType.server_hello,
        HandshakeType.certificate,
        HandshakeType.certificate_status,
        HandshakeType.server_hello_done,
    ]
    client.receive_data(as_records(flight))
    drive(client, server)
    assert client.handshake_complete and client.ocsp_response is not None
