"""``tls12 server``: serve TLS 1.2, many connections at once (asyncio), never dying on one.

Without ``--www`` each connection's data is echoed back. With ``--www`` the server answers the
first request (once its blank line arrives) with a short HTTP page naming the protocol and the
suite, as ``openssl s_server -www`` does. Connection facts go to stderr (``--quiet`` silences
them); a connection that fails is one line, and the server goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
from typing import Any

from tls12.cli import fleet, negotiation, ocsp_options, psk_options, record_size, workers
from tls12.cli.certificate_checks import check_certificates
from tls12.cli.common import (
    add_exporter_options,
    check_exporter_options,
    check_writable,
    exporter_report,
    load_certified_key,
    parse_alpn,
    parse_suites,
    port_number,
    positive_int,
    status,
    timestamp,
)
from tls12.config import ClientAuth, ServerConfig, keylog_to_file
from tls12.connection import Connection
from tls12.errors import ConfigError, TLSError
from tls12.events import Negotiated
from tls12.io.aio import TLSTransport
from tls12.io.aio_server import start_server
from tls12.io.server_limits import DEFAULT_MAX_CONNECTIONS
from tls12.log import describe_error, peer_text
from tls12.verify import TrustStore, describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "server",
        help="serve TLS 1.2 (echo, or an HTTP page with --www)",
        description="Serve TLS 1.2 on HOST:PORT, many connections at once. Each connection's "
        "data is echoed back, or, with --www, its HTTP request is answered with a page "
        "describing the connection. Connection facts go to stderr.",
    )
    p.add_argument("--port", type=port_number, required=True, help="TCP port (0: pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--cert",
        help="certificate chain, leaf first (PEM); its key RSA, RSA-PSS, ECDSA, Ed25519 or Ed448 "
        "(required unless --psk)",
    )
    p.add_argument("--key", help="private key (PEM), with --cert")
    psk_options.add_server_options(p)
    p.add_argument("--www", action="store_true", help="answer requests with a status page")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to accept, in preference order")
    p.add_argument("--ciphers", help="comma-separated IANA cipher suite names, or ALL")
    negotiation.add_options(p)
    record_size.add_options(p, client=False)
    p.add_argument("--verify-client", action="store_true", help="ask for a client certificate")
    p.add_argument("--require-client-cert", action="store_true", help="insist on one")
    p.add_argument("--client-cafile", help="PEM file of CAs trusted for client certificates")
    p.add_argument("--quiet", action="store_true", help="do not log each connection")
    p.add_argument("--no-tickets", action="store_true", help="do not issue session tickets")
    fleet.add_options(p)
    workers.add_options(p)
    p.add_argument(
        "--keylog",
        metavar="F",
        help="append each connection's secrets to F (NSS key log format, for Wireshark)",
    )
    p.add_argument(
        "--trace",
        action="store_true",
        help="print each connection's handshake message flow, drawn like RFC 5246's figures",
    )
    p.add_argument(
        "--trace-json",
        metavar="F",
        help="append each connection's handshake messages to F, one JSON object per line",
    )
    p.add_argument(
        "--handshake-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="drop a client that has not completed the handshake after S seconds "
        "(default 30; 0 means no limit)",
    )
    p.add_argument(
        "--max-connections",
        type=positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"hold at most N connections at once (default {DEFAULT_MAX_CONNECTIONS})",
    )
    p.add_argument(
        "--max-handshakes",
        type=positive_int,
        metavar="N",
        help="at most N handshakes under way at once; the others wait (default: no limit "
        "beyond --max-connections)",
    )
    p.add_argument(
        "--no-nodelay",
        action="store_true",
        help="leave Nagle's algorithm on (TCP_NODELAY is set by default)",
    )
    add_exporter_options(p)
    ocsp_options.add_server_options(p)
    p.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    kw: dict[str, Any] = {"alpn_protocols": parse_alpn(args.alpn)}
    kw.update(psk_options.server_config_kwargs(args))
    if args.cert or args.key or "psk_keys" not in kw:
        if not (args.cert and args.key):
            raise ConfigError("--cert and --key are required (or --psk for a PSK-only server)")
        kw["certificates"] = [load_certified_key(args.cert, args.key)]
    check_writable(getattr(args, "keylog", None), "--keylog")
    check_writable(getattr(args, "trace_json", None), "--trace-json")
    suites = parse_suites(args.ciphers)
    if suites:
        kw["cipher_suites"] = suites
    kw.update(fleet.config_options(args))
    kw.update(negotiation.config_kwargs(args))
    kw.update(record_size.config_kwargs(args))
    certified = kw["certificates"][0] if "certificates" in kw else None
    kw.update(ocsp_options.server_config_kwargs(args, certified))
    if args.verify_client or args.require_client_cert:
        kw["client_auth"] = ClientAuth.REQUIRED if args.require_client_cert else ClientAuth.OPTIONAL
        if not args.client_cafile:
            flag = "--require-client-cert" if args.require_client_cert else "--verify-client"
            raise ConfigError(f"{flag} needs --client-cafile, the CAs client certificates chain to")
        kw["client_trust"] = TrustStore.from_pem_file(args.client_cafile)
    if getattr(args, "keylog", None):
        kw["keylog"] = keylog_to_file(args.keylog)
    return ServerConfig(**kw)


def page_for(n: Negotiated) -> bytes:
    lines = [
        "tls12 server",
        f"Protocol: {n.version}",
        f"Cipher: {n.cipher_suite.name}",
        f"Group: {n.group.name if n.group else '-'}",
        f"ALPN: {n.alpn_protocol or '-'}",
        f"Extended master secret: {'yes' if n.extended_master_secret else 'no'}",
        f"Session: {'Reused' if n.resumed else 'New'}, id {n.session_id.hex()[:16]}...",
    ]
    if sizes := record_size.describe(n):
        lines.append(sizes)
    if n.peer_certificates:
        lines.append(f"Client certificate: {describe(n.peer_certificates[0])}")
    if n.psk_identity is not None:
        lines.append(f"PSK identity: {n.psk_identity.decode('utf-8', 'replace')}")
    body = ("\n".join(lines) + "\n").encode()
    head = (
        "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


class EchoServer:
    """The serving loop: one task per connection on one asyncio event loop."""

    def __init__(self, args: argparse.Namespace, config: ServerConfig) -> None:
        self.args = args
        self.config = config
        self._numbers = itertools.count(1)

    def _status(self, message: str) -> None:
        if not self.args.quiet:
            status(f"{timestamp()} {message}")

    def _write_trace(self, conn: Connection, peer: Any) -> None:
        if not (self.args.trace_json or self.args.trace):
            return
        number = next(self._numbers)
        host = peer[0] if peer else None
        if self.args.trace:
            drawing = conn.trace.render(is_client=False)
            status(f"connection {number} from {host or '?'}:\n{drawing}")
        if not self.args.trace_json:
            return
        with open(self.args.trace_json, "a", encoding="utf-8") as f:
            for entry in conn.trace.entries:
                f.write(json.dumps({"connection": number, "peer": host, **entry.as_dict()}) + "\n")

    def on_handshake_error(self, exc: BaseException, transport: TLSTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._write_trace(transport.get_extra_info("tls12"), peer)
        self._status(f"{peer_text(peer)} handshake failed: {describe_error(exc)}")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        n: Negotiated = writer.get_extra_info("negotiated")
        resumed = "resumed" if n.resumed else "new session"
        sizes = record_size.describe(n)
        self._status(
            f"{peer_text(peer)} connected: {n.cipher_suite.name}, {resumed}"
            + (f"; {sizes}" if sizes else "")
        )
        if self.args.keymatexport is not None:
            conn = writer.get_extra_info("tls12")
            status(exporter_report(conn, self.args.keymatexport, self.args.keymatexportlen))
        try:
            if self.args.www:
                await self._www(reader, writer, n)
            else:
                await self._echo(reader, writer)
        except (TLSError, OSError) as exc:
            self._status(f"{peer_text(peer)} connection failed: {describe_error(exc)}")
        except RequestTooLarge as exc:
            self._status(f"{peer_text(peer)} {exc}")
        finally:
            writer.close()
            with contextlib.suppress(TLSError, OSError):
                await writer.wait_closed()
            self._write_trace(writer.get_extra_info("tls12"), peer)

    @staticmethod
    async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            writer.write(data)
            await writer.drain()

    @staticmethod
    async def _www(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: Negotiated
    ) -> None:
        try:
            if not await read_request_head(reader):
                return
        except RequestTooLarge:
            writer.write(TOO_LARGE)
            await writer.drain()
            raise
        writer.write(page_for(n))
        await writer.drain()

    def on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's own reports (accept() out of file descriptors, which it retries a second
        later) as one line each, not a traceback."""
        exc = context.get("exception")
        detail = f": {exc}" if exc is not None else ""
        status(f"{timestamp()} {context.get('message', 'event loop error')}{detail}")

    async def serve(self, listen: dict[str, Any] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(self.on_loop_error)
        listen = listen or {"host": self.args.host, "port": self.args.port}
        try:
            server = await start_server(
                self.handle,
                config=self.config,
                **listen,
                handshake_timeout=self.args.handshake_timeout or None,
                on_handshake_error=self.on_handshake_error,
                max_connections=self.args.max_connections,
                max_handshakes=self.args.max_handshakes,
                nodelay=not self.args.no_nodelay,
            )
        except OSError as exc:
            where = f"{self.args.host}:{self.args.port}"
            raise ConfigError(f"cannot listen on {where}: {exc.strerror or exc}") from None
        port = server.sockets[0].getsockname()[1]
        status(f"tls12 server listening on {self.args.host}:{port}")
        async with server:
            await server.serve_forever()


MAX_REQUEST_HEAD = 16 * 1024
"""The most of an HTTP request head ``--www`` reads before answering 431 and closing."""
TOO_LARGE = (
    b"HTTP/1.0 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class RequestTooLarge(Exception):
    """A ``--www`` request head past MAX_REQUEST_HEAD."""


async def read_request_head(reader: asyncio.StreamReader) -> bool:
    """Reads up to the blank line that ends an HTTP request head (CRLF or bare LF lines):
    True once it is in, False at EOF before it; RequestTooLarge past MAX_REQUEST_HEAD bytes.
    Each search starts where the last one stopped, so the work is linear in the input."""
    head = bytearray()
    while True:
        start = max(0, len(head) - 3)
        data = await reader.read(MAX_REQUEST_HEAD + 1 - len(head))
        if not data:
            return False
        head += data
        if head.find(b"\r\n\r\n", start) >= 0 or head.find(b"\n\n", start) >= 0:
            return True
        if len(head) > MAX_REQUEST_HEAD:
            raise RequestTooLarge(f"request head over {MAX_REQUEST_HEAD} bytes: answered 431")


def run(args: argparse.Namespace) -> int:
    check_exporter_options(args)
    if args.handshake_timeout < 0:
        raise ConfigError("--handshake-timeout must be 0 (no limit) or more seconds")
    config = config_from_args(args)
    for warning in check_certificates(config):
        status(f"tls12: warning: {warning}")
    many = workers.count(args) > 1
    if many:
        config = fleet.for_workers(args, config)
    server = EchoServer(args, config)

    async def serve(listen: dict[str, Any]) -> None:
        fleet.start_sources(config)  # in the serving process, after any fork
        await server.serve(listen)

    if many:
        return workers.supervise(args, serve)
    return workers.run_until_signal(serve, {"host": args.host, "port": args.port})
