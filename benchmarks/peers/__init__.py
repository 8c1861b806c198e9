"""The implementations the benchmark compares: tls12, Python's ssl, and tlslite-ng (optional)."""

from __future__ import annotations

from types import ModuleType

from benchmarks.peers import ssl_peer, tls12_peer, tlslite_peer

ALL: dict[str, ModuleType] = {
    tls12_peer.NAME: tls12_peer,
    ssl_peer.NAME: ssl_peer,
    tlslite_peer.NAME: tlslite_peer,
}

REQUIRED = (tls12_peer.NAME, ssl_peer.NAME)
"""Always measured; the others only when importable."""


def get(name: str) -> ModuleType:
    return ALL[name]


def available(skip: tuple[str, ...] = ()) -> list[str]:
    return [n for n, m in ALL.items() if n not in skip and (n in REQUIRED or m.available())]
