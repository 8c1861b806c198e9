"""urllib3 over tls12: ``TLS12Context`` is an ``ssl.SSLContext`` look-alike, so any code that
takes an SSL context (urllib3, http.client) can run on tls12 instead of OpenSSL.

    python examples/urllib3_client.py https://localhost:8443/ --cafile certs/ca.pem
"""

from __future__ import annotations

import argparse
import ssl

import urllib3

from tls12.io.sslcompat import TLS12Context


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--cafile", required=True)
    args = parser.parse_args()

    context = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=args.cafile)
    with urllib3.PoolManager(ssl_context=context) as http:
        response = http.request("GET", args.url, retries=False)
    print(response.status, len(response.data), "bytes")


if __name__ == "__main__":
    main()
