"""``TLSSocket.recv_into`` decrypts whole records straight into the caller's buffer when they
fit, and goes through the engine's events otherwise: every buffer size gets the stream whole
and in order from Python's ``ssl``, ``pending()`` counts what recv_into left buffered, and
``recv`` after ``recv_into`` reads what the fast path had fed but not read."""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
import ssl
import time
from pathlib import Path

import pytest
from peers import HOST, PythonTLSServer, python_server_context, recv_until_eof
from tls_support import pki

from tls12.io.sync import wrap_client

PAYLOAD = os.urandom(600_000)
WRITES = (16384, 100, 5000, 16384, 1, 40000, 16383)  # record sizes Python ssl makes of them


def sender(tls: ssl.SSLSocket) -> int:
    view = memoryview(PAYLOAD)
    for size in itertools.cycle(WRITES):
        if not view:
            break
        tls.sendall(view[:size])
        view = view[size:]
    return len(recv_until_eof(tls))


def serve(tmp_path: Path, ciphers: str) -> PythonTLSServer:
    paths = pki().write(tmp_path)
    ctx = python_server_context([(paths["rsa.crt"], paths["rsa.key"])], ciphers=ciphers)
    return PythonTLSServer(ctx, sender, timeout=60)


@pytest.mark.parametrize("ciphers", ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
                                     "ECDHE-RSA-AES128-SHA"])  # fmt: skip
@pytest.mark.parametrize("sizes", [(65536,), (16384,), (1, 100, 8192, 16385, 20000, 65536)])
def test_every_buffer_size_gets_the_stream_whole(
    tmp_path: Path, ciphers: str, sizes: tuple[int, ...]
) -> None:
    with serve(tmp_path, ciphers) as server:
        config = pki().client_config(cipher_suites="compatible")  # the CBC suite too
        tls = wrap_client(
            socket.create_connection((HOST, server.port), timeout=30), config, "localhost"
        )
        got = bytearray()
        buffer = bytearray(max(sizes))
        for size in itertools.cycle(sizes):
            if len(got) == len(PAYLOAD):
                break
            with memoryview(buffer) as view:
                n = tls.recv_into(view[:size])
            assert 0 < n <= size
            got += buffer[:n]
        assert hashlib.sha256(got).digest() == hashlib.sha256(PAYLOAD).digest()
        tls.close()
        assert server.result() == 0


def test_pending_and_recv_see_what_recv_into_left_buffered(tmp_path: Path) -> None:
    with serve(tmp_path, "ECDHE-RSA-AES128-GCM-SHA256") as server:
        tls = wrap_client(
            socket.create_connection((HOST, server.port), timeout=30),
            pki().client_config(),
            "localhost",
        )
        time.sleep(0.5)  # the sender's first records all in our kernel buffer by now
        buffer = bytearray(16384)
        n = tls.recv_into(buffer)  # one read of 64 KiB: its first record lands in buffer
        assert n == 16384
        got = bytearray(buffer)
        assert tls.pending() >= 100 + 5000  # the records fed but not yet read, decrypted now
        while len(got) < len(PAYLOAD):
            got += tls.recv(70000)
        assert bytes(got) == PAYLOAD
        tls.close()
        assert server.result() == 0
