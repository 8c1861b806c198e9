"""Handshake messages and extensions: encode → decode gives back the same value for every
message type, and every malformed length is a DecodeError (never an IndexError)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tls12.config import ClientConfig
from tls12.connection import ClientConnection
from tls12.errors import ConfigError, DecodeError, IllegalParameter, UnexpectedMessage
from tls12.messages import extensions as ext
from tls12.messages import handshake
from tls12.messages.alert import Alert, check_change_cipher_spec
from tls12.messages.handshake import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    CertificateVerify,
    ClientHello,
    ClientKeyExchange,
    Finished,
    HandshakeMessage,
    HelloRequest,
    NewSessionTicket,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    decode_handshake,
)
from tls12.messages.key_exchange import (
    DheServerKeyExchange,
    DigitallySigned,
    EcdheServerKeyExchange,
    decode_dh_client_public,
    decode_ecdh_client_public,
    decode_rsa_premaster,
    encode_dh_client_public,
    encode_ecdh_client_public,
    encode_rsa_premaster,
)
from tls12.wire.enums import AlertDescription, AlertLevel, ExtensionType, HandshakeType
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

# -- strategies --------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
random32 = st.binary(min_size=32, max_size=32)
session_ids = st.binary(max_size=32)
nonempty = st.binary(min_size=1, max_size=80)
host_names = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9_]{1,20}){0,3}\Z")

server_name = st.builds(ext.ServerName, st.none() | host_names)
supported_groups = st.builds(ext.SupportedGroups, st.lists(u16, min_size=1, max_size=12).map(tuple))
ec_point_formats = st.builds(ext.ECPointFormats, st.lists(u8, min_size=1, max_size=4).map(tuple))
signature_algorithms = st.builds(
    ext.SignatureAlgorithms, st.lists(u16, min_size=1, max_size=16).map(tuple)
)
alpn = st.builds(
    ext.ApplicationLayerProtocols,
    st.lists(st.binary(min_size=1, max_size=255), min_size=1, max_size=4).map(tuple),
)
extended_master_secret = st.just(ext.ExtendedMasterSecret())
encrypt_then_mac = st.just(ext.EncryptThenMac())
renegotiation_info = st.builds(ext.RenegotiationInfo, st.binary(max_size=255))
session_ticket = st.builds(ext.SessionTicket, st.binary(max_size=200))
max_fragment_length = st.builds(ext.MaxFragmentLength, st.integers(1, 4))
record_size_limit = st.builds(ext.RecordSizeLimit, st.integers(64, 0xFFFF))
status_request = st.one_of(
    st.just(ext.StatusRequest(None)),  # the server's empty acknowledgement
    st.builds(
        ext.StatusRequest,
        st.just(1),
        st.lists(nonempty, max_size=3).map(tuple),
        st.binary(max_size=40),
    ),
    st.builds(ext.StatusRequest, st.integers(2, 0xFF), other_request=st.binary(max_size=20)),
)
unknown_extension = st.builds(
    ext.UnknownExtension,
    u16.filter(lambda t: t not in ext.KNOWN_EXTENSIONS),
    st.binary(max_size=60),
)

EXTENSION_STRATEGIES = {
    "ServerName": server_name,
    "SupportedGroups": supported_groups,
    "ECPointFormats": ec_point_formats,
    "SignatureAlgorithms": signature_algorithms,
    "ApplicationLayerProtocols": alpn,
    "ExtendedMasterSecret": extended_master_secret,
    "EncryptThenMac": encrypt_then_mac,
    "RenegotiationInfo": renegotiation_info,
    "SessionTicket": session_ticket,
    "MaxFragmentLength": max_fragment_length,
    "RecordSizeLimit": record_size_limit,
    "StatusRequest": status_request,
    "UnknownExtension": unknown_extension,
}
any_extension = st.one_of(*EXTENSION_STRATEGIES.values())
extension_lists = st.lists(
    any_extension, max_size=8, unique_by=lambda e: int(e.extension_type)
).map(lambda items: ext.Extensions(tuple(items)))

client_hello = st.builds(
    ClientHello,
    random=random32,
    cipher_suites=st.lists(u16, min_size=1, max_size=40).map(tuple),
    session_id=session_ids,
    extensions=extension_lists,
    version=u16,
    compression_methods=st.lists(u8, min_size=1, max_size=3).map(tuple),
)
server_hello = st.builds(
    ServerHello,
    random=random32,
    cipher_suite=u16,
    session_id=session_ids,
    extensions=extension_lists,
    version=u16,
    compression_method=u8,
)
certificate = st.builds(Certificate, st.lists(nonempty, max_size=4).map(tuple))
server_key_exchange = st.builds(ServerKeyExchange, nonempty)
certificate_request = st.builds(
    CertificateRequest,
    st.lists(u8, min_size=1, max_size=5).map(tuple),
    st.lists(u16, min_size=1, max_size=10).map(tuple),
    st.lists(nonempty, max_size=4).map(tuple),
)
client_key_exchange = st.builds(ClientKeyExchange, nonempty)
certificate_verify = st.builds(CertificateVerify, u16, nonempty)
finished = st.builds(Finished, nonempty)
new_session_ticket = st.builds(NewSessionTicket, u32, st.binary(max_size=200))
certificate_status = st.builds(CertificateStatus, st.binary(min_size=1, max_size=300))

MESSAGE_STRATEGIES = {
    "HelloRequest": st.just(HelloRequest()),
    "ClientHello": client_hello,
    "ServerHello": server_hello,
    "Certificate": certificate,
    "ServerKeyExchange": server_key_exchange,
    "CertificateRequest": certificate_request,
    "ServerHelloDone": st.just(ServerHelloDone()),
    "ClientKeyExchange": client_key_exchange,
    "CertificateVerify": certificate_verify,
    "Finished": finished,
    "NewSessionTicket": new_session_ticket,
    "CertificateStatus": certificate_status,
}


def _round_trip(msg: HandshakeMessage) -> HandshakeMessage:
    raw = msg.encode()
    assert raw[0] == msg.msg_type
    assert int.from_bytes(raw[1:4], "big") == len(raw) - 4
    decoded = decode_handshake(raw[0], raw[4:])
    assert type(decoded) is type(msg)
    assert decoded.encode() == raw
    return decoded


# -- round trips -------------------------------------------------------------------------------


def test_every_handshake_message_has_a_strategy() -> None:
    decoders = {decode.__self__.__name__ for decode in handshake._DECODERS.values()}  # type: ignore[attr-defined]
    assert decoders == set(MESSAGE_STRATEGIES)
    assert len(decoders) == len(HandshakeType)


def test_every_known_extension_has_a_strategy() -> None:
    known = {decode.__self__.__name__ for decode in ext.KNOWN_EXTENSIONS.values()}  # type: ignore[attr-defined]
    assert known | {"UnknownExtension"} == set(EXTENSION_STRATEGIES)


@pytest.mark.parametrize("name", list(MESSAGE_STRATEGIES))
@given(data=st.data())
def test_message_round_trip(name: str, data: st.DataObject) -> None:
    msg = data.draw(MESSAGE_STRATEGIES[name])
    assert _round_trip(msg) == msg


@pytest.mark.parametrize("name", list(EXTENSION_STRATEGIES))
@given(data=st.data())
def test_extension_round_trip(name: str, data: st.DataObject) -> None:
    item = data.draw(EXTENSION_STRATEGIES[name])
    hello = ClientHello(b"\x00" * 32, (0xC02B,), extensions=ext.Extensions((item,)))
    decoded = _round_trip(hello)
    assert decoded.extensions.items == (item,)  # type: ignore[attr-defined]
    assert decoded == hello


@given(level=st.sampled_from([AlertLevel.warning, AlertLevel.fatal]), description=u8)
def test_alert_round_trip(level: AlertLevel, description: int) -> None:
    alert = Alert(level, AlertDescription(description))
    assert Alert.decode(alert.encode()) == alert
    assert len(alert.encode()) == 2


@given(level=u8.filter(lambda v: v not in (1, 2)), description=u8)
def test_alert_with_unknown_level_is_kept_and_is_no_warning(level: int, description: int) -> None:
    """A level byte other than 1 or 2 decodes (the engine closes on its close_notify and takes
    anything else as fatal, like OpenSSL and tlslite-ng)."""
    alert = Alert.decode(bytes((level, description)))
    assert int(alert.level) == level and int(alert.description) == description
    assert not alert.is_warning


@pytest.mark.parametrize("raw", [b"", b"\x02", b"\x02\x28\x00"])
def test_alert_of_wrong_size(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        Alert.decode(raw)


def test_change_cipher_spec_body() -> None:
    check_change_cipher_spec(b"\x01")
    for bad in (b"", b"\x02", b"\x01\x01"):
        with pytest.raises(DecodeError):
            check_change_cipher_spec(bad)


@given(scheme=u16, signature=nonempty, tail=st.binary(max_size=4))
def test_digitally_signed_round_trip(scheme: int, signature: bytes, tail: bytes) -> None:
    w = Writer()
    DigitallySigned(scheme, signature).encode(w)
    r = Reader(w.getvalue() + tail)
    assert DigitallySigned.decode(r) == DigitallySigned(scheme, signature)
    assert r.rest() == tail


@given(group=u16, public=st.binary(min_size=1, max_size=255), scheme=u16, signature=nonempty)
def test_ecdhe_server_key_exchange_round_trip(
    group: int, public: bytes, scheme: int, signature: bytes
) -> None:
    ske = EcdheServerKeyExchange(group, public, DigitallySigned(scheme, signature))
    body = ske.encode()
    assert body.startswith(ske.params())
    assert EcdheServerKeyExchange.decode(body) == ske
    with pytest.raises(DecodeError):
        EcdheServerKeyExchange.decode(body + b"\x00")
    for cut in range(len(body)):
        with pytest.raises(DecodeError):
            EcdheServerKeyExchange.decode(body[:cut])


def test_ecdhe_server_key_exchange_refuses_explicit_curves() -> None:
    body = bytes([1]) + EcdheServerKeyExchange.encode_params(29, b"\x01")[1:] + b"\x04\x03\x00\x01s"
    with pytest.raises(DecodeError, match="named_curve"):
        EcdheServerKeyExchange.decode(body)


@given(public=st.binary(min_size=1, max_size=255))
def test_ecdh_client_public_round_trip(public: bytes) -> None:
    body = encode_ecdh_client_public(public)
    assert decode_ecdh_client_public(body) == public
    with pytest.raises(DecodeError):
        decode_ecdh_client_public(body + b"\x00")
    with pytest.raises(DecodeError):
        decode_ecdh_client_public(body[:-1])


def test_empty_ecdh_client_public_is_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_ecdh_client_public(b"\x00")


dh_numbers = st.binary(min_size=1, max_size=300)


@given(p=dh_numbers, g=dh_numbers, public=dh_numbers, scheme=u16, signature=nonempty)
def test_dhe_server_key_exchange_round_trip(
    p: bytes, g: bytes, public: bytes, scheme: int, signature: bytes
) -> None:
    ske = DheServerKeyExchange(p, g, public, DigitallySigned(scheme, signature))
    body = ske.encode()
    assert body.startswith(ske.params())
    assert DheServerKeyExchange.decode(body) == ske
    with pytest.raises(DecodeError):
        DheServerKeyExchange.decode(body + b"\x00")
    for cut in range(0, len(body), 7):
        with pytest.raises(DecodeError):
            DheServerKeyExchange.decode(body[:cut])


@given(public=dh_numbers)
def test_dh_client_public_round_trip(public: bytes) -> None:
    body = encode_dh_client_public(public)
    assert decode_dh_client_public(body) == public
    with pytest.raises(DecodeError):
        decode_dh_client_public(body + b"\x00")
    with pytest.raises(DecodeError):
        decode_dh_client_public(body[:-1])


@given(encrypted=st.binary(max_size=600))
def test_rsa_premaster_round_trip(encrypted: bytes) -> None:
    body = encode_rsa_premaster(encrypted)
    assert body[:2] == len(encrypted).to_bytes(2, "big")
    assert decode_rsa_premaster(body) == encrypted
    with pytest.raises(DecodeError):
        decode_rsa_premaster(body + b"\x00")
    with pytest.raises(DecodeError):
        decode_rsa_premaster(body[:1])


# -- specific refusals -------------------------------------------------------------------------


def _hello_with_raw_extensions(block: bytes) -> bytes:
    """A ClientHello body whose extensions block is ``block`` (without its length)."""
    w = Writer()
    w.u16(0x0303)
    w.raw(bytes(32))
    w.opaque8(b"")
    w.u16_list([0xC02B])
    w.u8_list([0])
    w.opaque16(block)
    return w.getvalue()


@pytest.mark.parametrize(
    "one",
    [
        b"\x00\x17\x00\x00",  # extended_master_secret
        b"\xff\x01\x00\x01\x00",  # renegotiation_info
        b"\x0a\x0a\x00\x01\x07",  # an unknown (GREASE) type
    ],
)
def test_duplicate_extension_is_decode_error(one: bytes) -> None:
    body = _hello_with_raw_extensions(one + b"\x00\x0b\x00\x02\x01\x00" + one)
    with pytest.raises(DecodeError, match="appears twice"):
        decode_handshake(HandshakeType.client_hello, body)
    # one copy alone is fine
    decode_handshake(HandshakeType.client_hello, _hello_with_raw_extensions(one))


def test_encoding_a_duplicate_extension_is_refused() -> None:
    hello = ClientHello(
        bytes(32),
        (0xC02B,),
        extensions=ext.Extensions((ext.ExtendedMasterSecret(), ext.ExtendedMasterSecret())),
    )
    with pytest.raises(ValueError, match="twice"):
        hello.encode()


def test_unknown_extensions_are_kept_byte_exact_and_in_order() -> None:
    block = (
        b"\x0a\x0a\x00\x00"  # GREASE, empty
        b"\x00\x17\x00\x00"  # extended_master_secret
        b"\x12\x34\x00\x05hello"  # unknown 0x1234
        b"\x00\x05\x00\x05\x01\x00\x00\x00\x00"  # status_request (RFC 6066 §8), read
    )
    body = _hello_with_raw_extensions(block)
    hello = decode_handshake(HandshakeType.client_hello, body)
    assert isinstance(hello, ClientHello)
    items = hello.extensions.items
    assert items == (
        ext.UnknownExtension(0x0A0A, b""),
        ext.ExtendedMasterSecret(),
        ext.UnknownExtension(0x1234, b"hello"),
        ext.StatusRequest(1, (), b""),
    )
    assert hello.extensions.types == (0x0A0A, 23, 0x1234, 5)
    assert items[0].extension_type.name == "unknown_0xa0a"  # type: ignore[attr-defined]
    assert hello.encode()[4:] == body


@pytest.mark.parametrize(
    "ext_type,data",
    [
        (ExtensionType.server_name, b"\x00\x00"),  # empty server_name_list
        (ExtensionType.server_name, b"\x00\x05\x00\x00\x01a"),  # list length too long
        (ExtensionType.server_name, b"\x00\x03\x00\x00\x00"),  # empty HostName
        (ExtensionType.server_name, b"\x00\x04\x00\x00\x01ax"),  # trailing byte
        (ExtensionType.supported_groups, b"\x00\x00"),
        (ExtensionType.supported_groups, b"\x00\x03\x00\x1d\x00"),
        (ExtensionType.supported_groups, b"\x00\x02\x00\x1d\x00"),
        (ExtensionType.supported_groups, b""),
        (ExtensionType.ec_point_formats, b"\x00"),
        (ExtensionType.ec_point_formats, b"\x02\x00"),
        (ExtensionType.signature_algorithms, b"\x00\x00"),
        (ExtensionType.signature_algorithms, b"\x00\x01\x04"),
        (ExtensionType.application_layer_protocol_negotiation, b"\x00\x00"),
        (ExtensionType.application_layer_protocol_negotiation, b"\x00\x02\x00\x00"),
        (ExtensionType.application_layer_protocol_negotiation, b"\x00\x03\x03h2"),
        (ExtensionType.application_layer_protocol_negotiation, b"\x00\x03\x02h2x"),
        (ExtensionType.extended_master_secret, b"\x00"),
        (ExtensionType.encrypt_then_mac, b"\x00"),
        (ExtensionType.renegotiation_info, b""),
        (ExtensionType.renegotiation_info, b"\x01"),
        (ExtensionType.renegotiation_info, b"\x00\x00"),
    ],
)
def test_malformed_extension_bodies(ext_type: int, data: bytes) -> None:
    w = Writer()
    w.u16(ext_type)
    w.opaque16(data)
    with pytest.raises(DecodeError):
        decode_handshake(HandshakeType.client_hello, _hello_with_raw_extensions(w.getvalue()))


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x04\x00\x00\x01\xff",  # not ASCII
        b"\x00\x04\x00\x00\x01\x00",  # NUL
        b"\x00\x07\x00\x00\x04a\x1b[m",  # an escape sequence
        b"\x00\x08\x00\x00\x05a\x07.bc",  # a control byte
        b"\x00\x08\x00\x00\x05a b.c",  # a space
        b"\x00\x07\x00\x00\x04a..b",  # an empty label
        b"\x00\x08\x00\x00\x01a\x00\x00\x01b",  # two host_names
    ],
)
def test_server_name_that_is_no_host_name_is_illegal_parameter(data: bytes) -> None:
    """RFC 6066 §3: a list that parses but names no valid host is illegal_parameter."""
    w = Writer()
    w.u16(ExtensionType.server_name)
    w.opaque16(data)
    with pytest.raises(IllegalParameter):
        decode_handshake(HandshakeType.client_hello, _hello_with_raw_extensions(w.getvalue()))


@pytest.mark.parametrize("name", [b"example.com", b"a", b"_srv.example.com", b"x-1.example."])
def test_valid_host_names(name: bytes) -> None:
    assert ext.valid_host_name(name)


def test_server_name_acknowledgement_is_empty() -> None:
    w = Writer()
    ext.ServerName(None).encode_body(w)
    assert w.getvalue() == b""
    assert ext.ServerName.decode_body(Reader(b"")) == ext.ServerName(None)


def test_internationalised_server_name_is_sent_as_its_a_label() -> None:
    w = Writer()
    ext.ServerName("bücher.example").encode_body(w)
    assert w.getvalue() == b"\x00\x18\x00\x00\x15xn--bcher-kva.example"
    assert ext.ServerName.decode_body(Reader(w.getvalue())) == ext.ServerName(
        "xn--bcher-kva.example"
    )
    hello = ClientHello(bytes(32), (0xC02B,), extensions=ext.Extensions((ext.ServerName("ü.de"),)))
    assert b"xn--tda.de" in hello.encode()


@pytest.mark.parametrize("name", ["ü" * 70 + ".example", "a..ü"])
def test_server_name_without_an_ascii_form_is_refused_on_encode(name: str) -> None:
    with pytest.raises(ConfigError):
        ext.ServerName(name).encode_body(Writer())
    with pytest.raises(ValueError):  # ConfigError is a ValueError, as Writer refusals are
        ext.ServerName(name).encode_body(Writer())


@pytest.mark.parametrize(
    "msg_type,body",
    [
        (HandshakeType.hello_request, b"\x00"),
        (HandshakeType.server_hello_done, b"\x00"),
        (HandshakeType.server_key_exchange, b""),
        (HandshakeType.client_key_exchange, b""),
        (HandshakeType.finished, b""),
        (HandshakeType.certificate, b"\x00\x00\x03\x00\x00\x00"),  # empty ASN.1Cert
        (HandshakeType.certificate, b"\x00\x00\x04\x00\x00\x01"),  # list too long
        (HandshakeType.certificate, b"\x00\x00\x00\x00"),  # trailing byte
        (HandshakeType.certificate_verify, b"\x04\x03\x00\x02\x01"),
        (HandshakeType.certificate_request, b"\x00\x00\x02\x04\x03\x00\x00"),  # no types
        (HandshakeType.certificate_request, b"\x01\x40\x00\x00\x00\x00"),  # no schemes
        (HandshakeType.certificate_request, b"\x01\x40\x00\x02\x04\x03\x00\x02\x00\x00"),
        (HandshakeType.new_session_ticket, b"\x00\x00\x00\x01\x00\x02\x01"),
        (HandshakeType.new_session_ticket, b"\x00\x00\x00"),
        (HandshakeType.server_hello, bytes(34) + b"\x21" + bytes(33) + b"\xc0\x2b\x00"),
        (HandshakeType.server_hello, bytes(35) + b"\xc0\x2b\x00\x00"),  # 1-byte extensions
    ],
)
def test_malformed_message_bodies(msg_type: int, body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_handshake(msg_type, body)


def test_an_empty_signature_is_well_formed() -> None:
    """opaque signature<0..2^16-1> (RFC 5246 §4.7): decoding accepts it; verifying refuses it
    with decrypt_error (tests/handshake/test_conformance.py)."""
    msg = decode_handshake(HandshakeType.certificate_verify, b"\x04\x03\x00\x00")
    assert isinstance(msg, CertificateVerify) and msg.signature == b""


@pytest.mark.parametrize("msg_type", [3, 5, 17, 21, 24, 254, 255])
def test_unknown_handshake_type_is_unexpected(msg_type: int) -> None:
    with pytest.raises(UnexpectedMessage):
        decode_handshake(msg_type, b"")


# -- a real ClientHello: every truncation and every bent length --------------------------------


def _real_client_hello() -> bytes:
    config = ClientConfig(alpn_protocols=["h2", "http/1.1"], insecure_skip_verify=True)
    client = ClientConnection(config, "www.example.com")
    client.start()
    record = client.data_to_send()
    assert record[0] == 22 and int.from_bytes(record[3:5], "big") == len(record) - 5
    assert record[5] == HandshakeType.client_hello
    assert int.from_bytes(record[6:9], "big") == len(record) - 9
    return record[9:]


def _length_fields(body: bytes) -> Iterator[tuple[int, int]]:
    """(offset, width) of every length prefix in a ClientHello body, found by walking it."""
    pos = 34
    yield pos, 1  # session_id
    pos += 1 + body[pos]
    yield pos, 2  # cipher_suites
    pos += 2 + int.from_bytes(body[pos : pos + 2], "big")
    yield pos, 1  # compression_methods
    pos += 1 + body[pos]
    yield pos, 2  # extensions
    pos += 2
    while pos < len(body):
        et = int.from_bytes(body[pos : pos + 2], "big")
        size = int.from_bytes(body[pos + 2 : pos + 4], "big")
        yield pos + 2, 2
        data = pos + 4
        if et == ExtensionType.server_name:
            yield data, 2  # server_name_list
            yield data + 3, 2  # HostName
        elif et in (ExtensionType.supported_groups, ExtensionType.signature_algorithms):
            yield data, 2
        elif et in (ExtensionType.ec_point_formats, ExtensionType.renegotiation_info):
            yield data, 1
        elif et == ExtensionType.application_layer_protocol_negotiation:
            yield data, 2
            p = data + 2
            while p < data + size:
                yield p, 1
                p += 1 + body[p]
        pos = data + size


def test_real_client_hello_decodes() -> None:
    body = _real_client_hello()
    hello = decode_handshake(HandshakeType.client_hello, body)
    assert isinstance(hello, ClientHello)
    assert hello.extensions.get(ext.ServerName) == ext.ServerName("www.example.com")
    alpn_ext = hello.extensions.get(ext.ApplicationLayerProtocols)
    assert alpn_ext == ext.ApplicationLayerProtocols((b"h2", b"http/1.1"))
    assert hello.encode()[4:] == body
    assert len(list(_length_fields(body))) >= 14


def test_every_truncation_of_a_real_client_hello_is_decode_error() -> None:
    body = _real_client_hello()
    fields = list(_length_fields(body))
    extensions_offset = fields[3][0]  # a hello may legitimately end before its extensions
    for cut in range(len(body)):
        if cut == extensions_offset:
            hello = decode_handshake(HandshakeType.client_hello, body[:cut])
            assert len(hello.extensions) == 0  # type: ignore[attr-defined]
            continue
        with pytest.raises(DecodeError):
            decode_handshake(HandshakeType.client_hello, body[:cut])
    for extra in (b"\x00", b"\x00\x00\x00\x00"):
        with pytest.raises(DecodeError):
            decode_handshake(HandshakeType.client_hello, body + extra)


def test_every_bent_length_of_a_real_client_hello_is_decode_error() -> None:
    body = _real_client_hello()
    for offset, width in _length_fields(body):
        value = int.from_bytes(body[offset : offset + width], "big")
        for delta in (-1, 1, 2, 0x80):
            bent = value + delta
            if not 0 <= bent < 1 << (8 * width):
                continue
            mutated = body[:offset] + bent.to_bytes(width, "big") + body[offset + width :]
            with pytest.raises(DecodeError):
                decode_handshake(HandshakeType.client_hello, mutated)
            with pytest.raises(DecodeError):
                decode_handshake(HandshakeType.client_hello, mutated + b"\x00" * abs(delta))


@given(data=st.data())
def test_random_damage_to_a_real_client_hello_only_raises_decode_error(
    data: st.DataObject,
) -> None:
    """Damage is decode_error, or illegal_parameter where it leaves a well-formed server_name
    whose host_name is no host name (RFC 6066 §3)."""
    body = bytearray(_REAL_HELLO)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(body) - 1))
        body[i] = data.draw(u8)
    cut = data.draw(st.integers(0, len(body)))
    with contextlib.suppress(DecodeError, IllegalParameter):
        decode_handshake(HandshakeType.client_hello, bytes(body[:cut]))


_REAL_HELLO = _real_client_hello()


@pytest.mark.parametrize("msg_type", [int(t) for t in HandshakeType])
@given(body=st.binary(max_size=120))
def test_random_bodies_only_raise_decode_error(msg_type: int, body: bytes) -> None:
    """decode_error, or illegal_parameter for a hello whose well-formed server_name carries a
    host_name that is no host name (RFC 6066 §3)."""
    hello = msg_type in (HandshakeType.client_hello, HandshakeType.server_hello)
    try:
        msg = decode_handshake(msg_type, body)
    except DecodeError:
        return
    except IllegalParameter:
        assert hello
        return
    assert msg.encode()[4:] == body or msg_type in (
        HandshakeType.client_hello,
        HandshakeType.server_hello,
    )


# -- known answer: a ClientHello laid out by hand from RFC 5246 §7.4.1.2 -----------------------

KAT_RANDOM = bytes(range(32))
KAT = bytes.fromhex(
    "01"  # HandshakeType client_hello
    "00005a"  # uint24 length = 90
    "0303"  # ProtocolVersion client_version {3, 3}
    + KAT_RANDOM.hex()  # Random: gmt_unix_time (4) + random_bytes (28)
    + "04deadbeef"  # SessionID session_id<0..32>
    "0004c02bc02f"  # CipherSuite cipher_suites<2..2^16-2>
    "0100"  # CompressionMethod compression_methods<1..2^8-1> = {null}
    "0029"  # Extension extensions<0..2^16-1>: 41 bytes
    "0000"  # server_name
    "0010"  # extension_data: 16 bytes
    "000e"  # ServerNameList: 14 bytes
    "00"  # NameType host_name
    "000b"  # HostName: 11 bytes
    + b"example.com".hex()
    + "000a00040002001d"  # supported_groups: {x25519}
    "000d000400020403"  # signature_algorithms: {ecdsa_secp256r1_sha256}
    "ff01000100"  # renegotiation_info: renegotiated_connection<0..255> = empty
)
KAT_HELLO = ClientHello(
    random=KAT_RANDOM,
    cipher_suites=(0xC02B, 0xC02F),
    session_id=bytes.fromhex("deadbeef"),
    extensions=ext.Extensions(
        (
            ext.ServerName("example.com"),
            ext.SupportedGroups((29,)),
            ext.SignatureAlgorithms((0x0403,)),
            ext.RenegotiationInfo(b""),
        )
    ),
)


def test_client_hello_known_answer() -> None:
    assert len(KAT) == 4 + 90
    assert KAT_HELLO.encode() == KAT
    assert decode_handshake(KAT[0], KAT[4:]) == KAT_HELLO


def test_server_hello_known_answer() -> None:
    raw = bytes.fromhex(
        "02" "000031" "0303" + "11" * 32 + "00" "c02f" "00" "0009" "ff01000100" "00170000"
    )
    hello = ServerHello(
        random=b"\x11" * 32,
        cipher_suite=0xC02F,
        extensions=ext.Extensions((ext.RenegotiationInfo(), ext.ExtendedMasterSecret())),
    )
    assert hello.encode() == raw
    assert decode_handshake(raw[0], raw[4:]) == hello
