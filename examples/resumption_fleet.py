"""Resumption across a fleet: two servers that load the same ticket key file resume each
other's sessions, so a client that first met server A resumes (an abbreviated handshake, no
certificate, no key exchange) at server B.

    python examples/resumption_fleet.py --cert certs/server.crt --key certs/server.key \\
        --cafile certs/ca.pem --ticket-keys ticket.keys

In a real fleet each server is its own process on its own machine: they share nothing but the
key file (``TicketKeys.write`` / ``TicketKeys.from_file``; keep it secret, rotate it). Here
both run in this process only to keep the example short. Session IDs need a shared store
instead (``RedisSessionStore``); tickets need none.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import tls12


def hello(tls: tls12.TLSSocket) -> None:
    tls.sendall(b"hi\n")
    tls.close()


def start_server(name: str, key: tls12.CertifiedKey, ticket_file: Path) -> tls12.TLSServer:
    config = tls12.ServerConfig(
        certificates=[key],
        ticket_keys=tls12.TicketKeys.from_file(ticket_file),
        session_store=None,  # tickets only: no per-server session cache to fall back on
    )
    server = tls12.TLSServer(config, hello)
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def visit(port: int, config: tls12.ClientConfig, session: tls12.Session | None) -> tls12.Session:
    with tls12.connect("localhost", port, config, session=session) as tls:
        while tls.recv():
            pass
        resumed = tls.negotiated.resumed
        print(f"port {port}: {'resumed' if resumed else 'full handshake'}", flush=True)
        assert tls.session is not None
        return tls.session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--ticket-keys", required=True, type=Path, help="made when missing")
    args = parser.parse_args()

    if not args.ticket_keys.exists():
        tls12.TicketKeys().write(args.ticket_keys)
    key = tls12.CertifiedKey.from_files(args.cert, args.key)
    server_a = start_server("server A", key, args.ticket_keys)
    server_b = start_server("server B", key, args.ticket_keys)

    config = tls12.ClientConfig(cafile=args.cafile)
    session = visit(server_a.port, config, None)  # full handshake at A, ticket issued
    visit(server_b.port, config, session)  # B opens A's ticket: resumed


if __name__ == "__main__":
    main()
