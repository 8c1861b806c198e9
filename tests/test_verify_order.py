"""The Web PKI path runs the verifier first and tls12's pre-checks only when it refuses: every
chain must get the same answer (the same path, or the same error type, message and alert) as
when the pre-checks ran first. The old order is spelled out here from verify.py's own checks,
and both orders judge the same hostile leaves; the session keeps the DER that arrived."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder

from tls12 import peer_chain, verify
from tls12.errors import BadCertificate, CertificateError
from tls12.pki import CertificateAuthority, make_ca
from tls12.verify import TrustStore, verify_server_chain, verify_server_path

NOW = datetime.now(UTC)
_DER = Encoding.DER
_ANY = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
_SERVER, _CLIENT = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH


def _pre_checks_first(
    chain_der: list[bytes], server_name: str | None, trust: TrustStore, when: datetime
) -> list[x509.Certificate]:
    """verify_server_chain's Web PKI path as it was: every pre-check, then the verifier."""
    policy = PolicyBuilder().store(trust.store).time(when)
    subject = verify._checked_subject(server_name, trust)
    chain = verify._parse_chain(chain_der, "server")
    leaf = chain[0]
    verify._check_leaf(leaf, "server", when, _SERVER)
    if subject is None:
        subject = verify._self_subject(leaf)
    else:
        verify._check_name(leaf, subject, str(server_name))
    try:
        return policy.build_server_verifier(subject).verify(leaf, chain[1:])
    except Exception as exc:
        raise verify._classify(exc, chain, trust, "server", when) from None


def _leaf(
    ca: CertificateAuthority,
    *,
    names: list[x509.GeneralName] | None,
    key: object = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    digest: hashes.HashAlgorithm | None = None,
    eku_critical: bool = False,
) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    ski = x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key())  # type: ignore[arg-type]
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf.example")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    if names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signed = builder.sign(ca.key, digest or hashes.SHA256())  # type: ignore[arg-type]
    return signed.public_bytes(_DER)


def _dns(*names: str) -> list[x509.GeneralName]:
    return [x509.DNSName(n) for n in names]


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return make_ca("order CA", key_type="ecdsa")


@pytest.fixture(scope="module")
def rsa_ca() -> CertificateAuthority:
    return make_ca("rsa CA", key_type="rsa")


@pytest.fixture(scope="module")
def cases(ca: CertificateAuthority, rsa_ca: CertificateAuthority) -> dict[str, list[bytes]]:
    other = make_ca("other CA")
    inter = ca.intermediate("order intermediate")
    old_inter = ca.intermediate(
        "old intermediate", not_before=NOW - timedelta(days=3), not_after=NOW - timedelta(hours=1)
    )
    return {
        "good": [_leaf(ca, names=_dns("localhost"), eku=[_SERVER])],
        "no eku": [_leaf(ca, names=_dns("localhost"))],
        "any eku": [_leaf(ca, names=_dns("localhost"), eku=[_ANY])],
        "client eku": [_leaf(ca, names=_dns("localhost"), eku=[_CLIENT])],
        "empty-ish eku": [_leaf(ca, names=_dns("localhost"), eku=[_CLIENT, _CLIENT])],
        "critical eku": [_leaf(ca, names=_dns("localhost"), eku=[_SERVER], eku_critical=True)],
        "no san": [_leaf(ca, names=None, eku=[_SERVER])],
        "other name": [_leaf(ca, names=_dns("example.com"), eku=[_SERVER])],
        "upper san": [_leaf(ca, names=_dns("LocalHost"), eku=[_SERVER])],
        "dotted san": [_leaf(ca, names=_dns("localhost."), eku=[_SERVER])],
        "wildcard": [_leaf(ca, names=_dns("*.example.com"), eku=[_SERVER])],
        "partial wildcard": [_leaf(ca, names=_dns("w*.example.com"), eku=[_SERVER])],
        "ip": [_leaf(ca, names=[x509.IPAddress(ipaddress.ip_address("::1"))])],
        "expired": [
            _leaf(
                ca,
                names=_dns("localhost"),
                not_before=NOW - timedelta(days=3),
                not_after=NOW - timedelta(days=1),
            )
        ],
        "not yet": [_leaf(ca, names=_dns("localhost"), not_before=NOW + timedelta(days=1))],
        "expired, wrong name": [
            _leaf(
                ca,
                names=_dns("example.com"),
                not_before=NOW - timedelta(days=3),
                not_after=NOW - timedelta(days=1),
            )
        ],
        "rsa 1024": [
            _leaf(
                rsa_ca,
                names=_dns("localhost"),
                key=rsa.generate_private_key(public_exponent=65537, key_size=1024),
            )
        ],
        "ed25519": [_leaf(ca, names=_dns("localhost"), key=ed25519.Ed25519PrivateKey.generate())],
        "p224": [_leaf(ca, names=_dns("localhost"), key=ec.generate_private_key(ec.SECP224R1()))],
        "sha224": [_leaf(rsa_ca, names=_dns("localhost"), digest=hashes.SHA224())],
        "unknown ca": [_leaf(other, names=_dns("localhost"))],
        "unknown ca, wrong name": [_leaf(other, names=_dns("example.com"))],
        "intermediate": [_leaf(inter, names=_dns("localhost")), inter.cert.public_bytes(_DER)],
        "missing intermediate": [_leaf(inter, names=_dns("localhost"))],
        "expired intermediate": [
            _leaf(old_inter, names=_dns("localhost")),
            old_inter.cert.public_bytes(_DER),
        ],
        "garbage": [b"\x30\x03\x02\x01\x00"],
    }


def _outcome(fn: object, *args: object) -> tuple[str, str, object]:
    try:
        path = fn(*args)  # type: ignore[operator]
    except CertificateError as exc:
        return type(exc).__name__, str(exc), exc.alert
    return "ok", "", [c.public_bytes(_DER) for c in path]


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "www.example.com", "::1", None])
def test_same_answer_as_pre_checks_first(
    ca: CertificateAuthority,
    rsa_ca: CertificateAuthority,
    cases: dict[str, list[bytes]],
    name: str | None,
) -> None:
    trust = TrustStore([ca.cert, rsa_ca.cert])
    answers = set()
    for label, chain in cases.items():
        old = _outcome(_pre_checks_first, chain, name, trust, NOW)
        new = _outcome(verify_server_chain, chain, name, trust, NOW, "webpki")
        assert new == old, label
        answers.add(old[0])
    assert "ok" in answers and len(answers) >= 3  # the cases do reach both kinds of answer


def test_path_der_is_what_arrived_and_the_anchors_own(ca: CertificateAuthority) -> None:
    inter = ca.intermediate("der intermediate")
    chain = [_leaf(inter, names=_dns("localhost")), inter.cert.public_bytes(_DER)]
    trust = TrustStore([ca.cert])
    for profile in ("webpki", "rfc5280"):
        path, ders = verify_server_path(chain, "localhost", trust, NOW, profile)
        assert ders == tuple(c.public_bytes(_DER) for c in path)
        assert ders[:2] == tuple(chain) and ders[2] == ca.cert.public_bytes(_DER)
        assert ders[0] is chain[0]  # kept, not encoded again


def test_name_cache_stays_bounded_and_refuses_bad_names(ca: CertificateAuthority) -> None:
    trust = TrustStore([ca.cert])
    for i in range(verify._SUBJECTS_MAX + 10):
        verify._checked_subject(f"host{i}.example", trust)
    assert len(verify._SUBJECTS) <= verify._SUBJECTS_MAX
    for _ in range(2):  # a refused name is refused again, not cached
        with pytest.raises(verify.ConfigError):
            verify._checked_subject("bad_name!.example", trust)


def test_parsed_certificates_are_kept_bounded(ca: CertificateAuthority) -> None:
    """A repeated chain is parsed once; the table stays bounded; what fails is not kept."""
    der = _leaf(ca, names=_dns("localhost"))
    first = peer_chain.parse_chain([der])[0]
    assert peer_chain.parse_chain([bytearray(der)])[0] is first
    for _ in range(peer_chain._PARSED_MAX + 5):
        peer_chain.parse_chain([_leaf(ca, names=_dns("localhost"))])
    assert len(peer_chain._PARSED) <= peer_chain._PARSED_MAX
    broken = der[:-1] + bytes([der[-1] ^ 1])  # the signature changed: still parses
    assert peer_chain.parse_chain([broken])[0] is not first
    with pytest.raises(BadCertificate, match="could not parse"):
        peer_chain.parse_chain([der[:50]])
    assert der[:50] not in peer_chain._PARSED
    big = b"\x30\x82" + (peer_chain._PARSED_BYTES_MAX).to_bytes(2, "big") + bytes(8192)
    with pytest.raises(BadCertificate):
        peer_chain.parse_chain([big])
    assert big not in peer_chain._PARSED
