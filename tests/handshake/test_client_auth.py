"""Client authentication in memory: the optional messages of figure 1 that prove the
client's identity (CertificateRequest, client Certificate, CertificateVerify), their order,
and every refusal with its alert."""

from __future__ import annotations

import datetime as dt

import pytest
from engine_helpers import join_records, queued_alert, record, split_handshake, split_records
from tls_support import drive, pki

from tls12 import errors
from tls12.config import DEFAULT_SIGNATURE_SCHEMES, ClientAuth, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, ServerConnection
from tls12.handshake import client_auth
from tls12.messages.handshake import Certificate, CertificateVerify
from tls12.pki import make_key
from tls12.wire.enums import AlertDescription, ContentType, HandshakeType, SignatureScheme

HS = ContentType.handshake


def server_config(mode: ClientAuth = ClientAuth.REQUIRED, **kw: object) -> ServerConfig:
    p = pki()
    return p.server_config(client_auth=mode, client_trust=p.trust, **kw)


def client_config(*identities: object, **kw: object) -> ClientConfig:
    p = pki()
    return p.client_config(client_certificates=[p.certified(i) for i in identities], **kw)


def connect(client_cfg: ClientConfig, server_cfg: ServerConfig):
    client = ClientConnection(client_cfg, "localhost")
    server = ServerConnection(server_cfg)
    client.start()
    drive(client, server)
    return client, server


SCHEMES = [
    ("client_rsa", SignatureScheme.rsa_pss_rsae_sha256),
    ("client_rsa", SignatureScheme.rsa_pss_rsae_sha384),
    ("client_rsa", SignatureScheme.rsa_pkcs1_sha256),
    ("client_rsa", SignatureScheme.rsa_pkcs1_sha512),
    ("client_ecdsa", SignatureScheme.ecdsa_secp256r1_sha256),
]


@pytest.mark.parametrize(("identity", "scheme"), SCHEMES, ids=lambda v: getattr(v, "name", v))
def test_certificate_verify_with_each_scheme(identity, scheme):
    p = pki()
    ident = getattr(p, identity)
    client, server = connect(client_config(ident), server_config(signature_schemes=[scheme]))
    assert server.handshake_complete, server.error
    assert server.negotiated.peer_certificates[0] == ident.cert
    cv = next(e for e in client.trace.entries if e.name == "CertificateVerify")
    assert cv.details["signature"] == scheme.name


def test_figure_1_order_with_every_optional_message():
    client, server = connect(client_config(pki().client_ecdsa), server_config())
    assert server.trace.names[:10] == [
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
    ]


def test_request_names_the_trusted_authorities_unless_told_not_to():
    p = pki()
    client, _ = connect(client_config(p.client_ecdsa), server_config())
    request = next(e for e in client.trace.entries if e.name == "CertificateRequest")
    assert request.details["authorities"] == "1"
    client, _ = connect(client_config(p.client_ecdsa), server_config(send_ca_names=False))
    request = next(e for e in client.trace.entries if e.name == "CertificateRequest")
    assert request.details["authorities"] == "0"


def test_chooser_callback_decides():
    p = pki()
    seen = []

    def choose(request):
        seen.append(request)
        return p.certified(p.client_ecdsa)

    cfg = client_config(p.client_rsa, client_certificate_chooser=choose)
    _, server = connect(cfg, server_config())
    assert server.negotiated.peer_certificates[0] == p.client_ecdsa.cert
    assert seen and seen[0].certificate_authorities == (p.ca.cert.subject.public_bytes(),)


def test_chooser_may_decline_and_the_server_decides():
    p = pki()
    cfg = client_config(p.client_rsa, client_certificate_chooser=lambda request: None)
    _, server = connect(cfg, server_config(ClientAuth.OPTIONAL))
    assert server.handshake_complete and server.negotiated.peer_certificates == ()
    client = ClientConnection(cfg, "localhost")
    server = ServerConnection(server_config(ClientAuth.REQUIRED))
    client.start()
    with pytest.raises(errors.HandshakeFailure, match="no certificate"):
        drive(client, server)


def test_no_fitting_certificate_sends_an_empty_one():
    """The server asks for certificates it can verify with ECDSA only; our only chain is RSA."""
    p = pki()
    cfg = client_config(p.client_rsa)
    client, server = connect(
        cfg,
        server_config(
            ClientAuth.OPTIONAL,
            signature_schemes=[SignatureScheme.ecdsa_secp256r1_sha256],
            certificates=[p.certified(p.ecdsa)],
        ),
    )
    assert server.handshake_complete
    sent = next(
        e for e in client.trace.entries if e.name == "Certificate" and e.direction == "send"
    )
    assert sent.details["certificates"] == "0"


def _client_flight(client: ClientConnection, server: ServerConnection) -> bytes:
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    return client.data_to_send()


def test_certificate_verify_made_with_another_key(monkeypatch):
    p = pki()
    other = make_key("ecdsa")
    real = client_auth.signatures

    class OtherKey:  # the client's CertificateVerify only: the server's signature stays real
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        @staticmethod
        def sign(key: object, scheme: int, data: bytes) -> bytes:
            return real.sign(other, scheme, data)

    monkeypatch.setattr(client_auth, "signatures", OtherKey())
    client = ClientConnection(client_config(p.client_ecdsa), "localhost")
    server = ServerConnection(server_config())
    client.start()
    with pytest.raises(errors.DecryptError, match="signature"):
        server.receive_data(_client_flight(client, server))
    assert queued_alert(server) == AlertDescription.decrypt_error


def test_expired_client_certificate():
    p = pki()
    now = dt.datetime.now(dt.UTC)
    expired = p.ca.issue(
        ["client.example"],
        key_type="ecdsa",
        client_auth=True,
        server_auth=False,
        not_before=now - dt.timedelta(days=10),
        not_after=now - dt.timedelta(days=1),
    )
    client = ClientConnection(client_config(expired), "localhost")
    server = ServerConnection(server_config())
    client.start()
    with pytest.raises(errors.CertificateExpired, match="expired"):
        server.receive_data(_client_flight(client, server))
    assert queued_alert(server) == AlertDescription.certificate_expired


def test_client_certificate_from_an_unknown_ca():
    p = pki()
    stranger = p.other_ca.issue(["client.example"], key_type="rsa", client_auth=True)
    client = ClientConnection(client_config(stranger), "localhost")
    server = ServerConnection(server_config())
    client.start()
    with pytest.raises(errors.UnknownCA):
        server.receive_data(_client_flight(client, server))
    assert queued_alert(server) == AlertDescription.unknown_ca


def test_required_certificate_missing():
    client = ClientConnection(pki().client_config(), "localhost")
    server = ServerConnection(server_config())
    client.start()
    with pytest.raises(errors.HandshakeFailure, match="required"):
        server.receive_data(_client_flight(client, server))
    assert queued_alert(server) == AlertDescription.handshake_failure


def _handshake_messages(flight: bytes) -> tuple[list[bytes], list[tuple[int, bytes]]]:
    """(plaintext handshake messages, the remaining records: CCS and encrypted Finished)."""
    messages: list[bytes] = []
    rest: list[tuple[int, bytes]] = []
    for t, body in split_records(flight):
        if t == HS and not rest:
            messages.extend(split_handshake(body))
        else:
            rest.append((t, body))
    return messages, rest


def test_certificate_sent_unrequested():
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config())
    client.start()
    flight = _client_flight(client, server)
    messages, rest = _handshake_messages(flight)
    assert messages[0][0] == HandshakeType.client_key_exchange
    unrequested = Certificate(tuple(p.client_rsa.chain_der())).encode()
    wire = record(HS, unrequested + b"".join(messages)) + join_records(rest)
    with pytest.raises(errors.UnexpectedMessage, match="Certificate"):
        server.receive_data(wire)
    assert queued_alert(server) == AlertDescription.unexpected_message


def test_certificate_verify_without_a_certificate():
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(server_config(ClientAuth.OPTIONAL))
    client.start()
    messages, rest = _handshake_messages(_client_flight(client, server))
    assert [m[0] for m in messages] == [
        HandshakeType.certificate,
        HandshakeType.client_key_exchange,
    ]
    verify = CertificateVerify(SignatureScheme.ecdsa_secp256r1_sha256, b"\x30\x00").encode()
    wire = record(HS, b"".join(messages) + verify) + join_records(rest)
    with pytest.raises(errors.UnexpectedMessage, match="CertificateVerify"):
        server.receive_data(wire)
    assert queued_alert(server) == AlertDescription.unexpected_message


def test_certificate_verify_out_of_order():
    p = pki()
    client = ClientConnection(client_config(p.client_ecdsa), "localhost")
    server = ServerConnection(server_config())
    client.start()
    messages, rest = _handshake_messages(_client_flight(client, server))
    certificate, key_exchange, verify = messages
    assert verify[0] == HandshakeType.certificate_verify
    wire = record(HS, certificate + verify + key_exchange) + join_records(rest)
    with pytest.raises(errors.UnexpectedMessage, match="CertificateVerify"):
        server.receive_data(wire)


def test_client_certificate_with_no_scheme_in_common(monkeypatch):
    """An Ed25519 client certificate sent to a server that accepts no EdDSA scheme."""
    p = pki()
    ed = p.ca.issue(["client.example"], key_type="ed25519", client_auth=True, server_auth=False)
    monkeypatch.setattr(
        client_auth, "_scheme_for", lambda candidate, request, config: SignatureScheme.ed25519
    )
    cfg = ClientConfig(
        trust=p.trust,
        client_certificates=[],
        client_certificate_chooser=lambda request: p.certified(ed),
    )
    client = ClientConnection(cfg, "localhost")
    no_eddsa = [
        s
        for s in DEFAULT_SIGNATURE_SCHEMES
        if s not in (SignatureScheme.ed25519, SignatureScheme.ed448)
    ]
    server = ServerConnection(server_config(signature_schemes=no_eddsa))
    client.start()
    with pytest.raises(errors.HandshakeFailure, match="no signature scheme"):
        server.receive_data(_client_flight(client, server))
    assert queued_alert(server) == AlertDescription.handshake_failure


@pytest.mark.parametrize("key_type", ["ed25519", "ed448"])
def test_eddsa_client_certificate(key_type):
    """RFC 8422 §5.1.3: an EdDSA client certificate signs CertificateVerify with its scheme."""
    p = pki()
    ed = p.ca.issue(["client.example"], key_type=key_type, client_auth=True, server_auth=False)
    client, server = connect(client_config(ed), server_config())
    assert server.session.peer_certificates_der[0] == ed.chain_der()[0]
    verify = next(e for e in server.trace.entries if e.name == "CertificateVerify")
    assert verify.details["signature"] == key_type


def test_server_keeps_the_client_identity_in_its_session():
    p = pki()
    cfg = server_config()
    client, server = connect(client_config(p.client_rsa), cfg)
    assert server.session.peer_certificates_der[0] == p.client_rsa.chain_der()[0]
