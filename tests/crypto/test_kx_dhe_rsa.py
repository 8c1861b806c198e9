"""Finite-field DHE (RFC 7919 groups and server-chosen groups) and RSA key transport with the
RFC 5246 §7.4.7.1 counter-measure against Bleichenbacher's attack."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tls12.crypto.kx import (
    FFDHE_PRIMES,
    DheKeyShare,
    known_ffdhe_group,
    rsa_decrypt_premaster,
    rsa_encrypt_premaster,
    strip_leading_zeros,
)
from tls12.errors import (
    HandshakeFailure,
    IllegalParameter,
    InsufficientSecurity,
    InternalError,
    UnsupportedCertificate,
)
from tls12.wire.enums import NamedGroup

# -- the RFC 7919 primes ------------------------------------------------------------------------

# RFC 7919 Appendix A: p = 2^b - 2^(b-64) + {[2^(b-130) e] + X} * 2^64 - 1
RFC7919_X = {
    NamedGroup.ffdhe2048: (2048, 560316),
    NamedGroup.ffdhe3072: (3072, 2625351),
    NamedGroup.ffdhe4096: (4096, 5736041),
}
PREFIX = "FFFFFFFFFFFFFFFFADF85458A2BB4A9A"  # 2^64 - 1, then the digits of e
SUFFIX = "FFFFFFFFFFFFFFFF"


def _floor_e_times_2_to(bits: int) -> int:
    """floor(e * 2^bits), from e = sum 1/k!, in integers with guard bits."""
    guard = 64
    term, total, k = 1 << (bits + guard), 0, 0
    while term:
        total += term
        k += 1
        term //= k
    return total >> guard


def _probably_prime(n: int) -> bool:
    """Miller-Rabin with two fixed bases (enough to catch a mistyped digit)."""
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@pytest.mark.parametrize("group", list(RFC7919_X), ids=lambda g: g.name)
def test_ffdhe_prime_is_the_rfc7919_formula_and_a_safe_prime(group: NamedGroup) -> None:
    bits, x = RFC7919_X[group]
    p = FFDHE_PRIMES[group]
    expected = 2**bits - 2 ** (bits - 64) + (_floor_e_times_2_to(bits - 130) + x) * 2**64 - 1
    assert p == expected
    assert p.bit_length() == bits
    text = f"{p:X}"
    assert text.startswith(PREFIX) and text.endswith(SUFFIX)
    q = (p - 1) // 2
    assert _probably_prime(p) and _probably_prime(q)
    assert pow(2, q, p) == 1  # 2 generates the subgroup of order q


def test_known_group_lookup() -> None:
    for group, p in FFDHE_PRIMES.items():
        assert known_ffdhe_group(p, 2) is group
        assert known_ffdhe_group(p, 5) is None
    assert known_ffdhe_group(FFDHE_PRIMES[NamedGroup.ffdhe2048] - 2, 2) is None


# -- DHE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", [NamedGroup.ffdhe2048, NamedGroup.ffdhe3072], ids=str)
def test_dhe_both_sides_agree(group: NamedGroup) -> None:
    server = DheKeyShare.for_group(group)
    assert server.group is group and server.g == 2
    assert len(server.public) == server.p_len == group_bytes(group)
    # the client sees only the numbers from ServerKeyExchange
    client = DheKeyShare.for_params(
        int.from_bytes(server.p_bytes, "big"), int.from_bytes(server.g_bytes, "big")
    )
    assert client.group is group  # recognised, for the trace
    assert len(client.public) == server.p_len
    premaster = client.exchange(server.public)
    assert premaster == server.exchange(client.public)
    assert 0 < len(premaster) <= server.p_len and premaster[0] != 0


def group_bytes(group: NamedGroup) -> int:
    return RFC7919_X[group][0] // 8


def test_every_share_is_fresh() -> None:
    a = DheKeyShare.for_group(NamedGroup.ffdhe2048)
    b = DheKeyShare.for_group(NamedGroup.ffdhe2048)
    assert a.public != b.public


def test_server_chosen_group_that_is_not_rfc7919() -> None:
    # RFC 3526 group 14: 2048-bit MODP, generator 2
    p = int(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
        "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
        "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
        "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
        16,
    )
    client = DheKeyShare.for_params(p, 2)
    server = DheKeyShare.for_params(p, 2)
    assert client.group is None
    assert client.exchange(server.public) == server.exchange(client.public)


def test_small_prime_is_insufficient_security() -> None:
    p1024 = FFDHE_PRIMES[NamedGroup.ffdhe2048] >> 1024 | 1
    with pytest.raises(InsufficientSecurity, match="1024 bits"):
        DheKeyShare.for_params(p1024, 2)
    with pytest.raises(InsufficientSecurity, match="2047 bits"):
        DheKeyShare.for_params((1 << 2046) + 1, 2)


def test_bad_group_numbers_are_illegal_parameter() -> None:
    p = FFDHE_PRIMES[NamedGroup.ffdhe2048]
    with pytest.raises(IllegalParameter, match="even"):
        DheKeyShare.for_params(p + 1, 2)
    for g in (0, 1, p - 1, p, p + 5):
        with pytest.raises(IllegalParameter, match="generator"):
            DheKeyShare.for_params(p, g)
    # odd, 2048 bits, not a prime: OpenSSL's check refuses it
    with pytest.raises(IllegalParameter, match="not valid"):
        DheKeyShare.for_params(p - 2, 2)


def test_large_custom_group_is_refused_before_any_work() -> None:
    huge = (1 << 4200) + 1  # not even a prime; refused on size alone, at once
    with pytest.raises(HandshakeFailure, match="4201 bits"):
        DheKeyShare.for_params(huge, 2)


def test_for_group_refuses_other_groups() -> None:
    with pytest.raises(InternalError):
        DheKeyShare.for_group(NamedGroup.x25519)


@pytest.mark.parametrize("group", [NamedGroup.ffdhe2048, NamedGroup.ffdhe3072], ids=str)
def test_bad_peer_values_are_illegal_parameter(group: NamedGroup) -> None:
    share = DheKeyShare.for_group(group)
    p, n = share.p, share.p_len
    bad = [0, 1, p - 1, p, p + 1, (1 << (8 * n)) - 1]
    for y in bad:
        with pytest.raises(IllegalParameter):
            share.exchange(y.to_bytes(n, "big"))
    with pytest.raises(IllegalParameter):
        share.exchange(b"")
    with pytest.raises(IllegalParameter):
        share.exchange(b"\x01" + bytes(n))  # longer than p, and larger
    # the edges that are allowed
    assert share.exchange((2).to_bytes(n, "big"))
    assert share.exchange((p - 2).to_bytes(n, "big"))


def test_strip_leading_zeros() -> None:
    assert strip_leading_zeros(b"\x00\x00\x01\x00\x02") == b"\x01\x00\x02"
    assert strip_leading_zeros(b"\x07\x00") == b"\x07\x00"
    assert strip_leading_zeros(b"") == b""


def test_premaster_with_leading_zero_bytes_is_stripped() -> None:
    """Find a peer value whose shared secret Z starts with a zero byte and check that the
    premaster is Z without it (RFC 5246 §8.1.2). Z is computed here as (our public value)^k
    for a peer key k."""
    share = DheKeyShare.for_group(NamedGroup.ffdhe2048)
    p, n = share.p, share.p_len
    ours = int.from_bytes(share.public, "big")
    # peer key k, peer value 2^k, secret (2^x)^k: step k until Z < 2^(8(n-1))
    k, peer, z = 2, 4, pow(ours, 2, p)
    while z >> (8 * (n - 1)):
        k, peer, z = k + 1, peer * 2 % p, z * ours % p
    premaster = share.exchange(peer.to_bytes(n, "big"))
    assert premaster == z.to_bytes(n, "big").lstrip(b"\x00")
    assert len(premaster) < n and premaster[0] != 0


# -- RSA key transport ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _raw_rsa(key: rsa.RSAPrivateKey, block: bytes) -> bytes:
    """Textbook RSA of a hand-made block: only the tests need to forge paddings."""
    numbers = key.public_key().public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    return pow(int.from_bytes(block, "big"), numbers.e, numbers.n).to_bytes(k, "big")


def _nonzero(n: int) -> bytes:
    return bytes(b % 255 + 1 for b in os.urandom(n))


def test_rsa_round_trip(rsa_key) -> None:
    premaster, encrypted = rsa_encrypt_premaster(rsa_key.public_key())
    assert len(premaster) == 48 and premaster[:2] == b"\x03\x03"
    assert len(encrypted) == 256
    assert rsa_decrypt_premaster(rsa_key, encrypted, 0x0303) == premaster
    # and with the version a client offered that was not the negotiated one
    premaster, encrypted = rsa_encrypt_premaster(rsa_key.public_key(), client_version=0x0304)
    assert premaster[:2] == b"\x03\x04"
    assert rsa_decrypt_premaster(rsa_key, encrypted, 0x0304) == premaster


def test_rsa_hand_made_valid_block_decrypts(rsa_key) -> None:
    """Our forging helper is right: a well-formed block made by hand opens normally."""
    message = b"\x03\x03" + os.urandom(46)
    block = b"\x00\x02" + _nonzero(256 - 3 - 48) + b"\x00" + message
    assert rsa_decrypt_premaster(rsa_key, _raw_rsa(rsa_key, block), 0x0303) == message


def test_malformed_ciphertexts_give_48_bytes_and_no_error(rsa_key) -> None:
    real = b"\x03\x03" + os.urandom(46)
    pub = rsa_key.public_key()
    k = 256
    tail = _nonzero(k - 7)
    malformed = {
        "block type 1": _raw_rsa(rsa_key, b"\x00\x01" + b"\xff" * (k - 3 - 48) + b"\x00" + real),
        "no zero separator": _raw_rsa(rsa_key, b"\x00\x02" + _nonzero(k - 2)),
        "first byte not zero": _raw_rsa(rsa_key, b"\x01\x02" + _nonzero(k - 51) + b"\x00" + real),
        "padding string of 4": _raw_rsa(rsa_key, b"\x00\x02" + _nonzero(4) + b"\x00" + tail),
        "message of 47 bytes": pub.encrypt(real[:47], padding.PKCS1v15()),
        "message of 49 bytes": pub.encrypt(real + b"\x00", padding.PKCS1v15()),
        "empty message": pub.encrypt(b"", padding.PKCS1v15()),
        "random bytes": os.urandom(k),
        "all 0xff (not below n)": b"\xff" * k,
        "zero": bytes(k),
        "one byte short": pub.encrypt(real, padding.PKCS1v15())[:-1],
        "one byte long": pub.encrypt(real, padding.PKCS1v15()) + b"\x00",
        "empty": b"",
        "one byte": b"\x01",
    }
    for name, ciphertext in malformed.items():
        out = rsa_decrypt_premaster(rsa_key, ciphertext, 0x0303)
        assert len(out) == 48, name
        assert out[:2] == b"\x03\x03", name
        assert out != real, name


def test_wrong_version_gives_a_different_premaster(rsa_key) -> None:
    """RFC 5246's recommended construction: the version bytes are replaced by
    ClientHello.client_version, never compared, so a wrong version simply leads to a
    premaster the client does not have."""
    sent = b"\x03\x01" + os.urandom(46)
    ciphertext = rsa_key.public_key().encrypt(sent, padding.PKCS1v15())
    out = rsa_decrypt_premaster(rsa_key, ciphertext, 0x0303)
    assert out != sent
    assert out == b"\x03\x03" + sent[2:]


def test_failed_decryptions_do_not_repeat(rsa_key) -> None:
    """When decryption fails outright (a value not below n), each attempt gets fresh random
    bytes; the result is not a fixed marker an attacker could recognise."""
    results = {rsa_decrypt_premaster(rsa_key, b"\xff" * 256, 0x0303) for _ in range(5)}
    assert len(results) == 5


def test_rsa_argument_checks(rsa_key) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(UnsupportedCertificate):
        rsa_encrypt_premaster(ec_key.public_key())  # type: ignore[arg-type]
    with pytest.raises(InternalError):
        rsa_decrypt_premaster(ec_key, b"", 0x0303)  # type: ignore[arg-type]
    with pytest.raises(InternalError):
        rsa_encrypt_premaster(rsa_key.public_key(), client_version=0x10000)
    with pytest.raises(InternalError):
        rsa_decrypt_premaster(rsa_key, b"", -1)
