"""Signature schemes: preference order, choice against the peer's list, sign/verify."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from tls12.crypto.signatures import (
    choose_scheme,
    hash_for,
    key_type_name,
    schemes_for_key,
    sign,
    verify,
)
from tls12.errors import (
    ConfigError,
    DecryptError,
    HandshakeFailure,
    IllegalParameter,
    InternalError,
    UnsupportedCertificate,
)
from tls12.wire.enums import SignatureScheme as S

DATA = b"client_random + server_random + params"


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
    }


EXPECTED_ORDER = {
    "rsa": [
        S.rsa_pss_rsae_sha256,
        S.rsa_pss_rsae_sha384,
        S.rsa_pss_rsae_sha512,
        S.rsa_pkcs1_sha256,
        S.rsa_pkcs1_sha384,
        S.rsa_pkcs1_sha512,
        S.rsa_pkcs1_sha224,
        S.rsa_pkcs1_sha1,
    ],
    "p256": [
        S.ecdsa_secp256r1_sha256,
        S.ecdsa_secp384r1_sha384,
        S.ecdsa_secp521r1_sha512,
        S.ecdsa_sha224,
        S.ecdsa_sha1,
    ],
    "p384": [
        S.ecdsa_secp384r1_sha384,
        S.ecdsa_secp256r1_sha256,
        S.ecdsa_secp521r1_sha512,
        S.ecdsa_sha224,
        S.ecdsa_sha1,
    ],
    "p521": [
        S.ecdsa_secp521r1_sha512,
        S.ecdsa_secp256r1_sha256,
        S.ecdsa_secp384r1_sha384,
        S.ecdsa_sha224,
        S.ecdsa_sha1,
    ],
    "ed25519": [S.ed25519],
    "ed448": [S.ed448],
}


@pytest.mark.parametrize("name", list(EXPECTED_ORDER))
def test_schemes_for_private_and_public_key(keys, name: str) -> None:
    key = keys[name]
    assert schemes_for_key(key) == EXPECTED_ORDER[name]
    assert schemes_for_key(key.public_key()) == EXPECTED_ORDER[name]


def all_pairs() -> list[tuple[str, S]]:
    return [(name, scheme) for name, schemes in EXPECTED_ORDER.items() for scheme in schemes]


@pytest.mark.parametrize(("name", "scheme"), all_pairs())
def test_round_trip_and_tamper(keys, name: str, scheme: S) -> None:
    key = keys[name]
    signature = sign(key, scheme, DATA)
    verify(key.public_key(), scheme, signature, DATA)
    verify(key.public_key(), int(scheme), signature, DATA)  # plain ints work too
    with pytest.raises(DecryptError, match="signature did not verify"):
        verify(key.public_key(), scheme, signature, DATA + b"!")
    with pytest.raises(DecryptError):
        verify(key.public_key(), scheme, signature[:-1], DATA)
    with pytest.raises(DecryptError):
        verify(key.public_key(), scheme, b"", DATA)


def test_signature_from_another_key_fails(keys) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    signature = sign(other, S.ecdsa_secp256r1_sha256, DATA)
    with pytest.raises(DecryptError) as info:
        verify(keys["p256"].public_key(), S.ecdsa_secp256r1_sha256, signature, DATA)
    assert info.value.alert.name == "decrypt_error"


def test_pss_salt_is_hash_length(keys) -> None:
    key = keys["rsa"]
    for scheme, algorithm in (
        (S.rsa_pss_rsae_sha256, hashes.SHA256()),
        (S.rsa_pss_rsae_sha384, hashes.SHA384()),
        (S.rsa_pss_rsae_sha512, hashes.SHA512()),
    ):
        signature = sign(key, scheme, DATA)
        exact = padding.PSS(padding.MGF1(algorithm), salt_length=algorithm.digest_size)
        key.public_key().verify(signature, DATA, exact, algorithm)
        # A signature with the maximum salt (another implementation's default) is refused.
        longest = padding.PSS(padding.MGF1(algorithm), salt_length=padding.PSS.MAX_LENGTH)
        other = key.sign(DATA, longest, algorithm)
        with pytest.raises(DecryptError):
            verify(key.public_key(), scheme, other, DATA)


def test_scheme_that_does_not_fit_the_key(keys) -> None:
    rsa_signature = sign(keys["rsa"], S.rsa_pkcs1_sha256, DATA)
    with pytest.raises(IllegalParameter, match="ecdsa_secp256r1_sha256.*RSA-2048"):
        verify(keys["rsa"].public_key(), S.ecdsa_secp256r1_sha256, rsa_signature, DATA)
    with pytest.raises(IllegalParameter):
        verify(keys["p256"].public_key(), S.rsa_pkcs1_sha256, rsa_signature, DATA)
    with pytest.raises(IllegalParameter):
        verify(keys["ed25519"].public_key(), S.ed448, rsa_signature, DATA)
    # rsa_pss_pss_* needs an RSASSA-PSS certificate key, which we do not support.
    with pytest.raises(IllegalParameter):
        verify(keys["rsa"].public_key(), S.rsa_pss_pss_sha256, rsa_signature, DATA)
    with pytest.raises(IllegalParameter, match="unknown_0xa0a"):
        verify(keys["rsa"].public_key(), 0x0A0A, rsa_signature, DATA)
    with pytest.raises(InternalError):
        sign(keys["p256"], S.rsa_pss_rsae_sha256, DATA)


# --- choosing ---------------------------------------------------------------------------------


def test_choose_first_of_ours_the_peer_accepts(keys) -> None:
    rsa_key = keys["rsa"]
    assert choose_scheme(rsa_key, [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256]) == (
        S.rsa_pss_rsae_sha256
    )
    assert choose_scheme(rsa_key, [S.ecdsa_secp256r1_sha256, S.rsa_pkcs1_sha384]) == (
        S.rsa_pkcs1_sha384
    )
    assert choose_scheme(keys["p384"], [0x0403, 0x0503]) == S.ecdsa_secp384r1_sha384
    # TLS 1.2 does not bind the curve to the hash.
    assert choose_scheme(keys["p256"], [S.ecdsa_secp384r1_sha384]) == S.ecdsa_secp384r1_sha384
    assert choose_scheme(keys["ed25519"].public_key(), [S.ed25519]) == S.ed25519


def test_choose_ignores_unknown_values(keys) -> None:
    assert choose_scheme(keys["p256"], [0x0A0A, 0xFFFF, 0x0403]) == S.ecdsa_secp256r1_sha256


def test_choose_respects_allowed(keys) -> None:
    peer = [S.rsa_pss_rsae_sha256, S.rsa_pkcs1_sha256]
    allowed = [S.rsa_pkcs1_sha256, S.ecdsa_secp256r1_sha256]
    assert choose_scheme(keys["rsa"], peer, allowed) == S.rsa_pkcs1_sha256
    with pytest.raises(HandshakeFailure):
        choose_scheme(keys["rsa"], [S.rsa_pss_rsae_sha256], allowed)


def test_legacy_default_without_signature_algorithms(keys) -> None:
    assert choose_scheme(keys["rsa"], None) == S.rsa_pkcs1_sha1
    assert choose_scheme(keys["p256"], None) == S.ecdsa_sha1
    assert choose_scheme(keys["p384"], None) == S.ecdsa_sha1
    no_sha1 = [s for s in S if s not in (S.rsa_pkcs1_sha1, S.ecdsa_sha1)]
    with pytest.raises(HandshakeFailure, match="no signature_algorithms.*rsa_pkcs1_sha1"):
        choose_scheme(keys["rsa"], None, no_sha1)
    with pytest.raises(HandshakeFailure, match="no default"):
        choose_scheme(keys["ed25519"], None)


def test_no_scheme_in_common(keys) -> None:
    with pytest.raises(HandshakeFailure, match="offered no signature scheme we accept") as info:
        choose_scheme(keys["p256"], [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256])
    message = str(info.value)
    assert "ecdsa_secp256r1_sha256" in message and "rsa_pkcs1_sha256" in message
    assert info.value.alert.name == "handshake_failure"
    with pytest.raises(HandshakeFailure, match="peer accepts none"):
        choose_scheme(keys["rsa"], [])


# --- helpers ----------------------------------------------------------------------------------


def test_key_type_name(keys) -> None:
    assert key_type_name(keys["rsa"]) == "RSA-2048"
    assert key_type_name(keys["p256"].public_key()) == "ECDSA P-256"
    assert key_type_name(keys["p384"]) == "ECDSA P-384"
    assert key_type_name(keys["p521"]) == "ECDSA P-521"
    assert key_type_name(keys["ed25519"]) == "Ed25519"
    assert key_type_name(keys["ed448"].public_key()) == "Ed448"


def test_hash_for() -> None:
    assert isinstance(hash_for(S.rsa_pss_rsae_sha384), hashes.SHA384)
    assert isinstance(hash_for(S.ecdsa_secp521r1_sha512), hashes.SHA512)
    assert isinstance(hash_for(0x0201), hashes.SHA1)
    assert hash_for(S.ed25519) is None
    with pytest.raises(IllegalParameter):
        hash_for(0x0A0A)


def test_unsupported_keys() -> None:
    dsa_key = dsa.generate_private_key(key_size=1024)
    with pytest.raises(ConfigError):
        schemes_for_key(dsa_key)
    with pytest.raises(UnsupportedCertificate):
        schemes_for_key(dsa_key.public_key())
    small_curve = ec.generate_private_key(ec.SECP224R1())
    with pytest.raises(ConfigError, match="secp224r1"):
        schemes_for_key(small_curve)
    with pytest.raises(UnsupportedCertificate):
        choose_scheme(small_curve.public_key(), [S.ecdsa_secp256r1_sha256])
