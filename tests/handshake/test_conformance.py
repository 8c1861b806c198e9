"""Conformance (issue 11), in memory: what RFC 5246 allows is accepted, the rest refused with
the exact alert.

- The compatible policy: DHE_RSA AES-CBC suites; a client with no signature_algorithms gets a
  SHA-1 ServerKeyExchange signature (RFC 5246 §7.4.1.4.1), the default policy refuses it naming
  the real reason; a SHA-1 CertificateVerify is accepted when our CertificateRequest listed it.
- ECDSA hashes are not bound to the curve in TLS 1.2 (RFC 8422 §5.1.3); P-521 certificates.
- No supported_groups: secp256r1.
- Legal maxima: a 131,396-byte ClientHello, 32,767 suites, thousands of extensions, 32,767
  signature schemes; past the limits, refused from the header.
- unexpected_message decided from the type before the body; an empty signature is
  decrypt_error; server_name rules of RFC 6066 §3; alert level bytes other than 1 and 2.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from engine_helpers import queued_alert, record, split_handshake, split_records, stage
from tls_support import drive, pki

from tls12 import errors
from tls12.config import COMPATIBLE_SIGNATURE_SCHEMES, CertifiedKey, ClientAuth, ClientConfig
from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto import signatures
from tls12.crypto.suites import BY_ID, COMPATIBLE_SUITES, DEFAULT_SUITES
from tls12.events import ConnectionClosed
from tls12.messages import extensions as ext
from tls12.messages import key_exchange as bodies
from tls12.messages.handshake import (
    CertificateRequest,
    ClientHello,
    ServerHello,
    ServerKeyExchange,
    decode_handshake,
)
from tls12.wire.enums import (
    AlertDescription,
    ContentType,
    HandshakeType,
    NamedGroup,
    SignatureScheme,
)

S = SignatureScheme
HS = ContentType.handshake


def _complete(client: ClientConnection, server: ServerConnection) -> None:
    client.start()
    drive(client, server)
    assert client.handshake_complete and server.handshake_complete, (client.error, server.error)


def _hello_of(client_config: ClientConfig, server_name: str | None = "localhost") -> ClientHello:
    """The ClientHello our client would send, decoded, to be bent by a test."""
    client = ClientConnection(client_config, server_name)
    client.start()
    (ctype, payload), *_ = split_records(client.data_to_send())
    hello = decode_handshake(HandshakeType.client_hello, payload[4:])
    assert isinstance(hello, ClientHello)
    return hello


def _with_extensions(hello: ClientHello, items: list[ext.Extension]) -> ClientHello:
    return ClientHello(
        hello.random, hello.cipher_suites, hello.session_id, ext.Extensions(tuple(items))
    )


def _without(hello: ClientHello, *classes: type) -> list[ext.Extension]:
    return [e for e in hello.extensions if type(e) not in classes]


def _records(message: bytes) -> bytes:
    """A handshake message cut into records of at most 2^14 bytes."""
    step = 1 << 14
    return b"".join(record(HS, message[i : i + step]) for i in range(0, len(message), step))


def _server_flight(server: ServerConnection, hello: ClientHello) -> list[bytes]:
    """Feeds ``hello`` to the server; returns the handshake messages it answered with."""
    server.receive_data(_records(hello.encode()))
    out = []
    for ctype, payload in split_records(server.data_to_send()):
        assert ctype == HS, f"server answered with a record of type {ctype}"
        out += split_handshake(payload)
    return out


def _ske(flight: list[bytes]) -> bodies.DigitallySigned:
    raw = next(m for m in flight if m[0] == HandshakeType.server_key_exchange)
    body = raw[4:]
    if body[0] == 3:  # named_curve: ECDHE
        return bodies.EcdheServerKeyExchange.decode(body).signed
    return bodies.DheServerKeyExchange.decode(body).signed


def _leaf(key: ec.EllipticCurvePrivateKey, *, client: bool = False) -> CertifiedKey:
    """A leaf for ``key`` issued by the test CA (pki.py makes P-256 and P-384 keys only)."""
    ca = pki().ca
    now = dt.datetime.now(dt.UTC)
    eku = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "p521.localhost")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return CertifiedKey((cert,), key)


# -- 1. the compatible policy -------------------------------------------------------------------


@pytest.mark.parametrize("suite_id", [0x0033, 0x0039, 0x0067, 0x006B])
def test_dhe_rsa_cbc_suites_are_in_the_compatible_policy(suite_id: int) -> None:
    suite = BY_ID[suite_id]
    assert suite in COMPATIBLE_SUITES and suite not in DEFAULT_SUITES
    client = ClientConnection(pki().client_config(cipher_suites=[suite]), "localhost")
    server = ServerConnection(pki().server_config(cipher_suites="compatible"))
    _complete(client, server)
    assert server.negotiated is not None and server.negotiated.cipher_suite is suite
    client.send(b"ping")
    drive(client, server)


def test_a_client_offering_only_dhe_cbc_is_refused_by_the_default_policy() -> None:
    hello = _hello_of(pki().client_config(cipher_suites="compatible"))
    hello = ClientHello(hello.random, (0x0033, 0x0039), b"", hello.extensions)
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.HandshakeFailure, match="cipher_suites='compatible'"):
        _server_flight(server, hello)


@pytest.mark.parametrize("suite_id", [0xC02F, 0xC02B, 0x009E, 0xC013])
def test_no_signature_algorithms_gets_sha1_under_the_compatible_policy(suite_id: int) -> None:
    """RFC 5246 §7.4.1.4.1: such a client supports {sha1,rsa} / {sha1,ecdsa} only."""
    base = _hello_of(pki().client_config(cipher_suites="compatible"))
    hello = ClientHello(
        base.random,
        (suite_id,),
        b"",
        ext.Extensions(tuple(_without(base, ext.SignatureAlgorithms))),
    )
    server = ServerConnection(pki().server_config(cipher_suites="compatible"))
    flight = _server_flight(server, hello)
    signed = _ske(flight)
    want = S.ecdsa_sha1 if BY_ID[suite_id].auth.value == "ECDSA" else S.rsa_pkcs1_sha1
    assert signed.scheme == want
    # and the signature verifies with the server certificate's key over the randoms + params
    sh = decode_handshake(HandshakeType.server_hello, flight[0][4:])
    assert isinstance(sh, ServerHello)
    ske_body = next(m for m in flight if m[0] == HandshakeType.server_key_exchange)[4:]
    params = ske_body[: len(ske_body) - 4 - len(signed.signature)]
    cert = pki().ecdsa if want == S.ecdsa_sha1 else pki().rsa
    signatures.verify(
        cert.cert.public_key(),  # type: ignore[arg-type]
        want,
        signed.signature,
        hello.random + sh.random + params,
    )


def test_no_signature_algorithms_is_refused_by_default_with_the_real_reason() -> None:
    base = _hello_of(pki().client_config())
    hello = _with_extensions(base, _without(base, ext.SignatureAlgorithms))
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.HandshakeFailure) as info:
        _server_flight(server, hello)
    message = str(info.value)
    assert "no signature_algorithms" in message and "sha1" in message
    assert "cipher_suites='compatible'" in message
    assert queued_alert(server) == AlertDescription.handshake_failure


def test_a_client_offering_only_sha1_schemes_is_refused_by_default_and_says_why() -> None:
    client = ClientConnection(
        pki().client_config(signature_schemes=[S.rsa_pkcs1_sha1, S.ecdsa_sha1]), "localhost"
    )
    server = ServerConnection(pki().server_config())
    client.start()
    with pytest.raises(errors.HandshakeFailure, match="no signature scheme we accept.*compatible"):
        server.receive_data(client.data_to_send())


def test_a_client_offering_only_sha1_schemes_gets_them_under_compatible() -> None:
    client = ClientConnection(
        pki().client_config(cipher_suites="compatible", signature_schemes=[S.rsa_pkcs1_sha1]),
        "localhost",
    )
    server = ServerConnection(pki().server_config(cipher_suites="compatible"))
    _complete(client, server)
    assert server.negotiated is not None
    assert server.negotiated.signature_scheme == S.rsa_pkcs1_sha1


def test_compatible_policy_widens_the_signature_schemes_and_default_does_not() -> None:
    assert pki().server_config(cipher_suites="compatible").signature_schemes == (
        COMPATIBLE_SIGNATURE_SCHEMES
    )
    default = pki().server_config().signature_schemes
    assert S.rsa_pkcs1_sha1 not in default and S.ecdsa_sha1 not in default
    # an explicit list wins over the policy
    explicit = pki().server_config(cipher_suites="compatible", signature_schemes=["RSA+SHA256"])
    assert explicit.signature_schemes == (S.rsa_pkcs1_sha256,)


@pytest.mark.parametrize("client_scheme", [S.rsa_pkcs1_sha1, S.ecdsa_sha1])
def test_sha1_certificate_verify_accepted_when_our_request_listed_it(client_scheme: S) -> None:
    """The compatible server's CertificateRequest lists SHA-1; a client that can sign only with
    SHA-1 is accepted (and the server signs its own ServerKeyExchange with SHA-1 for it)."""
    p = pki()
    identity = p.client_rsa if client_scheme == S.rsa_pkcs1_sha1 else p.client_ecdsa
    client = ClientConnection(
        p.client_config(
            cipher_suites="compatible",
            signature_schemes=[client_scheme, S.rsa_pkcs1_sha1],
            client_certificates=[p.certified(identity)],
        ),
        "localhost",
    )
    server = ServerConnection(
        p.server_config(
            cipher_suites="compatible",
            client_auth=ClientAuth.REQUIRED,
            client_trust=p.trust,
        )
    )
    _complete(client, server)
    entries = [e for e in server.trace.entries if e.name == "CertificateVerify"]
    assert entries and entries[0].details["signature"] == client_scheme.name


def test_sha1_certificate_verify_refused_when_our_request_did_not_list_it() -> None:
    p = pki()
    client = ClientConnection(
        p.client_config(
            signature_schemes=[S.rsa_pkcs1_sha1, S.rsa_pss_rsae_sha256, S.ecdsa_secp256r1_sha256],
            client_certificates=[p.certified(p.client_rsa)],
        ),
        "localhost",
    )
    server = ServerConnection(
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    )
    client.start()
    drive(client, server)
    # our client finds no SHA-1 in the request, so it signs with a scheme the server listed
    assert server.handshake_complete
    entries = [e for e in server.trace.entries if e.name == "CertificateVerify"]
    assert entries[0].details["signature"] != "rsa_pkcs1_sha1"


# -- ECDSA hashes on any curve, P-521 ----------------------------------------------------------


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
@pytest.mark.parametrize(
    "scheme", [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512]
)
def test_ecdsa_server_signs_any_hash_on_any_curve(curve: ec.EllipticCurve, scheme: S) -> None:
    """RFC 8422 §5.1.3: in TLS 1.2, 0x0403/0x0503/0x0603 are SHA-256/384/512 with ECDSA."""
    certified = _leaf(ec.generate_private_key(curve))
    client = ClientConnection(
        pki().client_config(
            signature_schemes=[scheme], groups=["x25519", "P-256", "P-384", "P-521"]
        ),
        "localhost",
    )
    server = ServerConnection(pki().server_config(certificates=[certified]))
    _complete(client, server)
    assert server.negotiated is not None and server.negotiated.signature_scheme == scheme


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
@pytest.mark.parametrize("scheme", [S.ecdsa_sha224, S.ecdsa_sha1])
def test_ecdsa_sha1_and_sha224_under_the_compatible_policy(
    curve: ec.EllipticCurve, scheme: S
) -> None:
    certified = _leaf(ec.generate_private_key(curve))
    client = ClientConnection(
        pki().client_config(cipher_suites="compatible", signature_schemes=[scheme]), "localhost"
    )
    server = ServerConnection(
        pki().server_config(cipher_suites="compatible", certificates=[certified])
    )
    _complete(client, server)
    assert server.negotiated is not None and server.negotiated.signature_scheme == scheme


def test_p521_server_certificate_with_default_configs() -> None:
    certified = _leaf(ec.generate_private_key(ec.SECP521R1()))
    client = ClientConnection(pki().client_config(), "localhost")
    server = ServerConnection(pki().server_config(certificates=[certified]))
    _complete(client, server)
    assert server.negotiated is not None
    assert server.negotiated.signature_scheme == S.ecdsa_secp521r1_sha512


def test_p521_client_certificate() -> None:
    p = pki()
    certified = _leaf(ec.generate_private_key(ec.SECP521R1()), client=True)
    client = ClientConnection(p.client_config(client_certificates=[certified]), "localhost")
    server = ServerConnection(
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    )
    _complete(client, server)
    assert server.negotiated is not None
    assert server.negotiated.peer_certificates[0] == certified.chain[0]


def test_no_supported_groups_gets_secp256r1() -> None:
    """RFC 8422 §4 leaves it to us; such a client predates X25519 and has P-256."""
    base = _hello_of(pki().client_config())
    hello = _with_extensions(base, _without(base, ext.SupportedGroups))
    server = ServerConnection(pki().server_config())
    flight = _server_flight(server, hello)
    raw = next(m for m in flight if m[0] == HandshakeType.server_key_exchange)
    assert bodies.EcdheServerKeyExchange.decode(raw[4:]).group == NamedGroup.secp256r1


def test_groups_and_schemes_accept_openssl_names() -> None:
    config = pki().client_config(
        groups=["X25519", "P-256", "prime256v1", "secp384r1"],
        signature_schemes=["ECDSA+SHA256", "RSA-PSS+SHA256", "rsa_pkcs1_sha384", "RSA+SHA1"],
    )
    assert config.groups == (
        NamedGroup.x25519,
        NamedGroup.secp256r1,
        NamedGroup.secp256r1,
        NamedGroup.secp384r1,
    )
    assert config.signature_schemes == (
        S.ecdsa_secp256r1_sha256,
        S.rsa_pss_rsae_sha256,
        S.rsa_pkcs1_sha384,
        S.rsa_pkcs1_sha1,
    )
    with pytest.raises(errors.ConfigError, match="unknown group"):
        pki().client_config(groups=["P-999"])
    with pytest.raises(errors.ConfigError, match="unknown signature scheme"):
        pki().client_config(signature_schemes=["DSA+SHA256"])


# -- 2. every legal hello, and nothing past the limits -------------------------------------------


def _maximal_hello(base: ClientHello) -> ClientHello:
    """A ClientHello of exactly 131,396 bytes: 32,767 suites, 255 compression methods, a
    32-byte session ID and a full 65,535-byte extensions block."""
    ours = list(base.cipher_suites)
    filler = [s for s in range(0x1000, 0x10000) if s not in set(ours)]
    suites = tuple(filler[: 32767 - len(ours)] + ours)
    items = list(base.extensions)
    used = sum(4 + _body_len(e) for e in items)
    # fill with unknown extensions of 1000 bytes, then one to make the block 65,535 bytes
    n = 0x7000
    while 65535 - used > 4 + 1000 + 4:
        items.append(ext.UnknownExtension(n, bytes(1000)))
        used += 1004
        n += 1
    items.append(ext.UnknownExtension(n, bytes(65535 - used - 4)))
    compression = (0, *range(1, 255))
    hello = ClientHello(
        base.random, suites, os.urandom(32), ext.Extensions(tuple(items)), 0x0303, compression
    )
    assert len(hello.encode()) == 4 + 131396
    return hello


def _body_len(e: ext.Extension) -> int:
    from tls12.wire.writer import Writer

    w = Writer()
    e.encode_body(w)
    return len(w.getvalue())


def test_a_maximal_client_hello_is_accepted() -> None:
    hello = _maximal_hello(_hello_of(pki().client_config()))
    server = ServerConnection(pki().server_config())
    flight = _server_flight(server, hello)
    assert flight[0][0] == HandshakeType.server_hello
    assert flight[-1][0] == HandshakeType.server_hello_done


def test_thousands_of_extensions_are_accepted() -> None:
    base = _hello_of(pki().client_config())
    items = list(base.extensions) + [ext.UnknownExtension(0x8000 + i, b"") for i in range(16000)]
    server = ServerConnection(pki().server_config())
    flight = _server_flight(server, _with_extensions(base, items))
    assert flight[0][0] == HandshakeType.server_hello


def test_a_full_signature_algorithms_extension_is_accepted() -> None:
    """As many schemes as fit in the extensions block beside the others (32,766 would fill
    extension_data<0..2^16-1> alone), our one accepted scheme last."""
    base = _hello_of(pki().client_config())
    others = _without(base, ext.SignatureAlgorithms)
    room = 65535 - sum(4 + _body_len(e) for e in others) - 4 - 2
    schemes = tuple(range(0x0900, 0x0900 + room // 2 - 1)) + (S.ecdsa_secp256r1_sha256,)
    assert len(schemes) > 32700
    items = [*others, ext.SignatureAlgorithms(schemes)]
    server = ServerConnection(pki().server_config())
    flight = _server_flight(server, _with_extensions(base, items))
    assert _ske(flight).scheme == S.ecdsa_secp256r1_sha256


def test_a_full_supported_groups_extension_is_accepted() -> None:
    base = _hello_of(pki().client_config())
    others = _without(base, ext.SupportedGroups)
    room = 65535 - sum(4 + _body_len(e) for e in others) - 4 - 2
    groups = (*range(0x1000, 0x1000 + room // 2 - 1), NamedGroup.secp256r1)
    server = ServerConnection(pki().server_config())
    flight = _server_flight(server, _with_extensions(base, [*others, ext.SupportedGroups(groups)]))
    raw = next(m for m in flight if m[0] == HandshakeType.server_key_exchange)
    assert bodies.EcdheServerKeyExchange.decode(raw[4:]).group == NamedGroup.secp256r1


def test_a_hello_past_the_wire_maximum_is_refused_before_it_is_buffered() -> None:
    server = ServerConnection(pki().server_config())
    header = bytes([HandshakeType.client_hello]) + (131397).to_bytes(3, "big")
    with pytest.raises(errors.DecodeError, match="131397"):
        server.receive_data(record(HS, header + bytes(100)))
    assert queued_alert(server) == AlertDescription.decode_error


def test_a_smaller_configured_limit_still_holds() -> None:
    base = _hello_of(pki().client_config())
    items = list(base.extensions) + [ext.UnknownExtension(0x8000 + i, b"") for i in range(100)]
    server = ServerConnection(pki().server_config(max_extensions=50))
    with pytest.raises(errors.DecodeError, match="max_extensions"):
        _server_flight(server, _with_extensions(base, items))


# -- 3. the exact alert -------------------------------------------------------------------------


def test_a_client_hello_body_with_the_server_hello_done_type_is_unexpected_message() -> None:
    hello = _hello_of(pki().client_config()).encode()
    bent = bytes([HandshakeType.server_hello_done]) + hello[1:]
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.UnexpectedMessage, match="ServerHelloDone is not expected"):
        server.receive_data(record(HS, bent))
    assert queued_alert(server) == AlertDescription.unexpected_message


def test_an_unexpected_type_is_refused_from_its_header_alone() -> None:
    """Only the 4-byte header has arrived: the type already decides."""
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.UnexpectedMessage, match="Finished"):
        server.receive_data(record(HS, b"\x14\x00\x40\x00"))


def test_an_unknown_type_is_unexpected_message() -> None:
    s = stage("after_client_hello")
    with pytest.raises(errors.UnexpectedMessage, match="handshake message type 99"):
        s.client.receive_data(record(HS, b"\x63\x00\x00\x00"))


def _replace_message(wire: bytes, msg_type: int, new: bytes) -> bytes:
    """Rewrites one plaintext handshake message in a flight (records kept in order)."""
    out = b""
    for ctype, payload in split_records(wire):
        if ctype == HS and payload[:1] and not _encrypted(payload):
            msgs = split_handshake(payload)
            payload = b"".join(new if m[0] == msg_type else m for m in msgs)
        out += record(ctype, payload)
    return out


def _encrypted(payload: bytes) -> bool:
    try:
        return sum(len(m) for m in split_handshake(payload)) != len(payload)
    except Exception:
        return True


def test_empty_server_key_exchange_signature_is_decrypt_error() -> None:
    s = stage("after_client_hello")
    raw = next(
        m
        for ctype, payload in split_records(s.to_client)
        for m in split_handshake(payload)
        if m[0] == HandshakeType.server_key_exchange
    )
    body = raw[4:]
    ske = bodies.EcdheServerKeyExchange.decode(body)
    params = body[: len(body) - 4 - len(ske.signed.signature)]
    empty = ServerKeyExchange(params + ske.signed.scheme.to_bytes(2, "big") + b"\x00\x00")
    wire = _replace_message(s.to_client, HandshakeType.server_key_exchange, empty.encode())
    with pytest.raises(errors.DecryptError, match="empty"):
        s.client.receive_data(wire)
    assert queued_alert(s.client) == AlertDescription.decrypt_error


def test_empty_certificate_verify_signature_is_decrypt_error() -> None:
    p = pki()
    s = stage(
        "after_server_flight",
        p.client_config(client_certificates=[p.certified(p.client_ecdsa)]),
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust),
    )
    empty = bytes([HandshakeType.certificate_verify]) + b"\x00\x00\x04" + b"\x04\x03\x00\x00"
    wire = _replace_message(s.to_server, HandshakeType.certificate_verify, empty)
    with pytest.raises(errors.DecryptError, match="empty"):
        s.server.receive_data(wire)
    assert queued_alert(s.server) == AlertDescription.decrypt_error


def _hello_with_sni_body(body: bytes) -> bytes:
    base = _hello_of(pki().client_config())
    items = _without(base, ext.ServerName) + [ext.UnknownExtension(0, body)]
    return _records(_with_extensions(base, items).encode())


def test_empty_server_name_in_a_client_hello_is_decode_error() -> None:
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.DecodeError, match="server_name"):
        server.receive_data(_hello_with_sni_body(b""))
    assert queued_alert(server) == AlertDescription.decode_error


@pytest.mark.parametrize(
    "host",
    [b"bad\x00name", b"\x1b[31mred", b"tab\there", "bücher".encode(), b"a..b", b"sp ace"],
    ids=["nul", "escape", "control", "non-ascii", "empty-label", "space"],
)
def test_invalid_host_name_is_illegal_parameter(host: bytes) -> None:
    entry = b"\x00" + len(host).to_bytes(2, "big") + host
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.IllegalParameter, match="host_name"):
        server.receive_data(_hello_with_sni_body(len(entry).to_bytes(2, "big") + entry))
    assert queued_alert(server) == AlertDescription.illegal_parameter


def test_two_host_names_are_illegal_parameter() -> None:
    entries = b"\x00\x00\x01a" + b"\x00\x00\x01b"
    server = ServerConnection(pki().server_config())
    with pytest.raises(errors.IllegalParameter, match="two names"):
        server.receive_data(_hello_with_sni_body(len(entries).to_bytes(2, "big") + entries))
    assert queued_alert(server) == AlertDescription.illegal_parameter


def _server_hello_extensions(server: ServerConnection, client: ClientConnection) -> list[int]:
    """The ServerHello's extension types; the server's flight is delivered to the client."""
    client.start()
    server.receive_data(client.data_to_send())
    wire = server.data_to_send()
    (_, payload), *_ = split_records(wire)
    sh = decode_handshake(HandshakeType.server_hello, split_handshake(payload)[0][4:])
    assert isinstance(sh, ServerHello)
    client.receive_data(wire)
    return list(sh.extensions.types)


def test_server_name_acknowledged_only_when_it_chose_our_certificate() -> None:
    p = pki()
    plain = ServerConnection(p.server_config())
    assert 0 not in _server_hello_extensions(
        plain, ClientConnection(p.client_config(), "localhost")
    )
    named = ServerConnection(
        p.server_config(certificates=(), sni_certificates={"localhost": [p.certified(p.ecdsa)]})
    )
    assert 0 in _server_hello_extensions(named, ClientConnection(p.client_config(), "localhost"))
    fallback = ServerConnection(
        p.server_config(sni_certificates={"other.example": [p.certified(p.ecdsa)]})
    )
    client = ClientConnection(p.client_config(), "localhost")
    assert 0 not in _server_hello_extensions(fallback, client)


def test_server_name_not_acknowledged_on_resumption() -> None:
    p = pki()
    config = p.server_config(
        certificates=(), sni_certificates={"localhost": [p.certified(p.ecdsa)]}
    )
    client = ClientConnection(p.client_config(session_tickets=False), "localhost")
    server = ServerConnection(config)
    _complete(client, server)
    session = client.session
    again = ClientConnection(p.client_config(session_tickets=False), "localhost", session)
    second = ServerConnection(config)
    assert 0 not in _server_hello_extensions(second, again)
    drive(again, second)
    assert second.negotiated is not None and second.negotiated.resumed


@pytest.mark.parametrize("level", [0, 3, 255])
def test_close_notify_with_any_level_closes_cleanly(level: int) -> None:
    s = stage("connected")
    s.client.receive_data(s.to_client)
    wire = _sealed_alert(s, bytes([level, 0]))
    events = s.client.receive_data(wire)
    assert any(isinstance(e, ConnectionClosed) for e in events)
    assert s.client.error is None


@pytest.mark.parametrize("level", [0, 3, 255])
def test_other_alerts_with_an_unknown_level_are_fatal(level: int) -> None:
    s = stage("connected")
    s.client.receive_data(s.to_client)
    wire = _sealed_alert(s, bytes([level, AlertDescription.handshake_failure]))
    with pytest.raises(errors.FatalAlertReceived, match="handshake_failure"):
        s.client.receive_data(wire)


def test_unknown_level_before_the_handshake_is_fatal_too() -> None:
    s = stage("after_client_hello")
    with pytest.raises(errors.FatalAlertReceived, match="unexpected_message"):
        s.client.receive_data(record(ContentType.alert, b"\x03\x0a"))


def _sealed_alert(s: object, body: bytes) -> bytes:
    """An alert record sealed with the server's real keys (what a peer would send)."""
    server = s.server  # type: ignore[attr-defined]
    out = bytearray()
    server._records.write_into(out, ContentType.alert, body)
    return bytes(out)


def test_a_certificate_request_with_32767_schemes_is_accepted() -> None:
    """supported_signature_algorithms<2..2^16-2> in a CertificateRequest holds 32,767 entries
    (no extension wraps it there): the client answers with its certificate."""
    p = pki()
    s = stage(
        "after_client_hello",
        p.client_config(client_certificates=[p.certified(p.client_ecdsa)]),
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust),
    )
    schemes = (*range(0x0900, 0x0900 + 32766), S.ecdsa_secp256r1_sha256)
    request = CertificateRequest((64,), schemes, ()).encode()
    assert len(request) == 4 + 1 + 1 + 2 + 65534 + 2
    messages = [m for _, payload in split_records(s.to_client) for m in split_handshake(payload)]
    bent = b"".join(request if m[0] == HandshakeType.certificate_request else m for m in messages)
    s.client.receive_data(_records(bent))
    answer = [
        m[0]
        for _, payload in split_records(s.client.data_to_send())[:1]
        for m in split_handshake(payload)
    ]
    assert answer[:3] == [
        HandshakeType.certificate,
        HandshakeType.client_key_exchange,
        HandshakeType.certificate_verify,
    ]
