"""signatures.verify's shortcuts (the scheme check without a list, one hash and padding
object per scheme) give the same answers and the same errors as the general path."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tls12.crypto import signatures
from tls12.errors import DecryptError, IllegalParameter
from tls12.wire.enums import SignatureScheme as S

DATA = b"client_random server_random params"


def _keys() -> list[object]:
    return [
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP384R1()),
        ed25519.Ed25519PrivateKey.generate(),
    ]


@pytest.mark.parametrize("scheme", list(S))
def test_fits_matches_schemes_for_key(scheme: S) -> None:
    for private in _keys():
        public = private.public_key()  # type: ignore[attr-defined]
        assert signatures._fits(public, scheme) == (
            scheme in signatures.schemes_for_key(public)
        )


def test_verify_every_scheme_each_key_can_make_twice() -> None:
    """The kept hash and padding objects serve any number of verifications."""
    for private in _keys():
        public = private.public_key()  # type: ignore[attr-defined]
        for scheme in signatures.schemes_for_key(public):
            if scheme in (S.rsa_pkcs1_sha1, S.ecdsa_sha1):
                continue  # this OpenSSL signs no SHA-1
            signature = signatures.sign(private, scheme, DATA)  # type: ignore[arg-type]
            for _ in range(2):
                signatures.verify(public, scheme, signature, DATA)
            with pytest.raises(DecryptError, match="did not verify"):
                signatures.verify(public, scheme, signature, DATA + b"!")


def test_wrong_kind_of_scheme_is_illegal_parameter() -> None:
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(IllegalParameter, match="does not fit its RSA-2048 key"):
        signatures.verify(rsa_public, S.ecdsa_secp256r1_sha256, b"sig", DATA)
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(IllegalParameter, match="does not fit its ECDSA P-256 key"):
        signatures.verify(ec_public, S.rsa_pss_rsae_sha256, b"sig", DATA)


def test_unsupported_curve_keeps_its_error() -> None:
    public = ec.generate_private_key(ec.SECP224R1()).public_key()
    with pytest.raises(signatures.UnsupportedCertificate, match="curve secp224r1"):
        signatures.verify(public, S.ecdsa_secp256r1_sha256, b"sig", DATA)
