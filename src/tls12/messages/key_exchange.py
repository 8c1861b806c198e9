"""The suite-dependent bodies of ServerKeyExchange and ClientKeyExchange.

Decoded by the handshake state that knows the negotiated suite (design rule 1). The signed
part of ServerKeyExchange is kept as the exact bytes received, because the signature covers
``client_random + server_random + params`` as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tls12.errors import DecodeError, InternalError
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
        scheme = SignatureScheme.of(r.u16())
        # opaque signature<0..2^16-1> (RFC 5246 §4.7): an empty one is well-formed, and fails
        # verification (decrypt_error), not decoding.
        return cls(scheme, r.opaque16(0, field="signature"))


@dataclass(frozen=True)
class EcdheServerKeyExchange:
    """ServerECDHParams (named curve only, RFC 8422 §5.4) followed by the signature."""

    group: int
    public: bytes
    signed: DigitallySigned
    received_params: bytes = field(default=b"", repr=False, compare=False)
    """The params exactly as they arrived (decode), which the signature covers."""

    @staticmethod
    def encode_params(group: int, public: bytes) -> bytes:
        w = Writer()
        w.u8(ECCurveType.named_curve)
        w.u16(group)
        w.opaque8(public)
        return w.getvalue()

    def params(self) -> bytes:
        return self.received_params or self.encode_params(self.group, self.public)

    def encode(self) -> bytes:
        w = Writer()
        w.raw(self.params())
        self.signed.encode(w)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes) -> EcdheServerKeyExchange:
        r = Reader(body, "ServerKeyExchange")
        curve_type = r.u8()
        if curve_type != ECCurveType.named_curve:
            raise DecodeError(f"ServerKeyExchange curve type {curve_type} is not named_curve")
        group = NamedGroup.of(r.u16())
        public = r.opaque8(1, field="ECPoint")
        params = body[: len(body) - r.remaining]
        signed = DigitallySigned.decode(r)
        r.expect_end()
        return cls(group, public, signed, bytes(params))


def encode_ecdh_client_public(public: bytes) -> bytes:
    """ClientECDiffieHellmanPublic: the point behind a one-byte length (no Writer for one
    field: the same bytes and the same refusal of an overlong vector)."""
    n = len(public)
    if n >= 256:
        raise ValueError(f"vector of {n} bytes does not fit a 1-byte length")
    return bytes((n,)) + public


def decode_ecdh_client_public(body: bytes) -> bytes:
    r = Reader(body, "ClientKeyExchange")
    public = r.opaque8(1, field="ecdh_Yc")
    r.expect_end()
    return public


@dataclass(frozen=True)
class DheServerKeyExchange:
    """ServerDHParams (RFC 5246 §7.4.3) followed by the signature.

    The three numbers are kept as the bytes received (big-endian); the state that checks them
    turns them into integers (``int.from_bytes(p, "big")``).
    """

    p: bytes
    g: bytes
    public: bytes
    signed: DigitallySigned
    received_params: bytes = field(default=b"", repr=False, compare=False)
    """The params exactly as they arrived (decode), which the signature covers."""

    @staticmethod
    def encode_params(p: bytes, g: bytes, public: bytes) -> bytes:
        """dh_p<1..2^16-1>, dh_g<1..2^16-1>, dh_Ys<1..2^16-1>: the part the signature covers."""
        w = Writer()
        for name, value in (("dh_p", p), ("dh_g", g), ("dh_Ys", public)):
            _check_opaque16(name, value, 1)
            w.opaque16(value)
        return w.getvalue()

    def params(self) -> bytes:
        return self.received_params or self.encode_params(self.p, self.g, self.public)

    def encode(self) -> bytes:
        w = Writer()
        w.raw(self.params())
        self.signed.encode(w)
        return w.getvalue()

    @classmethod
    def decode(cls, body: bytes) -> DheServerKeyExchange:
        r = Reader(body, "ServerKeyExchange")
        p = r.opaque16(1, field="dh_p")
        g = r.opaque16(1, field="dh_g")
        public = r.opaque16(1, field="dh_Ys")
        params = body[: len(body) - r.remaining]
        signed = DigitallySigned.decode(r)
        r.expect_end()
        return cls(p, g, public, signed, bytes(params))


def _check_opaque16(name: str, value: bytes, floor: int) -> None:
    if not floor <= len(value) <= 0xFFFF:
        raise InternalError(f"{name} must be {floor}..65535 bytes, got {len(value)}")


def encode_dh_client_public(public: bytes) -> bytes:
    """ClientDiffieHellmanPublic, explicit form: dh_Yc<1..2^16-1> (RFC 5246 §7.4.7.2)."""
    _check_opaque16("dh_Yc", public, 1)
    w = Writer()
    w.opaque16(public)
    return w.getvalue()


def decode_dh_client_public(body: bytes) -> bytes:
    r = Reader(body, "ClientKeyExchange")
    public = r.opaque16(1, field="dh_Yc")
    r.expect_end()
    return public


def encode_rsa_premaster(encrypted: bytes) -> bytes:
    """EncryptedPreMasterSecret: in TLS 1.2 the ciphertext behind a two-byte length,
    opaque<0..2^16-1> (RFC 5246 §7.4.7.1)."""
    _check_opaque16("EncryptedPreMasterSecret", encrypted, 0)
    w = Writer()
    w.opaque16(encrypted)
    return w.getvalue()


def decode_rsa_premaster(body: bytes) -> bytes:
    """The ciphertext of an EncryptedPreMasterSecret.

    A framing error here (bad length prefix, trailing bytes) is a decode_error: it depends only
    on public bytes, not on the decryption, so it is no Bleichenbacher oracle. Everything about
    the ciphertext itself is left to ``rsa_decrypt_premaster``, which never fails.
    """
    r = Reader(body, "ClientKeyExchange")
    encrypted = r.opaque16(0, field="EncryptedPreMasterSecret")
    r.expect_end()
    return encrypted
