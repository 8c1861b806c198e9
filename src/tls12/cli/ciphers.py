"""``tls12 ciphers``: the suites this version supports, and which are on by default."""

from __future__ import annotations

import argparse
from typing import Any

from tls12.crypto.suites import (
    ALL_SUITES,
    COMPATIBLE_SUITES,
    DEFAULT_SUITES,
    OPENSSL_NAMES,
    PSK_COMPATIBLE_SUITES,
    PSK_DEFAULT_SUITES,
    PSK_SUITES,
)

_ALIAS = {iana: alias for alias, iana in OPENSSL_NAMES.items()}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ciphers", help="list the supported cipher suites and the default set")
    p.add_argument("-v", "--verbose", action="store_true", help="show key exchange and MAC")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print(f"{'id':<8}{'policy':<12}{'IANA name':<48}OpenSSL name")
    for s in ALL_SUITES + PSK_SUITES:
        if s in DEFAULT_SUITES or s in PSK_DEFAULT_SUITES:
            policy = "default"
        elif s in COMPATIBLE_SUITES or s in PSK_COMPATIBLE_SUITES:
            policy = "compatible"
        else:
            policy = "by name"
        line = f"0x{s.id:04X}  {policy:<12}{s.name:<48}{_ALIAS.get(s.name, '-')}"
        if args.verbose:
            mac = s.mac or "AEAD"
            line += f"  kx={s.kx.value} auth={s.auth.value} enc={s.cipher.value} mac={mac}"
        print(line)
    print(
        "\ndefault: forward-secret AEAD suites only. cipher_suites='compatible' "
        "(or --ciphers COMPATIBLE) adds CBC, AES-CCM and RSA key transport for legacy peers;\n"
        "'by name': the _CCM_8 suites (8-byte tags, for constrained devices) are used only "
        "when named.\n"
        "PSK suites (RFC 4279, RFC 5489) join a policy only when a PSK is configured "
        "(--psk); --ciphers PSK names them all."
    )
    return 0
