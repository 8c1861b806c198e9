"""handshake/certificate_choice.py: the per-certificate answers kept for choose_full are those
the original checks give, for every suite, client list and policy, errors included."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from tls_support import pki

from tls12.crypto import signatures
from tls12.crypto.suites import ALL_SUITES
from tls12.errors import TLSError
from tls12.handshake import certificate_choice
from tls12.handshake.key_exchange import certificate_fits
from tls12.pki import make_ca
from tls12.wire.enums import NamedGroup
from tls12.wire.enums import SignatureScheme as S

CLIENT_LISTS: tuple[tuple[int, ...] | None, ...] = (
    None,
    (),
    (S.rsa_pkcs1_sha256,),
    (S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256),
    (S.rsa_pss_rsae_sha512, S.rsa_pkcs1_sha1, S.ecdsa_sha1),
    (0xFEFE, S.ed25519),
    tuple(S),
)
POLICIES = (
    tuple(S),
    (S.rsa_pss_rsae_sha256, S.ecdsa_secp256r1_sha256),
    (S.rsa_pkcs1_sha1, S.ecdsa_sha1),
    (),
)


def _outcome(call: Callable[..., object], *args: object) -> object:
    try:
        return call(*args)
    except TLSError as exc:
        return (type(exc), str(exc))


def _certificates() -> list[object]:
    p = pki()
    ca = make_ca("choice CA")
    extra = [ca.issue(["localhost"], key_type=t) for t in ("ed25519", "ecdsa384")]
    return [p.certified(i) for i in (p.rsa, p.ecdsa, *extra)]


@pytest.mark.parametrize("index", range(4))
def test_choice_matches_the_original_checks(index: int) -> None:
    certified = _certificates()[index]
    for suite in ALL_SUITES:
        assert certificate_choice.fits(suite, certified) == certificate_fits(suite, certified.key)
    for client, policy in itertools.product(CLIENT_LISTS, POLICIES):
        client_set = frozenset(client) if client is not None else None
        for _ in range(2):  # the first call fills the table, the second reads it
            kept = _outcome(certificate_choice.choose_scheme, certified, client, client_set, policy)
            fresh = _outcome(signatures.choose_scheme, certified.key, client, policy)
            assert kept == fresh, (client, policy)


def test_curve_check_follows_rfc_8422() -> None:
    p = pki()
    ecdsa, rsa = p.certified(p.ecdsa), p.certified(p.rsa)
    assert certificate_choice.curve_acceptable(ecdsa, None)
    assert certificate_choice.curve_acceptable(ecdsa, frozenset({NamedGroup.secp256r1}))
    assert not certificate_choice.curve_acceptable(ecdsa, frozenset({NamedGroup.x25519}))
    assert certificate_choice.curve_acceptable(rsa, frozenset({NamedGroup.x25519}))
    p384 = _certificates()[3]
    assert not certificate_choice.curve_acceptable(p384, frozenset({NamedGroup.secp256r1}))
    assert certificate_choice.curve_acceptable(p384, frozenset({NamedGroup.secp384r1}))
