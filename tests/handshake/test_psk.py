"""PSK (RFC 4279) and ECDHE_PSK (RFC 5489) in memory: every PSK suite ours against ours (the
RFC 8442 suites have no other peer here), the policies, resumption, and bad input from either
side with the alert it must cause. Interop: tests/interop/test_psk_openssl.py and
tests/interop/test_psk_gnutls.py."""

from __future__ import annotations

import dataclasses

import pytest
from engine_helpers import join_records, queued_alert, record, split_handshake, split_records, stage
from tls_support import drive, pki

from tls12 import errors
from tls12.config import DEFAULT_SIGNATURE_SCHEMES, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto.suites import (
    ALL_SUITES,
    BY_NAME,
    DEFAULT_SUITES,
    PSK_DEFAULT_SUITES,
    PSK_SUITES,
    KeyExchange,
)
from tls12.events import HandshakeComplete, Negotiated
from tls12.handshake.psk import premaster_secret
from tls12.messages.psk_key_exchange import EcdhePskServerKeyExchange, PskClientKeyExchange
from tls12.wire.enums import AlertDescription, ContentType, HandshakeType, NamedGroup

IDENTITY = b"device-17"
KEY = bytes(range(32))
PSK_GCM = BY_NAME["TLS_PSK_WITH_AES_128_GCM_SHA256"]
ECDHE_PSK = BY_NAME["TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"]


def client_config(**kw: object) -> ClientConfig:
    kw.setdefault("psk_identity", IDENTITY)
    kw.setdefault("psk", KEY)
    return ClientConfig(**kw)  # type: ignore[arg-type]


def server_config(**kw: object) -> ServerConfig:
    if "psk_lookup" not in kw:
        kw.setdefault("psk_keys", {IDENTITY: KEY})
    return ServerConfig(**kw)  # type: ignore[arg-type]


def run(client: ClientConfig, server: ServerConfig, **kw: object) -> tuple[Negotiated, Negotiated]:
    c = ClientConnection(client, "localhost", **kw)  # type: ignore[arg-type]
    s = ServerConnection(server)
    c.start()
    client_events, server_events = drive(c, s)
    done = [e.negotiated for e in client_events if isinstance(e, HandshakeComplete)]
    assert done, c.error or s.error
    c.send(b"ping")
    assert drive(c, s)[1][0].data == b"ping"  # type: ignore[attr-defined]
    server_done = [e.negotiated for e in server_events if isinstance(e, HandshakeComplete)]
    return done[0], server_done[0]


def test_premaster_layout_rfc4279_and_rfc5489():
    # RFC 4279 §2: uint16 N, N zero bytes, uint16 N, the key
    assert premaster_secret(bytes(3), b"abc") == b"\x00\x03\x00\x00\x00\x00\x03abc"
    # RFC 5489 §2: uint16 len(Z), Z, uint16 len(psk), psk
    assert premaster_secret(b"ZZ", b"k") == b"\x00\x02ZZ\x00\x01k"


@pytest.mark.parametrize("hint", [None, b"hint"], ids=["no_hint", "hint"])
@pytest.mark.parametrize("suite", PSK_SUITES, ids=str)
def test_every_psk_suite_ours_to_ours(suite, hint):
    client, server = run(
        client_config(cipher_suites=[suite]),
        server_config(cipher_suites=[suite], psk_identity_hint=hint),
    )
    for n in (client, server):
        assert n.cipher_suite == suite
        assert n.psk_identity == IDENTITY
        assert n.peer_certificates == () and n.signature_scheme is None
        assert n.extended_master_secret
        assert (n.group is not None) == (suite.kx is KeyExchange.ECDHE_PSK)


def _server_flight_types(client: ClientConfig, server: ServerConfig) -> list[int]:
    st = stage("after_client_hello", client, server)
    (ctype, payload), *_ = split_records(st.to_client)
    assert ctype == ContentType.handshake
    return [m[0] for m in split_handshake(payload)]


H = HandshakeType


def test_server_flight_has_no_certificate_and_key_exchange_only_when_needed():
    plain = [PSK_GCM]
    assert _server_flight_types(
        client_config(cipher_suites=plain), server_config(cipher_suites=plain)
    ) == [
        H.server_hello,
        H.server_hello_done,
    ]
    with_hint = server_config(cipher_suites=plain, psk_identity_hint=b"h")
    assert _server_flight_types(client_config(cipher_suites=plain), with_hint) == [
        H.server_hello,
        H.server_key_exchange,
        H.server_hello_done,
    ]
    ecdhe = [ECDHE_PSK]
    assert _server_flight_types(
        client_config(cipher_suites=ecdhe), server_config(cipher_suites=ecdhe)
    ) == [
        H.server_hello,
        H.server_key_exchange,
        H.server_hello_done,
    ]


def test_client_callback_receives_the_hint():
    seen: list[bytes | None] = []

    def answer(hint: bytes | None) -> tuple[bytes, bytes] | None:
        seen.append(hint)
        return IDENTITY, KEY

    config = ClientConfig(psk_callback=answer, cipher_suites=[PSK_GCM, ECDHE_PSK])
    run(config, server_config(cipher_suites=[PSK_GCM], psk_identity_hint=b"zone-3"))
    run(config, server_config(cipher_suites=[ECDHE_PSK]))
    run(config, server_config(cipher_suites=[PSK_GCM]))
    assert seen == [b"zone-3", None, None]


def test_callback_that_gives_up_is_handshake_failure():
    config = ClientConfig(psk_callback=lambda hint: None, cipher_suites=[PSK_GCM])
    st = stage("after_client_hello", config, server_config(cipher_suites=[PSK_GCM]))
    with pytest.raises(errors.HandshakeFailure, match="psk_callback gave no PSK"):
        st.client.receive_data(st.to_client)


def test_lookup_callback_gets_the_identity_bytes():
    asked: list[bytes] = []

    def lookup(identity: bytes) -> bytes | None:
        asked.append(identity)
        return KEY if identity == "gerät".encode() else None

    client, server = run(
        client_config(psk_identity="gerät".encode(), cipher_suites=[ECDHE_PSK]),
        server_config(psk_lookup=lookup),
    )
    assert asked == ["gerät".encode()] and server.psk_identity == "gerät".encode()


# -- policies: PSK suites only with a PSK --------------------------------------------------


def test_policies_gain_psk_suites_only_when_a_psk_is_configured():
    assert not set(PSK_SUITES) & set(ClientConfig().cipher_suites)  # type: ignore[arg-type]
    assert ClientConfig().cipher_suites == DEFAULT_SUITES
    with_psk = client_config().cipher_suites
    assert with_psk == PSK_DEFAULT_SUITES + DEFAULT_SUITES
    assert all(s.kx is KeyExchange.ECDHE_PSK and s.is_aead for s in PSK_DEFAULT_SUITES)
    wide = client_config(cipher_suites="compatible").cipher_suites
    assert BY_NAME["TLS_PSK_WITH_AES_128_CCM"] in wide and PSK_GCM in wide
    assert not any(s.cipher.short_tag for s in wide)
    # a PSK-only server keeps only PSK suites; with a certificate it serves both kinds
    assert set(server_config().cipher_suites) == set(PSK_DEFAULT_SUITES)
    both = server_config(certificates=[pki().certified(pki().ecdsa)])
    assert both.cipher_suites == PSK_DEFAULT_SUITES + DEFAULT_SUITES


def test_psk_suites_do_not_widen_the_signature_schemes():
    """PSK suites sign nothing: adding them keeps SHA-1 out of the certificate suites."""
    assert client_config().signature_schemes == DEFAULT_SIGNATURE_SCHEMES
    both = server_config(certificates=[pki().certified(pki().ecdsa)])
    assert both.signature_schemes == DEFAULT_SIGNATURE_SCHEMES


def test_a_server_with_psk_and_a_certificate_serves_both_kinds_of_client():
    server = server_config(certificates=[pki().certified(pki().ecdsa)])
    assert run(client_config(), server)[1].cipher_suite in PSK_DEFAULT_SUITES
    cert_client = pki().client_config()
    assert run(cert_client, server)[1].cipher_suite in ALL_SUITES


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: ClientConfig(cipher_suites=[PSK_GCM]), "no PSK is configured"),
        (lambda: pki().server_config(cipher_suites=[PSK_GCM]), "no PSK is configured"),
        (lambda: ServerConfig(), r"certificate chain \(or a PSK\)"),
        (
            lambda: server_config(cipher_suites=["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]),
            "need a certificate",
        ),
        (lambda: ClientConfig(psk_identity=IDENTITY), "together"),
        (lambda: client_config(psk_identity=b""), "psk_identity must be 1 to 65535"),
        (lambda: client_config(psk=b""), "psk must be 1 to 65535"),
        (lambda: client_config(psk_identity="text"), "psk_identity must be bytes"),
        (lambda: client_config(psk_callback=lambda h: None), "not both"),
        (lambda: server_config(psk_lookup=lambda i: None, psk_keys={b"a": b"b"}), "not both"),
        (lambda: pki().server_config(psk_identity_hint=b"h"), "psk_identity_hint needs"),
        (lambda: server_config(max_psk_identity_length=0), "max_psk_identity_length"),
    ],
)
def test_config_errors_name_the_setting(make, words):
    with pytest.raises(errors.ConfigError, match=words):
        make()


# -- resumption -------------------------------------------------------------------------------


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session_id"])
def test_psk_session_resumes_and_keeps_its_identity(tickets):
    server = server_config(session_tickets=tickets)
    c = ClientConnection(client_config(session_tickets=tickets), "localhost")
    s = ServerConnection(server)
    c.start()
    drive(c, s)
    session = c.session
    assert session is not None and session.psk_identity == IDENTITY
    assert type(session).from_bytes(session.to_bytes()).to_bytes() == session.to_bytes()
    assert type(session).from_bytes(session.to_bytes()).psk_identity == IDENTITY
    client, resumed = run(client_config(session_tickets=tickets), server, session=session)
    assert client.resumed and resumed.resumed
    assert resumed.psk_identity == IDENTITY == client.psk_identity


def test_revoked_identity_is_not_resumed():
    keys = {IDENTITY: KEY}
    server = server_config(psk_lookup=lambda i: keys.get(i))
    c = ClientConnection(client_config(), "localhost")
    s = ServerConnection(server)
    c.start()
    drive(c, s)
    session = c.session
    del keys[IDENTITY]
    c2 = ClientConnection(client_config(), "localhost", session=session)
    s2 = ServerConnection(server)
    c2.start()
    with pytest.raises(errors.UnknownPskIdentity):
        drive(c2, s2)  # a full handshake, in which the identity is unknown now


def test_session_byte_form_unchanged_for_certificate_sessions():
    _, server = run(pki().client_config(), pki().server_config())
    c = ClientConnection(pki().client_config(), "localhost")
    s = ServerConnection(pki().server_config())
    c.start()
    drive(c, s)
    assert c.session is not None and c.session.to_bytes()[0] == 1  # version 1, as before


# -- bad input --------------------------------------------------------------------------------


def _client_key_exchange(body: bytes) -> bytes:
    """The message in records of at most 2^14 bytes (a 65535-byte identity needs five)."""
    msg = bytes([16]) + len(body).to_bytes(3, "big") + body
    return b"".join(
        record(ContentType.handshake, msg[i : i + 16384]) for i in range(0, len(msg), 16384)
    )


def _server_fails(suite, body: bytes, **server_kw: object) -> tuple[Exception, AlertDescription]:
    st = stage(
        "after_server_flight", client_config(cipher_suites=[suite]), server_config(**server_kw)
    )
    with pytest.raises(errors.TLSError) as caught:
        st.server.receive_data(_client_key_exchange(body))
    return caught.value, queued_alert(st.server)


def test_unknown_identity_is_unknown_psk_identity_and_the_client_says_so():
    st = stage("after_server_flight", client_config(psk_identity=b"stranger"), server_config())
    with pytest.raises(errors.UnknownPskIdentity, match="unknown PSK identity 'stranger'"):
        st.server.receive_data(st.to_server)
    wire = st.server.data_to_send()
    with pytest.raises(errors.FatalAlertReceived) as caught:
        st.client.receive_data(wire)
    assert caught.value.description == AlertDescription.unknown_psk_identity == 115
    assert "the server does not know our PSK identity 'stranger'" in str(caught.value)


@pytest.mark.parametrize("suite", [PSK_GCM, ECDHE_PSK], ids=str)
def test_wrong_key_fails_on_finished_with_a_hint(suite):
    st = stage(
        "after_server_flight",
        client_config(cipher_suites=[suite], psk=b"another key"),
        server_config(cipher_suites=[suite]),
    )
    with pytest.raises(errors.BadRecordMac):
        st.server.receive_data(st.to_server)
    with pytest.raises(errors.FatalAlertReceived, match="pre-shared key probably differs"):
        st.client.receive_data(st.server.data_to_send())


@pytest.mark.parametrize(
    ("identity", "limit", "words"),
    [
        (b"", 256, "empty PSK identity"),
        (b"x" * 257, 256, "257 bytes, longer than max_psk_identity_length"),
        (b"x" * 0xFFFF, 256, "65535 bytes"),
    ],
)
def test_empty_and_oversized_identities(identity, limit, words):
    body = PskClientKeyExchange(identity).encode()
    error, alert = _server_fails(
        PSK_GCM, body, cipher_suites=[PSK_GCM], max_psk_identity_length=limit
    )
    assert isinstance(error, errors.UnknownPskIdentity) and words in str(error)
    assert alert == AlertDescription.unknown_psk_identity


def test_ecdhe_psk_client_key_exchange_at_the_wire_maximum_is_read_whole():
    """A 65,535-byte identity and a 255-byte point (RFC 5489): read, then refused by policy."""
    body = PskClientKeyExchange(b"x" * 0xFFFF, b"\x04" * 255).encode()
    assert len(body) == 2 + 0xFFFF + 1 + 255
    error, alert = _server_fails(ECDHE_PSK, body, cipher_suites=[ECDHE_PSK])
    assert isinstance(error, errors.UnknownPskIdentity), error
    assert alert == AlertDescription.unknown_psk_identity


def test_identity_at_the_configured_limit_is_looked_up():
    long_id = b"i" * 1000
    client, server = run(
        client_config(psk_identity=long_id, cipher_suites=[PSK_GCM]),
        server_config(
            psk_keys={long_id: KEY}, max_psk_identity_length=1000, cipher_suites=[PSK_GCM]
        ),
    )
    assert server.psk_identity == long_id


@pytest.mark.parametrize(
    "body",
    [
        b"",  # no length
        b"\x00",  # half a length
        b"\x00\x05abc",  # identity runs past the body
        b"\x00\x03abcX",  # trailing byte (plain PSK has nothing after the identity)
    ],
)
def test_malformed_psk_client_key_exchange_is_decode_error(body):
    error, alert = _server_fails(PSK_GCM, body, cipher_suites=[PSK_GCM])
    assert isinstance(error, errors.DecodeError)
    assert alert == AlertDescription.decode_error


@pytest.mark.parametrize(
    "tail",
    [b"", b"\x00", b"\x20" + bytes(10), b"\x01\x04" + b"\x00"],
    ids=["no_point", "empty_point", "short_point", "trailing"],
)
def test_malformed_ecdhe_psk_client_key_exchange_is_decode_error(tail):
    body = PskClientKeyExchange(IDENTITY).encode() + tail
    error, alert = _server_fails(ECDHE_PSK, body, cipher_suites=[ECDHE_PSK])
    assert isinstance(error, errors.DecodeError), error
    assert alert == AlertDescription.decode_error


def test_ecdhe_psk_bad_client_point_is_illegal_parameter():
    bad = PskClientKeyExchange(IDENTITY, b"\x04" + bytes(64)).encode()  # not on P-256
    error, alert = _server_fails(ECDHE_PSK, bad, cipher_suites=[ECDHE_PSK], groups=["secp256r1"])
    assert isinstance(error, errors.IllegalParameter)
    assert alert == AlertDescription.illegal_parameter


def _replace_in_server_flight(
    st, msg_type: int, new_body: bytes | None, insert: bytes = b""
) -> bytes:
    (ctype, payload), *rest = split_records(st.to_client)
    out = []
    for msg in split_handshake(payload):
        if msg[0] == msg_type:
            if new_body is not None:
                out.append(bytes([msg_type]) + len(new_body).to_bytes(3, "big") + new_body)
            continue
        if msg[0] == HandshakeType.server_hello_done and insert:
            out.append(insert)
        out.append(msg)
    return join_records([(ctype, b"".join(out)), *rest])


def test_ecdhe_psk_bad_server_point_is_illegal_parameter():
    st = stage(
        "after_client_hello",
        client_config(cipher_suites=[ECDHE_PSK], groups=["secp256r1"]),
        server_config(),
    )
    ske = EcdhePskServerKeyExchange(b"", NamedGroup.secp256r1, b"\x04" + bytes(64)).encode()
    flight = _replace_in_server_flight(st, HandshakeType.server_key_exchange, ske)
    with pytest.raises(errors.IllegalParameter):
        st.client.receive_data(flight)
    assert queued_alert(st.client) == AlertDescription.illegal_parameter


def test_ecdhe_psk_without_server_key_exchange_is_unexpected_message():
    st = stage("after_client_hello", client_config(cipher_suites=[ECDHE_PSK]), server_config())
    flight = _replace_in_server_flight(st, HandshakeType.server_key_exchange, None)
    with pytest.raises(errors.UnexpectedMessage):
        st.client.receive_data(flight)


@pytest.mark.parametrize("msg_type", [HandshakeType.certificate, HandshakeType.certificate_request])
def test_certificate_or_request_from_a_psk_server_is_unexpected_message(msg_type):
    st = stage(
        "after_client_hello",
        client_config(cipher_suites=[PSK_GCM]),
        server_config(psk_identity_hint=b"h", cipher_suites=[PSK_GCM]),
    )
    # a well-formed empty Certificate / a minimal CertificateRequest before ServerHelloDone
    body = (
        b"\x00\x00\x00"
        if msg_type == HandshakeType.certificate
        else b"\x01\x01\x00\x02\x04\x03\x00\x00"
    )
    extra = bytes([msg_type]) + len(body).to_bytes(3, "big") + body
    flight = _replace_in_server_flight(st, -1, None, insert=extra)
    with pytest.raises(errors.UnexpectedMessage):
        st.client.receive_data(flight)
    assert queued_alert(st.client) == AlertDescription.unexpected_message


def test_malformed_server_hint_is_decode_error():
    st = stage(
        "after_client_hello",
        client_config(cipher_suites=[PSK_GCM]),
        server_config(psk_identity_hint=b"h", cipher_suites=[PSK_GCM]),
    )
    flight = _replace_in_server_flight(st, HandshakeType.server_key_exchange, b"\x00\x09h")
    with pytest.raises(errors.DecodeError):
        st.client.receive_data(flight)


def test_a_client_offering_no_psk_suite_never_gets_one():
    server = server_config(certificates=[pki().certified(pki().rsa)])
    negotiated = run(pki().client_config(), server)[0]
    assert not negotiated.cipher_suite.uses_psk and negotiated.psk_identity is None


def test_replace_keeps_psk_fields():
    config = client_config()
    again = dataclasses.replace(config, alpn_protocols=["h2"])
    assert again.psk_identity == IDENTITY and again.cipher_suites == config.cipher_suites


def test_replace_keeps_a_server_made_from_psk_keys():
    # dataclasses.replace passes psk_keys and the psk_lookup made from them back in
    # (tls12 server --psk --workers N does this); a lookup given beside psk_keys is refused.
    server = dataclasses.replace(server_config(), session_lifetime=600)
    assert server.psk_lookup is not None and server.psk_lookup(IDENTITY) == KEY
    assert "identities" in repr(server.psk_lookup) and KEY.hex() not in repr(server)
    with pytest.raises(errors.ConfigError, match="psk_lookup or psk_keys, not both"):
        ServerConfig(psk_keys={IDENTITY: KEY}, psk_lookup=lambda i: KEY)


def test_a_callback_giving_an_empty_key_is_handshake_failure():
    # An empty PSK makes the premaster a constant (00 00 00 00 for plain PSK): refused, as
    # OpenSSL refuses psk_len 0 from its client callback.
    config = ClientConfig(psk_callback=lambda hint: (IDENTITY, b""), cipher_suites=[PSK_GCM])
    st = stage("after_client_hello", config, server_config(cipher_suites=[PSK_GCM]))
    with pytest.raises(errors.HandshakeFailure, match="empty PSK"):
        st.client.receive_data(st.to_client)
    assert queued_alert(st.client) == AlertDescription.handshake_failure


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session_id"])
def test_a_rotated_key_ends_the_old_keys_sessions(tickets):
    keys = {IDENTITY: KEY}
    server = server_config(psk_lookup=lambda i: keys.get(i), session_tickets=tickets)
    c = ClientConnection(client_config(session_tickets=tickets), "localhost")
    s = ServerConnection(server)
    c.start()
    drive(c, s)
    session = c.session
    assert session is not None and session.psk_binding
    assert type(session).from_bytes(session.to_bytes()).psk_binding == session.psk_binding
    new_key = bytes(32)
    keys[IDENTITY] = new_key
    # the server: an offer of the old session (the client still holding the old key) is not
    # resumed; the full handshake then fails on Finished, the keys differ
    c2 = ClientConnection(client_config(session_tickets=tickets), "localhost", session=session)
    s2 = ServerConnection(server)
    c2.start()
    with pytest.raises(errors.TLSError):
        drive(c2, s2)
    # the client: with the new key configured, the old session is not even offered
    fresh = client_config(psk=new_key, session_tickets=tickets)
    client, resumed = run(fresh, server, session=session)
    assert not client.resumed and not resumed.resumed


def test_require_ocsp_staple_with_a_psk_is_refused_by_name():
    with pytest.raises(errors.ConfigError, match="require_ocsp_staple cannot be met with a PSK"):
        client_config(require_ocsp_staple=True)
