"""``tls12 demo``: a full handshake on loopback with a throwaway PKI, shown as RFC 5246 draws it.

Nothing touches the disk or the network beyond 127.0.0.1: the CA and the server certificate
are made in memory, the server runs in a thread, and the client's trace is printed.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig
from tls12.io.sync import TLSServer, TLSSocket, connect
from tls12.pki import make_ca
from tls12.verify import TrustStore, describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run a full TLS 1.2 handshake on loopback and show it")
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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    ca = make_ca("tls12 demo CA")
    server_id = ca.issue(["localhost", "127.0.0.1"], key_type=args.key_type)
    trust = TrustStore.from_certificates([ca.cert])
    server_kw: dict[str, Any] = {
        "certificates": [CertifiedKey(tuple(server_id.chain), server_id.key)],
        "alpn_protocols": ["http/1.1"],
    }
    client_kw: dict[str, Any] = {"trust": trust, "alpn_protocols": ["http/1.1"]}
    if args.client_auth:
        client_id = ca.issue(["demo client"], key_type="ecdsa", client_auth=True, server_auth=False)
        server_kw.update(client_auth=ClientAuth.REQUIRED, client_trust=trust)
        client_kw["client_certificates"] = [CertifiedKey(tuple(client_id.chain), client_id.key)]

    received: dict[str, bytes] = {}
    done = threading.Event()

    def echo(tls: TLSSocket) -> None:
        data = tls.recv()
        received["server"] = data
        tls.sendall(b"echo: " + data)
        done.set()

    with TLSServer(ServerConfig(**server_kw), echo, "127.0.0.1", 0).start() as server:
        print(f"tls12 demo: server listening on 127.0.0.1:{server.port}")
        print(f"  CA: {describe(ca.cert)};  server certificate: {describe(server_id.cert)}\n")
        tls = connect("127.0.0.1", server.port, ClientConfig(**client_kw), server_name="localhost")
        with tls:
            message = b"hello over TLS 1.2"
            tls.sendall(message)
            reply = tls.recv()
            done.wait(5)
            print(tls.connection.trace.render(is_client=True))
            n = tls.negotiated
            print("\nSummary")
            print(f"  protocol            {n.version}")
            print(f"  cipher suite        {n.cipher_suite.name}")
            print(f"  key exchange group  {n.group.name if n.group else '-'}")
            scheme = n.signature_scheme.name if n.signature_scheme else "-"
            print(f"  server signature    {scheme}")
            print(f"  server certificate  {describe(n.peer_certificates[0])} (verified)")
            print(f"  ALPN                {n.alpn_protocol}")
            print(f"  extended master     {'yes' if n.extended_master_secret else 'no'}")
            print(f"  secure renegotiation {'yes' if n.secure_renegotiation else 'no'}")
            print(f"  client sent         {message!r}")
            print(f"  server replied      {reply!r}")
    ok = reply == b"echo: " + message and received.get("server") == message
    print("\nresult: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1
