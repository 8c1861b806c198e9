"""A threaded TLS 1.2 echo server: each connection gets back every byte it sends.

    python examples/server.py --cert certs/server.crt --key certs/server.key --port 8443
    # then: openssl s_client -connect 127.0.0.1:8443 -CAfile certs/ca.pem -servername localhost
"""

from __future__ import annotations

import argparse

import tls12


def echo(tls: tls12.TLSSocket) -> None:
    """Called in its own thread once the handshake is done; returns when the client closes."""
    while data := tls.recv():
        tls.sendall(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port", type=int, default=8443, help="0 lets the system choose")
    args = parser.parse_args()

    key = tls12.CertifiedKey.from_files(args.cert, args.key)
    server = tls12.TLSServer(tls12.ServerConfig(certificates=[key]), echo, port=args.port)
    print(f"listening on 127.0.0.1:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
