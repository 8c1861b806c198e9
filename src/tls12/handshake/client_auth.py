"""The client's answer to a CertificateRequest (RFC 5246 §7.4.6 and §7.4.8).

The client picks the first configured chain whose key type the server accepts and for which a
signature scheme is in common, preferring one issued by an authority the server named. When
none fits it sends an empty Certificate and lets the server decide (RFC 5246 §7.4.6).
"""

from __future__ import annotations

from collections.abc import Callable

from tls12.config import CertifiedKey, ClientConfig
from tls12.crypto import signatures
from tls12.crypto.suites import Auth
from tls12.errors import HandshakeFailure
from tls12.handshake.context import ClientContext
from tls12.messages.handshake import Certificate, CertificateRequest, CertificateVerify
from tls12.trace import Lazy
from tls12.verify import describe
from tls12.wire.enums import ClientCertificateType, SignatureScheme

_TYPE_FOR_AUTH = {
    Auth.RSA: ClientCertificateType.rsa_sign,
    Auth.ECDSA: ClientCertificateType.ecdsa_sign,
}


def _scheme_for(
    candidate: CertifiedKey, request: CertificateRequest, config: ClientConfig
) -> SignatureScheme | None:
    if _TYPE_FOR_AUTH[candidate.auth] not in request.certificate_types:
        return None
    try:
        return signatures.choose_scheme(
            candidate.key, request.signature_algorithms, config.signature_schemes
        )
    except HandshakeFailure:
        return None


def _issued_by_named_ca(candidate: CertifiedKey, names: tuple[bytes, ...]) -> bool:
    if not names:
        return True
    issuers = {c.issuer.public_bytes() for c in candidate.chain}
    issuers |= {c.subject.public_bytes() for c in candidate.chain[1:]}
    return bool(issuers & set(names))


def choose_client_certificate(
    config: ClientConfig, request: CertificateRequest
) -> tuple[CertifiedKey, SignatureScheme] | None:
    """The chain to send and the scheme to sign with, or None for an empty Certificate.

    ``config.client_certificate_chooser``, when set, decides from the request; a chain it
    returns must still fit the request (key type and a scheme in common), else none is sent.
    """
    candidates = config.client_certificates
    if config.client_certificate_chooser is not None:
        picked = config.client_certificate_chooser(request)
        if picked is None:
            return None
        scheme = _scheme_for(picked, request, config)
        return (picked, scheme) if scheme is not None else None
    usable = []
    for candidate in candidates:
        scheme = _scheme_for(candidate, request, config)
        if scheme is not None:
            usable.append((candidate, scheme))
    for candidate, scheme in usable:
        if _issued_by_named_ca(candidate, request.certificate_authorities):
            return candidate, scheme
    return usable[0] if usable else None


def send_client_certificate(
    ctx: ClientContext, request: CertificateRequest
) -> Callable[[], None] | None:
    """Sends the client Certificate; returns the step that sends CertificateVerify after the
    ClientKeyExchange, or None when the Certificate was empty."""
    choice = choose_client_certificate(ctx.config, request)
    if choice is None:
        ctx.send(Certificate(()), certificates=0)
        return None
    chosen, scheme = choice
    ctx.send(
        Certificate(chosen.chain_der),
        certificates=len(chosen.chain),
        subject=Lazy(_subject, chosen),
    )

    def send_verify() -> None:
        signature = signatures.sign(chosen.key, scheme, ctx.transcript.messages())
        ctx.send(CertificateVerify(scheme, signature), signature=scheme.name)

    return send_verify


def _subject(chosen: CertifiedKey) -> str:
    return describe(chosen.chain[0])
