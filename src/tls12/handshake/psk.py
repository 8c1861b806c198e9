"""PSK key exchange (RFC 4279 §2) and ECDHE_PSK (RFC 5489 §2), both sides.

    PSK        ServerKeyExchange only when the server has an identity hint (the client takes
               both); ClientKeyExchange names the identity. The premaster is
               uint16 N, N zero bytes, uint16 N, psk (N = the key's length).
    ECDHE_PSK  ServerKeyExchange always: the hint (maybe empty) and an unsigned ECDHE share;
               ClientKeyExchange: the identity and the client's point. The premaster is
               uint16 len(Z), Z, uint16 len(psk), psk (Z: the ECDH shared secret).

Neither side sends a Certificate: the Finished messages prove both hold the key (a wrong
key fails there, as bad_record_mac or decrypt_error). An identity the server does not know
is unknown_psk_identity (RFC 4279 §2 allows decrypt_error instead, to hide which identities
exist; the identity travels in clear anyway, so we name the real failure, as OpenSSL does).

The states (client.py, server.py, server_hello.py) call these and hold no PSK logic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tls12.config import ClientConfig, ServerConfig
from tls12.crypto import kx
from tls12.crypto.suites import CipherSuite, KeyExchange
from tls12.errors import HandshakeFailure, IllegalParameter, InternalError, UnknownPskIdentity
from tls12.handshake.context import ServerContext
from tls12.messages.handshake import ServerKeyExchange
from tls12.messages.psk_key_exchange import (
    MAX_OPAQUE16,
    EcdhePskServerKeyExchange,
    PskClientKeyExchange,
    PskServerKeyExchange,
)
from tls12.wire.enums import AlertDescription, NamedGroup
from tls12.wire.writer import Writer


def premaster_secret(other_secret: bytes, psk: bytes) -> bytes:
    """RFC 4279 §2 (other_secret = N zero bytes) and RFC 5489 §2 (other_secret = Z)."""
    w = Writer()
    w.opaque16(other_secret)
    w.opaque16(psk)
    return w.getvalue()


def shown(identity: bytes) -> str:
    """An identity for messages and the trace: text when it is UTF-8, cut to 64 characters."""
    try:
        text = repr(identity.decode("utf-8"))
    except UnicodeDecodeError:
        text = identity.hex()
    return text if len(text) <= 64 else text[:61] + "..."


def checked_key(key: object, what: str) -> bytes:
    """A key a callback gave: bytes of 1 to 65535. An empty PSK would make the premaster a
    constant anyone can compute (four zero bytes for plain PSK), so, as OpenSSL does, it is
    refused rather than used."""
    if not isinstance(key, (bytes, bytearray)) or len(key) > MAX_OPAQUE16:
        raise InternalError(f"{what} must return a key of at most 65535 bytes")
    if not key:
        raise HandshakeFailure(f"{what} gave an empty PSK; refusing a key anyone can compute")
    return bytes(key)


def key_binding(key: bytes) -> bytes:
    """What a session keeps of its PSK: a digest that tells the same key again, so that a
    resumption needs the key the session was made with, not only its identity (a rotated key
    ends the old key's sessions). A digest, not the key: session stores need not hold PSKs."""
    return hashlib.sha256(b"tls12 PSK session binding\x00" + key).digest()[:16]


@dataclass(frozen=True)
class PskUse:
    """The PSK a full handshake used: the identity sent and the key's binding."""

    identity: bytes
    binding: bytes = field(repr=False)


def refusal_hint(
    suite: CipherSuite, description: AlertDescription, identity: bytes | None
) -> str | None:
    """Why a server may have refused our flight under a PSK suite: the identity or the key."""
    if not suite.uses_psk:
        return None
    if description == AlertDescription.unknown_psk_identity and identity:
        return f"the server does not know our PSK identity {shown(identity)}"
    if description in _FINISHED_REFUSALS:
        return "the server could not check our Finished: the pre-shared key probably differs"
    return None


_FINISHED_REFUSALS = (AlertDescription.bad_record_mac, AlertDescription.decrypt_error)


# -- server side ----------------------------------------------------------------------------


class PskServerAgreement:
    """The server's half: turns the ClientKeyExchange into the premaster, and remembers the
    identity it accepted (for Negotiated and the session)."""

    def __init__(self, config: ServerConfig, share: kx.EcdheKeyShare | None) -> None:
        self.config = config
        self.share = share
        self.use: PskUse | None = None

    def premaster(self, client_key_exchange: bytes) -> bytes:
        cke = PskClientKeyExchange.decode(client_key_exchange, with_point=self.share is not None)
        identity = cke.identity
        limit = self.config.max_psk_identity_length
        if not identity:
            raise UnknownPskIdentity("the client sent an empty PSK identity")
        if len(identity) > limit:
            raise UnknownPskIdentity(
                f"the client's PSK identity is {len(identity)} bytes, longer than "
                f"max_psk_identity_length ({limit})"
            )
        lookup = self.config.psk_lookup
        found = lookup(identity) if lookup is not None else None
        if not found:
            raise UnknownPskIdentity(f"unknown PSK identity {shown(identity)}")
        key = checked_key(found, "psk_lookup")
        if self.share is None:
            other = bytes(len(key))
        else:
            other = self.share.exchange(cke.public)
        self.use = PskUse(identity, key_binding(key))
        return premaster_secret(other, key)


def send_server_key_exchange(
    ctx: ServerContext, suite: CipherSuite, group: NamedGroup | None
) -> PskServerAgreement:
    """ECDHE_PSK: always (hint, then the share). PSK: only when a hint is configured."""
    config = ctx.config
    hint: bytes | None = config.psk_identity_hint
    share = None
    if suite.kx is KeyExchange.ECDHE_PSK:
        if group is None:
            raise InternalError(f"{suite.name} needs a group")
        share = kx.EcdheKeyShare(group)
        body = EcdhePskServerKeyExchange(hint or b"", group, share.public).encode()
        ctx.send(ServerKeyExchange(body), group=group.name, hint=shown(hint) if hint else None)
    elif hint:
        ctx.send(ServerKeyExchange(PskServerKeyExchange(hint).encode()), hint=shown(hint))
    return PskServerAgreement(config, share)


# -- client side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PskServerParams:
    """What the server's ServerKeyExchange (or its absence) told the client."""

    hint: bytes | None
    group: NamedGroup | None = None
    public: bytes = b""


def read_server_key_exchange(
    suite: CipherSuite, body: bytes, offered_groups: tuple[int, ...]
) -> PskServerParams:
    if suite.kx is not KeyExchange.ECDHE_PSK:
        return PskServerParams(PskServerKeyExchange.decode(body).hint or None)
    ske = EcdhePskServerKeyExchange.decode(body)
    if ske.group not in offered_groups:
        raise IllegalParameter(f"server chose group {NamedGroup(ske.group).name}, not offered")
    if ske.group not in kx.ECDHE_GROUPS:
        raise IllegalParameter(f"server chose {NamedGroup(ske.group).name}, not an ECDHE group")
    return PskServerParams(ske.hint or None, NamedGroup(ske.group), ske.public)


def client_key_exchange(
    config: ClientConfig, suite: CipherSuite, params: PskServerParams
) -> tuple[bytes, bytes, PskUse]:
    """(ClientKeyExchange body, premaster secret, the identity we sent)."""
    identity, key = config.psk_identity, config.psk
    if identity is None:
        if config.psk_callback is None:  # psk_config refuses PSK suites without a PSK
            raise InternalError("a PSK suite was offered with no PSK configured")
        answer = config.psk_callback(params.hint)
        if answer is None:
            hint = shown(params.hint) if params.hint else "none"
            raise HandshakeFailure(f"psk_callback gave no PSK for the server's hint ({hint})")
        identity, key = answer
        if not isinstance(identity, bytes) or not 1 <= len(identity) <= MAX_OPAQUE16:
            raise InternalError("psk_callback must return an identity of 1 to 65535 bytes")
        key = checked_key(key, "psk_callback")
    if key is None:  # psk_config.prepare_client sets both or neither
        raise InternalError("psk_identity is set without psk")
    if suite.kx is KeyExchange.ECDHE_PSK:
        if params.group is None:
            raise InternalError(f"{suite.name} needs the server's share")
        share = kx.EcdheKeyShare(params.group)
        other = share.exchange(params.public)
        body = PskClientKeyExchange(identity, share.public).encode()
    else:
        other = bytes(len(key))
        body = PskClientKeyExchange(identity).encode()
    return body, premaster_secret(other, key), PskUse(identity, key_binding(key))
