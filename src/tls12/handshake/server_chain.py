"""What the client learns from the server's Certificate message (RFC 5246 §7.4.2): the chain,
validated for the server's name, and a public key of the kind the chosen suite needs."""

from __future__ import annotations

from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tls12.config import ClientConfig
from tls12.crypto import rsa_pss
from tls12.crypto.signatures import EDDSA_PUBLIC
from tls12.crypto.suites import Auth
from tls12.errors import DecodeError, UnsupportedCertificate
from tls12.handshake.client_hello import ServerHelloResult
from tls12.messages.handshake import Certificate
from tls12.verify import parse_chain, verify_server_path


class ServerIdentity(NamedTuple):
    """The server's chain and public key; built only after the chain was checked (or the
    caller explicitly turned checking off)."""

    certificates: tuple[x509.Certificate, ...]
    certificates_der: tuple[bytes, ...]
    """Each certificate's DER as it arrived (or the trust anchor's own): the session keeps
    these rather than encoding the certificates again."""
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey | EDDSA_PUBLIC
    verified: bool


def check_server_chain(
    config: ClientConfig, msg: Certificate, hello: ServerHelloResult
) -> ServerIdentity:
    """The server's chain checked against the trust store and the name (unless checking
    was turned off), and its key against what the suite needs (RFC 5246 §7.4.2)."""
    if not msg.certificate_list:
        raise DecodeError("server sent an empty certificate list")
    if config.insecure_skip_verify:
        certs = tuple(parse_chain(msg.certificate_list))
        ders = tuple(bytes(der) for der in msg.certificate_list)
        verified = False
    else:
        name = hello.server_name if config.check_hostname else None
        path, ders = verify_server_path(
            msg.certificate_list, name, config.trust_store, profile=config.verify_profile
        )
        certs = tuple(path)
        verified = True
    key = rsa_pss.certificate_public_key(certs[0])
    want = hello.suite.auth
    if want is Auth.RSA and not isinstance(key, rsa.RSAPublicKey):
        raise UnsupportedCertificate("the suite needs an RSA certificate; the server sent another")
    if want is Auth.ECDSA and not isinstance(key, ec.EllipticCurvePublicKey | EDDSA_PUBLIC):
        raise UnsupportedCertificate(
            "the suite needs an ECDSA or EdDSA certificate; the server sent another"
        )
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | EDDSA_PUBLIC):
        raise UnsupportedCertificate(
            "the server certificate's key is not RSA, ECDSA, Ed25519 or Ed448"
        )
    return ServerIdentity(certs, ders, key, verified)
