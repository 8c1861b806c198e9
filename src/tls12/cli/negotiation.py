"""The options both ``tls12 client`` and ``tls12 server`` take to widen or narrow what they
negotiate, named like OpenSSL's: ``--sigalgs`` (``s_client -sigalgs``), ``--groups``
(``-groups``), and ``--verify-profile`` for how the peer's chain is validated."""

from __future__ import annotations

import argparse
from typing import Any

from tls12.crypto.kx import DHE_GROUPS, group_by_name
from tls12.crypto.signatures import scheme_by_name
from tls12.errors import ConfigError
from tls12.verify_profiles import PROFILES
from tls12.wire.enums import NamedGroup


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sigalgs",
        metavar="LIST",
        help="signature schemes to sign with and accept, in preference order, separated by "
        "':' or ',': IANA names (rsa_pss_rsae_sha256, ecdsa_secp384r1_sha384) or OpenSSL's "
        "(RSA+SHA256, ECDSA+SHA384, RSA-PSS+SHA256); default: follows --ciphers",
    )
    p.add_argument(
        "--groups",
        metavar="LIST",
        help="key exchange groups in preference order, separated by ':' or ',': x25519, "
        "secp256r1 (P-256, prime256v1), secp384r1 (P-384), secp521r1 (P-521), x448, "
        "ffdhe2048, ffdhe3072, ffdhe4096",
    )
    p.add_argument(
        "--verify-profile",
        choices=PROFILES,
        default="auto",
        help="how the peer's certificate chain is validated: webpki (CA/Browser Forum rules), "
        "rfc5280 (path validation as OpenSSL does it), auto (default: webpki for the system "
        "store, rfc5280 for a CA file given on the command line)",
    )


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.replace(":", ",").split(",") if item.strip()]


def config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """ClientConfig/ServerConfig keyword arguments for the options that were given."""
    kw: dict[str, Any] = {"verify_profile": args.verify_profile}
    if args.sigalgs:
        schemes = []
        for name in _items(args.sigalgs):
            scheme = scheme_by_name(name)
            if scheme is None:
                raise ConfigError(f"--sigalgs: unknown signature scheme {name!r}")
            schemes.append(scheme)
        if not schemes:
            raise ConfigError("--sigalgs lists no signature scheme")
        kw["signature_schemes"] = schemes
    if args.groups:
        ecdhe: list[NamedGroup] = []
        ffdhe: list[NamedGroup] = []
        for name in _items(args.groups):
            group = group_by_name(name)
            if group is None:
                raise ConfigError(f"--groups: unknown group {name!r}")
            (ffdhe if group in DHE_GROUPS else ecdhe).append(group)
        if not ecdhe:
            raise ConfigError("--groups needs at least one ECDHE group (x25519, P-256, ...)")
        kw["groups"] = ecdhe
        if ffdhe:
            kw["ffdhe_groups"] = ffdhe
    return kw
