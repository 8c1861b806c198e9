"""A throwaway PKI: a CA, intermediates and leaf certificates made in memory.

Used by ``tls12 demo`` and by the tests, so that nothing depends on certificate files that
expire on their own. The certificates carry the extensions that real verifiers insist on
(BasicConstraints, KeyUsage, ExtendedKeyUsage, SubjectKeyIdentifier, AuthorityKeyIdentifier,
subjectAltName), so ``cryptography.x509.verification``, OpenSSL and GnuTLS all accept them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tls12.errors import ConfigError

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)

KEY_TYPES = ("rsa", "ecdsa", "ecdsa384", "ed25519", "ed448")
"""The key types :func:`make_key` understands: RSA-2048, EC P-256, EC P-384, Ed25519, Ed448.
(RSA-PSS certificates, whose key is id-RSASSA-PSS, cannot be made with ``cryptography``'s
builder, which writes every RSA key as rsaEncryption: the tests make them with OpenSSL.)"""

DEFAULT_LIFETIME = timedelta(days=30)
BACKDATE = timedelta(days=1)
"""Start validity a day early so a peer whose clock is a little behind still accepts it."""


def make_key(key_type: str) -> PrivateKey:
    """Generate a fresh private key of one of :data:`KEY_TYPES`."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ed448":
        return ed448.Ed448PrivateKey.generate()
    raise ConfigError(f"unknown key type {key_type!r}: expected one of {', '.join(KEY_TYPES)}")


def _signing_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | None:
    """The hash an issuer signs with: SHA-384 for P-384, none for EdDSA (it hashes itself)."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def _general_name(name: str) -> x509.GeneralName:
    """An IP literal becomes an IPAddress entry (verifiers never match IPs against DNS names)."""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        pass
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        raise ConfigError(f"certificate name {name!r} is not ASCII: use its IDNA A-label") from None
    return x509.DNSName(name)


def _pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _write(path: Path, data: bytes, *, private: bool = False) -> Path:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
    return path


@dataclass
class Identity:
    """A certificate chain and its private key: what a server (or client) presents.

    ``chain`` is the leaf first, then the intermediates, never the root: the peer already has
    the root, and sending it only wastes bytes.
    """

    cert: x509.Certificate
    key: PrivateKey
    chain: list[x509.Certificate]

    def chain_der(self) -> list[bytes]:
        """The chain as the DER blobs that go into a Certificate message."""
        return [c.public_bytes(serialization.Encoding.DER) for c in self.chain]

    def cert_pem(self) -> bytes:
        """Leaf and intermediates, PEM, in the order servers load them (``-cert`` files)."""
        return _pem(self.chain)

    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (a test key: no passphrase)."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, dirpath: str | Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.crt`` (chain) and ``stem.key`` (mode 0600) into dirpath."""
        directory = Path(dirpath)
        crt = _write(directory / f"{stem}.crt", self.cert_pem())
        key = _write(directory / f"{stem}.key", self.key_pem(), private=True)
        return crt, key


@dataclass
class CertificateAuthority:
    """A CA that can issue leaves and sub-CAs.

    ``intermediates`` are the CA certificates between a leaf it issues and the root: empty for
    a root, ``[self.cert, ...parents]`` for an intermediate. ``parent`` is the issuing CA.
    """

    cert: x509.Certificate
    key: PrivateKey
    intermediates: list[x509.Certificate] = field(default_factory=list)
    parent: CertificateAuthority | None = None

    @property
    def root(self) -> x509.Certificate:
        """The self-signed root of this CA's hierarchy: what a peer must trust."""
        ca = self
        while ca.parent is not None:
            ca = ca.parent
        return ca.cert

    def pem(self) -> bytes:
        """This CA's own certificate, PEM."""
        return _pem([self.cert])

    def write(self, path: str | Path) -> Path:
        """Write this CA's certificate as PEM to path."""
        return _write(Path(path), self.pem())

    def issue(
        self,
        names: Sequence[str],
        key_type: str = "ecdsa",
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        client_auth: bool = False,
        server_auth: bool = True,
        common_name: str | None = None,
    ) -> Identity:
        """Issue an end-entity certificate for ``names`` (DNS names or IP literals, in SAN).

        The CN is ``common_name`` or the first name; verifiers ignore it, it is for humans.
        """
        if not names and server_auth:
            raise ConfigError("a server certificate needs at least one DNS name or IP address")
        if not (client_auth or server_auth):
            raise ConfigError("a certificate must allow server_auth, client_auth, or both")
        key = make_key(key_type)
        cn = common_name or (names[0] if names else "tls12 client")
        usages = []
        if server_auth:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        if client_auth:
            usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
        # RSA leaves also allow keyEncipherment: the RSA key exchange encrypts to them.
        is_rsa = isinstance(key, rsa.RSAPrivateKey)
        builder = (
            self._builder(_name(cn), key, not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, key_encipherment=is_rsa), True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        )
        if names:
            san = x509.SubjectAlternativeName([_general_name(n) for n in names])
            builder = builder.add_extension(san, critical=False)
        cert = builder.sign(self.key, _signing_hash(self.key))
        return Identity(cert=cert, key=key, chain=[cert, *self.intermediates])

    def intermediate(
        self,
        name: str = "tls12 test intermediate CA",
        key_type: str = "ecdsa",
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        path_length: int | None = 0,
    ) -> CertificateAuthority:
        """Issue a sub-CA. path_length=0 lets it issue leaves only (pass None for no limit)."""
        key = make_key(key_type)
        builder = _ca_builder(self._builder(_name(name), key, not_before, not_after), path_length)
        cert = builder.sign(self.key, _signing_hash(self.key))
        return CertificateAuthority(
            cert=cert, key=key, intermediates=[cert, *self.intermediates], parent=self
        )

    def _builder(
        self,
        subject: x509.Name,
        key: PrivateKey,
        not_before: datetime | None,
        not_after: datetime | None,
    ) -> x509.CertificateBuilder:
        issuer_ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        return _base_builder(subject, self.cert.subject, key, not_before, not_after).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), False
        )


def _validity(not_before: datetime | None, not_after: datetime | None) -> tuple[datetime, datetime]:
    """Fill in the missing end of the validity period so that one given end always works.

    ``not_after`` alone in the past gives an expired certificate; ``not_before`` alone in the
    future, a not-yet-valid one: each default bends to keep the period non-empty.
    """
    now = datetime.now(UTC)
    # Naive datetimes are taken as UTC, as cryptography's builder does.
    if not_before is not None and not_before.tzinfo is None:
        not_before = not_before.replace(tzinfo=UTC)
    if not_after is not None and not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=UTC)
    if not_before is None:
        not_before = now - BACKDATE
        if not_after is not None and not_after <= not_before:
            not_before = not_after - DEFAULT_LIFETIME
    if not_after is None:
        not_after = max(now + DEFAULT_LIFETIME, not_before + DEFAULT_LIFETIME)
    if not_after <= not_before:
        raise ConfigError(f"not_after ({not_after}) must be later than not_before ({not_before})")
    return not_before, not_after


def _base_builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: PrivateKey,
    not_before: datetime | None,
    not_after: datetime | None,
) -> x509.CertificateBuilder:
    start, end = _validity(not_before, not_after)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tls12 test PKI"),
        ]
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    key_cert_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_builder(
    builder: x509.CertificateBuilder, path_length: int | None
) -> x509.CertificateBuilder:
    return builder.add_extension(
        x509.BasicConstraints(ca=True, path_length=path_length), critical=True
    ).add_extension(_key_usage(digital_signature=True, key_cert_sign=True), critical=True)


def make_ca(
    name: str = "tls12 test CA",
    key_type: str = "ecdsa",
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> CertificateAuthority:
    """Make a self-signed root CA (valid from a day ago for 30 days unless told otherwise)."""
    key = make_key(key_type)
    subject = _name(name)
    builder = _base_builder(subject, subject, key, not_before, not_after)
    cert = _ca_builder(builder, None).sign(key, _signing_hash(key))
    return CertificateAuthority(cert=cert, key=key)
