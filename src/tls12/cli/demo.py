"""``tls12 demo``: TLS 1.2 on loopback with a throwaway PKI, shown as RFC 5246 draws it.

Three connections: a full handshake (figure 1), an abbreviated one resuming its session
(figure 2), and one offering a session to a server that never saw it, which falls back to a
full handshake. The client asks for OCSP status and the server staples a response its CA
signed (RFC 6066 §8): CertificateStatus follows Certificate in each full handshake. Nothing
touches the disk or the network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
from typing import Any

from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig
from tls12.io.sync import TLSSocket, connect
from tls12.io.sync_server import TLSServer
from tls12.ocsp_staple import Staple
from tls12.pki import make_ca
from tls12.pki_ocsp import ocsp_response
from tls12.sessions import Session
from tls12.verify import TrustStore, describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run TLS 1.2 handshakes on loopback and show them")
    p.add_argument(
        "--key-type",
        choices=("ecdsa", "rsa"),
        default="rsa",
        help="the server certificate's key type (default: rsa)",
    )
    p.add_argument(
        "--client-auth",
        action="store_true",
        help="the server asks for a client certificate (every optional message of figure 1)",
    )
    p.add_argument(
        "--no-tickets", action="store_true", help="resume by session ID instead of by ticket"
    )
    p.set_defaults(run=run)


def _echo(tls: TLSSocket) -> None:
    data = tls.recv()
    if data:
        tls.sendall(b"echo: " + data)


EXPORTER_LABEL = "EXPERIMENTAL-tls12-demo"
"""What the demo exports from each connection (RFC 5705): both ends derive the same value."""


def _exchange(
    title: str, port: int, config: ClientConfig, session: Session | None
) -> tuple[TLSSocket, bool]:
    print(f"=== {title} ===\n")
    tls = connect("127.0.0.1", port, config, server_name="localhost", session=session)
    message = b"hello over TLS 1.2"
    tls.sendall(message)
    reply = tls.recv()
    tls.unwrap().close()
    print(tls.connection.trace.render(is_client=True))
    n = tls.negotiated
    print()
    print(f"  protocol             {n.version}")
    print(f"  cipher suite         {n.cipher_suite.name}")
    if not n.resumed:
        print(f"  key exchange group   {n.group.name if n.group else '-'}")
        print(f"  server signature     {n.signature_scheme.name if n.signature_scheme else '-'}")
        print(f"  server certificate   {describe(n.peer_certificates[0])} (verified)")
        print(f"  OCSP staple          {_staple(tls)}")
    print(f"  session              {'resumed' if n.resumed else 'new'}")
    print(f"  ALPN                 {n.alpn_protocol}")
    print(f"  extended master      {'yes' if n.extended_master_secret else 'no'}")
    print(f"  secure renegotiation {'yes' if n.secure_renegotiation else 'no'}")
    exported = tls.connection.export_keying_material(EXPORTER_LABEL, 16).hex()
    print(f"  exported key         {exported} (RFC 5705, label {EXPORTER_LABEL})")
    print(f"  sent {message!r}, received {reply!r}\n")
    return tls, reply == b"echo: " + message


def _staple(tls: TLSSocket) -> str:
    staple = tls.ocsp_response
    if staple is None:
        return "none"
    return f"{staple.cert_status.value}, from {staple.responder} (RFC 6066 §8, RFC 6960)"


def run(args: argparse.Namespace) -> int:
    ca = make_ca("tls12 demo CA")
    server_id = ca.issue(["localhost", "127.0.0.1"], key_type=args.key_type)
    trust = TrustStore.from_certificates([ca.cert])
    staple = Staple(ocsp_response(ca, server_id.cert))
    server_kw: dict[str, Any] = {
        "certificates": [CertifiedKey(tuple(server_id.chain), server_id.key, ocsp_staple=staple)],
        "alpn_protocols": ["http/1.1"],
    }
    client_kw: dict[str, Any] = {
        "trust": trust,
        "alpn_protocols": ["http/1.1"],
        "session_tickets": not args.no_tickets,
        "ocsp_status_request": True,
    }
    if args.client_auth:
        client_id = ca.issue(["demo client"], key_type="ecdsa", client_auth=True, server_auth=False)
        server_kw.update(client_auth=ClientAuth.REQUIRED, client_trust=trust)
        client_kw["client_certificates"] = [CertifiedKey(tuple(client_id.chain), client_id.key)]
    client_config = ClientConfig(**client_kw)

    print(f"tls12 demo on 127.0.0.1 — CA {describe(ca.cert)}, server {describe(server_id.cert)}\n")
    results = []
    with TLSServer(ServerConfig(**server_kw), _echo).start() as server:
        first, ok = _exchange(
            "1. full handshake (RFC 5246 figure 1)", server.port, client_config, None
        )
        results.append(ok and not first.session_reused and first.ocsp_response is not None)
        second, ok = _exchange(
            "2. abbreviated handshake resuming that session (figure 2)",
            server.port,
            client_config,
            first.session,
        )
        results.append(ok and second.session_reused)
    with TLSServer(ServerConfig(**server_kw), _echo).start() as fresh:
        third, ok = _exchange(
            "3. the same session offered to a server that never saw it: full handshake",
            fresh.port,
            client_config,
            first.session,
        )
        results.append(ok and not third.session_reused and third.ocsp_response is not None)
    print("result: " + ("OK" if all(results) else f"FAILED {results}"))
    return 0 if all(results) else 1
