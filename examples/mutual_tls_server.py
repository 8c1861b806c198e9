"""Mutual TLS, server side: a client certificate issued by our CA is required; the handler
reads one line and greets the client by the common name in its certificate.

    python examples/mutual_tls_server.py --cert certs/server.crt --key certs/server.key \\
        --client-ca certs/ca.pem --port 8443
    # then: openssl s_client -connect 127.0.0.1:8443 -CAfile certs/ca.pem \\
    #           -cert certs/client.crt -key certs/client.key
"""

from __future__ import annotations

import argparse

from cryptography.x509.oid import NameOID

import tls12


def greet(tls: tls12.TLSSocket) -> None:
    request = b""
    while b"\n" not in request and (chunk := tls.recv()):
        request += chunk
    leaf = tls.negotiated.peer_certificates[0]  # present: the handshake required it
    name = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    tls.sendall(f"hello, {name!s}\n".encode())
    tls.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca", required=True, help="PEM file of the client CAs")
    parser.add_argument("--port", type=int, default=8443, help="0 lets the system choose")
    args = parser.parse_args()

    config = tls12.ServerConfig(
        certificates=[tls12.CertifiedKey.from_files(args.cert, args.key)],
        client_auth=tls12.ClientAuth.REQUIRED,
        client_trust=tls12.TrustStore.from_pem_file(args.client_ca),
    )
    server = tls12.TLSServer(config, greet, port=args.port)
    print(f"listening on 127.0.0.1:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
