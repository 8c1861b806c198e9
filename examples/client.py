"""A blocking TLS 1.2 client: connect, verify the server against a CA file, send one HTTP
request, print what was negotiated and the status line.

    python examples/client.py localhost 8443 --cafile certs/ca.pem
    # e.g. against: openssl s_server -accept 8443 -cert certs/server.crt -key certs/server.key -www
"""

from __future__ import annotations

import argparse

import tls12


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--cafile", required=True)
    args = parser.parse_args()

    config = tls12.ClientConfig(cafile=args.cafile)
    with tls12.connect(args.host, args.port, config) as tls:
        tls.sendall(b"GET / HTTP/1.0\r\nHost: " + args.host.encode() + b"\r\n\r\n")
        response = b""
        while chunk := tls.recv():
            response += chunk
        n = tls.negotiated
        group = n.group.name if n.group else None
        print(f"negotiated {n.version} {n.cipher_suite.name} group={group}")
        print(response.split(b"\r\n", 1)[0].decode())


if __name__ == "__main__":
    main()
