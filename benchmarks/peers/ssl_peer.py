"""Python's ``ssl`` module (OpenSSL), pinned to TLS 1.2.

Session IDs are forced with ``OP_NO_TICKET`` on the server; the client reuses one
``SSLContext`` and passes ``session=`` (see shared/PEERS.md). ``.session`` is read once, from
the first connection, because reading it copies the session.
"""

from __future__ import annotations

import socket
import ssl

from benchmarks.material import SERVER_NAME, Material
from benchmarks.workloads import Workload

NAME = "ssl"


def available() -> bool:
    return True


def version() -> str:
    return ssl.OPENSSL_VERSION


def _pin(ctx: ssl.SSLContext, workload: Workload) -> ssl.SSLContext:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(workload.suite.openssl)
    if not workload.tickets:
        ctx.options |= ssl.OP_NO_TICKET
    return ctx


class _Channel:
    def __init__(self, tls: ssl.SSLSocket) -> None:
        self._tls = tls
        self.resumed = tls.session_reused

    def sendall(self, data: bytes) -> None:
        self._tls.sendall(data)

    def recv_into(self, view: memoryview) -> int:
        return self._tls.recv_into(view)

    def close(self) -> None:
        self._tls.unwrap().close()


class Server:
    def __init__(self, workload: Workload, material: Material) -> None:
        ctx = _pin(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), workload)
        key = workload.suite.key
        ctx.load_cert_chain(material.cert(key), material.key(key))
        self._ctx = ctx

    def accept(self, sock: socket.socket) -> _Channel:
        return _Channel(self._ctx.wrap_socket(sock, server_side=True))


class Client:
    def __init__(self, workload: Workload, material: Material) -> None:
        ctx = _pin(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), workload)
        ctx.load_verify_locations(material.cafile)
        self._ctx = ctx
        self._resume = workload.kind == "resume"
        self._session: ssl.SSLSession | None = None

    def connect(self, sock: socket.socket) -> _Channel:
        tls = self._ctx.wrap_socket(sock, server_hostname=SERVER_NAME, session=self._session)
        if self._resume and self._session is None:
            self._session = tls.session
        return _Channel(tls)


def server(workload: Workload, material: Material) -> Server:
    return Server(workload, material)


def client(workload: Workload, material: Material) -> Client:
    return Client(workload, material)
