"""tls12 itself, through its blocking socket layer (``tls12.io.sync``)."""

from __future__ import annotations

import socket

import tls12
from benchmarks.material import SERVER_NAME, Material
from benchmarks.workloads import Workload
from tls12.config import CertifiedKey, ClientConfig, ServerConfig
from tls12.io.sync import TLSSocket, wrap_client, wrap_server
from tls12.sessions import Session
from tls12.verify import TrustStore

NAME = "tls12"


def available() -> bool:
    return True


def version() -> str:
    return f"tls12 {tls12.__version__}"


class _Channel:
    def __init__(self, tls: TLSSocket) -> None:
        self._tls = tls
        self.resumed = tls.session_reused

    def sendall(self, data: bytes) -> None:
        self._tls.sendall(data)

    def recv_into(self, view: memoryview) -> int:
        return self._tls.recv_into(view)

    def close(self) -> None:
        self._tls.unwrap().close()


def server_config(workload: Workload, material: Material) -> ServerConfig:
    key = workload.suite.key
    certified = CertifiedKey.from_files(material.cert(key), material.key(key))
    return ServerConfig(
        certificates=[certified],
        cipher_suites=[workload.suite.iana],
        session_tickets=workload.tickets,
    )


def client_config(workload: Workload, material: Material) -> ClientConfig:
    return ClientConfig(
        trust=TrustStore.from_pem_file(material.cafile),
        cipher_suites=[workload.suite.iana],
        session_tickets=workload.tickets,
    )


class Server:
    def __init__(self, workload: Workload, material: Material) -> None:
        self._config = server_config(workload, material)

    def accept(self, sock: socket.socket) -> _Channel:
        return _Channel(wrap_server(sock, self._config))


class Client:
    def __init__(self, workload: Workload, material: Material) -> None:
        self._config = client_config(workload, material)
        self._resume = workload.kind == "resume"
        self._session: Session | None = None

    def connect(self, sock: socket.socket) -> _Channel:
        tls = wrap_client(sock, self._config, SERVER_NAME, self._session)
        if self._resume and self._session is None:
            self._session = tls.session
        return _Channel(tls)


def server(workload: Workload, material: Material) -> Server:
    return Server(workload, material)


def client(workload: Workload, material: Material) -> Client:
    return Client(workload, material)
