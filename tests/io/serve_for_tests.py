"""A server process for tests that measure a server from outside (RSS, open files, limits).

``python serve_for_tests.py aio|sync PORT CERT KEY [max_connections max_handshakes]``
serves echo on 127.0.0.1 with ``tls12.aio.start_server`` or ``tls12.TLSServer`` and prints
``listening on 127.0.0.1:PORT`` to stderr; failures are logged by the ``tls12`` logger at INFO.
The handshake deadline is 4 s. ``TLS12_TEST_NOFILE=N`` in the environment lowers RLIMIT_NOFILE;
``TLS12_TEST_REFUSALS=N`` sets max_refused_renegotiations (to let a renegotiation flood run).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import sys

from tls12.aio import start_server
from tls12.config import CertifiedKey, ServerConfig
from tls12.io.sync import TLSSocket
from tls12.io.sync_server import TLSServer


async def echo_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


def echo_socket(tls: TLSSocket) -> None:
    while data := tls.recv():
        tls.sendall(data)


async def serve_aio(config: ServerConfig, port: int, limits: dict[str, int]) -> None:
    server = await start_server(
        echo_stream, "127.0.0.1", port, config, handshake_timeout=4.0, **limits
    )
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", file=sys.stderr)
    async with server:
        await server.serve_forever()


def main() -> None:
    nofile = os.environ.get("TLS12_TEST_NOFILE")
    if nofile:  # run out of file descriptors on purpose
        resource.setrlimit(resource.RLIMIT_NOFILE, (int(nofile), int(nofile)))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    kind, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    limits: dict[str, int] = {}
    if len(sys.argv) > 5:
        limits = {"max_connections": int(sys.argv[5]), "max_handshakes": int(sys.argv[6])}
    refusals = int(os.environ.get("TLS12_TEST_REFUSALS", "16"))
    config = ServerConfig(
        certificates=[CertifiedKey.from_files(cert, key)], max_refused_renegotiations=refusals
    )
    if kind == "aio":
        asyncio.run(serve_aio(config, port, limits))
        return
    server = TLSServer(config, echo_socket, port=port, handshake_timeout=4.0, **limits)
    print(f"listening on 127.0.0.1:{server.port}", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
