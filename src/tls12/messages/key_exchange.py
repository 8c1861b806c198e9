"""The suite-dependent bodies of ServerKeyExchange and ClientKeyExchange.

Decoded by the handshake state that knows the negotiated suite (design rule 1). The signed
part of ServerKeyExchange is kept as the exact bytes received, because the signature covers
``client_random + server_random + params`` as sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from tls12.errors import DecodeError
from tls12.wire.enums import ECCurveType, NamedGroup, SignatureScheme
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer


@dataclass(frozen=True)
class DigitallySigned:
    scheme: int
    signature: bytes

    def encode(self, w: Writer) -> None:
        w.u16(self.scheme)
        w.opaque16(self.signature)

    @classmethod
    def decode(cls, r: Reader) -> DigitallySigned:
        scheme = SignatureScheme(r.u16())
        return cls(scheme, r.opaque16(1, field="signature"))


@dataclass(frozen=True)
class EcdheServerKeyExchange:
    """ServerECDHParams (named curve only, RFC 8422 §5.4) followed by the signature."""

    group: int
    public: bytes
    signed: DigitallySigned

    @staticmethod
    def encode_params(group: int, public: bytes) -> bytes:
        w = Writer()
        w.u8(ECCurveType.named_curve)
        w.u16(group)
        w.opaque8(public)
        return w.getvalue()

    def params(self) -> bytes:
        return self.encode_params(self.group, self.public)

    def encode(self) -> bytes:
        w = Writer()
        w.bytes(self.params())
        self.signed.encode(w)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes) -> EcdheServerKeyExchange:
        r = Reader(body, "ServerKeyExchange")
        curve_type = r.u8()
        if curve_type != ECCurveType.named_curve:
            raise DecodeError(f"ServerKeyExchange curve type {curve_type} is not named_curve")
        group = NamedGroup(r.u16())
        public = r.opaque8(1, field="ECPoint")
        signed = DigitallySigned.decode(r)
        r.expect_end()
        return cls(group, public, signed)


def encode_ecdh_client_public(public: bytes) -> bytes:
    """ClientECDiffieHellmanPublic: the point behind a one-byte length."""
    w = Writer()
    w.opaque8(public)
    return w.getvalue()


def decode_ecdh_client_public(body: bytes) -> bytes:
    r = Reader(body, "ClientKeyExchange")
    public = r.opaque8(1, field="ecdh_Yc")
    r.expect_end()
    return public
