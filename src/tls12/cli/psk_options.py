"""The PSK options of ``tls12 client`` and ``tls12 server``, named like OpenSSL's
(``s_client -psk_identity ID -psk HEX``, ``s_server -psk HEX -psk_hint HINT -nocert``).

The identity and the hint are text, sent as UTF-8 (RFC 4279 §5.1); the key is hex.
"""

from __future__ import annotations

import argparse
from typing import Any

from tls12.errors import ConfigError

_KEY_HELP = "pre-shared key in hex (like openssl -psk); turns the PSK suites on"


def add_client_options(p: Any) -> None:
    p.add_argument("--psk-identity", metavar="ID", help="PSK identity to send (with --psk)")
    p.add_argument("--psk", metavar="HEX", help=_KEY_HELP)


def add_server_options(p: Any) -> None:
    p.add_argument(
        "--psk-identity",
        metavar="ID",
        help="the PSK identity clients use (with --psk; default Client_identity, as OpenSSL's)",
    )
    p.add_argument("--psk", metavar="HEX", help=_KEY_HELP + "; --cert is then optional")
    p.add_argument("--psk-hint", metavar="HINT", help="PSK identity hint to send (with --psk)")


def _key(args: argparse.Namespace) -> bytes:
    text = args.psk.strip()
    if text[:2].lower() == "0x":
        text = text[2:]
    try:
        key = bytes.fromhex(text)
    except ValueError:
        # the value is not repeated: a mistyped key is still most of the key
        raise ConfigError(f"--psk must be hex digits ({len(args.psk)} characters given)") from None
    if not key:
        raise ConfigError("--psk must not be empty")
    return key


def client_config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.psk is None:
        if args.psk_identity is not None:
            raise ConfigError("--psk-identity needs --psk")
        return {}
    if not args.psk_identity:
        raise ConfigError("--psk needs --psk-identity (the identity the server knows)")
    return {"psk_identity": args.psk_identity.encode("utf-8"), "psk": _key(args)}


def server_config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    if args.psk is None:
        for flag, value in (("--psk-identity", args.psk_identity), ("--psk-hint", args.psk_hint)):
            if value is not None:
                raise ConfigError(f"{flag} needs --psk")
        return {}
    identity = (args.psk_identity or "Client_identity").encode("utf-8")
    kw: dict[str, Any] = {"psk_keys": {identity: _key(args)}}
    if args.psk_hint:
        kw["psk_identity_hint"] = args.psk_hint.encode("utf-8")
    return kw
