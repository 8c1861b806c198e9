"""The benchmark's certificates: an RSA-2048 chain and a P-256 chain, each under its own CA
of the same key type, for ``localhost`` and ``127.0.0.1``.

They are made once per run and written as PEM files to a temporary directory, so that every
implementation, in every process, loads the same keys the way it normally would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tls12.pki import Identity, make_ca

NAMES = ["localhost", "127.0.0.1"]
SERVER_NAME = "localhost"


@dataclass(frozen=True)
class Material:
    """Paths to the PEM files (picklable: this is what a server process receives)."""

    directory: str

    def cert(self, key: str) -> Path:
        return Path(self.directory) / f"{key}.crt"

    def key(self, key: str) -> Path:
        return Path(self.directory) / f"{key}.key"

    @property
    def cafile(self) -> Path:
        """Both CA certificates: what every client trusts."""
        return Path(self.directory) / "ca.pem"


def make_material(directory: str | Path) -> tuple[Material, dict[str, Identity]]:
    """Issue both chains into ``directory``; also return the identities (for in-memory use)."""
    directory = Path(directory)
    identities = {}
    ca_pem = b""
    for key in ("rsa", "ecdsa"):
        ca = make_ca(f"tls12 bench {key} CA", key_type=key)
        identity = ca.issue(NAMES, key_type=key)
        identity.write(directory, key)
        identities[key] = identity
        ca_pem += ca.pem()
    (directory / "ca.pem").write_bytes(ca_pem)
    return Material(str(directory)), identities
