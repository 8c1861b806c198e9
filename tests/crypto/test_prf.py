"""PRF, master secret, key block and verify_data against outside oracles.

Oracles:
- the P_SHA256 / P_SHA384 "test label" vectors posted to the IETF TLS list (msg03416) and used by
  many implementations;
- values computed with the OpenSSL CLI (`openssl kdf ... TLS1-PRF`), an implementation
  independent of ours, for the master secret, extended master secret, key blocks and
  verify_data (inputs below);
- a second P_hash written against `cryptography`'s HMAC for property tests.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from hypothesis import given
from hypothesis import strategies as st

from tls12.crypto.prf import (
    KeyMaterial,
    extended_master_secret,
    hash_digest,
    key_block,
    keyed,
    master_secret,
    p_hash,
    prf,
    verify_data,
)
from tls12.crypto.suites import ALL_SUITES, BY_NAME
from tls12.errors import InternalError

# -- published vectors ------------------------------------------------------------------------

SHA256_OUT = bytes.fromhex(
    "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
    "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
    "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
    "87347b66"
)
SHA384_OUT = bytes.fromhex(
    "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
    "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
    "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
    "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
    "91c8f3a26854308d5eaa3be85e0990703d73e56f"
)


def test_prf_sha256_published_vector() -> None:
    secret = bytes.fromhex("9bbe436ba940f017b17652849a71db35")
    seed = bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c")
    assert prf("SHA256", secret, b"test label", seed, 100) == SHA256_OUT


def test_prf_sha384_published_vector() -> None:
    secret = bytes.fromhex("b80b733d6ceefcdc71566ea48e5567df")
    seed = bytes.fromhex("cd665cf6a8447dd6ff8b27555edb7465")
    assert prf("SHA384", secret, b"test label", seed, 148) == SHA384_OUT


def test_prf_is_p_hash_of_label_plus_seed() -> None:
    secret = bytes.fromhex("9bbe436ba940f017b17652849a71db35")
    seed = bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c")
    assert p_hash("SHA256", secret, b"test label" + seed, 100) == SHA256_OUT


@pytest.mark.parametrize("n", [0, 1, 12, 31, 32, 33, 64, 99])
def test_shorter_output_is_a_prefix(n: int) -> None:
    secret = bytes.fromhex("9bbe436ba940f017b17652849a71db35")
    seed = bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c")
    assert prf("SHA256", secret, b"test label", seed, n) == SHA256_OUT[:n]


# -- an independent P_hash built on cryptography's HMAC -----------------------------------------

_CRYPTO_HASH = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384}


def _ref_hmac(name: str, key: bytes, data: bytes) -> bytes:
    h = crypto_hmac.HMAC(key, _CRYPTO_HASH[name]())
    h.update(data)
    return h.finalize()


def _ref_p_hash(name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    out = b""
    a = seed
    while len(out) < length:
        a = _ref_hmac(name, secret, a)
        out += _ref_hmac(name, secret, a + seed)
    return out[:length]


@given(
    name=st.sampled_from(["SHA256", "SHA384"]),
    secret=st.binary(max_size=200),
    seed=st.binary(max_size=200),
    length=st.integers(min_value=0, max_value=300),
)
def test_p_hash_matches_reference(name: str, secret: bytes, seed: bytes, length: int) -> None:
    assert p_hash(name, secret, seed, length) == _ref_p_hash(name, secret, seed, length)


# -- master secret, key block, verify_data (OpenSSL-computed) -----------------------------------

PRE_MASTER = bytes(range(48))
CLIENT_RANDOM = bytes(range(100, 132))
SERVER_RANDOM = bytes(range(200, 232))
SESSION_HASH = hashlib.sha256(b"handshake").digest()

MS_SHA256 = bytes.fromhex(
    "e25039f679b6fa968aae7b5752a611e27e1a603f924837aaa59aa6dc01abcd38"
    "ec5adc9b9a894938a19e50d6cde9eaf7"
)
MS_SHA384 = bytes.fromhex(
    "3a7a024c7d162370f93d3ba2d421a1a8b7eae6e27404967d988bf90d783a009b"
    "5d47899499129debcff3b0607c514b8d"
)


def test_master_secret_sha256() -> None:
    assert master_secret("SHA256", PRE_MASTER, CLIENT_RANDOM, SERVER_RANDOM) == MS_SHA256


def test_master_secret_sha384() -> None:
    assert master_secret("SHA384", PRE_MASTER, CLIENT_RANDOM, SERVER_RANDOM) == MS_SHA384


def test_extended_master_secret() -> None:
    expected = bytes.fromhex(
        "4c9b1f246aa4dfa8f8c66cc6cf68bd7f79a1f6e0e4b91cadbf3d8303ca006d90"
        "0407c1eb52fe7124d06c9e8757ca1356"
    )
    assert extended_master_secret("SHA256", PRE_MASTER, SESSION_HASH) == expected


def test_extended_differs_from_classic() -> None:
    ems = extended_master_secret("SHA256", PRE_MASTER, SESSION_HASH)
    assert ems != master_secret("SHA256", PRE_MASTER, CLIENT_RANDOM, SERVER_RANDOM)


def test_verify_data() -> None:
    vd = verify_data("SHA256", MS_SHA256, b"client finished", SESSION_HASH)
    assert vd == bytes.fromhex("6331bc997ee564fed67714ef")
    assert verify_data("SHA256", MS_SHA256, b"server finished", SESSION_HASH) != vd


def _split(block: bytes, mac: int, key: int, iv: int) -> KeyMaterial:
    parts, pos = [], 0
    for n in (mac, mac, key, key, iv, iv):
        parts.append(block[pos : pos + n])
        pos += n
    assert pos == len(block)
    return KeyMaterial(*parts)


@pytest.mark.parametrize(
    ("suite_name", "master", "block_hex"),
    [
        (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            MS_SHA256,
            "3ae41ae23b6022c9f89a9777799ceeb99e46b1c581178a8ff8be0cacc87ae1ffb82a41a3dd9186d8",
        ),
        (
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            MS_SHA256,
            "3ae41ae23b6022c9f89a9777799ceeb99e46b1c581178a8ff8be0cacc87ae1ff"
            "b82a41a3dd9186d80f6374dcc56ba3e9e39da49f16d6c414e48d30d631f833be"
            "70a925c9b9ae65d7c3d2f48d8f23858ee88d70d1b3fadd7c",
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            MS_SHA384,
            "441ea0bcc6a5ae2e3cc041a6f5c34e56ec1d2cf19ecade125e5912af48026f2f"
            "b678527a772273ca8270b44dcd800834d101e9abc28fed5415911fdfb49106f1"
            "58f2bce4c8fa89b4",
        ),
    ],
)
def test_key_block(suite_name: str, master: bytes, block_hex: str) -> None:
    suite = BY_NAME[suite_name]
    km = key_block(suite, master, CLIENT_RANDOM, SERVER_RANDOM)
    block = bytes.fromhex(block_hex)
    assert len(block) == suite.key_block_len
    assert km == _split(block, suite.mac_key_len, suite.key_len, suite.fixed_iv_len)
    assert len(km.client_key) == suite.key_len
    assert len(km.server_iv) == suite.fixed_iv_len
    assert km.client_mac_key == b"" == km.server_mac_key


def test_key_block_seed_is_server_random_first() -> None:
    suite = BY_NAME["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
    swapped = key_block(suite, MS_SHA256, SERVER_RANDOM, CLIENT_RANDOM)
    assert swapped != key_block(suite, MS_SHA256, CLIENT_RANDOM, SERVER_RANDOM)


# -- misc -------------------------------------------------------------------------------------


def test_hash_digest() -> None:
    assert hash_digest("SHA256", b"abc") == hashlib.sha256(b"abc").digest()
    assert hash_digest("SHA384", b"abc") == hashlib.sha384(b"abc").digest()


def test_unknown_hash_is_internal_error() -> None:
    with pytest.raises(InternalError):
        prf("MD5", b"k", b"label", b"seed", 10)
    with pytest.raises(InternalError):
        hash_digest("SHA3", b"x")


def test_negative_length_is_internal_error() -> None:
    with pytest.raises(InternalError):
        p_hash("SHA256", b"k", b"seed", -1)


def test_a_kept_keyed_state_gives_the_same_outputs() -> None:
    """``keyed`` (one keyed HMAC state per master secret, copied per block) changes nothing:
    the key block and both Finished values are those of a state made per call, also when the
    same state serves all three in turn."""
    master, cr, sr = bytes(range(48)), b"c" * 32, b"s" * 32
    for suite in ALL_SUITES:
        kept = keyed(suite.prf_hash, master)
        for _ in range(2):
            assert key_block(suite, master, cr, sr, kept) == key_block(suite, master, cr, sr)
            for label in (b"client finished", b"server finished"):
                digest = b"h" * 32
                assert verify_data(suite.prf_hash, master, label, digest, kept) == (
                    verify_data(suite.prf_hash, master, label, digest)
                )
