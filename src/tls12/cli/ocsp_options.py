"""The OCSP stapling options (RFC 6066 §8), named like OpenSSL's: ``tls12 server
--status-file`` (``s_server -status_file``) staples a DER OCSP response, ``tls12 client
--status`` (``s_client -status``) asks for one and prints it, ``--require-staple`` fails a
handshake without a good one."""

from __future__ import annotations

import argparse
import time
from typing import Any

from tls12.cli.common import status
from tls12.config import CertifiedKey
from tls12.errors import ConfigError
from tls12.events import Negotiated
from tls12.handshake.certificate_status import leaf_issuer
from tls12.ocsp_staple import MAX_STAPLE_SIZE, StapleFile


def add_server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--status-file",
        metavar="PATH",
        help="a DER OCSP response for --cert to staple when a client asks (status_request); "
        "re-read when the file changes, never stapled once expired or when it is not for "
        f"this certificate; at most {MAX_STAPLE_SIZE} bytes",
    )


def server_config_kwargs(
    args: argparse.Namespace, certified: CertifiedKey | None
) -> dict[str, Any]:
    """The staple for --cert; a file that would not be stapled now (for another certificate,
    expired, unsuccessful) is kept, since it is read again when it changes, and said so in
    one warning line."""
    if not getattr(args, "status_file", None):
        return {}
    if certified is None:
        raise ConfigError(
            "--status-file needs --cert: a PSK-only server has no certificate to staple for"
        )
    staple = StapleFile(args.status_file)
    # the same leaf and issuer the server will judge the staple by (staple_for)
    chain = certified.chain
    if staple.for_leaf(chain[0], leaf_issuer(chain), time.time()) is None:
        status(
            f"tls12: warning: --status-file {args.status_file} is not stapled now: "
            f"{staple.last_problem} (it is read again when it changes)"
        )
    return {"ocsp_staple": staple}


def add_client_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--status",
        action="store_true",
        help="ask the server to staple an OCSP response (status_request), check it and print "
        "it; a revoked certificate or an invalid response fails the handshake",
    )
    p.add_argument(
        "--require-staple",
        action="store_true",
        help="fail unless the server staples a good OCSP response (implies --status)",
    )


def client_config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if getattr(args, "status", False):
        kw["ocsp_status_request"] = True
    if getattr(args, "require_staple", False):
        kw["require_ocsp_staple"] = True
    return kw


def report_lines(args: argparse.Namespace, n: Negotiated) -> list[str]:
    """What ``--status`` prints, in ``s_client -status``'s words."""
    if not (getattr(args, "status", False) or getattr(args, "require_staple", False)):
        return []
    if n.ocsp_response is None:
        return ["OCSP response: no response sent"]
    return ["OCSP response:", *("    " + line for line in n.ocsp_response.describe())]
