"""httpx (sync and async) over tls12: hand a ``TLS12Context`` to ``verify=`` and httpx runs on
tls12's engine instead of OpenSSL, unchanged.

    python examples/httpx_client.py https://localhost:8443/ --cafile certs/ca.pem
"""

from __future__ import annotations

import argparse
import asyncio
import ssl

import httpx

from tls12.io.sslcompat import TLS12Context


def context(cafile: str) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=cafile)
    return ctx


async def fetch_async(url: str, cafile: str) -> httpx.Response:
    async with httpx.AsyncClient(verify=context(cafile)) as client:
        return await client.get(url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--cafile", required=True)
    args = parser.parse_args()

    with httpx.Client(verify=context(args.cafile)) as client:
        sync = client.get(args.url)
    print("sync", sync.status_code, len(sync.content), "bytes")
    response = asyncio.run(fetch_async(args.url, args.cafile))
    print("async", response.status_code, len(response.content), "bytes")


if __name__ == "__main__":
    main()
