"""OCSP responses for the stapling tests, made by another tool (``openssl ocsp`` answering
from an index.txt CA database, as a small CA runs it) and by ``cryptography``'s builder for
the edge cases OpenSSL's responder will not make (tls12.pki_ocsp)."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from peers import openssl_binary
from tls_support import pki

from tls12.io.sync import TLSSocket
from tls12.pki import CertificateAuthority, Identity
from tls12.pki_ocsp import must_staple_leaf


def write_ca(directory: Path, ca: CertificateAuthority, stem: str = "ocsp_ca") -> tuple[Path, Path]:
    """The CA's certificate and key as PEM files, for ``openssl ocsp -rsigner/-rkey``."""
    cert = directory / f"{stem}.pem"
    key = directory / f"{stem}.key"
    cert.write_bytes(ca.pem())
    key.write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    return cert, key


def index_line(cert: x509.Certificate, *, revoked: bool = False) -> str:
    """One line of OpenSSL's CA database (index.txt): status, expiry, revocation time,
    serial, file name, subject."""
    expiry = cert.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
    revocation = "250101000000Z,keyCompromise" if revoked else ""
    subject = "/" + "/".join(a.rfc4514_string() for a in reversed(list(cert.subject)))
    status = "R" if revoked else "V"
    return f"{status}\t{expiry}\t{revocation}\t{cert.serial_number:X}\tunknown\t{subject}\n"


def openssl_ocsp_response(
    directory: Path,
    leaf: x509.Certificate,
    *,
    ca: CertificateAuthority | None = None,
    revoked: bool = False,
    listed: bool = True,
    ndays: int = 1,
    name: str = "resp.der",
) -> Path:
    """``openssl ocsp -index I -rsigner CA -rkey KEY -CA CA -issuer CA -cert LEAF -respout F
    -ndays N``: OpenSSL's responder answering for ``leaf`` from an index that lists it (good
    or revoked) or not (``listed=False``: unknown)."""
    ca = ca or pki().ca
    ca_cert, ca_key = write_ca(directory, ca)
    leaf_pem = directory / f"leaf-{leaf.serial_number:x}.pem"
    leaf_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    index = directory / f"index-{name}.txt"
    index.write_text(index_line(leaf, revoked=revoked) if listed else "")
    out = directory / name
    # openssl ocsp needs the index's attribute file to exist or it warns; keep it quiet.
    (directory / f"index-{name}.txt.attr").write_text("unique_subject = no\n")
    result = subprocess.run(
        [
            openssl_binary(),
            "ocsp",
            "-index", str(index),
            "-rsigner", str(ca_cert),
            "-rkey", str(ca_key),
            "-CA", str(ca_cert),
            "-issuer", str(ca_cert),
            "-cert", str(leaf_pem),
            "-respout", str(out),
            "-ndays", str(ndays),
        ],
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 0 and out.exists(), result.stderr.decode(errors="replace")
    return out


@functools.cache
def must_staple() -> Identity:
    """A leaf of the test CA with the TLS Feature extension asking for status_request."""
    return must_staple_leaf(pki().ca, ["localhost", "127.0.0.1"], "rsa")


def write_stapling_files(directory: Path) -> dict[str, Path]:
    """The test PKI's files, the must-staple leaf's, and ``dir``: what both sides' tests use."""
    paths = pki().write(directory)
    paths["must_staple.crt"], paths["must_staple.key"] = must_staple().write(directory, "ms")
    paths["dir"] = directory
    return paths


def echo_once(tls: TLSSocket) -> None:
    """A server handler: one read, sent back."""
    data = tls.recv()
    if data:
        tls.sendall(data)
