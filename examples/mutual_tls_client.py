"""Mutual TLS, client side: present a client certificate when the server asks for one, send
an HTTP request and print the first line of the answer.

    python examples/mutual_tls_client.py localhost 8443 --cafile certs/ca.pem \\
        --cert certs/client.crt --key certs/client.key
"""

from __future__ import annotations

import argparse

import tls12


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()

    config = tls12.ClientConfig(
        cafile=args.cafile,
        client_certificates=[tls12.CertifiedKey.from_files(args.cert, args.key)],
    )
    with tls12.connect(args.host, args.port, config) as tls:
        tls.sendall(b"GET / HTTP/1.0\r\nHost: " + args.host.encode() + b"\r\n\r\n")
        response = b""
        while chunk := tls.recv():
            response += chunk
    print(response.split(b"\n", 1)[0].decode().strip())


if __name__ == "__main__":
    main()
