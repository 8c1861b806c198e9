"""A ServerKeyExchange or CertificateVerify whose scheme does not fit the certificate's key
(RFC 8446 §4.2.3, which binds rsa_pss_pss_* to id-RSASSA-PSS keys and rsa_pss_rsae_* to
rsaEncryption keys, and RFC 8422 §5.1.3 for EdDSA) gets illegal_parameter; a signature that
does not verify gets decrypt_error (RFC 5246 §7.4.3, §7.4.8). An id-RSASSA-PSS key never serves
RSA key transport (RFC 4055 §1.2)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest
from engine_helpers import join_records, queued_alert, split_handshake, split_records
from pss_support import make_rsa_pss_identity
from tls_support import pki

from tls12 import errors
from tls12.config import CertifiedKey, ClientAuth
from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto.rsa_pss import PssPrivateKey
from tls12.wire.enums import AlertDescription, ContentType, HandshakeType
from tls12.wire.enums import SignatureScheme as S

HS = ContentType.handshake


@functools.cache
def _pss_files(directory: str) -> dict[str, CertifiedKey]:
    path = Path(directory)
    p = pki()
    return {
        "server": CertifiedKey.from_files(*make_rsa_pss_identity(p.ca, path, "pss")),
        "client": CertifiedKey.from_files(
            *make_rsa_pss_identity(p.ca, path, "client_pss", client=True)
        ),
    }


@pytest.fixture(scope="module")
def pss(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CertifiedKey]:
    return _pss_files(str(tmp_path_factory.mktemp("pss_schemes")))


def eddsa(key_type: str, *, client: bool = False) -> CertifiedKey:
    p = pki()
    names = ["client.example"] if client else ["localhost"]
    return p.certified(p.ca.issue(names, key_type=key_type, client_auth=client,
                                  server_auth=not client))  # fmt: skip


def rewrite(flight: bytes, kind: int, change: Callable[[bytes], bytes]) -> bytes:
    """The flight with the body of its (plaintext) handshake message ``kind`` changed."""
    out: list[tuple[int, bytes]] = []
    for ctype, body in split_records(flight):
        if ctype == HS and not any(t != HS for t, _ in out):
            messages = []
            for msg in split_handshake(body):
                if msg[0] == kind:
                    new = change(msg[4:])
                    msg = bytes([kind]) + len(new).to_bytes(3, "big") + new
                messages.append(msg)
            body = b"".join(messages)
        out.append((ctype, body))
    return join_records(out)


def _ske_scheme_offset(body: bytes) -> int:
    return 4 + body[3]  # ECDHE params: curve_type, named_curve, opaque point<1..2^8-1>


def ske_scheme(scheme: int) -> Callable[[bytes], bytes]:
    def change(body: bytes) -> bytes:
        at = _ske_scheme_offset(body)
        return body[:at] + scheme.to_bytes(2, "big") + body[at + 2 :]

    return change


def flip_last_signature_byte(body: bytes) -> bytes:
    return body[:-1] + bytes([body[-1] ^ 1])


def cv_scheme(scheme: int) -> Callable[[bytes], bytes]:
    return lambda body: scheme.to_bytes(2, "big") + body[2:]


def server_flight(certified: CertifiedKey) -> tuple[ClientConnection, bytes]:
    client = ClientConnection(pki().client_config(), "localhost")
    server = ServerConnection(pki().server_config(certificates=[certified]))
    client.start()
    server.receive_data(client.data_to_send())
    return client, server.data_to_send()


SKE_CASES = [
    ("ed25519", S.ecdsa_secp256r1_sha256),
    ("ed25519", S.ed448),
    ("ed448", S.ed25519),
    ("rsa_pss", S.rsa_pss_rsae_sha256),  # the same PSS signature, but for an rsaEncryption key
    ("rsa_pss", S.rsa_pkcs1_sha256),
    ("rsa", S.rsa_pss_pss_sha256),  # an rsaEncryption key claiming an id-RSASSA-PSS scheme
]


def _server_identity(kind: str, pss: dict[str, CertifiedKey]) -> CertifiedKey:
    if kind == "rsa_pss":
        return pss["server"]
    if kind == "rsa":
        return pki().certified(pki().rsa)
    return eddsa(kind)


@pytest.mark.parametrize(
    ("kind", "claimed"), SKE_CASES, ids=[f"{k}-{s.name}" for k, s in SKE_CASES]
)
def test_server_key_exchange_scheme_that_does_not_fit_the_key(kind, claimed, pss):
    client, flight = server_flight(_server_identity(kind, pss))
    tampered = rewrite(flight, HandshakeType.server_key_exchange, ske_scheme(claimed))
    with pytest.raises(errors.IllegalParameter, match="does not fit"):
        client.receive_data(tampered)
    assert queued_alert(client) == AlertDescription.illegal_parameter


@pytest.mark.parametrize("kind", ["ed25519", "ed448", "rsa_pss"])
def test_server_key_exchange_signature_that_does_not_verify(kind, pss):
    client, flight = server_flight(_server_identity(kind, pss))
    tampered = rewrite(flight, HandshakeType.server_key_exchange, flip_last_signature_byte)
    with pytest.raises(errors.DecryptError, match="did not verify"):
        client.receive_data(tampered)
    assert queued_alert(client) == AlertDescription.decrypt_error


def client_flight(certified: CertifiedKey) -> tuple[ServerConnection, bytes]:
    p = pki()
    client = ClientConnection(p.client_config(client_certificates=[certified]), "localhost")
    server = ServerConnection(
        p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
    )
    client.start()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    return server, client.data_to_send()


CV_CASES = [
    ("ed25519", S.ecdsa_secp256r1_sha256),
    ("ed448", S.ed25519),
    ("rsa_pss", S.rsa_pss_rsae_sha256),
    ("rsa_pss", S.ed25519),
]


def _client_identity(kind: str, pss: dict[str, CertifiedKey]) -> CertifiedKey:
    return pss["client"] if kind == "rsa_pss" else eddsa(kind, client=True)


@pytest.mark.parametrize(("kind", "claimed"), CV_CASES, ids=[f"{k}-{s.name}" for k, s in CV_CASES])
def test_certificate_verify_scheme_that_does_not_fit_the_key(kind, claimed, pss):
    server, flight = client_flight(_client_identity(kind, pss))
    tampered = rewrite(flight, HandshakeType.certificate_verify, cv_scheme(claimed))
    with pytest.raises(errors.IllegalParameter, match="does not fit"):
        server.receive_data(tampered)
    assert queued_alert(server) == AlertDescription.illegal_parameter


@pytest.mark.parametrize("kind", ["ed25519", "ed448", "rsa_pss"])
def test_certificate_verify_signature_that_does_not_verify(kind, pss):
    server, flight = client_flight(_client_identity(kind, pss))
    tampered = rewrite(flight, HandshakeType.certificate_verify, flip_last_signature_byte)
    with pytest.raises(errors.DecryptError, match="did not verify"):
        server.receive_data(tampered)
    assert queued_alert(server) == AlertDescription.decrypt_error


def test_rsa_pss_certificate_never_serves_rsa_key_transport(pss):
    """The only RSA certificate is id-RSASSA-PSS: a client offering only RSA key transport
    finds no suite (handshake_failure), and the key refuses to decrypt."""
    p = pki()
    client = ClientConnection(
        p.client_config(cipher_suites=["TLS_RSA_WITH_AES_128_GCM_SHA256"]), "localhost"
    )
    server = ServerConnection(
        p.server_config(certificates=[pss["server"]], cipher_suites="compatible")
    )
    client.start()
    with pytest.raises(errors.HandshakeFailure):
        server.receive_data(client.data_to_send())
    assert queued_alert(server) == AlertDescription.handshake_failure
    key = pss["server"].key
    assert isinstance(key, PssPrivateKey)
    with pytest.raises(errors.UnsupportedCertificate, match="signs only"):
        key.decrypt(b"\x00" * 256, None)  # type: ignore[arg-type]
