"""Argument helpers shared by ``tls12 client`` and ``tls12 server``."""

from __future__ import annotations

import sys
from typing import Any

from tls12.connection import Connection
from tls12.crypto.exporter import MAX_EXPORT_LENGTH, RESERVED_LABELS
from tls12.crypto.suites import ALL_SUITES, COMPATIBLE_SUITES, DEFAULT_SUITES, lookup
from tls12.errors import ConfigError


def parse_host_port(text: str, default_port: int = 443) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or a bare host."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    try:
        return host, int(port)
    except ValueError:
        raise ConfigError(f"bad port in {text!r}") from None


def parse_suites(text: str | None) -> list[Any] | None:
    """A comma or colon separated list of IANA suite names or OpenSSL aliases; ``ALL`` means
    every suite tls12 supports, ``DEFAULT`` and ``COMPATIBLE`` the named policies."""
    if not text:
        return None
    out: list[Any] = []
    for name in text.replace(":", ",").split(","):
        name = name.strip()
        if not name:
            continue
        policy = {"ALL": ALL_SUITES, "DEFAULT": DEFAULT_SUITES, "COMPATIBLE": COMPATIBLE_SUITES}
        if name.upper() in policy:
            out.extend(s for s in policy[name.upper()] if s not in out)
        elif lookup(name) is not None:
            out.append(lookup(name))
        else:
            raise ConfigError(f"unknown cipher suite {name!r} (`tls12 ciphers` lists them)")
    return out


def parse_alpn(text: str | None) -> list[str]:
    return [p for p in (text or "").split(",") if p]


def add_exporter_options(p: Any) -> None:
    """``--keymatexport LABEL --keymatexportlen N``, as ``openssl s_client`` spells them."""
    p.add_argument(
        "--keymatexport",
        metavar="LABEL",
        help="print RFC 5705 keying material exported with LABEL after each handshake",
    )
    p.add_argument(
        "--keymatexportlen",
        type=int,
        default=20,
        metavar="N",
        help="bytes of keying material for --keymatexport (default 20)",
    )


def check_exporter_options(args: Any) -> None:
    """Refuses what could only fail later, per connection."""
    if args.keymatexport is None:
        return
    if not 1 <= args.keymatexportlen <= MAX_EXPORT_LENGTH:
        raise ConfigError(f"--keymatexportlen must be 1..{MAX_EXPORT_LENGTH}")
    label = args.keymatexport.encode("ascii", "replace")
    if not args.keymatexport.isascii() or not label or label in RESERVED_LABELS:
        raise ConfigError(
            f"--keymatexport {args.keymatexport!r}: a label is printable ASCII and not one "
            "TLS reserves (RFC 5705 §4)"
        )


def exporter_report(connection: Connection, label: str, length: int) -> str:
    """The exported value in ``openssl s_client``'s layout."""
    value = connection.export_keying_material(label, length)
    return (
        "Keying material exporter:\n"
        f"    Label: '{label}'\n"
        f"    Length: {length} bytes\n"
        f"    Keying material: {value.hex().upper()}"
    )


def status(message: str) -> None:
    """Progress and connection facts go to stderr, data to stdout."""
    print(message, file=sys.stderr, flush=True)
