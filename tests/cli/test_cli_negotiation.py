"""``--sigalgs``, ``--groups`` and ``--verify-profile`` on ``tls12 client`` and ``tls12 server``:
parsed into the configuration with IANA and OpenSSL names (the peers' view is in
tests/interop/test_conformance_peers.py)."""

from __future__ import annotations

import pytest
from tls_support import pki

from tls12.cli import build_parser
from tls12.cli import client as cli_client
from tls12.cli import server as cli_server
from tls12.errors import ConfigError
from tls12.wire.enums import NamedGroup, SignatureScheme


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory):
    return pki().write(tmp_path_factory.mktemp("cli_negotiation"))


def _server(files, *extra: str):
    args = build_parser().parse_args(
        ["server", "--port", "0", "--cert", str(files["rsa.crt"]), "--key", str(files["rsa.key"]),
         *extra]
    )  # fmt: skip
    return cli_server.config_from_args(args)


def _client(*extra: str):
    return cli_client.config_from_args(build_parser().parse_args(["client", "h:1", *extra]))


def test_sigalgs_in_openssl_and_iana_names(files) -> None:
    expected = (SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pss_rsae_sha384)
    assert _server(files, "--sigalgs", "RSA+SHA256:rsa_pss_rsae_sha384").signature_schemes == (
        expected
    )
    assert _client("--sigalgs", "RSA+SHA256,RSA-PSS+SHA384").signature_schemes == expected


def test_groups_split_into_ecdhe_and_ffdhe(files) -> None:
    config = _server(files, "--groups", "P-521:X25519:ffdhe3072")
    assert config.groups == (NamedGroup.secp521r1, NamedGroup.x25519)
    assert config.ffdhe_groups == (NamedGroup.ffdhe3072,)
    assert _client("--groups", "prime256v1").groups == (NamedGroup.secp256r1,)


def test_default_sigalgs_follow_the_cipher_policy(files) -> None:
    assert SignatureScheme.rsa_pkcs1_sha1 in _server(files, "--ciphers", "ALL").signature_schemes
    assert SignatureScheme.rsa_pkcs1_sha1 not in _server(files).signature_schemes


def test_verify_profile(files) -> None:
    assert _client().verify_profile == "auto"
    assert _client("--verify-profile", "webpki").verify_profile == "webpki"
    assert _server(files, "--verify-profile", "rfc5280").verify_profile == "rfc5280"
    with pytest.raises(SystemExit):
        _client("--verify-profile", "lax")


@pytest.mark.parametrize(
    ("option", "value", "match"),
    [
        ("--sigalgs", "DSA+SHA256", "unknown signature scheme 'DSA\\+SHA256'"),
        ("--groups", "P-999", "unknown group 'P-999'"),
        ("--groups", "ffdhe2048", "at least one ECDHE group"),
    ],
)
def test_bad_values_are_refused_by_name(option: str, value: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _client(option, value)
