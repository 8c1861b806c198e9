"""The bare cryptography a workload cannot avoid, timed alone through ``cryptography``.

A full ECDHE handshake (both sides together) needs: one signature by the server's key and
its verification by the client, two X25519 key generations and two exchanges, and the
client's validation of the server's chain (parse + ``cryptography.x509.verification``, the
verifier tls12 uses). Bulk data needs one AEAD seal and one open per 16 KiB record. What an
engine spends beyond this sum is protocol overhead.

The PRF, the transcript hashes and the ticket encryption are left out on purpose: they are
cryptography too, but their cost is the engine's business (how often it hashes, in Python or
in C), so they belong to the overhead the profile explains.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.x509.verification import PolicyBuilder, Store

from benchmarks.material import SERVER_NAME, Material
from benchmarks.timing import median, sample
from benchmarks.workloads import CHUNK, MIB, Budget, Suite

Timer = Callable[[Callable[[], object]], float]


def timer(budget: Budget) -> Timer:
    """Median seconds per call, with the engine budget's batches."""

    def measure(op: Callable[[], object]) -> float:
        batches = sample(
            op,
            batches=budget.engine_batches,
            batch_seconds=budget.engine_batch_seconds / 4,
            max_per_batch=10000,
        )
        return median(batches) or 0.0

    return measure


def handshake_floor(suite: Suite, material: Material, measure: Timer) -> dict[str, float]:
    """Seconds per operation (each once per full handshake) and their ``total``."""
    key_pem = material.key(suite.key).read_bytes()
    private = serialization.load_pem_private_key(key_pem, None)
    leaf_der = x509.load_pem_x509_certificate(material.cert(suite.key).read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    public = private.public_key()
    # What a ServerKeyExchange signs: client_random + server_random + ECDHE params.
    signed = os.urandom(64) + b"\x03\x00\x1d\x20" + os.urandom(32)
    if isinstance(private, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = private.sign(signed, pss, hashes.SHA256())
        ops: dict[str, Callable[[], object]] = {
            "RSA-2048 PSS sign": lambda: private.sign(signed, pss, hashes.SHA256()),
            "RSA-2048 PSS verify": lambda: public.verify(  # type: ignore[call-arg]
                signature, signed, pss, hashes.SHA256()
            ),
        }
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        ecdsa = ec.ECDSA(hashes.SHA256())
        signature = private.sign(signed, ecdsa)
        ops = {
            "ECDSA P-256 sign": lambda: private.sign(signed, ecdsa),
            "ECDSA P-256 verify": lambda: public.verify(signature, signed, ecdsa),  # type: ignore[call-arg]
        }
    else:
        raise TypeError(f"no floor for a {type(private).__name__} key")
    peer = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    mine = x25519.X25519PrivateKey.generate()
    ops["X25519 keygen x2"] = lambda: (
        x25519.X25519PrivateKey.generate().public_key().public_bytes_raw(),
        x25519.X25519PrivateKey.generate().public_key().public_bytes_raw(),
    )
    ops["X25519 exchange x2"] = lambda: (
        mine.exchange(x25519.X25519PublicKey.from_public_bytes(peer)),
        mine.exchange(x25519.X25519PublicKey.from_public_bytes(peer)),
    )
    store = Store(x509.load_pem_x509_certificates(material.cafile.read_bytes()))
    subject = x509.DNSName(SERVER_NAME)

    def chain() -> object:
        leaf = x509.load_der_x509_certificate(leaf_der)
        policy = PolicyBuilder().store(store).time(datetime.now(UTC))
        return policy.build_server_verifier(subject).verify(leaf, [])

    ops["chain verification"] = chain
    costs = {name: measure(op) for name, op in ops.items()}
    costs["total"] = sum(costs.values())
    return costs


def bulk_floor(suite: Suite, measure: Timer) -> dict[str, float]:
    """Seconds per MiB for raw AEAD: seal then open each 16 KiB chunk."""
    if "CHACHA20" in suite.iana:
        aead: AESGCM | ChaCha20Poly1305 = ChaCha20Poly1305(os.urandom(32))
        name = "ChaCha20-Poly1305 seal+open"
    else:
        aead = AESGCM(os.urandom(16))
        name = "AES-128-GCM seal+open"
    chunk = os.urandom(CHUNK)
    nonce = os.urandom(12)
    aad = os.urandom(13)

    def one_mib() -> None:
        for _ in range(MIB // CHUNK):
            aead.decrypt(nonce, aead.encrypt(nonce, chunk, aad), aad)

    cost = measure(one_mib)
    return {f"{name}, 64 x 16 KiB": cost, "total": cost}


def resume_floor(measure: Timer) -> dict[str, float]:
    """Seconds per resumed handshake for the AEAD work it cannot avoid: the server opens the
    ticket (AES-128-GCM, ~200 bytes) and each Finished is sealed once and opened once. There
    is no public-key operation; the PRF and transcript hashes are left to the protocol side
    (OpenSSL runs them in C, tls12 through Python's ``hmac``/``hashlib``)."""
    aead = AESGCM(os.urandom(16))
    nonce = os.urandom(12)
    aad = os.urandom(13)
    ticket = aead.encrypt(nonce, os.urandom(200), aad)
    finished = os.urandom(16)

    def open_ticket() -> None:
        aead.decrypt(nonce, ticket, aad)

    def finished_records() -> None:
        for _ in range(2):
            aead.decrypt(nonce, aead.encrypt(nonce, finished, aad), aad)

    costs = {
        "ticket open (AES-128-GCM)": measure(open_ticket),
        "Finished records x2 (seal+open)": measure(finished_records),
    }
    costs["total"] = sum(costs.values())
    return costs
