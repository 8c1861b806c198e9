"""NSS key log lines (SSLKEYLOGFILE), the format Wireshark and tshark read to decrypt a capture.

The handshake hands each connection's ``CLIENT_RANDOM <client random> <master secret>`` line
to the configuration's ``keylog`` callback; these helpers make such a callback."""

from __future__ import annotations

import os
from collections.abc import Callable

KeyLogCallback = Callable[[str], None]
"""Receives one NSS key log line (without newline) per connection."""


def keylog_from_environment() -> KeyLogCallback | None:
    """A key log writer for the file named by SSLKEYLOGFILE, or None when it is not set."""
    path = os.environ.get("SSLKEYLOGFILE")
    return keylog_to_file(path) if path else None


def keylog_to_file(path: str | os.PathLike[str]) -> KeyLogCallback:
    """A key log writer that appends each line to ``path`` (opened per line, so a file
    rotated away or shared between processes keeps whole lines)."""

    def write(line: str) -> None:
        with open(path, "a", encoding="ascii") as f:
            f.write(line + "\n")

    return write
