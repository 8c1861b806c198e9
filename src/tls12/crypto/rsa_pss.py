"""RSA keys certified as id-RSASSA-PSS (RFC 4055), for the rsa_pss_pss_* schemes.

``cryptography`` loads such a certificate's key, and such a private key, as a plain RSA key:
the PSS-only restriction and its parameters are lost. RFC 8446 §4.2.3 (which applies to TLS 1.2
too) ties the scheme to the certificate's key OID: rsa_pss_rsae_* for rsaEncryption keys,
rsa_pss_pss_* for id-RSASSA-PSS keys. So the certificate decides, and this module reads that
from the certificate's SubjectPublicKeyInfo and wraps the key in a type that says so
(:class:`PssPublicKey`, :class:`PssPrivateKey`). The wrappers are RSA keys for every other use,
except encryption and decryption, which a PSS-only key must not do (RFC 4055 §1.2): it never
serves RSA key transport.

When the SPKI carries RSASSA-PSS-params (RFC 4055 §3.1), they restrict the key to one hash, one
MGF1 hash and a minimum salt length; TLS's PSS uses MGF1 with the same hash and a salt of the hash
length (RFC 8446 §4.2.3), so the key allows the one rsa_pss_pss scheme of its hash when its MGF1
hash is the same and its minimum salt is not longer than the hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    KeySerializationEncryption,
    PrivateFormat,
    PublicFormat,
)

if TYPE_CHECKING:  # NoDigestInfo is in annotations only: cryptography 45 (our floor) lacks it
    from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo

from tls12.errors import DecodeError, UnsupportedCertificate
from tls12.wire.enums import SignatureScheme as S
from tls12.wire.reader import Reader

RSASSA_PSS_OID = x509.ObjectIdentifier("1.2.840.113549.1.1.10")

PSS_PSS_SCHEMES = (S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512)

# DER encodings of the hash OIDs an RSASSA-PSS-params hashAlgorithm may name.
_HASH_OIDS = {
    bytes.fromhex("2b0e03021a"): "sha1",
    bytes.fromhex("608648016503040201"): "sha256",
    bytes.fromhex("608648016503040202"): "sha384",
    bytes.fromhex("608648016503040203"): "sha512",
    bytes.fromhex("608648016503040204"): "sha224",
}
_MGF1_OID = bytes.fromhex("2a864886f70d010108")  # 1.2.840.113549.1.1.8
_SCHEME_BY_HASH = {
    "sha256": (S.rsa_pss_pss_sha256, 32),
    "sha384": (S.rsa_pss_pss_sha384, 48),
    "sha512": (S.rsa_pss_pss_sha512, 64),
}


@dataclass(frozen=True)
class PssRestriction:
    """What an id-RSASSA-PSS key may sign with: its schemes, in our order of preference."""

    schemes: tuple[S, ...]
    detail: str
    """A human description for errors: 'any hash' or 'SHA-256 only, salt >= 32'."""


def is_rsa_pss_certificate(cert: x509.Certificate) -> bool:
    return cert.public_key_algorithm_oid == RSASSA_PSS_OID


def restriction(cert: x509.Certificate) -> PssRestriction:
    """The rsa_pss_pss schemes an id-RSASSA-PSS certificate's key allows."""
    try:
        params = _spki_parameters(cert.tbs_certificate_bytes)
    except DecodeError as exc:
        raise UnsupportedCertificate(f"unreadable RSASSA-PSS key parameters: {exc}") from None
    if params is None:
        return PssRestriction(PSS_PSS_SCHEMES, "any hash")
    hash_name, mgf_hash, salt = _pss_params(params)
    found = _SCHEME_BY_HASH.get(hash_name)
    detail = f"{hash_name.upper()} only, MGF1 with {mgf_hash.upper()}, salt >= {salt}"
    if found is None or salt > found[1] or mgf_hash != hash_name:
        return PssRestriction((), detail)
    return PssRestriction((found[0],), detail)


# -- a minimal DER walk (the certificate was already parsed by cryptography) ---------------


def _tlv(r: Reader) -> tuple[int, bytes]:
    tag = r.u8()
    first = r.u8()
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4:
            raise DecodeError("DER length of an unsupported size")
        length = int.from_bytes(r.opaque_fixed(count), "big")
    return tag, r.opaque_fixed(length)


def _spki_parameters(tbs: bytes) -> bytes | None:
    """The DER of the SubjectPublicKeyInfo algorithm's parameters, or None when absent."""
    tag, body = _tlv(Reader(tbs, "TBSCertificate"))
    r = Reader(body, "TBSCertificate")
    tag, _ = _tlv(r)
    if tag == 0xA0:  # [0] version, then serialNumber
        _tlv(r)
    for _ in range(4):  # signature, issuer, validity, subject
        _tlv(r)
    tag, spki = _tlv(r)
    _, algorithm = _tlv(Reader(spki, "SubjectPublicKeyInfo"))
    alg = Reader(algorithm, "AlgorithmIdentifier")
    _tlv(alg)  # the OID, already known to be id-RSASSA-PSS
    if alg.at_end():
        return None
    tag, params = _tlv(alg)
    if tag == 0x05:  # NULL: no restriction
        return None
    if tag != 0x30:
        raise DecodeError("RSASSA-PSS-params is not a SEQUENCE")
    return params


def _pss_params(params: bytes) -> tuple[str, str, int]:
    """(hash, MGF1 hash, minimum salt length) from RSASSA-PSS-params; RFC 4055 §3.1 defaults:
    SHA-1, MGF1 with SHA-1, 20."""
    hash_name, mgf_hash, salt = "sha1", "sha1", 20
    r = Reader(params, "RSASSA-PSS-params")
    while not r.at_end():
        tag, value = _tlv(r)
        if tag == 0xA0:  # hashAlgorithm [0] AlgorithmIdentifier
            hash_name = _hash_of(value)
        elif tag == 0xA1:  # maskGenAlgorithm [1] AlgorithmIdentifier {id-mgf1, hash AlgId}
            _, algorithm = _tlv(Reader(value, "maskGenAlgorithm"))
            mgf = Reader(algorithm, "maskGenAlgorithm")
            oid_tag, oid = _tlv(mgf)
            is_mgf1 = oid_tag == 0x06 and oid == _MGF1_OID and not mgf.at_end()
            mgf_hash = _hash_of(mgf.rest()) if is_mgf1 else "unknown mask"
        elif tag == 0xA2:  # saltLength [2] INTEGER
            int_tag, number = _tlv(Reader(value, "saltLength"))
            if int_tag != 0x02 or not number:
                raise DecodeError("saltLength is not an INTEGER")
            salt = int.from_bytes(number, "big")
    return hash_name, mgf_hash, salt


def _hash_of(algorithm_identifier: bytes) -> str:
    """The hash an AlgorithmIdentifier (DER, tag included) names."""
    _, algorithm = _tlv(Reader(algorithm_identifier, "AlgorithmIdentifier"))
    oid_tag, oid = _tlv(Reader(algorithm, "AlgorithmIdentifier"))
    return _HASH_OIDS.get(oid, "unknown hash") if oid_tag == 0x06 else "unknown hash"


# -- keys that remember they are PSS-only --------------------------------------------------


def _no_encryption() -> UnsupportedCertificate:
    return UnsupportedCertificate(
        "an id-RSASSA-PSS key signs only: it cannot be used for RSA key transport"
    )


class PssPublicKey(rsa.RSAPublicKey):
    """A peer's RSA key certified as id-RSASSA-PSS."""

    def __init__(self, key: rsa.RSAPublicKey, allowed: PssRestriction) -> None:
        self.inner = key
        self.allowed = allowed

    def encrypt(self, plaintext: bytes, padding: AsymmetricPadding) -> bytes:
        raise _no_encryption()

    @property
    def key_size(self) -> int:
        return self.inner.key_size

    def public_numbers(self) -> rsa.RSAPublicNumbers:
        return self.inner.public_numbers()

    def public_bytes(self, encoding: Encoding, format: PublicFormat) -> bytes:
        return self.inner.public_bytes(encoding, format)

    def verify(
        self,
        signature: bytes,
        data: bytes,
        padding: AsymmetricPadding,
        algorithm: Prehashed | hashes.HashAlgorithm,
    ) -> None:
        self.inner.verify(signature, data, padding, algorithm)

    def recover_data_from_signature(
        self,
        signature: bytes,
        padding: AsymmetricPadding,
        algorithm: hashes.HashAlgorithm | NoDigestInfo | None,
    ) -> bytes:
        return self.inner.recover_data_from_signature(signature, padding, algorithm)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PssPublicKey) and self.inner == other.inner

    def __hash__(self) -> int:
        return hash(self.public_numbers())

    def __copy__(self) -> PssPublicKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PssPublicKey:
        return self


class PssPrivateKey(rsa.RSAPrivateKey):
    """Our RSA private key whose certificate is id-RSASSA-PSS."""

    def __init__(self, key: rsa.RSAPrivateKey, allowed: PssRestriction) -> None:
        self.inner = key
        self.allowed = allowed

    def decrypt(self, ciphertext: bytes, padding: AsymmetricPadding) -> bytes:
        raise _no_encryption()

    @property
    def key_size(self) -> int:
        return self.inner.key_size

    def public_key(self) -> PssPublicKey:
        return PssPublicKey(self.inner.public_key(), self.allowed)

    def sign(
        self,
        data: bytes,
        padding: AsymmetricPadding,
        algorithm: Prehashed | hashes.HashAlgorithm | NoDigestInfo,
    ) -> bytes:
        return self.inner.sign(data, padding, algorithm)

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        return self.inner.private_numbers()

    def private_bytes(
        self,
        encoding: Encoding,
        format: PrivateFormat,
        encryption_algorithm: KeySerializationEncryption,
    ) -> bytes:
        return self.inner.private_bytes(encoding, format, encryption_algorithm)

    def __copy__(self) -> PssPrivateKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PssPrivateKey:
        return self


def is_pss_key(key: object) -> bool:
    """Whether a key (ours or a peer's) is certified as id-RSASSA-PSS."""
    return isinstance(key, PssPrivateKey | PssPublicKey)


def certificate_public_key(cert: x509.Certificate) -> CertificatePublicKeyTypes:
    """The certificate's public key, as a :class:`PssPublicKey` when it is id-RSASSA-PSS."""
    key = cert.public_key()
    if is_rsa_pss_certificate(cert) and isinstance(key, rsa.RSAPublicKey):
        return PssPublicKey(key, restriction(cert))
    return key
