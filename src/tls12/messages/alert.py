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
    def for_description(cls, description: AlertDescription) -> Alert:
        """The alert we send for ``description``, its level picked here once: close_notify and
        no_renegotiation are warnings (RFC 5246 §7.2.1, §7.2.2), every error alert is fatal."""
        warning = description in (AlertDescription.close_notify, AlertDescription.no_renegotiation)
        return cls(AlertLevel.warning if warning else AlertLevel.fatal, description)

    @property
    def is_warning(self) -> bool:
        """Only a level of exactly warning(1) is a warning: a level byte that is neither 1
        nor 2 is taken as fatal (except for close_notify, which closes whatever its level,
        as OpenSSL and tlslite-ng do and real clients rely on)."""
        return self.level == AlertLevel.warning

    @classmethod
    def decode(cls, data: bytes) -> Alert:
        """Two bytes, level and description; any level value is kept (see ``is_warning``)."""
        r = Reader(data, "alert")
        level = AlertLevel.of(r.u8())
        description = AlertDescription.of(r.u8())
        r.expect_end()
        return cls(level, description)


def check_change_cipher_spec(data: bytes) -> None:
    """A ChangeCipherSpec record holds exactly one byte, 1."""
    if data != CHANGE_CIPHER_SPEC:
        raise DecodeError(f"ChangeCipherSpec body must be 01, got {data.hex() or 'nothing'}")
