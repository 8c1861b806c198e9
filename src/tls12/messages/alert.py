"""The Alert and ChangeCipherSpec record bodies (RFC 5246 §7.1, §7.2)."""

from __future__ import annotations

from dataclasses import dataclass

from tls12.errors import DecodeError
from tls12.wire.enums import AlertDescription, AlertLevel
from tls12.wire.reader import Reader

CHANGE_CIPHER_SPEC = b"\x01"


@dataclass(frozen=True)
class Alert:
    level: AlertLevel
    description: AlertDescription

    def encode(self) -> bytes:
        return bytes((self.level, self.description))

    @classmethod
    def decode(cls, data: bytes) -> Alert:
        r = Reader(data, "alert")
        level = AlertLevel(r.u8())
        description = AlertDescription(r.u8())
        r.expect_end()
        if level not in (AlertLevel.warning, AlertLevel.fatal):
            raise DecodeError(f"alert level {int(level)} is neither warning nor fatal")
        return cls(level, description)


def check_change_cipher_spec(data: bytes) -> None:
    """A ChangeCipherSpec record holds exactly one byte, 1."""
    if data != CHANGE_CIPHER_SPEC:
        raise DecodeError(f"ChangeCipherSpec body must be 01, got {data.hex() or 'nothing'}")
