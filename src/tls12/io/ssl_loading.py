"""Reading what ``load_verify_locations`` and ``load_cert_chain`` are given, as OpenSSL reads
it: CA certificates and CRLs from a PEM file, a directory of PEM files, PEM text or DER bytes;
a key password as text, bytes or a callable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography import x509

from tls12.io.ssl_crl import load_pem_crls
from tls12.io.ssl_shapes import _load_der_certificates
from tls12.verify import TrustStore


def load_locations(
    cafile: str | os.PathLike[str] | None,
    capath: str | os.PathLike[str] | None,
    cadata: str | bytes | None,
) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    """Certificates and CRLs (PEM ``X509 CRL`` blocks) from each source given."""
    anchors: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    if cafile is not None:
        data = Path(cafile).read_bytes()
        found = load_pem_crls(data)
        crls.extend(found)
        if b"-----BEGIN CERTIFICATE-----" in data or not found:
            anchors.extend(TrustStore.from_pem_file(os.fspath(cafile)).certs)
    if capath is not None:
        for entry in sorted(Path(capath).iterdir()):
            if entry.is_file():
                data = entry.read_bytes()
                if b"-----BEGIN CERTIFICATE-----" in data:
                    anchors.extend(x509.load_pem_x509_certificates(data))
                crls.extend(load_pem_crls(data))
    if cadata is not None:
        if isinstance(cadata, str):
            data = cadata.encode()
            crls.extend(load_pem_crls(data))
            if b"-----BEGIN CERTIFICATE-----" in data:
                anchors.extend(x509.load_pem_x509_certificates(data))
        else:
            anchors.extend(_load_der_certificates(bytes(cadata)))
    return anchors, crls


def password_bytes(password: Any) -> bytes | None:
    if callable(password):
        password = password()
    if password is None:
        return None
    return password.encode() if isinstance(password, str) else bytes(password)
