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

from tls12.cli import negotiation
from tls12.cli.common import parse_alpn, parse_suites, status
from tls12.config import CertifiedKey, ClientAuth, ServerConfig, keylog_to_file
from tls12.connection import Connection
from tls12.errors import ConfigError, TLSError
from tls12.events import Negotiated
from tls12.io.aio import TLSTransport, start_server
from tls12.sessions_redis import RedisSessionStore
from tls12.tickets import TicketKeys
from tls12.verify import TrustStore, describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "server",
        help="serve TLS 1.2 (echo, or an HTTP page with --www)",
        description="Serve TLS 1.2 on HOST:PORT, many connections at once. Each connection's "
        "data is echoed back, or, with --www, its HTTP request is answered with a page "
        "describing the connection. Connection facts go to stderr.",
    )
    p.add_argument("--port", type=int, required=True, help="TCP port (0: pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--cert", required=True, help="certificate chain, leaf first (PEM)")
    p.add_argument("--key", required=True, help="private key (PEM)")
    p.add_argument("--www", action="store_true", help="answer requests with a status page")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to accept, in preference order")
    p.add_argument("--ciphers", help="comma-separated IANA cipher suite names, or ALL")
    negotiation.add_options(p)
    p.add_argument("--verify-client", action="store_true", help="ask for a client certificate")
    p.add_argument("--require-client-cert", action="store_true", help="insist on one")
    p.add_argument("--client-cafile", help="PEM file of CAs trusted for client certificates")
    p.add_argument("--quiet", action="store_true", help="do not log each connection")
    p.add_argument("--no-tickets", action="store_true", help="do not issue session tickets")
    p.add_argument(
        "--ticket-keys",
        metavar="F",
        help="ticket keys shared by several servers (lines of '<name hex> <key hex>')",
    )
    p.add_argument(
        "--session-store",
        metavar="URL",
        help="share sessions by ID through Redis: redis://HOST:PORT/DB",
    )
    p.add_argument(
        "--keylog",
        metavar="F",
        help="append each connection's secrets to F (NSS key log format, for Wireshark)",
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
    p.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    kw: dict[str, Any] = {
        "certificates": [CertifiedKey.from_files(args.cert, args.key)],
        "alpn_protocols": parse_alpn(args.alpn),
    }
    suites = parse_suites(args.ciphers)
    if suites:
        kw["cipher_suites"] = suites
    kw.update(negotiation.config_kwargs(args))
    if args.no_tickets:
        kw["session_tickets"] = False
    elif args.ticket_keys:
        kw["ticket_keys"] = TicketKeys.from_file(args.ticket_keys)
    if args.session_store:
        if not args.session_store.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("--session-store takes a redis:// URL")
        kw["session_store"] = RedisSessionStore.from_url(args.session_store)
    if args.verify_client or args.require_client_cert:
        kw["client_auth"] = ClientAuth.REQUIRED if args.require_client_cert else ClientAuth.OPTIONAL
        if args.client_cafile:
            kw["client_trust"] = TrustStore.from_pem_file(args.client_cafile)
    if getattr(args, "keylog", None):
        kw["keylog"] = keylog_to_file(args.keylog)
    return ServerConfig(**kw)


def www_page(tls: Any) -> bytes:
    """The status page for a connection (anything with ``.negotiated``)."""
    return page_for(tls.negotiated)


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
    if n.peer_certificates:
        lines.append(f"Client certificate: {describe(n.peer_certificates[0])}")
    body = ("\n".join(lines) + "\n").encode()
    head = (
        "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


def _describe_error(exc: BaseException) -> str:
    extra = f" (alert {exc.alert.name})" if isinstance(exc, TLSError) else ""
    return f"{type(exc).__name__}: {exc}{extra}"


class EchoServer:
    """The serving loop: one task per connection on one asyncio event loop."""

    def __init__(self, args: argparse.Namespace, config: ServerConfig) -> None:
        self.args = args
        self.config = config
        self._numbers = itertools.count(1)

    def _status(self, message: str) -> None:
        if not self.args.quiet:
            status(message)

    def _write_trace(self, conn: Connection, peer: Any) -> None:
        if not self.args.trace_json:
            return
        number = next(self._numbers)
        host = peer[0] if peer else None
        with open(self.args.trace_json, "a", encoding="utf-8") as f:
            for entry in conn.trace.entries:
                f.write(json.dumps({"connection": number, "peer": host, **entry.as_dict()}) + "\n")

    def on_handshake_error(self, exc: BaseException, transport: TLSTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._write_trace(transport.get_extra_info("tls12"), peer)
        where = f" from {peer[0]}" if peer else ""
        self._status(f"connection{where} failed: {_describe_error(exc)}")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        n: Negotiated = writer.get_extra_info("negotiated")
        self._status(f"connection from {peer[0] if peer else '?'}: {n.cipher_suite.name}")
        try:
            if self.args.www:
                await self._www(reader, writer, n)
            else:
                await self._echo(reader, writer)
        except (TLSError, OSError) as exc:
            self._status(f"connection failed: {_describe_error(exc)}")
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
        request = b""
        while b"\r\n\r\n" not in request and b"\n\n" not in request:
            data = await reader.read(65536)
            if not data:
                return
            request += data
        writer.write(page_for(n))
        await writer.drain()

    async def serve(self) -> None:
        server = await start_server(
            self.handle,
            self.args.host,
            self.args.port,
            self.config,
            handshake_timeout=self.args.handshake_timeout or None,
            on_handshake_error=self.on_handshake_error,
        )
        port = server.sockets[0].getsockname()[1]
        status(f"tls12 server listening on {self.args.host}:{port}")
        async with server:
            await server.serve_forever()


def run(args: argparse.Namespace) -> int:
    if args.handshake_timeout < 0:
        raise ConfigError("--handshake-timeout must be 0 (no limit) or more seconds")
    config = config_from_args(args)
    asyncio.run(EchoServer(args, config).serve())
    return 0
