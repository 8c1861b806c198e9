"""set_ciphers' OpenSSL grammar: tls12 selects what Python's ssl (OpenSSL) selects, in the
same order, among the suites tls12 has."""

from __future__ import annotations

import ssl

import pytest

from tls12.io.cipher_string import NoCipherSelected, openssl_name, select
from tls12.io.sslcompat import TLS12Context

SPECS = [
    "ALL",
    "DEFAULT",
    "HIGH",
    "HIGH:!aNULL:!MD5",
    "ECDHE+AESGCM",
    "DEFAULT:!CHACHA20",
    "DEFAULT:NOPE",
    "SHA256",
    "SHA",
    "AES128",
    "AES",
    "RSA",
    "kRSA",
    "aRSA",
    "ECDSA",
    "ECDHE",
    "kEECDH",
    "DHE",
    "CHACHA20",
    "TLSv1.2",
    "AESGCM:-ECDHE:+AES256",
    "EECDH+AESGCM:EDH+AESGCM",
    "!ECDHE:ALL",
    "ALL:@STRENGTH",
    "ALL:-AES128:AES128-SHA:ECDHE+AES128",
    "ECDHE+CHACHA20:ECDHE+AESGCM:DHE+AESGCM:!DHE",
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
    "ALL:+kRSA:+SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-RSA-AES256-GCM-SHA384 AES128-SHA",
    "ALL:@SECLEVEL=0",
    "ALL:!AES256:-CHACHA20:CHACHA20+aRSA",
]


def openssl_selects(spec: str) -> list[str] | None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.set_ciphers(spec)
    except ssl.SSLError:
        return None
    ours = {openssl_name(s) for s in select("ALL")}
    return [c["name"] for c in ctx.get_ciphers() if c["name"] in ours]


@pytest.mark.parametrize("spec", SPECS)
def test_selects_what_openssl_selects_in_its_order(spec: str) -> None:
    want = openssl_selects(spec)
    assert want, f"OpenSSL selects none of our suites for {spec!r}: pick another example"
    assert [openssl_name(s) for s in select(spec)] == want


@pytest.mark.parametrize("spec", ["NOPE", "MEDIUM", "aNULL", "ALL:!ALL", "RC4:3DES", "eNULL"])
def test_nothing_left_is_no_cipher_can_be_selected(spec: str) -> None:
    with pytest.raises(NoCipherSelected):
        select(spec)
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ssl.SSLError, match="No cipher can be selected"):
        ctx.set_ciphers(spec)


def test_the_context_offers_exactly_the_selection() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("DEFAULT:!CHACHA20")
    offered = [s.name for s in ctx.client_config().cipher_suites]
    assert offered and not any("CHACHA20" in name for name in offered)
    assert [c["name"] for c in ctx.get_ciphers()] == [
        openssl_name(s) for s in select("DEFAULT:!CHACHA20")
    ]
