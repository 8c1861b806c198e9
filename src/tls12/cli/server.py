"""``tls12 server``: serve TLS 1.2 on 127.0.0.1, many connections at once, never dying on one.

Without ``--www`` each connection's data is echoed back. With ``--www`` the server answers the
first request (once its blank line arrives) with a short HTTP page naming the protocol and the
suite, as ``openssl s_server -www`` does.
"""

from __future__ import annotations

import argparse
from typing import Any

from tls12.cli.common import parse_alpn, parse_suites, status
from tls12.config import CertifiedKey, ClientAuth, ServerConfig
from tls12.errors import ConfigError, TLSError
from tls12.io.sync import TLSServer, TLSSocket
from tls12.sessions_redis import RedisSessionStore
from tls12.tickets import TicketKeys
from tls12.verify import TrustStore, describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser("server", help="serve TLS 1.2 (echo, or an HTTP page with --www)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--cert", required=True, help="certificate chain, leaf first (PEM)")
    p.add_argument("--key", required=True, help="private key (PEM)")
    p.add_argument("--www", action="store_true", help="answer requests with a status page")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to accept, in preference order")
    p.add_argument("--ciphers", help="comma-separated IANA cipher suite names, or ALL")
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
    p.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    kw: dict[str, Any] = {
        "certificates": [CertifiedKey.from_files(args.cert, args.key)],
        "alpn_protocols": parse_alpn(args.alpn),
    }
    suites = parse_suites(args.ciphers)
    if suites:
        kw["cipher_suites"] = suites
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
    return ServerConfig(**kw)


def www_page(tls: TLSSocket) -> bytes:
    n = tls.negotiated
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


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)

    def handle(tls: TLSSocket) -> None:
        if not args.quiet:
            n = tls.negotiated
            status(f"connection from {tls.getpeername()[0]}: {n.cipher_suite.name}")
        if args.www:
            request = b""
            while b"\r\n\r\n" not in request and b"\n\n" not in request:
                data = tls.recv()
                if not data:
                    return
                request += data
            tls.sendall(www_page(tls))
            return
        while True:
            data = tls.recv()
            if not data:
                return
            tls.sendall(data)

    def on_error(exc: BaseException) -> None:
        if not args.quiet:
            kind = type(exc).__name__
            extra = f" (alert {exc.alert.name})" if isinstance(exc, TLSError) else ""
            status(f"connection failed: {kind}: {exc}{extra}")

    server = TLSServer(config, handle, args.host, args.port, on_error=on_error)
    status(f"tls12 server listening on {args.host}:{server.port}")
    try:
        server.serve_forever()
    finally:
        server.close()
    return 0
