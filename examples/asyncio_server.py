"""An asyncio TLS 1.2 server: ``tls12.aio.start_server`` calls the handler with streams once
each handshake is done. This one answers every line with the line in upper case.

    python examples/asyncio_server.py --cert certs/server.crt --key certs/server.key --port 8443
"""

from __future__ import annotations

import argparse
import asyncio

import tls12


async def shout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve(cert: str, key: str, port: int) -> None:
    config = tls12.ServerConfig(certificates=[tls12.CertifiedKey.from_files(cert, key)])
    server = await tls12.aio.start_server(shout, "127.0.0.1", port, config)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port", type=int, default=8443, help="0 lets the system choose")
    args = parser.parse_args()
    asyncio.run(serve(args.cert, args.key, args.port))


if __name__ == "__main__":
    main()
