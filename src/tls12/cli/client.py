"""``tls12 client HOST:PORT``: connect, send standard input, print what comes back.

Like ``openssl s_client``: connection facts on stderr, the peer's data on stdout. After standard
input ends the client keeps reading until the server closes or stays silent for
``--idle-timeout`` seconds, then closes with close_notify.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from tls12.cli.common import parse_alpn, parse_host_port, parse_suites, status
from tls12.config import CertifiedKey, ClientConfig
from tls12.errors import ConfigError
from tls12.io.sync import TLSSocket, wrap_client
from tls12.sessions import Session
from tls12.verify import describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser("client", help="connect to a TLS 1.2 server, send stdin, print the reply")
    p.add_argument("target", metavar="HOST:PORT")
    p.add_argument("--cafile", help="PEM file of trusted CAs (default: the system store)")
    p.add_argument(
        "--insecure", action="store_true", help="do not check the server certificate (unsafe)"
    )
    p.add_argument("--servername", help="name for SNI and the certificate check (default: HOST)")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to offer")
    p.add_argument("--ciphers", help="comma-separated IANA cipher suite names, or ALL")
    p.add_argument("--cert", help="client certificate chain (PEM), if the server asks for one")
    p.add_argument("--key", help="private key for --cert (PEM)")
    p.add_argument("--trace", action="store_true", help="print the handshake message flow")
    p.add_argument("--sess-out", metavar="F", help="write the session to F (a secret file)")
    p.add_argument("--sess-in", metavar="F", help="resume the session read from F")
    p.add_argument(
        "--reconnect",
        action="store_true",
        help="connect, then reconnect 5 times resuming; print New or Reused each time",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=3.0,
        help="after stdin ends, stop when the server is silent this long (default 3s)",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="connect/handshake timeout")
    p.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> ClientConfig:
    kw: dict[str, Any] = {"alpn_protocols": parse_alpn(args.alpn)}
    suites = parse_suites(args.ciphers)
    if suites:
        kw["cipher_suites"] = suites
    if args.cafile:
        kw["cafile"] = args.cafile
    if args.insecure:
        kw["insecure_skip_verify"] = True
    if args.cert:
        kw["client_certificates"] = [CertifiedKey.from_files(args.cert, args.key or args.cert)]
    return ClientConfig(**kw)


def _connect(args: argparse.Namespace, config: ClientConfig, session: Session | None) -> TLSSocket:
    host, port = parse_host_port(args.target)
    sock = socket.create_connection((host, port), timeout=args.timeout)
    tls = wrap_client(sock, config, args.servername or host, session)
    if args.trace:
        status(tls.connection.trace.render(is_client=True))
    return tls


def _load_session(path: str) -> Session:
    try:
        return Session.from_bytes(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read session file {path}: {exc}") from None


def _save_session(path: str, session: Session | None) -> None:
    if session is None:
        return
    p = Path(path)
    p.write_bytes(session.to_bytes())
    p.chmod(0o600)


def reconnect(args: argparse.Namespace, config: ClientConfig, session: Session | None) -> int:
    """Like ``openssl s_client -reconnect``: six connections, each resuming the last session."""
    for _ in range(6):
        tls = _connect(args, config, session)
        n = tls.negotiated
        print(f"{'Reused' if n.resumed else 'New'}, {n.version}, Cipher is {n.cipher_suite.name}")
        session = tls.session
        tls.unwrap().close()
    if args.sess_out:
        _save_session(args.sess_out, session)
    return 0


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    session = _load_session(args.sess_in) if args.sess_in else None
    if args.reconnect:
        return reconnect(args, config, session)
    tls = _connect(args, config, session)
    report(tls)
    if args.sess_out:
        _save_session(args.sess_out, tls.session)
    tls.settimeout(None)
    sender = threading.Thread(target=_send_stdin, args=(tls,), daemon=True)
    sender.start()
    out = sys.stdout.buffer
    while True:
        if not sender.is_alive():
            tls.settimeout(args.idle_timeout)
        try:
            data = tls.recv()
        except TimeoutError:
            break
        if not data:
            break
        out.write(data)
        out.flush()
    tls.close()
    return 0


def report(tls: TLSSocket) -> None:
    n = tls.negotiated
    status(
        f"Connected: {n.version}, {n.cipher_suite.name}, group {n.group.name if n.group else '-'}"
    )
    if n.peer_certificates:
        status(f"Server certificate: {describe(n.peer_certificates[0])}")
    if n.alpn_protocol:
        status(f"ALPN: {n.alpn_protocol}")
    status(f"Extended master secret: {'yes' if n.extended_master_secret else 'no'}")


def _send_stdin(tls: TLSSocket) -> None:
    stdin = sys.stdin.buffer
    try:
        while True:
            line = stdin.readline()
            if not line:
                return
            tls.sendall(line)
    except (OSError, ValueError):
        return
