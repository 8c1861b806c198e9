"""The ``tls12`` command: ``demo``, ``client``, ``server``, ``ciphers`` and ``--version``.

Each subcommand lives in its own module; this one only parses arguments and turns errors into
one clear line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from tls12._version import __version__
from tls12.errors import ConfigError, TLSError
from tls12.log import describe_error


class OneLineParser(argparse.ArgumentParser):
    """A bad flag is one line on stderr (and exit status 2), not the whole usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from tls12.cli import bench, ciphers, client, demo, server, ticket_keys

    parser = OneLineParser(
        prog="tls12", description="A readable, strict TLS 1.2 client and server."
    )
    parser.add_argument("--version", action="version", version=f"tls12 {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo.add_parser(sub)
    client.add_parser(sub)
    server.add_parser(sub)
    bench.add_parser(sub)
    ciphers.add_parser(sub)
    ticket_keys.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="tls12: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"tls12: {exc}", file=sys.stderr)
        return 1
    except TLSError as exc:
        print(f"tls12: {describe_error(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tls12: {exc}", file=sys.stderr)
        return 1
    except (ValueError, UnicodeError, OverflowError) as exc:  # bad input we did not foresee
        print(f"tls12: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
