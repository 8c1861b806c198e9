"""Keying material exporters (RFC 5705): secrets derived from a connection's master secret
for a protocol that runs beside TLS (EAP-TLS, NTS for NTP, channel-bound tokens).

    PRF(SecurityParameters.master_secret, label,
        SecurityParameters.client_random + SecurityParameters.server_random
        [+ context_value_length + context_value])[length]

A label is ASCII, chosen by the protocol that uses it; the labels TLS itself feeds the PRF are
refused (RFC 5705 §4), so an exporter can never hand out the key block or a verify_data.
Extended master secret (RFC 7627) changes nothing here: the master secret is simply better.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tls12.crypto.prf import prf
from tls12.errors import UsageError

RESERVED_LABELS = frozenset(
    {
        b"client finished",
        b"server finished",
        b"master secret",
        b"key expansion",
        b"extended master secret",
    }
)
"""Labels TLS 1.2 uses itself (RFC 5246 §6.3, §7.4.9, §8.1; RFC 7627 §4)."""

MAX_EXPORT_LENGTH = 1 << 24
"""A bound on one export (16 MiB), so a caller's mistake cannot allocate without limit."""

MAX_CONTEXT_LENGTH = (1 << 16) - 1
"""context_value carries a uint16 length."""


@dataclass(frozen=True)
class ExporterSecret:
    """What RFC 5705 needs from a completed handshake; kept by the connection."""

    prf_hash: str
    master_secret: bytes = field(repr=False)
    client_random: bytes
    server_random: bytes

    def export(self, label: str | bytes, length: int, context: bytes | None = None) -> bytes:
        """``length`` bytes for ``label``; ``context=None`` (no context) and ``b""`` (an
        empty one) give different values, as RFC 5705 §4 says."""
        raw = checked_label(label)
        check_length(length)
        seed = self.client_random + self.server_random
        if context is not None:
            if len(context) > MAX_CONTEXT_LENGTH:
                raise UsageError(
                    f"exporter context is {len(context)} bytes; at most {MAX_CONTEXT_LENGTH}"
                )
            seed += len(context).to_bytes(2, "big") + bytes(context)
        return prf(self.prf_hash, self.master_secret, raw, seed, length)


def check_length(length: int) -> None:
    """An export's length must be 1..MAX_EXPORT_LENGTH (UsageError otherwise)."""
    if not isinstance(length, int) or not 1 <= length <= MAX_EXPORT_LENGTH:
        raise UsageError(f"exporter length must be 1..{MAX_EXPORT_LENGTH}, got {length!r}")


def checked_label(label: str | bytes) -> bytes:
    """The label's bytes: printable ASCII and not one TLS reserves (UsageError otherwise)."""
    raw = _label_bytes(label)
    if raw in RESERVED_LABELS:
        raise UsageError(f"exporter label {raw.decode()!r} is reserved by TLS (RFC 5705 §4)")
    return raw


def _label_bytes(label: str | bytes) -> bytes:
    if isinstance(label, str):
        if not label.isascii():
            raise UsageError(f"exporter label must be printable ASCII, got {label!r}")
        label = label.encode()
    raw = bytes(label)
    if not raw or any(b < 0x20 or b > 0x7E for b in raw):
        raise UsageError(f"exporter label must be printable ASCII, got {label!r}")
    return raw
