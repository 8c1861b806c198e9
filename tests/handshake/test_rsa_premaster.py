"""RSA key transport, server side, in memory: whatever the client's EncryptedPreMasterSecret
holds, the server behaves exactly as for a ciphertext that decrypts to a well-formed premaster
other than the client's (RFC 5246 §7.4.7.1; Bleichenbacher 1998, ROBOT 2017, Marvin 2023).

The client's real flight (ClientKeyExchange, ChangeCipherSpec, encrypted Finished) is taken
from the wire and its ClientKeyExchange body replaced by a crafted one, built with the server
certificate's public key. The client's Finished stays encrypted under keys from the client's
own premaster; with any other premaster the server's keys differ, so the Finished record fails
to decrypt: bad_record_mac, the same for every case. What the server shows is compared case by
case with the well-formed-but-wrong baseline: the bytes it queued, its state, its error's class
and message, its trace.

Also here: the default policy refuses clients and servers that only have RSA key transport.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from engine_helpers import join_records, queued_alert, split_handshake, split_records
from tls_support import drive, pki

from tls12 import errors
from tls12.connection import ClientConnection, ServerConnection
from tls12.crypto import kx
from tls12.crypto.suites import COMPATIBLE_SUITES, CipherSuite, KeyExchange
from tls12.messages.handshake import HandshakeType
from tls12.wire.enums import AlertDescription, ContentType

RSA_SUITES = [s for s in COMPATIBLE_SUITES if s.kx is KeyExchange.RSA]
RSA_IDS = [s.name for s in RSA_SUITES]
CLIENT_VERSION = b"\x03\x03"  # ClientHello.client_version of our client

# The plaintext fatal bad_record_mac alert: the server has not sent its ChangeCipherSpec yet.
BAD_RECORD_MAC_ALERT = bytes([ContentType.alert, 3, 3, 0, 2, 2, AlertDescription.bad_record_mac])


def server_key() -> rsa.RSAPublicKey:
    key = pki().rsa.cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def k() -> int:
    """The modulus length in bytes: the length of a well-formed ciphertext."""
    return (server_key().key_size + 7) // 8


def raw_rsa(block: bytes) -> bytes:
    """Textbook RSA of an encoded block, for blocks PKCS#1 v1.5 encryption would not make."""
    numbers = server_key().public_numbers()
    m = int.from_bytes(block, "big")
    assert m < numbers.n
    return pow(m, numbers.e, numbers.n).to_bytes(k(), "big")


def nonzero(n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        out += bytes(b for b in os.urandom(n) if b)
    return bytes(out[:n])


def block(message: bytes, *, lead: bytes = b"\x00\x02", ps_len: int | None = None) -> bytes:
    """EM = lead || PS || 0x00 || message, PS non-zero random (RFC 8017 §7.2.1)."""
    if ps_len is None:
        ps_len = k() - len(lead) - 1 - len(message)
    em = lead + nonzero(ps_len) + b"\x00" + message
    assert len(em) == k()
    return em


def encrypt(message: bytes) -> bytes:
    return server_key().encrypt(message, padding.PKCS1v15())


def premaster(version: bytes = CLIENT_VERSION) -> bytes:
    return version + os.urandom(46)


# name -> the EncryptedPreMasterSecret to send instead of the client's
CRAFTED: dict[str, Callable[[], bytes]] = {
    # the baseline: valid padding, 48 bytes, right version, just not the client's premaster
    "valid_but_wrong_premaster": lambda: encrypt(premaster()),
    # wrong PKCS#1 padding
    "block_type_1": lambda: raw_rsa(b"\x00\x01" + b"\xff" * (k() - 51) + b"\x00" + premaster()),
    "leading_byte_not_zero": lambda: raw_rsa(block(premaster(), lead=b"\x01\x02")),
    "no_zero_separator": lambda: raw_rsa(b"\x00\x02" + nonzero(k() - 2)),
    "padding_string_too_short": lambda: raw_rsa(block(os.urandom(k() - 10), ps_len=7)),
    "separator_where_premaster_starts": lambda: raw_rsa(
        b"\x00\x02" + nonzero(k() - 52) + b"\x00\x00" + premaster()[1:]
    ),
    # valid padding, wrong version bytes inside
    "version_0301": lambda: encrypt(premaster(b"\x03\x01")),
    "version_0300": lambda: encrypt(premaster(b"\x03\x00")),
    "version_0000": lambda: encrypt(premaster(b"\x00\x00")),
    "version_ffff": lambda: encrypt(premaster(b"\xff\xff")),
    # valid padding, wrong plaintext length
    "plaintext_0_bytes": lambda: encrypt(b""),
    "plaintext_2_bytes": lambda: encrypt(CLIENT_VERSION),
    "plaintext_47_bytes": lambda: encrypt(premaster()[:47]),
    "plaintext_49_bytes": lambda: encrypt(premaster() + b"\x00"),
    "plaintext_longest": lambda: encrypt(premaster() + os.urandom(k() - 11 - 48)),
    # ciphertexts of the wrong length
    "ciphertext_empty": lambda: b"",
    "ciphertext_1_byte": lambda: b"\x01",
    "ciphertext_one_short": lambda: encrypt(premaster())[1:],
    "ciphertext_one_long": lambda: b"\x00" + encrypt(premaster()),
    "ciphertext_double": lambda: encrypt(premaster()) * 2,
    # not ciphertexts at all
    "random_bytes": lambda: os.urandom(k()),
    "zero": lambda: bytes(k()),
    "one": lambda: (1).to_bytes(k(), "big"),
    "modulus": lambda: server_key().public_numbers().n.to_bytes(k(), "big"),
    "all_ff": lambda: b"\xff" * k(),
}


@dataclass(frozen=True)
class Pair:
    client: ClientConnection
    server: ServerConnection
    flight: bytes  # the client's ClientKeyExchange, ChangeCipherSpec, Finished, not delivered


def up_to_client_flight(suite: CipherSuite, ems: bool = True) -> Pair:
    p = pki()
    config = p.client_config(cipher_suites=[suite], extended_master_secret=ems)
    client = ClientConnection(config, "localhost")
    server = ServerConnection(p.server_config(cipher_suites="compatible"))
    client.start()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    return Pair(client, server, client.data_to_send())


def with_client_key_exchange(flight: bytes, encrypted: bytes) -> bytes:
    """The flight with its ClientKeyExchange body replaced by EncryptedPreMasterSecret
    ``encrypted`` (TLS 1.2: behind a two-byte length)."""
    records = split_records(flight)
    ctype, payload = records[0]
    assert ctype == ContentType.handshake
    messages = split_handshake(payload)
    assert [m[0] for m in messages] == [HandshakeType.client_key_exchange]
    body = len(encrypted).to_bytes(2, "big") + encrypted
    message = bytes([HandshakeType.client_key_exchange]) + len(body).to_bytes(3, "big") + body
    assert [t for t, _ in records[1:]] == [ContentType.change_cipher_spec, ContentType.handshake]
    return join_records([(ctype, message), *records[1:]])


@dataclass(frozen=True)
class Observed:
    """Everything the server shows after the substituted flight."""

    error_type: type
    error_message: str
    alert: AlertDescription
    sent: bytes
    state: str
    trace: tuple[tuple[str, str, bool, tuple[tuple[str, str], ...]], ...]


def observe(suite: CipherSuite, ems: bool, encrypted: bytes) -> Observed:
    pair = up_to_client_flight(suite, ems)
    with pytest.raises(errors.TLSError) as info:
        pair.server.receive_data(with_client_key_exchange(pair.flight, encrypted))
    error = info.value
    assert pair.server.error is error
    sent = pair.server.data_to_send()
    # every later call raises the same error
    with pytest.raises(type(error)) as again:
        pair.server.receive_data(b"\x17\x03\x03\x00\x01\x00")
    assert again.value is error
    # the client reads the alert the server sent
    with pytest.raises(errors.FatalAlertReceived) as seen:
        pair.client.receive_data(sent)
    trace = tuple(
        (e.direction, e.name, e.encrypted, tuple(sorted(e.details.items())))
        for e in pair.server.trace.entries
    )  # sizes left out: a ciphertext of another length is another size, and public anyway
    return Observed(
        type(error), str(error), seen.value.description, sent, pair.server.state_name, trace
    )


@functools.cache
def baseline(suite: CipherSuite, ems: bool) -> Observed:
    """What the server shows for a well-formed ciphertext of a premaster not the client's."""
    return observe(suite, ems, CRAFTED["valid_but_wrong_premaster"]())


@pytest.mark.parametrize("ems", [True, False], ids=["ems", "no_ems"])
@pytest.mark.parametrize("suite", RSA_SUITES, ids=RSA_IDS)
@pytest.mark.parametrize("case", list(CRAFTED))
def test_malformed_premaster_looks_like_a_wrong_one(case: str, suite: CipherSuite, ems: bool):
    """With the extended master secret the ClientKeyExchange is in the session hash too, so
    its bytes change the keys; without it only the premaster does: both ways are checked."""
    expected = baseline(suite, ems)
    assert observe(suite, ems, CRAFTED[case]()) == expected


@pytest.mark.parametrize("ems", [True, False], ids=["ems", "no_ems"])
@pytest.mark.parametrize("suite", RSA_SUITES, ids=RSA_IDS)
def test_the_baseline_is_bad_record_mac_at_the_finished(suite: CipherSuite, ems: bool) -> None:
    observed = observe(suite, ems, CRAFTED["valid_but_wrong_premaster"]())
    assert observed.error_type is errors.BadRecordMac
    assert observed.error_message == "a record failed authentication (bad_record_mac)"
    assert observed.alert == AlertDescription.bad_record_mac
    assert observed.sent == BAD_RECORD_MAC_ALERT  # nothing but the alert
    assert observed.state == "Failed"
    assert [(d, n) for d, n, _, _ in observed.trace][-3:] == [
        ("recv", "ClientKeyExchange"),
        ("recv", "ChangeCipherSpec"),
        ("send", "Alert"),  # bad_record_mac, drawn where the connection ended
    ]


def test_crafted_blocks_are_what_they_claim() -> None:
    """The hand-made blocks really are malformed, and the well-formed ones well-formed: the
    private key's own PKCS#1 decryption (implicit rejection or not) never returns a 48-byte
    premaster with our version for the malformed ones."""
    key = pki().rsa.key
    assert isinstance(key, rsa.RSAPrivateKey)
    assert len(key.decrypt(CRAFTED["valid_but_wrong_premaster"](), padding.PKCS1v15())) == 48
    for case in ("block_type_1", "leading_byte_not_zero", "no_zero_separator"):
        try:
            message = key.decrypt(CRAFTED[case](), padding.PKCS1v15())
        except ValueError:
            continue  # an OpenSSL without implicit rejection
        assert not (len(message) == 48 and message[:2] == CLIENT_VERSION), case


# --- controls: the flight surgery is sound, and the server does recover the premaster ------------


def capture_premaster(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Records the premaster our client encrypts."""
    seen: list[bytes] = []
    original = kx.rsa_encrypt_premaster

    def spy(*args, **kwargs):
        secret, encrypted = original(*args, **kwargs)
        seen.append(secret)
        return secret, encrypted

    monkeypatch.setattr(kx, "rsa_encrypt_premaster", spy)
    return seen


def finished_mismatch(pair: Pair, flight: bytes) -> None:
    """With the extended master secret off, a flight whose ClientKeyExchange carries the
    client's own premaster under another encryption gives the server the client's keys: the
    Finished record decrypts (no bad_record_mac), but its verify_data covers the transcript
    with the original ClientKeyExchange, so the Finished check fails (decrypt_error). That
    tells the server's premaster equals the client's."""
    with pytest.raises(errors.DecryptError, match="client's Finished message does not match"):
        pair.server.receive_data(flight)


def complete(pair: Pair, flight: bytes) -> None:
    """Delivers ``flight`` and the rest; both sides must finish the handshake."""
    pair.server.receive_data(flight)
    pair.client.receive_data(pair.server.data_to_send())
    assert pair.client.handshake_complete and pair.server.handshake_complete
    pair.client.send(b"after the handshake")
    drive(pair.client, pair.server)


@pytest.mark.parametrize("suite", RSA_SUITES, ids=RSA_IDS)
def test_unmodified_flight_completes(suite: CipherSuite) -> None:
    pair = up_to_client_flight(suite)
    complete(pair, pair.flight)
    assert pair.server.negotiated is not None
    assert pair.server.negotiated.cipher_suite == suite


@pytest.mark.parametrize("suite", RSA_SUITES, ids=RSA_IDS)
def test_fresh_encryption_of_the_same_premaster_gives_the_same_keys(suite, monkeypatch) -> None:
    seen = capture_premaster(monkeypatch)
    pair = up_to_client_flight(suite, ems=False)
    (secret,) = seen
    assert secret[:2] == CLIENT_VERSION and len(secret) == 48
    finished_mismatch(pair, with_client_key_exchange(pair.flight, encrypt(secret)))


@pytest.mark.parametrize("version", [b"\x03\x01", b"\x00\x00"], ids=["0301", "0000"])
def test_version_bytes_are_replaced_not_compared(version: bytes, monkeypatch) -> None:
    """RFC 5246 §7.4.7.1's recommended construction: premaster = ClientHello.client_version ||
    M[2..47]. The version inside is never compared (a comparison can itself be an oracle), so
    the client's own random part under another version gives the client's premaster back
    (while a random part, as in ``version_0301`` above, gives bad_record_mac)."""
    seen = capture_premaster(monkeypatch)
    pair = up_to_client_flight(RSA_SUITES[0], ems=False)
    (secret,) = seen
    finished_mismatch(pair, with_client_key_exchange(pair.flight, encrypt(version + secret[2:])))


# --- the default policy --------------------------------------------------------------------------


@pytest.mark.parametrize("suite", RSA_SUITES, ids=RSA_IDS)
def test_default_server_refuses_rsa_key_transport_client(suite: CipherSuite) -> None:
    p = pki()
    client = ClientConnection(p.client_config(cipher_suites=[suite]), "localhost")
    server = ServerConnection(p.server_config())
    client.start()
    with pytest.raises(errors.HandshakeFailure) as info:
        server.receive_data(client.data_to_send())
    message = str(info.value)
    assert "cipher_suites='compatible'" in message and suite.name in message, message
    assert queued_alert(server) == AlertDescription.handshake_failure


@pytest.mark.parametrize("suite", RSA_SUITES, ids=RSA_IDS)
def test_default_client_refused_by_rsa_key_transport_server(suite: CipherSuite) -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config(cipher_suites=[suite]))
    client.start()
    with pytest.raises(errors.HandshakeFailure):
        server.receive_data(client.data_to_send())
    with pytest.raises(errors.FatalAlertReceived) as info:
        client.receive_data(server.data_to_send())
    assert info.value.description == AlertDescription.handshake_failure
