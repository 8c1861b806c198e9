"""An asyncio TLS 1.2 client: ``tls12.aio.open_connection`` gives the usual StreamReader and
StreamWriter, with the handshake done.

    python examples/asyncio_client.py localhost 8443 --cafile certs/ca.pem
"""

from __future__ import annotations

import argparse
import asyncio

import tls12


async def fetch(host: str, port: int, cafile: str) -> bytes:
    config = tls12.ClientConfig(cafile=cafile)
    reader, writer = await tls12.aio.open_connection(host, port, config)
    writer.write(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
    await writer.drain()
    response = await reader.read()  # to the server's close_notify
    writer.close()
    await writer.wait_closed()
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--cafile", required=True)
    args = parser.parse_args()
    response = asyncio.run(fetch(args.host, args.port, args.cafile))
    print(response.split(b"\r\n", 1)[0].decode())


if __name__ == "__main__":
    main()
