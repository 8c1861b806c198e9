"""Key exchange strategies: how each suite family turns hellos into a premaster secret.

    ECDHE  ServerKeyExchange carries a signed curve point; the client answers with its point.
    DHE    ServerKeyExchange carries signed (p, g, Ys); the client answers with Yc.
    RSA    no ServerKeyExchange; the client encrypts a premaster to the certificate's key and
           the server decrypts it without revealing whether that worked (RFC 5246 §7.4.7.1).

The states call these and stay the same for every family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tls12.crypto import kx, rsa_pss, signatures
from tls12.crypto.signatures import EDDSA_KEYS, PrivateKey, PublicKey
from tls12.crypto.suites import CipherSuite, KeyExchange
from tls12.errors import IllegalParameter, InternalError, UnsupportedCertificate
from tls12.handshake.context import ServerContext
from tls12.messages import key_exchange as bodies
from tls12.messages.handshake import ServerKeyExchange
from tls12.wire.enums import NamedGroup, SignatureScheme

# -- server side ----------------------------------------------------------------------------


class ServerKeyAgreement(Protocol):
    def premaster(self, client_key_exchange: bytes) -> bytes:
        """The premaster secret from the ClientKeyExchange body."""
        ...


class _EcdheServer:
    def __init__(self, share: kx.EcdheKeyShare) -> None:
        self.share = share

    def premaster(self, client_key_exchange: bytes) -> bytes:
        return self.share.exchange(bodies.decode_ecdh_client_public(client_key_exchange))


class _DheServer:
    def __init__(self, share: kx.DheKeyShare) -> None:
        self.share = share

    def premaster(self, client_key_exchange: bytes) -> bytes:
        return self.share.exchange(bodies.decode_dh_client_public(client_key_exchange))


class _RsaServer:
    def __init__(self, key: rsa.RSAPrivateKey, client_version: int) -> None:
        self.key = key
        self.client_version = client_version

    def premaster(self, client_key_exchange: bytes) -> bytes:
        encrypted = bodies.decode_rsa_premaster(client_key_exchange)
        return kx.rsa_decrypt_premaster(self.key, encrypted, self.client_version)


def send_server_key_exchange(
    ctx: ServerContext,
    suite: CipherSuite,
    group: NamedGroup | None,
    key: PrivateKey,
    scheme: SignatureScheme | None,
    client_random: bytes,
    server_random: bytes,
    client_version: int,
) -> ServerKeyAgreement:
    """Sends ServerKeyExchange where the suite has one, and returns how to finish."""
    if suite.kx is KeyExchange.RSA:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise InternalError("RSA key transport needs an RSA certificate key")
        return _RsaServer(key, client_version)
    if group is None or scheme is None:
        raise InternalError(f"{suite.name} needs a group and a signature scheme")

    def sign(params: bytes) -> bodies.DigitallySigned:
        signature = signatures.sign(key, scheme, client_random + server_random + params)
        return bodies.DigitallySigned(scheme, signature)

    if suite.kx is KeyExchange.ECDHE:
        share = kx.EcdheKeyShare(group)
        params = bodies.EcdheServerKeyExchange.encode_params(group, share.public)
        body = bodies.EcdheServerKeyExchange(group, share.public, sign(params)).encode()
        agreement: ServerKeyAgreement = _EcdheServer(share)
    else:
        dhe = kx.DheKeyShare.for_group(group)
        params = bodies.DheServerKeyExchange.encode_params(dhe.p_bytes, dhe.g_bytes, dhe.public)
        body = bodies.DheServerKeyExchange(
            dhe.p_bytes, dhe.g_bytes, dhe.public, sign(params)
        ).encode()
        agreement = _DheServer(dhe)
    ctx.send(ServerKeyExchange(body), group=group.name, signature=scheme.name)
    return agreement


# -- client side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedKeyExchange:
    """The server's key share, whose signature by the certificate key has been verified."""

    group: NamedGroup | None
    scheme: SignatureScheme
    ecdh_public: bytes = b""
    dh_p: int = 0
    dh_g: int = 0
    dh_public: bytes = b""


def read_server_key_exchange(
    suite: CipherSuite,
    body: bytes,
    *,
    offered_groups: Sequence[int],
    offered_schemes: Sequence[int],
    server_key: PublicKey,
    client_random: bytes,
    server_random: bytes,
) -> VerifiedKeyExchange:
    """Decodes ServerKeyExchange for the suite and verifies its signature."""
    if suite.kx is KeyExchange.ECDHE:
        ske: bodies.EcdheServerKeyExchange | bodies.DheServerKeyExchange
        ske = bodies.EcdheServerKeyExchange.decode(body)
        if ske.group not in offered_groups:
            raise IllegalParameter(f"server chose group {NamedGroup(ske.group).name}, not offered")
        result = VerifiedKeyExchange(
            NamedGroup(ske.group), SignatureScheme(ske.signed.scheme), ecdh_public=ske.public
        )
    elif suite.kx is KeyExchange.DHE:
        dh = bodies.DheServerKeyExchange.decode(body)
        p, g = int.from_bytes(dh.p, "big"), int.from_bytes(dh.g, "big")
        result = VerifiedKeyExchange(
            kx.known_ffdhe_group(p, g),
            SignatureScheme(dh.signed.scheme),
            dh_p=p,
            dh_g=g,
            dh_public=dh.public,
        )
        ske = dh
    else:
        raise InternalError(f"{suite.name} has no ServerKeyExchange")
    if result.scheme not in offered_schemes:
        raise IllegalParameter(f"server signed with {result.scheme.name}, which we did not offer")
    signed = client_random + server_random + ske.params()
    signatures.verify(server_key, result.scheme, ske.signed.signature, signed)
    return result


def client_key_exchange(
    suite: CipherSuite,
    server_kx: VerifiedKeyExchange | None,
    server_key: PublicKey,
    client_version: int,
) -> tuple[bytes, bytes]:
    """(ClientKeyExchange body, premaster secret) for the suite."""
    if suite.kx is KeyExchange.RSA:
        if not isinstance(server_key, rsa.RSAPublicKey):
            raise UnsupportedCertificate("RSA key transport needs an RSA server certificate")
        premaster, encrypted = kx.rsa_encrypt_premaster(server_key, client_version)
        return bodies.encode_rsa_premaster(encrypted), premaster
    if server_kx is None:
        raise InternalError(f"{suite.name} needs the server's key exchange")
    if suite.kx is KeyExchange.ECDHE:
        if server_kx.group is None:
            raise InternalError("ECDHE without a group")
        share = kx.EcdheKeyShare(server_kx.group)
        premaster = share.exchange(server_kx.ecdh_public)
        return bodies.encode_ecdh_client_public(share.public), premaster
    dhe = kx.DheKeyShare.for_params(server_kx.dh_p, server_kx.dh_g)
    premaster = dhe.exchange(server_kx.dh_public)
    return bodies.encode_dh_client_public(dhe.public), premaster


def certificate_fits(suite: CipherSuite, key: PrivateKey) -> bool:
    """Whether a certificate key can serve the suite (signing, or RSA decryption)."""
    if suite.kx is KeyExchange.RSA and rsa_pss.is_pss_key(key):
        return False  # an id-RSASSA-PSS key signs only (RFC 4055 §1.2)
    if suite.kx is KeyExchange.RSA or suite.auth.value == "RSA":
        return isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey))
    return isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey, *EDDSA_KEYS))
