"""The ServerKeyExchange and ClientKeyExchange bodies of the PSK suites.

    PSK        (RFC 4279 §2)  ServerKeyExchange: psk_identity_hint<0..2^16-1>, sent only
                              when the server has a hint
                              ClientKeyExchange: psk_identity<0..2^16-1>
    ECDHE_PSK  (RFC 5489 §2)  ServerKeyExchange: psk_identity_hint<0..2^16-1>, then
                              ServerECDHParams (named curve), with no signature
                              ClientKeyExchange: psk_identity<0..2^16-1>, then the ECPoint

Codecs only (design rule 1): the state that knows the suite picks one; what the identity
means is the server's lookup's business (handshake/psk.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from tls12.errors import DecodeError, InternalError
from tls12.wire.enums import ECCurveType, NamedGroup
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

MAX_OPAQUE16 = 0xFFFF


def _opaque16(w: Writer, name: str, value: bytes) -> None:
    if len(value) > MAX_OPAQUE16:
        raise InternalError(f"{name} must be at most 65535 bytes, got {len(value)}")
    w.opaque16(value)


@dataclass(frozen=True)
class PskServerKeyExchange:
    """A plain PSK suite's ServerKeyExchange: the identity hint alone."""

    hint: bytes

    def encode(self) -> bytes:
        w = Writer()
        _opaque16(w, "psk_identity_hint", self.hint)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes) -> PskServerKeyExchange:
        r = Reader(body, "ServerKeyExchange")
        hint = r.opaque16(0, field="psk_identity_hint")
        r.expect_end()
        return cls(hint)


@dataclass(frozen=True)
class EcdhePskServerKeyExchange:
    """ECDHE_PSK's ServerKeyExchange: the hint (empty when there is none), then the curve and
    the server's point. Not signed: the PSK authenticates the exchange through Finished."""

    hint: bytes
    group: int
    public: bytes

    def encode(self) -> bytes:
        w = Writer()
        _opaque16(w, "psk_identity_hint", self.hint)
        w.u8(ECCurveType.named_curve)
        w.u16(self.group)
        w.opaque8(self.public)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes) -> EcdhePskServerKeyExchange:
        r = Reader(body, "ServerKeyExchange")
        hint = r.opaque16(0, field="psk_identity_hint")
        curve_type = r.u8()
        if curve_type != ECCurveType.named_curve:
            raise DecodeError(f"ServerKeyExchange curve type {curve_type} is not named_curve")
        group = NamedGroup.of(r.u16())
        public = r.opaque8(1, field="ECPoint")
        r.expect_end()
        return cls(hint, group, public)


@dataclass(frozen=True)
class PskClientKeyExchange:
    """The client's identity and, for ECDHE_PSK, its point (empty for plain PSK)."""

    identity: bytes
    public: bytes = b""

    def encode(self) -> bytes:
        w = Writer()
        _opaque16(w, "psk_identity", self.identity)
        if self.public:
            w.opaque8(self.public)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes, *, with_point: bool) -> PskClientKeyExchange:
        """``with_point`` for ECDHE_PSK. The identity is read at the wire's bounds; the
        server's own limit (max_psk_identity_length) is a policy check made after."""
        r = Reader(body, "ClientKeyExchange")
        identity = r.opaque16(0, MAX_OPAQUE16, field="psk_identity")
        public = r.opaque8(1, field="ecdh_Yc") if with_point else b""
        r.expect_end()
        return cls(identity, public)
