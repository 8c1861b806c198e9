"""Certificate path and name validation, through ``cryptography.x509.verification``.

The verifier from ``cryptography`` does the real work (path building, signatures, validity,
Web PKI extension profile, name matching). Its errors are one string, which is not enough to
pick the right alert or to tell a user what is wrong, so we check the common failures
ourselves (leaf dates, name, key, extended key usage) and classify whatever the verifier still
refuses (unknown issuer, expired intermediate, weak key, ...). Under the Web PKI profile the
verifier runs first and the pre-checks only when it refuses (they repeat what it checks, and
cost as much again): the error is the same as if they had run first. Under RFC 5280 the
verifier checks neither name nor extended key usage, so the pre-checks always run.

Only the leaf is pre-checked: peers often send extra, stale certificates (an expired
cross-signed root, say) that the verifier rightly ignores when it finds another path.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    VerificationError,
)

from tls12.errors import (
    BadCertificate,
    CertificateError,
    CertificateExpired,
    ConfigError,
    UnknownCA,
    UnsupportedCertificate,
)
from tls12.peer_chain import _parse_chain
from tls12.peer_chain import parse_chain as parse_chain  # re-exported for its callers
from tls12.trust import TrustStore as TrustStore  # re-exported: the public home of TrustStore
from tls12.verify_profiles import RFC5280, common_name_hosts, effective, rfc5280_path

_DER = Encoding.DER

MIN_RSA_BITS = 2048
"""The verifier enforces this on issuer keys only; we apply it to the leaf key as well."""

_EC_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)

_SHORT_NAMES = (
    (NameOID.COMMON_NAME, "CN"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "OU"),
    (NameOID.ORGANIZATION_NAME, "O"),
    (NameOID.COUNTRY_NAME, "C"),
)

# --- public checks ------------------------------------------------------------------------


def verify_server_chain(
    chain_der: Sequence[bytes],
    server_name: str | None,
    trust: TrustStore,
    now: datetime | None = None,
    profile: str = "auto",
) -> list[x509.Certificate]:
    """Validate a server's Certificate message; return the verified path, leaf first.

    ``server_name`` is a DNS name or an IP literal. With ``None`` only the path is checked:
    ``cryptography``'s server verifier insists on a subject, so we hand it one of the leaf's
    own subjectAltName entries, which keeps every other check (EKU serverAuth, SAN present,
    path, dates) and only makes the name match trivially true.

    ``profile`` (verify_profiles.py): "webpki", "rfc5280", or "auto" (webpki for the system
    store, rfc5280 for anchors the user gave). Under rfc5280 a leaf without subjectAltName is
    matched by its common name, as OpenSSL and Python's ssl do.
    """
    return verify_server_path(chain_der, server_name, trust, now, profile)[0]


def verify_server_path(
    chain_der: Sequence[bytes],
    server_name: str | None,
    trust: TrustStore,
    now: datetime | None = None,
    profile: str = "auto",
) -> tuple[list[x509.Certificate], tuple[bytes, ...]]:
    """verify_server_chain, and the DER of each certificate of the path: the bytes that
    arrived (or the anchor's own), which the session keeps without encoding them again."""
    when = _utc(now)
    rfc5280 = effective(profile, trust.is_system) == RFC5280
    subject = _checked_subject(server_name, trust)
    ders = [bytes(der) for der in chain_der]
    chain = _parse_chain(ders, "server")
    if rfc5280:
        path = _server_chain_rfc5280(chain, ders[0], subject, server_name, trust, when)
    else:
        path = _server_chain_webpki(chain, subject, server_name, trust, when)
    _revocation_checked(trust, path)
    by_id = {id(cert): der for cert, der in zip(chain, ders, strict=True)}
    return path, tuple(by_id.get(id(cert)) or trust._der_of(cert) for cert in path)


def _server_chain_webpki(
    chain: list[x509.Certificate],
    subject: x509.DNSName | x509.IPAddress | None,
    server_name: str | None,
    trust: TrustStore,
    when: datetime,
) -> list[x509.Certificate]:
    """The verifier first: it checks dates, extended key usage and the name itself. Only
    when it refuses do our pre-checks run, in their order, to name the precise cause (and
    alert); what it leaves out (the leaf's key, dates to the microsecond) is checked after."""
    leaf = chain[0]
    refusal: Exception | None = None
    try:
        target = _self_subject(leaf) if subject is None else subject
        path = (
            PolicyBuilder()
            .store(trust.store)
            .time(when)
            .build_server_verifier(target)
            .verify(leaf, chain[1:])
        )
    except (VerificationError, ValueError, UnsupportedAlgorithm, BadCertificate) as exc:
        refusal = exc
    if refusal is not None:
        _check_leaf(leaf, "server", when, ExtendedKeyUsageOID.SERVER_AUTH)
        if subject is None:
            _self_subject(leaf)  # raises its own refusal again, after the leaf's checks
        else:
            _check_name(leaf, subject, str(server_name))
        raise _classify(refusal, chain, trust, "server", when)
    _check_dates(leaf, "server certificate", when)
    _check_key(leaf, "server")
    return path


def _revocation_checked(trust: TrustStore, path: list[x509.Certificate]) -> list[x509.Certificate]:
    """Every verified path, whatever the profile, goes through the store's revocation check
    (the ssl-compatible context's CRLs) before it is trusted."""
    if trust.revocation_check is not None:
        trust.revocation_check(path)
    return path


_SUBJECTS: dict[str, x509.DNSName | x509.IPAddress] = {}
_SUBJECTS_MAX = 256
"""Server names already checked, and their verifier subjects: the check builds a verifier
(~5 us) and depends on the name alone. Bounded: cleared when full."""


def _checked_subject(
    server_name: str | None, trust: TrustStore
) -> x509.DNSName | x509.IPAddress | None:
    """The name is our caller's input: refuse a malformed one before looking at the peer's
    bytes (the server verifier's own check of the name)."""
    if server_name is None:
        return None
    subject = _SUBJECTS.get(server_name)
    if subject is not None:
        return subject
    subject = _subject_for(server_name)
    try:
        PolicyBuilder().store(trust.store).build_server_verifier(subject)
    except ValueError:
        raise ConfigError(f"{server_name!r} is not a valid DNS name or IP address") from None
    if len(_SUBJECTS) >= _SUBJECTS_MAX:
        _SUBJECTS.clear()
    _SUBJECTS[server_name] = subject
    return subject


def _server_chain_rfc5280(
    chain: list[x509.Certificate],
    leaf_der: bytes,
    subject: x509.DNSName | x509.IPAddress | None,
    server_name: str | None,
    trust: TrustStore,
    when: datetime,
) -> list[x509.Certificate]:
    """The client verifier used here checks neither the name nor the extended key usage:
    the pre-checks are part of the validation, not only of its error messages."""
    leaf = chain[0]
    _check_leaf(leaf, "server", when, ExtendedKeyUsageOID.SERVER_AUTH)
    if subject is not None:
        _check_name(leaf, subject, str(server_name), common_name_fallback=True)
    try:
        return rfc5280_path(leaf, chain[1:], trust, when, leaf_der=leaf_der)
    except (VerificationError, ValueError, UnsupportedAlgorithm) as exc:
        raise _classify(exc, chain, trust, "server", when) from None


def verify_client_chain(
    chain_der: Sequence[bytes],
    trust: TrustStore,
    now: datetime | None = None,
    profile: str = "auto",
) -> list[x509.Certificate]:
    """Validate a client's Certificate message; return the verified path, leaf first.

    Unlike ``cryptography``'s default client policy we do not require a subjectAltName:
    client certificates commonly name their holder in the subject only. ``profile`` as for
    verify_server_chain; client_trust is always the user's, so "auto" means rfc5280.
    """
    when = _utc(now)
    chain = _parse_chain(chain_der, "client")
    leaf = chain[0]
    _check_leaf(leaf, "client", when, ExtendedKeyUsageOID.CLIENT_AUTH)
    if effective(profile, trust.is_system) == RFC5280:
        try:
            path = rfc5280_path(leaf, chain[1:], trust, when, leaf_der=bytes(chain_der[0]))
        except (VerificationError, ValueError, UnsupportedAlgorithm) as exc:
            raise _classify(exc, chain, trust, "client", when) from None
        return _revocation_checked(trust, path)
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(trust.store)
        .time(when)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        path = verifier.verify(leaf, chain[1:]).chain
    except (VerificationError, ValueError, UnsupportedAlgorithm) as exc:
        raise _classify(exc, chain, trust, "client", when) from None
    return _revocation_checked(trust, path)


def describe(cert: x509.Certificate) -> str:
    """The subject as a short 'CN=..., O=...' for messages and traces."""
    return describe_name(cert.subject)


def describe_name(name: x509.Name) -> str:
    parts = [
        f"{short}={attr.value!s}"
        for oid, short in _SHORT_NAMES
        for attr in name.get_attributes_for_oid(oid)
    ]
    return ", ".join(parts) or name.rfc4514_string() or "(empty name)"


# --- pre-checks ---------------------------------------------------------------------------


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _check_leaf(
    leaf: x509.Certificate, who: str, now: datetime, eku: x509.ObjectIdentifier
) -> None:
    _check_dates(leaf, f"{who} certificate", now)
    _check_key(leaf, who)
    try:
        usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    except ValueError as exc:
        raise BadCertificate(f"could not parse the {who} certificate's extensions: {exc}") from None
    if eku not in usage and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usage:
        allowed = ", ".join(getattr(oid, "_name", oid.dotted_string) for oid in usage) or "none"
        raise UnsupportedCertificate(
            f"{who} certificate ({describe(leaf)}) is not allowed for {who} authentication "
            f"(its extended key usage allows: {allowed})"
        )


def _date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_dates(cert: x509.Certificate, what: str, now: datetime) -> None:
    if now > cert.not_valid_after_utc:
        raise CertificateExpired(
            f"{what} expired on {_date(cert.not_valid_after_utc)} (subject {describe(cert)})"
        )
    if now < cert.not_valid_before_utc:
        raise CertificateExpired(
            f"{what} is not valid before {_date(cert.not_valid_before_utc)} "
            f"(subject {describe(cert)}); check the clock"
        )


def _check_key(leaf: x509.Certificate, who: str) -> None:
    try:
        key = leaf.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise UnsupportedCertificate(f"{who} certificate has an unsupported key: {exc}") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise UnsupportedCertificate(
                f"{who} certificate ({describe(leaf)}) has a {key.key_size}-bit RSA key; "
                f"at least {MIN_RSA_BITS} bits are required"
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, _EC_CURVES):
            raise UnsupportedCertificate(
                f"{who} certificate ({describe(leaf)}) uses the unsupported curve {key.curve.name}"
            )
    elif not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise UnsupportedCertificate(
            f"{who} certificate ({describe(leaf)}) has an unsupported key type {type(key).__name__}"
        )


def _subject_for(server_name: str) -> x509.DNSName | x509.IPAddress:
    """DNS name or IP literal → the verifier's subject. A trailing dot means the same host."""
    host = server_name.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host or host[-1:].isdigit():  # else no IP literal: skip ipaddress's exceptions
        try:
            return x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            pass
    host = host.rstrip(".")
    try:
        host = host.encode("ascii").decode()
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigError(f"{server_name!r} is not a valid host name") from None
    return x509.DNSName(host.lower())


def _san(cert: x509.Certificate) -> list[x509.GeneralName]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    except ValueError as exc:
        raise BadCertificate(f"could not parse the certificate's subjectAltName: {exc}") from None
    return [n for n in ext if isinstance(n, x509.DNSName | x509.IPAddress)]


def _check_name(
    leaf: x509.Certificate,
    subject: x509.DNSName | x509.IPAddress,
    server_name: str,
    *,
    common_name_fallback: bool = False,
) -> None:
    names = _san(leaf)
    if not names and common_name_fallback:
        cns = common_name_hosts(leaf)
        if isinstance(subject, x509.DNSName) and any(
            _matches(subject, x509.DNSName(cn)) for cn in cns
        ):
            return
        raise BadCertificate(
            f"server certificate ({describe(leaf)}) has no subjectAltName and its common name "
            f"is not {server_name}"
        )
    if not names:
        raise BadCertificate(
            f"server certificate ({describe(leaf)}) has no subjectAltName, so it is not valid "
            f"for {server_name} (the common name is not used for matching)"
        )
    if not any(_matches(subject, n) for n in names):
        valid_for = ", ".join(str(n.value) for n in names)
        raise BadCertificate(
            f"server certificate is valid for {valid_for}, not for {server_name} "
            f"(subject {describe(leaf)})"
        )


def _matches(subject: x509.DNSName | x509.IPAddress, name: x509.GeneralName) -> bool:
    """RFC 6125 matching: exact, or a wildcard standing for exactly the leftmost label."""
    if isinstance(subject, x509.IPAddress):
        return isinstance(name, x509.IPAddress) and name.value == subject.value
    if not isinstance(name, x509.DNSName):
        return False
    pattern = name.value.lower().rstrip(".")
    host = subject.value
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == pattern[2:]
    return False


def _self_subject(leaf: x509.Certificate) -> x509.DNSName | x509.IPAddress:
    """A subject the leaf is valid for, to run the server verifier without a name check."""
    for name in _san(leaf):
        if isinstance(name, x509.IPAddress):
            return name
        value = name.value.rstrip(".")
        if value.startswith("*."):
            value = "wildcard" + value[1:]
        if value:
            return x509.DNSName(value)
    raise BadCertificate(f"server certificate ({describe(leaf)}) has no subjectAltName")


# --- classifying the verifier's refusal -----------------------------------------------------

_NOISE = re.compile(r"^validation failed: |\s*\(encountered processing <Certificate.*\)$")


def _classify(
    exc: Exception, chain: list[x509.Certificate], trust: TrustStore, who: str, now: datetime
) -> CertificateError:
    """Turn the verifier's one-line refusal into the error (and alert) that names the cause."""
    message = _NOISE.sub("", str(exc)).removeprefix("candidates exhausted: ")
    if "not valid at validation time" in message:
        issuers = {c.issuer for c in chain}
        anchors = [c for c in trust.certs if c.subject in issuers]
        labelled = [(c, f"CA certificate in the {who}'s chain") for c in chain[1:]]
        labelled += [(c, "trusted CA certificate") for c in anchors]
        for cert, label in labelled:
            try:
                _check_dates(cert, label, now)
            except CertificateExpired as expired:
                return expired
    unknown = _unknown_issuer(chain, trust)
    if unknown is not None:
        top, hint = unknown
        verb = "is issued by" if top is chain[0] else "chains up to"
        return UnknownCA(
            f"{who} certificate ({describe(chain[0])}) {verb} {describe_name(top.issuer)}, "
            f"which is not a trusted authority{hint}"
        )
    if "Forbidden signature algorithm" in message:
        return UnsupportedCertificate(_forbidden_signature(chain, who))
    if "too weak" in message or "Forbidden" in message or "EKU" in message:
        return UnsupportedCertificate(f"{who} certificate chain refused: {message}")
    if "signature does not match" in message:
        return BadCertificate(
            f"{who} certificate chain refused: a signature does not verify with the key of "
            "the trusted CA of that name"
        )
    return BadCertificate(f"{who} certificate chain refused: {message}")


def _forbidden_signature(chain: list[x509.Certificate], who: str) -> str:
    """Names the certificate signed with an algorithm the Web PKI policy forbids (SHA-1,
    MD5, ...), instead of the verifier's internal description of it."""
    allowed = ("sha256", "sha384", "sha512")
    for cert in chain:
        digest = cert.signature_hash_algorithm
        if digest is None or digest.name in allowed:
            continue
        label = f"{who} certificate" if cert is chain[0] else f"CA certificate in the {who}'s chain"
        name = {"sha1": "SHA-1", "md5": "MD5"}.get(digest.name, digest.name.upper())
        return (
            f"{label} ({describe(cert)}) is signed with {name} "
            f"({cert.signature_algorithm_oid._name}), which is no longer accepted: "
            "it must be reissued with SHA-256 or better"
        )
    return f"{who} certificate chain refused: a signature uses a forbidden algorithm"


def _unknown_issuer(
    chain: list[x509.Certificate], trust: TrustStore
) -> tuple[x509.Certificate, str] | None:
    """Follow issuer names up the chain; return the top cert if no trusted name is reached."""
    by_subject = {c.subject: c for c in chain[1:]}
    cert = chain[0]
    for _ in range(len(chain)):
        if trust._is_anchor(cert):
            return None
        parent = by_subject.pop(cert.issuer, None)
        if parent is None:
            break
        cert = parent
    if trust._is_anchor(cert):
        return None
    if cert.issuer == cert.subject:
        return cert, " (the chain ends in a self-signed certificate)"
    return cert, " (if that is an intermediate CA, the peer did not send it)"
