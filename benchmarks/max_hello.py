#!/usr/bin/env python3
"""Server CPU for a maximal ClientHello against a normal one, printed as ratios.

``python benchmarks/max_hello.py [--rounds N]``

Every hello is legal (RFC 5246 §7.4.1.2): the maximal one is 131,396 bytes, the largest any
ClientHello can be, with 32,767 cipher suites, 255 compression methods and a full 65,535-byte
extensions block; the others fill one list each (thousands of extensions, ~32,700 signature
schemes, ~32,700 groups). The server reads each one, chooses, signs its ServerKeyExchange and
queues its flight; process CPU time (not wall time) is measured per hello. Linear handling
shows as a CPU ratio at or below the size ratio; a quadratic step would show as a ratio far
above it. The numbers are printed, never asserted (tests never time anything).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tls12.config import CertifiedKey, ClientConfig, ServerConfig  # noqa: E402
from tls12.connection import ClientConnection, ServerConnection  # noqa: E402
from tls12.messages import extensions as ext  # noqa: E402
from tls12.messages.handshake import ClientHello, decode_handshake  # noqa: E402
from tls12.pki import make_ca  # noqa: E402
from tls12.wire.enums import HandshakeType, SignatureScheme  # noqa: E402
from tls12.wire.writer import Writer  # noqa: E402

_HEADER = 5


def _records(message: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(message), 1 << 14):
        chunk = message[i : i + (1 << 14)]
        out += bytes([22, 3, 3]) + len(chunk).to_bytes(2, "big") + chunk
    return bytes(out)


def _normal_hello(client_config: ClientConfig) -> ClientHello:
    client = ClientConnection(client_config, "localhost")
    client.start()
    wire = client.data_to_send()
    hello = decode_handshake(HandshakeType.client_hello, wire[_HEADER + 4 :])
    assert isinstance(hello, ClientHello)
    return hello


def _body_len(e: ext.Extension) -> int:
    w = Writer()
    e.encode_body(w)
    return len(w.getvalue())


def _fill(items: list[ext.Extension], first_type: int) -> list[ext.Extension]:
    """Pads an extension list with unknown extensions to exactly 65,535 bytes."""
    used = sum(4 + _body_len(e) for e in items)
    n = first_type
    while 65535 - used > 1004 + 4:
        items.append(ext.UnknownExtension(n, bytes(1000)))
        used += 1004
        n += 1
    items.append(ext.UnknownExtension(n, bytes(65535 - used - 4)))
    return items


def maximal(base: ClientHello) -> ClientHello:
    ours = list(base.cipher_suites)
    taken = set(ours)
    filler = [s for s in range(0x1000, 0x10000) if s not in taken][: 32767 - len(ours)]
    items = _fill(list(base.extensions), 0x7000)
    return ClientHello(
        base.random, tuple(filler + ours), os.urandom(32), ext.Extensions(tuple(items)),
        0x0303, (0, *range(1, 255)),
    )  # fmt: skip


def many_extensions(base: ClientHello) -> ClientHello:
    items = list(base.extensions) + [ext.UnknownExtension(0x8000 + i, b"") for i in range(16000)]
    return ClientHello(base.random, base.cipher_suites, b"", ext.Extensions(tuple(items)))


def many_schemes(base: ClientHello) -> ClientHello:
    others = [e for e in base.extensions if not isinstance(e, ext.SignatureAlgorithms)]
    room = 65535 - sum(4 + _body_len(e) for e in others) - 6
    schemes = (*range(0x0900, 0x0900 + room // 2 - 1), SignatureScheme.ecdsa_secp256r1_sha256)
    items = [*others, ext.SignatureAlgorithms(tuple(schemes))]
    return ClientHello(base.random, base.cipher_suites, b"", ext.Extensions(tuple(items)))


def many_groups(base: ClientHello) -> ClientHello:
    others = [e for e in base.extensions if not isinstance(e, ext.SupportedGroups)]
    room = 65535 - sum(4 + _body_len(e) for e in others) - 6
    groups = (*range(0x1000, 0x1000 + room // 2 - 2), 29, 23)  # x25519, secp256r1 last
    items = [*others, ext.SupportedGroups(tuple(groups))]
    return ClientHello(base.random, base.cipher_suites, b"", ext.Extensions(tuple(items)))


def cpu_per_hello(config: ServerConfig, wire: bytes, rounds: int) -> float:
    """Median process CPU seconds for a fresh server to read ``wire`` and answer it."""
    samples = []
    for _ in range(rounds):
        server = ServerConnection(config)
        start = time.process_time()
        server.receive_data(wire)
        out = server.data_to_send()
        samples.append(time.process_time() - start)
        assert out[0] == 22, "the server did not answer with a handshake flight"
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="hellos per kind (default 30)")
    args = parser.parse_args()
    ca = make_ca("max_hello bench CA")
    identity = ca.issue(["localhost"], key_type="ecdsa")
    from tls12.verify import TrustStore

    server_config = ServerConfig(certificates=[CertifiedKey(tuple(identity.chain), identity.key)])
    client_config = ClientConfig(trust=TrustStore([ca.cert]), session_tickets=False)
    base = _normal_hello(client_config)
    kinds: dict[str, Callable[[ClientHello], ClientHello]] = {
        "maximal (131,396 B)": maximal,
        "16,000 extensions": many_extensions,
        "~32,700 sig schemes": many_schemes,
        "~32,700 groups": many_groups,
    }
    normal_wire = _records(base.encode())
    normal = cpu_per_hello(server_config, normal_wire, args.rounds)
    print(f"{'hello':<22}{'bytes':>9}{'CPU ms':>10}{'CPU ratio':>11}{'size ratio':>12}")
    print(f"{'normal':<22}{len(normal_wire):>9}{normal * 1e3:>10.3f}{1.0:>11.1f}{1.0:>12.1f}")
    for name, build in kinds.items():
        wire = _records(build(base).encode())
        cpu = cpu_per_hello(server_config, wire, args.rounds)
        print(
            f"{name:<22}{len(wire):>9}{cpu * 1e3:>10.3f}{cpu / normal:>11.1f}"
            f"{len(wire) / len(normal_wire):>12.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
