"""A peer's certificates, parsed from the DER of its Certificate message (RFC 5246 §7.4.2).

Parsing is kept apart from validation (verify.py): it depends on the bytes alone, so a
certificate seen before (a server presents the same chain on every connection) is taken from
a small table instead of being parsed again. A certificate that does not parse is a
bad_certificate here, naming its place in the chain.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from tls12.errors import BadCertificate


def parse_chain(chain_der: Sequence[bytes], who: str = "server") -> list[x509.Certificate]:
    """Parses a peer's DER chain without judging it (for the explicit insecure option)."""
    return _parse_chain(chain_der, who)


def _parse_chain(chain_der: Sequence[bytes], who: str) -> list[x509.Certificate]:
    if not chain_der:
        raise BadCertificate(f"{who} sent no certificate")
    chain = []
    for index, der in enumerate(chain_der):
        raw = bytes(der)
        cert = _PARSED.get(raw)
        if cert is None:
            try:
                cert = x509.load_der_x509_certificate(raw)
                # cryptography parses these lazily: touch them now, so a malformed name or
                # extension is a bad certificate here rather than an error deep in a check.
                _ = (cert.subject, cert.issuer, cert.extensions, cert.public_key())
            except _PARSE_ERRORS as exc:
                place = "leaf" if index == 0 else f"#{index + 1} in the chain"
                raise BadCertificate(
                    f"could not parse the {who}'s certificate ({place}): {exc}"
                ) from None
            if len(raw) <= _PARSED_BYTES_MAX:
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[raw] = cert
        chain.append(cert)
    return chain


_PARSED: dict[bytes, x509.Certificate] = {}
_PARSED_MAX = 64
_PARSED_BYTES_MAX = 8192
"""Certificates already parsed (and touched), by their DER: a server presents the same chain
on every connection, and parsing one with its names, extensions and key costs ~45 us. Only
the parse is kept, which depends on the bytes alone (the objects are immutable); every chain
is still validated, for its name, time and trust store, on every handshake. Bounded: at most
64 certificates of at most 8 KiB each, cleared when full. A certificate that does not parse
is never kept."""


_PARSE_ERRORS = (
    ValueError,
    UnsupportedAlgorithm,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
    # cryptography 45 (our declared floor) raises KeyError for a name attribute whose ASN.1
    # string type it does not know (found by the suite's mutation tests under `make test-min`)
    KeyError,
)
