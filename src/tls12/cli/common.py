"""Argument helpers shared by ``tls12 client`` and ``tls12 server``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tls12.config import CertifiedKey
from tls12.connection import Connection
from tls12.crypto.exporter import MAX_EXPORT_LENGTH, check_length, checked_label
from tls12.crypto.suites import ALL_SUITES, COMPATIBLE_SUITES, DEFAULT_SUITES, PSK_SUITES, lookup
from tls12.errors import ConfigError, UsageError


def parse_host_port(text: str, default_port: int = 443) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or a bare host."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    try:
        number = int(port)
    except ValueError:
        raise ConfigError(f"bad port in {text!r}") from None
    if not 0 < number <= 65535:
        raise ConfigError(f"bad port in {text!r}: a TCP port is 1 to 65535")
    return host, number


def port_number(text: str) -> int:
    """argparse ``type`` for ``--port``: 0 (any free port) to 65535, or a one-line error."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a TCP port (0 to 65535)")
    return number


def positive_seconds(text: str) -> float:
    """argparse ``type`` for a timeout: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 seconds")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def check_writable(path: str | None, option: str) -> None:
    """Fails now, with one line naming ``option``, if ``path`` cannot be appended to (rather
    than on the first connection, after the tool has started)."""
    if not path:
        return
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: {exc.strerror or exc}") from None


def parse_suites(text: str | None) -> list[Any] | None:
    """A comma or colon separated list of IANA suite names or OpenSSL aliases; ``ALL`` means
    every certificate suite tls12 supports, ``DEFAULT`` and ``COMPATIBLE`` the named policies,
    ``PSK`` every PSK suite."""
    if not text:
        return None
    out: list[Any] = []
    for name in text.replace(":", ",").split(","):
        name = name.strip()
        if not name:
            continue
        policy = {
            "ALL": ALL_SUITES,
            "DEFAULT": DEFAULT_SUITES,
            "COMPATIBLE": COMPATIBLE_SUITES,
            "PSK": PSK_SUITES,
        }
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
    try:
        check_length(args.keymatexportlen)
    except UsageError:
        raise ConfigError(f"--keymatexportlen must be 1..{MAX_EXPORT_LENGTH}") from None
    try:
        checked_label(args.keymatexport)
    except UsageError:
        raise ConfigError(
            f"--keymatexport {args.keymatexport!r}: a label is printable ASCII and not one "
            "TLS reserves (RFC 5705 §4)"
        ) from None


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


def timestamp() -> str:
    """Local time to the millisecond, as a server log line starts."""
    now = time.time()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"


def load_certified_key(cert: str, key: str, flags: str = "--cert/--key") -> CertifiedKey:
    """The chain and key from PEM files, or one line naming the flag and the file."""
    for path in (cert, key):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise ConfigError(f"{flags} {path}: {exc.strerror or exc}") from None
    try:
        return CertifiedKey.from_files(cert, key)
    except ConfigError as exc:
        text = str(exc).split(". See https://", 1)[0]  # cryptography's FAQ link adds nothing
        raise ConfigError(f"{flags} {cert} / {key}: {text}") from None
