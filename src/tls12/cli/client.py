"""``tls12 client HOST:PORT``: connect, send standard input, print what comes back.

Like ``openssl s_client``: connection facts on stderr (``--quiet`` silences them), the peer's
data on stdout. After standard input ends the client keeps reading until the server closes or
stays silent for ``--idle-timeout`` seconds, then closes with close_notify.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import socket
import sys
import time
from pathlib import Path
from typing import Any

from tls12.cli import negotiation, ocsp_options, psk_options, record_size
from tls12.cli.common import (
    add_exporter_options,
    check_exporter_options,
    check_writable,
    exporter_report,
    load_certified_key,
    parse_alpn,
    parse_host_port,
    parse_suites,
    positive_seconds,
    status,
)
from tls12.config import ClientConfig, keylog_to_file
from tls12.connection import ClientConnection
from tls12.errors import ConfigError, TLSError
from tls12.events import ApplicationData
from tls12.io.server_limits import set_nodelay
from tls12.io.sync import TLSSocket
from tls12.sessions import Session
from tls12.verify import describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "client",
        help="connect to a TLS 1.2 server, send stdin, print the reply",
        description="Connect to a TLS 1.2 server, send standard input, and print what comes "
        "back on standard output. Connection facts (suite, certificate, ALPN) go to stderr.",
    )
    p.add_argument("target", metavar="HOST:PORT")
    p.add_argument("--cafile", help="PEM file of trusted CAs (default: the system store)")
    p.add_argument(
        "--insecure", action="store_true", help="do not check the server certificate (unsafe)"
    )
    p.add_argument("--servername", help="name for SNI and the certificate check (default: HOST)")
    p.add_argument("--alpn", help="comma-separated ALPN protocols to offer")
    p.add_argument("--ciphers", help="comma-separated IANA cipher suite names, or ALL")
    negotiation.add_options(p)
    record_size.add_options(p, client=True)
    p.add_argument(
        "--cert",
        help="client certificate chain (PEM), if the server asks for one; "
        "RSA, RSA-PSS, ECDSA, Ed25519 or Ed448",
    )
    p.add_argument("--key", help="private key for --cert (PEM)")
    p.add_argument("--trace", action="store_true", help="print the handshake message flow")
    p.add_argument(
        "--trace-json",
        metavar="F",
        help="write the handshake messages to F, one JSON object per line",
    )
    p.add_argument(
        "--keylog",
        metavar="F",
        help="append the session secrets to F (NSS key log format, for Wireshark)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="print no connection facts, only the peer's data"
    )
    p.add_argument("--sess-out", metavar="F", help="write the session to F (a secret file)")
    p.add_argument("--sess-in", metavar="F", help="resume the session read from F")
    p.add_argument(
        "--reconnect",
        action="store_true",
        help="connect, then reconnect 5 times resuming; print New or Reused each time",
    )
    p.add_argument(
        "--idle-timeout",
        type=positive_seconds,
        default=3.0,
        help="after stdin ends, stop when the server is silent this long (default 3s)",
    )
    p.add_argument(
        "--timeout",
        type=positive_seconds,
        default=30.0,
        help="deadline for the TCP connect and the whole TLS handshake together (default 30s)",
    )
    p.add_argument(
        "--no-nodelay",
        action="store_true",
        help="leave Nagle's algorithm on (TCP_NODELAY is set by default)",
    )
    psk_options.add_client_options(p)
    add_exporter_options(p)
    ocsp_options.add_client_options(p)
    p.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> ClientConfig:
    kw: dict[str, Any] = {"alpn_protocols": parse_alpn(args.alpn)}
    kw.update(psk_options.client_config_kwargs(args))
    suites = parse_suites(args.ciphers)
    if suites:
        kw["cipher_suites"] = suites
    kw.update(negotiation.config_kwargs(args))
    kw.update(record_size.config_kwargs(args))
    kw.update(ocsp_options.client_config_kwargs(args))
    if args.cafile:
        kw["cafile"] = args.cafile
    if args.insecure:
        kw["insecure_skip_verify"] = True
    if args.cert:
        kw["client_certificates"] = [load_certified_key(args.cert, args.key or args.cert)]
    if getattr(args, "keylog", None):
        kw["keylog"] = keylog_to_file(args.keylog)
    return ClientConfig(**kw)


class _TraceWriter:
    """Writes each connection's trace as JSON lines (``--trace-json``); with several
    connections (``--reconnect``) every line also carries the connection's number."""

    def __init__(self, path: str | None, numbered: bool) -> None:
        self.path = path
        self.numbered = numbered
        self._count = 0
        if path:
            Path(path).write_text("")

    def write(self, tls: TLSSocket) -> None:
        if not self.path:
            return
        self._count += 1
        trace = tls.connection.trace
        with open(self.path, "a", encoding="utf-8") as f:
            if not self.numbered:
                f.write(trace.to_json_lines())
                return
            for entry in trace.entries:
                f.write(json.dumps({"connection": self._count, **entry.as_dict()}) + "\n")


def _connect(
    args: argparse.Namespace, config: ClientConfig, session: Session | None, traces: _TraceWriter
) -> TLSSocket:
    return _open(args, config, session, traces)[0]


def _open(
    args: argparse.Namespace, config: ClientConfig, session: Session | None, traces: _TraceWriter
) -> tuple[TLSSocket, socket.socket]:
    """The handshaken TLSSocket and the TCP socket under it, within ``--timeout`` for the
    connect and the handshake together (a server that trickles cannot hold us longer)."""
    host, port = parse_host_port(args.target)
    deadline = time.monotonic() + args.timeout
    try:
        sock = socket.create_connection((host, port), timeout=args.timeout)
    except OSError as exc:
        raise OSError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    set_nodelay(sock, not args.no_nodelay)
    tls = TLSSocket(sock, ClientConnection(config, args.servername or host, session))
    try:
        tls.do_handshake(timeout=max(deadline - time.monotonic(), 0.001))
    except BaseException as exc:
        sock.close()
        # how far the handshake got
        if args.trace:
            status(tls.connection.trace.render(is_client=True))
        traces.write(tls)
        hint = _failure_hint(args, tls, exc)
        if hint:
            status(f"tls12: hint: {hint}")
        if isinstance(exc, TimeoutError):
            raise OSError(
                f"{host}:{port}: no completed handshake within --timeout {args.timeout:g} s"
            ) from None
        raise
    if args.trace:
        status(tls.connection.trace.render(is_client=True))
    return tls, sock


def _failure_hint(args: argparse.Namespace, tls: TLSSocket, exc: BaseException) -> str | None:
    """What the user can do when the server asked for a certificate we did not have."""
    asked = "CertificateRequest" in tls.connection.trace.names
    if asked and not args.cert and isinstance(exc, TLSError):
        return "the server asked for a client certificate; give one with --cert and --key"
    return None


def _load_session(path: str) -> Session:
    try:
        return Session.from_bytes(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read session file {path}: {exc.strerror}") from None
    except TLSError as exc:
        raise ConfigError(f"--sess-in {path} is not a tls12 session file: {exc}") from None


def _save_session(path: str, session: Session | None) -> None:
    if session is None:
        return
    p = Path(path)
    p.write_bytes(session.to_bytes())
    p.chmod(0o600)


def reconnect(args: argparse.Namespace, config: ClientConfig, session: Session | None) -> int:
    """Like ``openssl s_client -reconnect``: six connections, each resuming the last session."""
    traces = _TraceWriter(args.trace_json, numbered=True)
    for _ in range(6):
        tls = _connect(args, config, session, traces)
        n = tls.negotiated
        print(f"{'Reused' if n.resumed else 'New'}, {n.version}, Cipher is {n.cipher_suite.name}")
        if args.keymatexport is not None:
            print(exporter_report(tls.connection, args.keymatexport, args.keymatexportlen))
        session = tls.session
        tls.unwrap().close()
        traces.write(tls)
    if args.sess_out:
        _save_session(args.sess_out, session)
    return 0


def run(args: argparse.Namespace) -> int:
    check_exporter_options(args)
    check_writable(args.keylog, "--keylog")
    check_writable(args.sess_out, "--sess-out")
    check_writable(args.trace_json, "--trace-json")
    config = config_from_args(args)
    session = _load_session(args.sess_in) if args.sess_in else None
    if args.reconnect:
        return reconnect(args, config, session)
    traces = _TraceWriter(args.trace_json, numbered=False)
    tls, sock = _open(args, config, session, traces)
    if not args.quiet:
        report(tls)
        for line in ocsp_options.report_lines(args, tls.negotiated):
            status(line)
    if args.keymatexport is not None:
        status(exporter_report(tls.connection, args.keymatexport, args.keymatexportlen))
    if args.sess_out:
        _save_session(args.sess_out, tls.session)
    try:
        relay(tls, sock, args.idle_timeout)
    finally:
        tls.close()
        traces.write(tls)  # the handshake, then the first application data each way
    return 0


HIGH_WATER = 256 * 1024
"""Stop reading standard input while this much is waiting to be written to the server."""


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):  # no usable stdin: nothing to send
        return None


def relay(tls: TLSSocket, sock: socket.socket, idle_timeout: float) -> None:
    """Standard input to the server and the server's data to standard output, in one thread
    with non-blocking I/O (one caller drives the engine; neither direction can block the
    other). After standard input ends, stops when the server closes or has been silent for
    ``idle_timeout`` seconds."""
    conn = tls.connection
    out = sys.stdout.buffer
    if tls.pending():  # data that came with the handshake's last flight
        out.write(tls.recv(tls.pending()))
        out.flush()
    stdin_fd = _stdin_fd()
    idle_deadline = None if stdin_fd is not None else time.monotonic() + idle_timeout
    outgoing = bytearray()
    # poll/select, not epoll: standard input may be a regular file (epoll refuses those)
    selector = getattr(selectors, "PollSelector", selectors.SelectSelector)()
    selector.register(sock, selectors.EVENT_READ, "net")
    reading_stdin = False
    sock.setblocking(False)
    try:
        while True:
            net_events = selectors.EVENT_READ | (selectors.EVENT_WRITE if outgoing else 0)
            selector.modify(sock, net_events, "net")
            want_stdin = stdin_fd is not None and len(outgoing) < HIGH_WATER
            if stdin_fd is not None and want_stdin and not reading_stdin:
                selector.register(stdin_fd, selectors.EVENT_READ, "stdin")
            elif stdin_fd is not None and reading_stdin and not want_stdin:
                selector.unregister(stdin_fd)
            reading_stdin = want_stdin
            wait = None if idle_deadline is None else idle_deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return
            for key, mask in selector.select(wait):
                if key.data == "stdin":
                    chunk = os.read(key.fd, 65536)
                    if chunk:
                        conn.send(chunk)
                        outgoing += conn.data_to_send()
                    else:
                        selector.unregister(key.fd)
                        stdin_fd, reading_stdin = None, False
                        idle_deadline = time.monotonic() + idle_timeout
                    continue
                if mask & selectors.EVENT_WRITE and outgoing:
                    with contextlib.suppress(BlockingIOError):
                        del outgoing[: sock.send(outgoing)]
                if mask & selectors.EVENT_READ:
                    try:
                        data = sock.recv(65536)
                    except BlockingIOError:
                        continue
                    try:
                        events = conn.receive_data(data)
                    finally:
                        outgoing += conn.data_to_send()  # answers, or the alert of a failure
                    for event in events:
                        if isinstance(event, ApplicationData):
                            out.write(event.data)
                    out.flush()
                    if not data or conn.closed_by_peer:
                        return
                    if idle_deadline is not None:
                        idle_deadline = time.monotonic() + idle_timeout
    finally:
        selector.close()
        sock.settimeout(5.0)
        with contextlib.suppress(OSError):
            sock.sendall(outgoing)


def report(tls: TLSSocket) -> None:
    n = tls.negotiated
    status(f"{'Reused' if n.resumed else 'New'}, {n.version}, Cipher is {n.cipher_suite.name}")
    status(f"Key exchange group: {n.group.name if n.group else '-'}")
    if n.peer_certificates:
        status(f"Server certificate: {describe(n.peer_certificates[0])}")
    if n.alpn_protocol:
        status(f"ALPN: {n.alpn_protocol}")
    if n.psk_identity is not None:
        status(f"PSK identity: {n.psk_identity.decode('utf-8', 'replace')}")
    status(f"Extended master secret: {'yes' if n.extended_master_secret else 'no'}")
    if sizes := record_size.describe(n):
        status(sizes)
