"""tlslite-ng, when it is installed (an optional column; never a dependency).

Pinned to TLS 1.2 and to the workload's suite. Its client does not validate the server's
chain (tlslite-ng checks nothing unless given a checker), so its client side is cheaper than
the others'; its server side does the same work as theirs. Which backend it uses (pure
Python, or M2Crypto/pycryptodome when present) is reported by ``version()``.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from benchmarks.material import SERVER_NAME, Material
from benchmarks.workloads import Workload

NAME = "tlslite"


def available() -> bool:
    try:
        import tlslite.api  # noqa: F401
    except ImportError:
        return False
    return True


def version() -> str:
    import tlslite
    from tlslite.utils import cryptomath

    backends = [
        name
        for name, present in (
            ("M2Crypto", cryptomath.m2cryptoLoaded),
            ("pycrypto", cryptomath.pycryptoLoaded),
            ("gmpy", cryptomath.gmpyLoaded),
        )
        if present
    ]
    return f"tlslite-ng {tlslite.__version__} ({', '.join(backends) or 'pure Python'})"


def _settings(workload: Workload) -> Any:
    from tlslite.api import HandshakeSettings

    s = HandshakeSettings()
    s.minVersion = (3, 3)
    s.maxVersion = (3, 3)
    s.cipherNames = [workload.suite.tlslite_cipher]
    s.keyExchangeNames = [workload.suite.tlslite_kx]
    s.eccCurves = ["x25519", "secp256r1"]
    s.keyShares = []
    return s


class _Channel:
    def __init__(self, conn: Any, sock: socket.socket) -> None:
        self._conn = conn
        self._sock = sock
        conn.closeSocket = False  # close() then waits for the peer's close_notify
        self.resumed = bool(conn.resumed)

    def sendall(self, data: bytes) -> None:
        self._conn.write(data)

    def recv_into(self, view: memoryview) -> int:
        data = self._conn.read(len(view))
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        self._conn.close()
        self._sock.close()


class Server:
    def __init__(self, workload: Workload, material: Material) -> None:
        from tlslite.api import SessionCache, X509CertChain, parsePEMKey

        key = workload.suite.key
        self._chain = X509CertChain()
        self._chain.parsePemList(material.cert(key).read_text())
        self._key = parsePEMKey(material.key(key).read_text(), private=True)
        self._cache = SessionCache()
        self._settings = _settings(workload)
        if workload.tickets:
            self._settings.ticketKeys = [bytearray(os.urandom(32))]

    def accept(self, sock: socket.socket) -> _Channel:
        from tlslite.api import TLSConnection

        conn = TLSConnection(sock)
        conn.handshakeServer(
            certChain=self._chain,
            privateKey=self._key,
            sessionCache=self._cache,
            settings=self._settings,
        )
        return _Channel(conn, sock)


class Client:
    def __init__(self, workload: Workload, material: Material) -> None:
        self._settings = _settings(workload)
        self._resume = workload.kind == "resume"
        self._session: Any = None

    def connect(self, sock: socket.socket) -> _Channel:
        from tlslite.api import TLSConnection

        conn = TLSConnection(sock)
        conn.handshakeClientCert(
            session=self._session, settings=self._settings, serverName=SERVER_NAME
        )
        if self._resume and self._session is None:
            self._session = conn.session
        return _Channel(conn, sock)


def server(workload: Workload, material: Material) -> Server:
    return Server(workload, material)


def client(workload: Workload, material: Material) -> Client:
    return Client(workload, material)
