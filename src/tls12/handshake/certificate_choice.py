"""What the server's suite choice asks of each of its certificates, worked out once per
certificate rather than on every full handshake.

``choose_full`` (server_hello.py) tries its certificates against each candidate suite: can
this key serve the suite, is its curve one the client listed, which of our signature schemes
can it sign with. The answers depend on the certificate and our policy only, never on the
peer, so they are kept per ``CertifiedKey`` (by identity, dropped with the object, as in
precomputed.py). Only the match against the client's own lists is done per handshake, and
any case the fast path cannot settle goes to the original checks, so results and error
messages are those of ``signatures.choose_scheme``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from tls12.config import CertifiedKey
from tls12.crypto import signatures
from tls12.crypto.suites import CipherSuite
from tls12.errors import TLSError
from tls12.handshake.key_exchange import certificate_fits
from tls12.handshake.precomputed import PerObject
from tls12.wire.enums import NamedGroup, SignatureScheme

_CURVE_GROUPS = {
    "secp256r1": NamedGroup.secp256r1,
    "secp384r1": NamedGroup.secp384r1,
    "secp521r1": NamedGroup.secp521r1,
}
_SCHEME_TABLES_MAX = 16
"""Signature policies remembered per certificate (one per configuration using it, usually)."""


@dataclass
class CertificateFacts:
    """The per-certificate answers, filled in as suites and policies are first asked about."""

    curve_group: NamedGroup | None
    """The NamedGroup of an ECDSA key's curve (None for another key, or an unknown curve)."""
    is_ec: bool
    fits: dict[int, bool] = field(default_factory=dict)
    """Suite id -> whether the key can serve that suite (``certificate_fits``)."""
    schemes: dict[tuple[int, ...], tuple[SignatureScheme, ...] | None] = field(default_factory=dict)
    """Our signature policy -> the schemes the key can sign with under it, in our order; None
    when working it out raised (the slow path then raises it again, as before)."""


def _facts(certified: CertifiedKey) -> CertificateFacts:
    key = certified.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return CertificateFacts(curve_group=_CURVE_GROUPS.get(key.curve.name), is_ec=True)
    return CertificateFacts(curve_group=None, is_ec=False)


_FACTS: PerObject[CertifiedKey, CertificateFacts] = PerObject(_facts)


def fits(suite: CipherSuite, certified: CertifiedKey) -> bool:
    """``certificate_fits(suite, certified.key)``, once per certificate and suite."""
    known = _FACTS.get(certified).fits
    answer = known.get(suite.id)
    if answer is None:
        answer = known[suite.id] = certificate_fits(suite, certified.key)
    return answer


def curve_acceptable(certified: CertifiedKey, client_groups: frozenset[int] | None) -> bool:
    """RFC 8422 §5.1: an ECDSA certificate must be on a curve the client listed (a client that
    sent no supported_groups accepts any)."""
    facts = _FACTS.get(certified)
    if client_groups is None or not facts.is_ec:
        return True
    return facts.curve_group in client_groups


def choose_scheme(
    certified: CertifiedKey,
    client_schemes: Sequence[int] | None,
    client_scheme_set: frozenset[int] | None,
    allowed: Sequence[SignatureScheme],
) -> SignatureScheme:
    """``signatures.choose_scheme(certified.key, client_schemes, allowed)``: our first scheme
    for the key that the client accepts. The key's schemes under ``allowed`` are kept per
    certificate; a client that sent no list, or shares no scheme, goes to the original (its
    defaults and its error message)."""
    if client_scheme_set is not None:
        table = _FACTS.get(certified).schemes
        policy = tuple(allowed)
        if policy in table:
            ours = table[policy]
        else:
            ours = _our_schemes(certified, allowed)
            if len(table) >= _SCHEME_TABLES_MAX:
                table.clear()
            table[policy] = ours
        if ours is not None:
            for scheme in ours:
                if scheme in client_scheme_set:
                    return scheme
    return signatures.choose_scheme(certified.key, client_schemes, allowed)


def _our_schemes(
    certified: CertifiedKey, allowed: Sequence[SignatureScheme]
) -> tuple[SignatureScheme, ...] | None:
    try:
        ours = signatures.schemes_for_key(certified.key)
    except TLSError:
        return None
    permitted = {int(s) for s in allowed}
    return tuple(s for s in ours if s in permitted)
