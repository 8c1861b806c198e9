"""A capture without capture privileges: a TCP relay that records the bytes both ways, and a
pcap writer that turns them into a synthetic TCP/IP stream tshark can read.

Capturing on ``lo`` needs root (or CAP_NET_RAW); reading a pcap does not. So the key-log test
puts this relay between the two peers, and writes the pcap itself from what went through:
Ethernet + IPv4 + TCP frames with a three-way handshake, the data segments with consistent
sequence and acknowledgement numbers (and real checksums), then FIN both ways. Only the bytes
the peers really exchanged are in it; the framing around them is ours.

The pcap format is the classic libpcap one (magic a1b2c3d4, version 2.4, link type 1 Ethernet),
https://wiki.wireshark.org/Development/LibpcapFileFormat.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
CLIENT, SERVER = "client", "server"  # who sent a chunk
_MSS = 1460  # data segments are cut to this size, as on a real Ethernet link


@dataclass
class Recording:
    """What went through the relay, in the order the relay read it."""

    chunks: list[tuple[str, bytes]] = field(default_factory=list)
    client_port: int = 0

    def sent_by(self, side: str) -> bytes:
        return b"".join(data for who, data in self.chunks if who == side)


class RecordingRelay:
    """``with RecordingRelay(upstream_port) as relay:`` point the client at ``relay.port``.

    Relays exactly one connection (the first one accepted), records every chunk, passes a
    half-close on, and is done when both directions have ended. Exiting the block waits (at most
    ``timeout`` seconds) for that, then closes everything."""

    def __init__(self, upstream_port: int, *, timeout: float = 30.0) -> None:
        self.upstream_port = upstream_port
        self.timeout = timeout
        self.recording = Recording()
        self._lock = threading.Lock()
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._pumps: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> RecordingRelay:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        deadline = time.monotonic() + self.timeout
        self._acceptor.join(max(0.0, deadline - time.monotonic()))
        for pump in self._pumps:
            pump.join(max(0.0, deadline - time.monotonic()))
        self._listener.close()
        for sock in self._sockets:
            sock.close()
        if self._error is not None and exc[0] is None:
            raise AssertionError(f"recording relay failed: {self._error!r}")

    def _accept(self) -> None:
        self._listener.settimeout(self.timeout)
        try:
            down, addr = self._listener.accept()
        except OSError as exc:  # nobody came
            self._error = exc
            return
        self.recording.client_port = addr[1]
        up = socket.create_connection((HOST, self.upstream_port), timeout=self.timeout)
        down.settimeout(self.timeout)
        self._sockets += [down, up]
        self._pumps = [
            threading.Thread(target=self._pump, args=(down, up, CLIENT), daemon=True),
            threading.Thread(target=self._pump, args=(up, down, SERVER), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, source: socket.socket, sink: socket.socket, side: str) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    self.recording.chunks.append((side, data))
                sink.sendall(data)
        except ConnectionResetError:
            pass  # a peer that closes with unread data resets: the stream ends there
        except OSError as exc:
            self._error = self._error or exc
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


# --- pcap ------------------------------------------------------------------------------------

_CLIENT_IP = bytes([127, 0, 0, 1])
_SERVER_IP = bytes([127, 0, 0, 1])
_MAC = {CLIENT: b"\x02\x00\x00\x00\x00\x01", SERVER: b"\x02\x00\x00\x00\x00\x02"}
_FIN, _SYN, _PSH, _ACK = 0x01, 0x02, 0x08, 0x10


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(side: str, ports: tuple[int, int], seq: int, ack: int, flags: int, data: bytes,
           ident: int) -> bytes:
    src_port, dst_port = ports if side == CLIENT else ports[::-1]
    src_ip, dst_ip = (_CLIENT_IP, _SERVER_IP) if side == CLIENT else (_SERVER_IP, _CLIENT_IP)
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp) + len(data))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp + data)) + tcp[18:]
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), ident & 0xFFFF, 0x4000, 64,
        socket.IPPROTO_TCP, 0, src_ip, dst_ip,
    )
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    other = SERVER if side == CLIENT else CLIENT
    return _MAC[other] + _MAC[side] + b"\x08\x00" + ip + tcp + data


def write_pcap(path: Path, recording: Recording, server_port: int) -> Path:
    """The recording as a pcap of one TCP connection from ``recording.client_port`` to
    ``server_port`` on 127.0.0.1."""
    ports = (recording.client_port or 40000, server_port)
    seq = {CLIENT: 1000, SERVER: 5000}
    frames: list[bytes] = []

    def emit(side: str, flags: int, data: bytes = b"") -> None:
        other = SERVER if side == CLIENT else CLIENT
        ack = seq[other] if flags & _ACK else 0
        frames.append(_frame(side, ports, seq[side], ack, flags, data, len(frames)))
        seq[side] = (seq[side] + len(data) + (1 if flags & (_SYN | _FIN) else 0)) % (1 << 32)

    emit(CLIENT, _SYN)
    emit(SERVER, _SYN | _ACK)
    emit(CLIENT, _ACK)
    for side, data in _segments(recording.chunks):
        emit(side, _PSH | _ACK, data)
    emit(CLIENT, _FIN | _ACK)
    emit(SERVER, _FIN | _ACK)
    emit(CLIENT, _ACK)

    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    start = int(time.time())
    for i, frame in enumerate(frames):
        out.append(struct.pack("<IIII", start, i * 1000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))
    return path


def _segments(chunks: Iterable[tuple[str, bytes]]) -> Iterable[tuple[str, bytes]]:
    for side, data in chunks:
        for i in range(0, len(data), _MSS):
            yield side, data[i : i + _MSS]
