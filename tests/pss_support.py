"""Certificates whose key is id-RSASSA-PSS, made by OpenSSL (``cryptography``'s builder writes
every RSA key as rsaEncryption), issued by the shared test CA so every verifier accepts them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from peers.process import openssl_binary

from tls12.config import CertifiedKey
from tls12.pki import CertificateAuthority

_EXTENSIONS = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage={eku}
subjectAltName={san}
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""


def make_rsa_pss_identity(
    ca: CertificateAuthority,
    directory: Path,
    stem: str,
    *,
    client: bool = False,
    keygen: tuple[str, ...] = (),
) -> tuple[Path, Path]:
    """``stem.crt`` (leaf, issued by ``ca``) and ``stem.key`` for a fresh RSA-PSS key.
    ``keygen`` adds ``-pkeyopt`` values (``rsa_pss_keygen_md:sha256`` restricts the key)."""
    openssl = openssl_binary()
    ca_crt, ca_key = directory / f"{stem}-ca.pem", directory / f"{stem}-ca.key"
    ca_crt.write_bytes(ca.pem())
    ca_key.write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key, csr, crt = (directory / f"{stem}.{x}" for x in ("key", "csr", "crt"))
    ext = directory / f"{stem}.ext"
    ext.write_text(
        _EXTENSIONS.format(
            eku="clientAuth" if client else "serverAuth",
            san="DNS:client.example" if client else "DNS:localhost,IP:127.0.0.1",
        )
    )
    options = [arg for opt in ("rsa_keygen_bits:2048", *keygen) for arg in ("-pkeyopt", opt)]
    subject = "/CN=client.example" if client else "/CN=localhost"
    for command in (
        [openssl, "genpkey", "-algorithm", "RSA-PSS", *options, "-out", str(key)],
        [openssl, "req", "-new", "-key", str(key), "-subj", subject, "-out", str(csr)],
        [
            openssl, "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt),
        ],
    ):  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    return crt, key


def certified(crt: Path, key: Path) -> CertifiedKey:
    return CertifiedKey.from_files(crt, key)
