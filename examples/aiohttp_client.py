"""aiohttp over tls12: ``ssl=`` takes a ``TLS12Context`` (an ``ssl.SSLContext`` subclass), and
asyncio drives tls12's engine through ``wrap_bio`` instead of OpenSSL.

    python examples/aiohttp_client.py https://localhost:8443/ --cafile certs/ca.pem
"""

from __future__ import annotations

import argparse
import asyncio
import ssl

import aiohttp

from tls12.io.sslcompat import TLS12Context


async def fetch(url: str, cafile: str) -> tuple[int, int]:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=cafile)
    async with aiohttp.ClientSession() as session, session.get(url, ssl=ctx) as response:
        body = await response.read()
        return response.status, len(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--cafile", required=True)
    args = parser.parse_args()
    status, size = asyncio.run(fetch(args.url, args.cafile))
    print(status, size, "bytes")


if __name__ == "__main__":
    main()
