"""The two ways a peer's chain is validated: the Web PKI profile, and RFC 5280 as OpenSSL does it.

``webpki`` is ``cryptography``'s CA/Browser Forum profile: right for the system trust store,
whose anchors issue certificates for the public web under those rules (Authority Key
Identifier, subjectAltName, v3 only, ...).

Private PKIs are made with ``openssl req -x509`` (a self-signed certificate with
``basicConstraints CA:TRUE``), ``openssl x509 -req`` (a version 1 certificate without
extensions, OpenSSL 3.0) or ``cryptography``'s CertificateBuilder (no key identifiers unless
asked). OpenSSL, and so Python's ``ssl``, accept all of them against anchors the user names;
the Web PKI profile refuses all of them. ``rfc5280`` is RFC 5280 §6 path validation with the
checks OpenSSL applies: every issuer is a CA (basicConstraints CA:TRUE, keyCertSign when key
usage is present, path length), signatures, validity dates, and any extension allowed where
RFC 5280 allows it. Two cases ``cryptography``'s verifier does not cover are handled here, as
OpenSSL does: a certificate that is itself a trust anchor is its own path (RFC 5280 §6.1: the
anchor is the input, not part of the path), and a version 1 leaf is checked against its issuer
directly before the verifier takes over from that issuer.

``auto`` picks webpki for the system store and rfc5280 for anchors given in the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import (
    ClientVerifier,
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from tls12.errors import ConfigError
from tls12.trust import TrustStore

WEBPKI = "webpki"
RFC5280 = "rfc5280"
AUTO = "auto"
PROFILES = (AUTO, WEBPKI, RFC5280)


def effective(profile: str, system_store: bool) -> str:
    """The profile actually applied: ``auto`` resolves by where the anchors came from."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown verify_profile {profile!r}; use one of {', '.join(PROFILES)}")
    if profile == AUTO:
        return WEBPKI if system_store else RFC5280
    return profile


_CA_POLICY = ExtensionPolicy.permit_all().require_present(
    x509.BasicConstraints, Criticality.AGNOSTIC, None
)
_EE_POLICY = ExtensionPolicy.permit_all()
"""RFC 5280's extension rules, fixed: built once (immutable) instead of per chain."""


def _rfc5280_verifier(store: Store, when: datetime) -> ClientVerifier:
    """``cryptography``'s path builder with RFC 5280's extension rules instead of the Web
    PKI's. The client verifier is used for both roles: it checks no name, and the name
    (with OpenSSL's rules) and extended key usage are checked by the caller."""
    return (
        PolicyBuilder()
        .store(store)
        .time(when)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        .build_client_verifier()
    )


def rfc5280_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trust: TrustStore,
    when: datetime,
    *,
    leaf_der: bytes | None = None,
) -> list[x509.Certificate]:
    """The validated path, leaf first; VerificationError (or ValueError from the verifier)
    when there is none. ``leaf_der`` is the leaf's encoding as received, when the caller has
    it (encoding it again costs more than the rest of this function's own work)."""
    if leaf_der is None:
        leaf_der = leaf.public_bytes(Encoding.DER)
    if trust._is_anchor_der(leaf_der):
        return [leaf]  # the peer's certificate is itself trusted: its own path
    store, anchors = trust.store, trust.certs
    if leaf.version is x509.Version.v1:
        issuer = _direct_issuer(leaf, [*intermediates, *anchors])
        if issuer is None:
            raise VerificationError(
                "candidates exhausted: no issuer certificate signed this version 1 certificate"
            )
        if not issuer.not_valid_before_utc <= when <= issuer.not_valid_after_utc:
            raise VerificationError("cert is not valid at validation time")
        if trust._is_anchor_der(issuer.public_bytes(Encoding.DER)):
            return [leaf, issuer]
        rest = [c for c in intermediates if c is not issuer]
        return [leaf, *_rfc5280_verifier(store, when).verify(issuer, rest).chain]
    return list(_rfc5280_verifier(store, when).verify(leaf, list(intermediates)).chain)


def _direct_issuer(
    cert: x509.Certificate, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    """The candidate whose name and key issued ``cert`` (and that may issue: a CA)."""
    for candidate in candidates:
        if candidate.subject != cert.issuer:
            continue
        try:
            constraints = candidate.extensions.get_extension_for_class(x509.BasicConstraints)
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is not None and not constraints.value.ca:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return candidate
    return None


def common_name_hosts(cert: x509.Certificate) -> list[str]:
    """OpenSSL's fallback (X509_check_host, Python ssl's hostname_checks_common_name): a
    certificate with no DNS or IP subjectAltName is matched by its subject common names."""
    return [
        str(attr.value).lower().rstrip(".")
        for attr in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    ]
