"""The configurations accept loose values (policy names, IANA/OpenSSL names, code points,
lists) at construction and hold the resolved tuples (config.py, config_values.py,
converted.py); every unknown value is a ConfigError naming it."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from tls_support import pki

from tls12.config import (
    COMPATIBLE_SIGNATURE_SCHEMES,
    DEFAULT_SIGNATURE_SCHEMES,
    ClientAuth,
    ClientConfig,
    ServerConfig,
)
from tls12.crypto.suites import BY_NAME, COMPATIBLE_SUITES, DEFAULT_SUITES
from tls12.errors import ConfigError
from tls12.wire.enums import NamedGroup, SignatureScheme

GCM = BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]


def test_loose_values_are_held_resolved() -> None:
    config = ClientConfig(
        cipher_suites=["ECDHE-RSA-AES128-GCM-SHA256", 0xC02C, GCM],
        groups=["X25519", 23],
        ffdhe_groups=[NamedGroup.ffdhe3072],
        signature_schemes=["rsa_pss_rsae_sha256", "ECDSA+SHA256", 0x0401, 0x0401],
        alpn_protocols=["h2", b"http/1.1"],
    )
    assert config.cipher_suites == (GCM, BY_NAME["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"], GCM)
    assert config.groups == (NamedGroup.x25519, NamedGroup.secp256r1)
    assert all(type(g) is NamedGroup for g in config.groups)
    assert config.ffdhe_groups == (NamedGroup.ffdhe3072,)
    assert config.signature_schemes == (
        SignatureScheme.rsa_pss_rsae_sha256,
        SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.rsa_pkcs1_sha256,
    )
    assert config.alpn_protocols == (b"h2", b"http/1.1")


def test_one_suite_by_openssl_name_and_policies() -> None:
    assert ClientConfig(cipher_suites="ECDHE-RSA-AES128-GCM-SHA256").cipher_suites == (GCM,)
    assert ClientConfig().cipher_suites == DEFAULT_SUITES
    assert ClientConfig(cipher_suites="compatible").cipher_suites == COMPATIBLE_SUITES


def test_signature_schemes_follow_the_suites_unless_given() -> None:
    assert ClientConfig().signature_schemes == DEFAULT_SIGNATURE_SCHEMES
    wide = ClientConfig(cipher_suites="compatible")
    assert wide.signature_schemes == COMPATIBLE_SIGNATURE_SCHEMES
    with pytest.raises(ConfigError, match="no signature schemes"):
        ClientConfig(signature_schemes=[])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cipher_suites", "weak", "unknown cipher suite policy 'weak'"),
        ("cipher_suites", ["NOPE"], "unknown cipher suite 'NOPE'"),
        ("cipher_suites", [], "no cipher suites"),
        ("groups", ["brainpool"], "unknown group 'brainpool'"),
        ("groups", [NamedGroup.ffdhe2048], "not a supported ECDHE group"),
        ("groups", [], "no ECDHE groups"),
        ("ffdhe_groups", ["x25519"], "not a supported FFDHE group"),
        ("signature_schemes", ["dsa_sha1"], "unknown signature scheme 'dsa_sha1'"),
        ("alpn_protocols", [""], "must be 1 to 255 bytes"),
    ],
)
def test_unknown_values_are_named(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClientConfig(**{field: value})  # type: ignore[arg-type]


def test_server_lists_are_tuples_and_client_auth_by_name() -> None:
    test_pki = pki()
    rsa = test_pki.certified(test_pki.rsa)
    config = ServerConfig(
        certificates=[rsa],
        sni_certificates={"Example.COM.": [rsa]},
        client_auth="optional",
        client_trust=test_pki.trust,
    )
    assert config.certificates == (rsa,)
    assert config.client_auth is ClientAuth.OPTIONAL
    assert config.certificates_named("example.com") == (rsa,)
    assert config.certificates_for("other.example") == (rsa,)
    assert ClientConfig(client_certificates=[rsa]).client_certificates == (rsa,)


def test_frozen_replace_and_pickle_keep_the_resolved_values() -> None:
    config = ClientConfig(cipher_suites=["ECDHE-RSA-AES128-GCM-SHA256"], alpn_protocols=["h2"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.cipher_suites = DEFAULT_SUITES  # type: ignore[misc]
    changed = dataclasses.replace(config, groups=["x25519"])
    assert changed.cipher_suites == (GCM,)
    assert changed.groups == (NamedGroup.x25519,)
    with pytest.raises(ConfigError, match="unknown group"):
        dataclasses.replace(config, groups=["nope"])
    copy = pickle.loads(pickle.dumps(config))
    assert copy == config
    assert copy.alpn_protocols == (b"h2",)
