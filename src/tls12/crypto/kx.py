"""Ephemeral key exchange: one small object per handshake that makes a key share and turns the
peer's share into the premaster secret.

Peer values are checked before use: an EC point must be an uncompressed point on the curve
(``cryptography`` validates it), and an X25519 result of all zeros (a low-order point) is refused,
as RFC 7748 §6.1 allows and RFC 8422 §5.11 asks.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519

from tls12.errors import IllegalParameter, InternalError
from tls12.wire.enums import NamedGroup

_CURVES: dict[int, type[ec.EllipticCurve]] = {
    NamedGroup.secp256r1: ec.SECP256R1,
    NamedGroup.secp384r1: ec.SECP384R1,
    NamedGroup.secp521r1: ec.SECP521R1,
}

ECDHE_GROUPS: frozenset[int] = frozenset({*_CURVES, NamedGroup.x25519, NamedGroup.x448})


class EcdheKeyShare:
    """Our ephemeral private key for one named group, and its public encoding."""

    __slots__ = ("group", "_private", "public")

    def __init__(self, group: int) -> None:
        self.group = NamedGroup(group)
        if group == NamedGroup.x25519:
            self._private = x25519.X25519PrivateKey.generate()
            self.public = self._private.public_key().public_bytes_raw()
        elif group == NamedGroup.x448:
            self._private = x448.X448PrivateKey.generate()
            self.public = self._private.public_key().public_bytes_raw()
        elif group in _CURVES:
            self._private = ec.generate_private_key(_CURVES[group]())
            self.public = self._private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        else:
            raise InternalError(f"group {self.group.name} is not an ECDHE group we support")

    def exchange(self, peer_public: bytes) -> bytes:
        """The premaster secret; a malformed or weak peer share is illegal_parameter."""
        name = self.group.name
        try:
            if self.group == NamedGroup.x25519:
                if len(peer_public) != 32:
                    raise ValueError("X25519 public key must be 32 bytes")
                peer = x25519.X25519PublicKey.from_public_bytes(peer_public)
                shared = self._private.exchange(peer)  # type: ignore[arg-type]
            elif self.group == NamedGroup.x448:
                if len(peer_public) != 56:
                    raise ValueError("X448 public key must be 56 bytes")
                peer448 = x448.X448PublicKey.from_public_bytes(peer_public)
                shared = self._private.exchange(peer448)  # type: ignore[arg-type]
            else:
                if peer_public[:1] != b"\x04":
                    raise ValueError("only uncompressed points are accepted")
                curve = _CURVES[self.group]()
                point = ec.EllipticCurvePublicKey.from_encoded_point(curve, peer_public)
                shared = self._private.exchange(ec.ECDH(), point)  # type: ignore[call-arg]
        except ValueError as exc:
            raise IllegalParameter(f"peer's {name} key share is invalid: {exc}") from None
        if not any(shared):
            raise IllegalParameter(f"peer's {name} key share gives an all-zero secret")
        return shared
