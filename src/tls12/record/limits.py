"""Record size limits: the values RFC 6066 §4 (max_fragment_length) and RFC 8449
(record_size_limit) allow, and the checks a configuration runs on them.

Kept apart from the record layer and from the handshake so that ``config.py`` can validate
its two fields without importing either.
"""

from __future__ import annotations

from tls12.errors import ConfigError

MAX_PLAINTEXT = 1 << 14
"""TLSPlaintext.length in TLS 1.2 (RFC 5246 §6.2.1): the limit when nothing is negotiated."""

MFL_CODES: dict[int, int] = {1: 512, 2: 1024, 3: 2048, 4: 4096}
"""RFC 6066 §4 MaxFragmentLength: 2^9(1), 2^10(2), 2^11(3), 2^12(4)."""

MFL_LENGTHS: dict[int, int] = {length: code for code, length in MFL_CODES.items()}

MIN_RECORD_SIZE_LIMIT = 64
"""RFC 8449 §4: a smaller value is illegal_parameter."""


def check_max_fragment_length(value: int | None) -> None:
    """A ``max_fragment_length`` setting is one of RFC 6066's four lengths, or None."""
    if value is None:
        return
    if type(value) is not int or value not in MFL_LENGTHS:
        raise ConfigError(
            f"max_fragment_length must be 512, 1024, 2048 or 4096 (RFC 6066 §4), got {value!r}"
        )


def check_record_size_limit(value: int | None) -> None:
    """A ``record_size_limit`` setting is 64..2^14 (RFC 8449 §4, TLS 1.2), or None."""
    if value is None:
        return
    if type(value) is not int or not MIN_RECORD_SIZE_LIMIT <= value <= MAX_PLAINTEXT:
        raise ConfigError(
            f"record_size_limit must be {MIN_RECORD_SIZE_LIMIT}..{MAX_PLAINTEXT} "
            f"(RFC 8449 §4, TLS 1.2), got {value!r}"
        )


def check_config(max_fragment_length: int | None, record_size_limit: int | None) -> None:
    check_max_fragment_length(max_fragment_length)
    check_record_size_limit(record_size_limit)
