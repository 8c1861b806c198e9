"""Trust anchors: the certificates a peer's chain must lead to, and where they come from.

The system store (the OS bundle, found where OpenSSL looks) is marked as such, because
``verify_profile="auto"`` validates chains to it by the Web PKI profile and chains to anchors
the user supplies by RFC 5280 (verify_profiles.py).
"""

from __future__ import annotations

import re
import ssl
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import Store

from tls12.errors import ConfigError

_DER = Encoding.DER

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class TrustStore:
    """The certificates we trust a priori, and the ``cryptography`` Store built from them.

    The list is kept because a server needs the anchors' names for CertificateRequest.
    """

    def __init__(self, certs: Iterable[x509.Certificate], *, system: bool = False) -> None:
        self.certs: tuple[x509.Certificate, ...] = tuple(certs)
        self.is_system = system
        """True for the operating system's store: verify_profile "auto" applies webpki."""
        if not self.certs:
            raise ConfigError("a trust store needs at least one CA certificate")
        try:
            self.store = Store(list(self.certs))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"could not build a trust store: {exc}") from None
        self._anchor_subjects = {c.subject for c in self.certs}
        self.revocation_check: Callable[[Sequence[x509.Certificate]], None] | None = None
        """Run on every verified path (the ssl-compatible context's CRL checks)."""
        self._by_id = {id(c): (c, c.public_bytes(_DER)) for c in self.certs}
        """Each anchor's object and DER by the object's identity: a verified path ends in one
        of these objects, and encoding a certificate again costs ~12 us."""
        self._anchor_ders = {der for _, der in self._by_id.values()}

    @classmethod
    def from_certificates(cls, certs: Iterable[x509.Certificate]) -> TrustStore:
        return cls(certs)

    @classmethod
    def from_pem(cls, data: bytes, *, source: str = "PEM data") -> TrustStore:
        """Trust every certificate in a PEM bundle; a block that does not parse is an error."""
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise ConfigError(f"could not parse the CA certificates in {source}: {exc}") from None
        return cls(certs)

    @classmethod
    def from_pem_file(cls, path: str | Path) -> TrustStore:
        """Trust every certificate in a PEM file (a CA bundle or a single CA)."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"could not read CA certificates from {path}: {exc.strerror}"
            ) from None
        if not _PEM_BLOCK.search(data):
            raise ConfigError(f"no PEM certificate found in {path}")
        return cls.from_pem(data, source=str(path))

    @classmethod
    def system(cls) -> TrustStore:
        """The operating system's CA bundle, found where OpenSSL (and Python's ssl) looks.

        A bundle may hold a certificate that ``cryptography`` refuses to parse; that one root
        is skipped rather than making the whole system store unusable.
        """
        paths = ssl.get_default_verify_paths()
        for candidate in (paths.cafile, paths.openssl_cafile):
            if candidate and Path(candidate).is_file():
                data = Path(candidate).read_bytes()
                certs = []
                for block in _PEM_BLOCK.findall(data):
                    # Old roots with quirks (a negative serial) warn; they are the OS's choice.
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                        try:
                            certs.append(x509.load_pem_x509_certificate(block))
                        except ValueError:
                            continue
                if certs:
                    return cls(certs, system=True)
        raise ConfigError(
            "no system CA bundle found (looked for "
            f"{paths.cafile or paths.openssl_cafile}); install the ca-certificates package "
            "or give the CA file explicitly"
        )

    @property
    def subjects_der(self) -> list[bytes]:
        """DER subject names of the anchors: CertificateRequest's certificate_authorities."""
        return [c.subject.public_bytes() for c in self.certs]

    def __len__(self) -> int:
        return len(self.certs)

    def _is_anchor_der(self, der: bytes) -> bool:
        """Whether ``der`` is the encoding of one of the anchors."""
        return der in self._anchor_ders

    def _der_of(self, cert: x509.Certificate) -> bytes:
        """``cert``'s DER: kept for the anchors' own objects, encoded for any other."""
        kept = self._by_id.get(id(cert))
        if kept is not None and kept[0] is cert:
            return kept[1]
        return cert.public_bytes(_DER)

    def _is_anchor(self, cert: x509.Certificate) -> bool:
        return cert.public_bytes(_DER) in self._anchor_ders or cert.issuer in self._anchor_subjects
