"""verify_flags with CRLs loaded by load_verify_locations: tls12's context decides as Python's
ssl does on the same server, CRL and flags (missing CRL fails closed, a revoked leaf is
refused with verify_code 23, a current CRL without the serial lets the connection through)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from peers import HOST, PythonTLSServer
from tls_support import pki

from tls12.io.sslcompat import TLS12Context


def make_crl(path: Path, revoked_serials: list[int], issuer: Any = None) -> Path:
    ca = issuer or pki().ca
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=1))
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(now - dt.timedelta(minutes=30))
            .build()
        )
    crl = builder.sign(ca.key, hashes.SHA256())
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def python_server(paths: dict[str, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(paths["rsa.crt"]), str(paths["rsa.key"]))
    return ctx


def outcome(ctx: ssl.SSLContext, port: int) -> int | str:
    """"ok", or the verify_code of the refusal."""
    raw = socket.create_connection((HOST, port), timeout=15)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        return exc.verify_code
    tls.send(b"x")
    tls.close()
    return "ok"


CASES = {
    "leaf-no-crl": (ssl.VERIFY_CRL_CHECK_LEAF, None, 3),
    "leaf-not-revoked": (ssl.VERIFY_CRL_CHECK_LEAF, [], "ok"),
    "leaf-revoked": (ssl.VERIFY_CRL_CHECK_LEAF, ["leaf"], 23),
    "chain-root-crl-covers-both": (ssl.VERIFY_CRL_CHECK_CHAIN, [], "ok"),
    "chain-no-crl": (ssl.VERIFY_CRL_CHECK_CHAIN, None, 3),
    "chain-revoked": (ssl.VERIFY_CRL_CHECK_CHAIN, ["leaf"], 23),
    "no-flag-revoked": (ssl.VERIFY_X509_TRUSTED_FIRST, ["leaf"], "ok"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_crl_checks_decide_as_python_ssl(tmp_path: Path, case: str) -> None:
    flags, revoked, expected = CASES[case]
    paths = pki().write(tmp_path)
    leaf_serial = pki().rsa.chain[0].serial_number
    crl = None
    if revoked is not None:
        serials = [leaf_serial if r == "leaf" else r for r in revoked]
        crl = make_crl(tmp_path / "ca.crl.pem", serials)
    results = []
    with PythonTLSServer(python_server(paths), lambda tls: tls.recv(10)) as server:
        for cls in (TLS12Context, ssl.SSLContext):
            ctx = cls(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cafile=str(paths["ca"]))
            if crl is not None:
                ctx.load_verify_locations(cafile=str(crl))
            ctx.verify_flags = flags
            results.append(outcome(ctx, server.port))
            server.next_outcome()
    assert results == [expected, expected], f"tls12, ssl: {results}"


def test_crl_is_counted_and_names_what_is_missing(tmp_path: Path) -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=pki().ca.pem().decode())
    ctx.load_verify_locations(cafile=str(make_crl(tmp_path / "c.pem", [])))
    assert ctx.cert_store_stats()["crl"] == 1
