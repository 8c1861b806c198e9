"""Seeded randomness, so that a recorded handshake can be replayed against a fresh engine.

An engine draws randomness for its hello random, session IDs, key shares, CBC IVs, ticket
nonces, the RSA premaster, and (inside OpenSSL) for PSS salts, ECDSA nonces and PKCS#1 v1.5
encryption padding. If any of it differs between the run that recorded a handshake and the run
that replays it, the keys differ, and every recorded encrypted record fails authentication: the
states after ChangeCipherSpec would be unreachable from the corpus.

``Determinism`` removes every such source while it is installed:

* ``os.urandom`` reads from a named, seeded stream (SHA-256 in counter mode). Each side of a
  connection draws from its own stream (``use("client")`` around every call into the client),
  so what one engine draws depends only on what that engine was fed, never on its peer: a
  replay that runs one side alone draws exactly what the recording drew.
* X25519/X448/EC key generation derives the private key from the stream.
* Finite-field DH keys need nothing more: ``tls12.crypto.kx`` draws them from ``os.urandom``.
* ``tls12.crypto.signatures.sign``: ECDSA uses RFC 6979 deterministic nonces; RSASSA-PSS is
  computed here with a salt from the stream (the same encoding, so peers verify it as usual).
* ``tls12.crypto.kx.rsa_encrypt_premaster``: PKCS#1 v1.5 type 2 padding from the stream.

Nothing under ``src/`` is edited; the patches are undone by ``uninstall`` (or on leaving the
``installed()`` context). This is test scaffolding: the keys it makes are predictable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x448, x25519

from tls12.crypto import kx, signatures
from tls12.wire.enums import TLS12_VERSION, SignatureScheme


class Stream:
    """A deterministic byte stream: SHA-256(seed key || counter) blocks."""

    __slots__ = ("_key", "_counter", "_buf")

    def __init__(self, seed: str) -> None:
        self._key = hashlib.sha256(seed.encode()).digest()
        self._counter = 0
        self._buf = bytearray()

    def read(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._buf += hashlib.sha256(self._key + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


class Determinism:
    """Seeded streams plus the patches that make every draw come from them."""

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self._streams: dict[str, Stream] = {}
        self._active = self.stream("unscoped")
        self._undo: list[Callable[[], None]] = []

    # -- streams ------------------------------------------------------------------------

    def stream(self, name: str) -> Stream:
        if name not in self._streams:
            self._streams[name] = Stream(f"{self.seed}/{name}")
        return self._streams[name]

    @contextlib.contextmanager
    def use(self, name: str) -> Iterator[None]:
        """Draws inside the block come from stream ``name``."""
        previous, self._active = self._active, self.stream(name)
        try:
            yield
        finally:
            self._active = previous

    def urandom(self, n: int) -> bytes:
        return self._active.read(n)

    def _int_below(self, bound: int) -> int:
        """A number in 0..bound-1 (bias is irrelevant here)."""
        return int.from_bytes(self.urandom((bound.bit_length() + 7) // 8 + 8), "big") % bound

    # -- installing ---------------------------------------------------------------------

    def install(self) -> None:
        if self._undo:
            return
        self._patch(os, "urandom", self.urandom)
        self._patch_classmethod(
            x25519.X25519PrivateKey,
            lambda cls: x25519.X25519PrivateKey.from_private_bytes(self.urandom(32)),
        )
        self._patch_classmethod(
            x448.X448PrivateKey,
            lambda cls: x448.X448PrivateKey.from_private_bytes(self.urandom(56)),
        )
        self._patch(ec, "generate_private_key", self._ec_key)
        self._patch(signatures, "sign", self._make_sign(signatures.sign))
        self._patch(kx, "rsa_encrypt_premaster", self._make_rsa_encrypt(kx.rsa_encrypt_premaster))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    @contextlib.contextmanager
    def installed(self) -> Iterator[Determinism]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        original = getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, original))

    def _patch_classmethod(self, cls: type, func: Callable[[type], Any]) -> None:
        original = cls.__dict__["generate"]
        cls.generate = classmethod(func)  # type: ignore[attr-defined]
        self._undo.append(lambda: setattr(cls, "generate", original))

    # -- the deterministic replacements -------------------------------------------------

    def _ec_key(self, curve: ec.EllipticCurve, backend: Any = None) -> ec.EllipticCurvePrivateKey:
        # Below 2^(bits-1), hence below the group order of P-256/384/521.
        secret = 1 + self._int_below((1 << (curve.key_size - 1)) - 1)
        return ec.derive_private_key(secret, curve)

    def _make_sign(self, original: Callable[..., bytes]) -> Callable[..., bytes]:
        def sign(private_key: Any, scheme: int, data: bytes) -> bytes:
            known = SignatureScheme(scheme)
            if known in signatures.schemes_for_key(private_key):
                algorithm = signatures.hash_for(known)
                if known in signatures._PSS and algorithm is not None:
                    salt = self.urandom(algorithm.digest_size)
                    return pss_sign(private_key, data, algorithm, salt)
                if known in signatures._ECDSA and algorithm is not None:
                    return private_key.sign(  # type: ignore[no-any-return]
                        data, ec.ECDSA(algorithm, deterministic_signing=True)
                    )
            return original(private_key, scheme, data)  # PKCS#1 v1.5 and errors as they are

        return sign

    def _make_rsa_encrypt(self, original: Callable[..., tuple[bytes, bytes]]) -> Callable[..., Any]:
        def rsa_encrypt_premaster(
            public_key: Any, client_version: int = TLS12_VERSION
        ) -> tuple[bytes, bytes]:
            if not isinstance(public_key, rsa.RSAPublicKey):
                return original(public_key, client_version)  # its error, unchanged
            premaster = kx._version_bytes(client_version) + self.urandom(kx._RANDOM_LEN)
            return premaster, pkcs1v15_encrypt(public_key, premaster, self.urandom)

        return rsa_encrypt_premaster


def _mgf1(seed: bytes, length: int, algorithm: hashes.HashAlgorithm) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        h = hashes.Hash(algorithm)
        h.update(seed + counter.to_bytes(4, "big"))
        out += h.finalize()
        counter += 1
    return bytes(out[:length])


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _rsa_private_op(key: rsa.RSAPrivateKey, m: int) -> int:
    nums = key.private_numbers()
    s1 = pow(m, nums.dmp1, nums.p)
    s2 = pow(m, nums.dmq1, nums.q)
    return s2 + ((nums.iqmp * (s1 - s2)) % nums.p) * nums.q


def pss_sign(
    key: rsa.RSAPrivateKey, data: bytes, algorithm: hashes.HashAlgorithm, salt: bytes
) -> bytes:
    """RSASSA-PSS (RFC 8017 §8.1.1, MGF1 with the same hash) with the salt given."""
    n = key.private_numbers().public_numbers.n
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    h_len = algorithm.digest_size
    m_hash = _digest(algorithm, data)
    h = _digest(algorithm, bytes(8) + m_hash + salt)
    db = bytes(em_len - len(salt) - h_len - 2) + b"\x01" + salt
    mask = _mgf1(h, em_len - h_len - 1, algorithm)
    masked = bytearray(a ^ b for a, b in zip(db, mask, strict=True))
    masked[0] &= 0xFF >> (8 * em_len - em_bits)
    em = bytes(masked) + h + b"\xbc"
    s = _rsa_private_op(key, int.from_bytes(em, "big"))
    return s.to_bytes((n.bit_length() + 7) // 8, "big")


def pkcs1v15_encrypt(
    key: rsa.RSAPublicKey, message: bytes, urandom: Callable[[int], bytes]
) -> bytes:
    """RSAES-PKCS1-v1_5 (RFC 8017 §7.2.1) with the padding string from ``urandom``."""
    nums = key.public_numbers()
    k = (nums.n.bit_length() + 7) // 8
    ps = bytearray()
    while len(ps) < k - len(message) - 3:
        ps += bytes(b for b in urandom(k) if b)
    em = b"\x00\x02" + bytes(ps[: k - len(message) - 3]) + b"\x00" + message
    return pow(int.from_bytes(em, "big"), nums.e, nums.n).to_bytes(k, "big")
