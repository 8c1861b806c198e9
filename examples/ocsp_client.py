"""A client that asks for the server's stapled OCSP response (RFC 6066 §8), checks it and
prints it the way ``openssl s_client -status`` does; ``--require`` fails without a good one.

    python examples/ocsp_client.py localhost 8443 --cafile certs/ca.pem
    # e.g. against: openssl s_server -accept 8443 -cert C -key K -status_file resp.der
    #   (resp.der from: openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem
    #    -issuer ca.pem -cert server.crt -respout resp.der -ndays 1)
"""

from __future__ import annotations

import argparse
import sys

import tls12


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--require", action="store_true", help="fail without a good staple")
    args = parser.parse_args()

    config = tls12.ClientConfig(
        cafile=args.cafile, ocsp_status_request=True, require_ocsp_staple=args.require
    )
    try:
        tls = tls12.connect(args.host, args.port, config)
    except tls12.CertificateRevoked as exc:  # a valid staple that says revoked
        print(f"revoked: {exc}", file=sys.stderr)
        return 2
    except tls12.BadCertificateStatusResponse as exc:  # invalid, or missing when required
        print(f"bad or missing staple: {exc}", file=sys.stderr)
        return 1
    with tls:
        staple = tls.ocsp_response
        if staple is None:
            print("OCSP response: no response sent")
        else:
            print("\n".join(staple.describe()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
