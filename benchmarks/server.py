"""The server process of a socket workload.

It serves one connection at a time on 127.0.0.1 until the benchmark says stop, and records
its own CPU time (``time.process_time``: user + system, this process only) after every
connection and after every bulk command, so the client side can turn any span of the run
into CPU per handshake or per MiB.

The byte protocol of a connection, after the handshake (shared by every implementation):
``U`` + u64 n: the client sends n bytes, the server answers ``k`` once they are all in;
``D`` + u64 n: the server sends n bytes in 16 KiB writes. A handshake workload sends no
command: the client closes at once.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from multiprocessing.connection import Connection, wait

from benchmarks import peers
from benchmarks.material import Material
from benchmarks.peers.base import Channel, ServerPeer, recv_exact, tune
from benchmarks.workloads import CHUNK, Workload

COMMAND_LEN = 9
IO_TIMEOUT = 30.0


def serve(peer_name: str, workload: Workload, material: Material, control: Connection) -> None:
    """Entry point of the server process; ``control`` carries ready/stop/done messages."""
    try:
        peer = peers.get(peer_name).server(workload, material)
        listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    except Exception as exc:
        control.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    control.send(("ready", listener.getsockname()[1]))
    start = time.process_time()
    after_connection: list[float] = []
    after_command: list[float] = []
    errors: list[str] = []
    payload = os.urandom(CHUNK)
    while True:
        ready = wait([listener, control])
        if control in ready and control.recv() == "stop":
            break
        if listener not in ready:
            continue
        sock, _ = listener.accept()
        try:
            sock.settimeout(IO_TIMEOUT)
            _serve_one(peer, tune(sock), payload, after_command, start)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            sock.close()
        after_connection.append(time.process_time() - start)
    listener.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    control.send(
        (
            "done",
            {
                "cpu_after_connection": after_connection,
                "cpu_after_command": after_command,
                "cpu_total": time.process_time() - start,
                "rusage_user": usage.ru_utime,
                "rusage_system": usage.ru_stime,
                "errors": errors[:5],
                "error_count": len(errors),
            },
        )
    )


def _serve_one(
    peer: ServerPeer, sock: socket.socket, payload: bytes, stamps: list[float], start: float
) -> None:
    channel = peer.accept(sock)
    command = memoryview(bytearray(COMMAND_LEN))
    buffer = memoryview(bytearray(65536))
    while recv_exact(channel, command):
        op, n = command[0], int.from_bytes(command[1:], "big")
        if op == ord("U"):
            _receive(channel, buffer, n)
            channel.sendall(b"k")
        elif op == ord("D"):
            _send(channel, payload, n)
        else:
            raise ValueError(f"unknown command {op!r}")
        stamps.append(time.process_time() - start)
    channel.close()


def _receive(channel: Channel, buffer: memoryview, n: int) -> None:
    left = n
    size = len(buffer)
    while left:
        got = channel.recv_into(buffer[: min(left, size)])
        if not got:
            raise EOFError(f"the client closed with {left} of {n} bytes unsent")
        left -= got


def _send(channel: Channel, payload: bytes, n: int) -> None:
    whole, rest = divmod(n, len(payload))
    for _ in range(whole):
        channel.sendall(payload)
    if rest:
        channel.sendall(payload[:rest])
