"""The engines alone: client and server in this process, bytes handed over in memory.

tls12's ``ClientConnection``/``ServerConnection`` are compared with ``ssl``'s own sans-I/O
form (``SSLContext.wrap_bio`` over ``MemoryBIO``), so socket and process costs drop out and
what is left is protocol work plus cryptography, as CPU time (``time.process_time``). Each
pair times the client's calls and the server's calls separately as well.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.material import SERVER_NAME, Material
from benchmarks.workloads import CHUNK, MIB, EngineWorkload, Workload
from tls12.config import CertifiedKey, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, ServerConnection
from tls12.events import ApplicationData
from tls12.verify import TrustStore

RECV_SIZE = 65536
"""The receiver is fed in pieces of this size, as a socket reader would."""

CLOCK = time.process_time
"""Engine costs are CPU time of this process: other load on the machine disturbs that less
than the wall clock, and there are no sockets to wait for."""


@dataclass
class Split:
    """Seconds spent in the client's calls and in the server's."""

    client: float = 0.0
    server: float = 0.0

    @property
    def total(self) -> float:
        return self.client + self.server


def _socket_workload(w: EngineWorkload) -> Workload:
    return Workload(w.name, w.title, w.kind, w.suite, resumption=w.resumption)


def _payload() -> bytes:
    return bytes(range(256)) * (CHUNK // 256)


def _pieces(wire: bytes) -> list[bytes]:
    return [wire[i : i + RECV_SIZE] for i in range(0, len(wire), RECV_SIZE)]


class Tls12Pair:
    """tls12 client and server engines."""

    name = "tls12"

    def __init__(self, workload: EngineWorkload, material: Material) -> None:
        key = workload.suite.key
        tickets = workload.resumption != "id"
        self.server_config = ServerConfig(
            certificates=[CertifiedKey.from_files(material.cert(key), material.key(key))],
            cipher_suites=[workload.suite.iana],
            session_tickets=tickets,
        )
        self.client_config = ClientConfig(
            trust=TrustStore.from_pem_file(material.cafile),
            cipher_suites=[workload.suite.iana],
            session_tickets=tickets,
        )
        self.session: Any = None
        self.payload = _payload()

    def handshake(self, split: Split, session: Any = None) -> tuple[Any, Any]:
        clock = CLOCK
        t = clock()
        client = ClientConnection(self.client_config, SERVER_NAME, session)
        client.start()
        data = client.data_to_send()
        split.client += clock() - t
        t = clock()
        server = ServerConnection(self.server_config)
        split.server += clock() - t
        while data:
            t = clock()
            server.receive_data(data)
            back = server.data_to_send()
            split.server += clock() - t
            if not back:
                break
            t = clock()
            client.receive_data(back)
            data = client.data_to_send()
            split.client += clock() - t
        if not (client.handshake_complete and server.handshake_complete):
            raise RuntimeError("the in-memory tls12 handshake did not complete")
        if session is not None and not client.negotiated.resumed:
            raise RuntimeError("the in-memory tls12 handshake did not resume")
        return client, server

    def first_session(self) -> Any:
        client, _ = self.handshake(Split())
        return client.session

    def transfer_mib(self, client: Any, server: Any, split: Split) -> None:
        """1 MiB from client to server: 16 KiB writes, received in 64 KiB pieces."""
        clock = CLOCK
        wires = []
        payload = self.payload
        t = clock()
        for _ in range(MIB // CHUNK):
            client.send(payload)
            wires.append(client.data_to_send())
        split.client += clock() - t
        pieces = _pieces(b"".join(wires))
        got = 0
        t = clock()
        for piece in pieces:
            for event in server.receive_data(piece):
                if isinstance(event, ApplicationData):
                    got += len(event.data)
        split.server += clock() - t
        if got != MIB:
            raise RuntimeError(f"tls12 delivered {got} bytes of {MIB}")


class SslPair:
    """ssl client and server objects over memory BIOs, pinned to TLS 1.2."""

    name = "ssl"

    def __init__(self, workload: EngineWorkload, material: Material) -> None:
        from benchmarks.peers import ssl_peer

        sw = _socket_workload(workload)
        self.server_ctx = ssl_peer.Server(sw, material)._ctx
        self.client_ctx = ssl_peer.Client(sw, material)._ctx
        self.payload = _payload()

    def handshake(self, split: Split, session: Any = None) -> tuple[Any, Any]:
        clock = CLOCK
        c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
        t = clock()
        client = self.client_ctx.wrap_bio(c_in, c_out, server_hostname=SERVER_NAME, session=session)
        client_done = _step(client)
        split.client += clock() - t
        t = clock()
        server = self.server_ctx.wrap_bio(s_in, s_out, server_side=True)
        split.server += clock() - t
        server_done = False
        for _ in range(10):
            data = c_out.read()
            if data or not server_done:
                t = clock()
                s_in.write(data)
                server_done = _step(server)
                back = s_out.read()
                split.server += clock() - t
            else:
                back = b""
            if back or not client_done:
                t = clock()
                c_in.write(back)
                client_done = _step(client)
                split.client += clock() - t
            if client_done and server_done and not c_out.pending and not s_out.pending:
                break
        if not (client_done and server_done):
            raise RuntimeError("the in-memory ssl handshake did not complete")
        if session is not None and not client.session_reused:
            raise RuntimeError("the in-memory ssl handshake did not resume")
        self._bios = (c_out, s_in)
        return client, server

    def first_session(self) -> Any:
        client, _ = self.handshake(Split())
        return client.session

    def transfer_mib(self, client: Any, server: Any, split: Split) -> None:
        clock = CLOCK
        c_out, s_in = self._bios
        wires = []
        payload = self.payload
        t = clock()
        for _ in range(MIB // CHUNK):
            client.write(payload)
            wires.append(c_out.read())
        split.client += clock() - t
        pieces = _pieces(b"".join(wires))
        got = 0
        t = clock()
        for piece in pieces:
            s_in.write(piece)
            while True:
                try:
                    got += len(server.read(RECV_SIZE))
                except ssl.SSLWantReadError:
                    break
        split.server += clock() - t
        if got != MIB:
            raise RuntimeError(f"ssl delivered {got} bytes of {MIB}")


def _step(obj: ssl.SSLObject) -> bool:
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        return False
    return True


PAIRS = (Tls12Pair, SslPair)
