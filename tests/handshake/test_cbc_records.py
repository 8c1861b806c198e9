"""CBC suites on a live in-memory connection: a record with bad padding and a record with a bad
MAC are both bad_record_mac, with the same error, for MAC-then-encrypt (RFC 5246 §6.2.3.2) and
encrypt-then-MAC (RFC 7366), in both directions, for every CBC suite.

The records are sealed here, by hand, with AES-CBC and HMAC from ``cryptography`` and the
connection's own keys (the key block from the master secret our client logs, its
``keylog`` callback, and the two hello randoms read off the wire), so padding and MAC can be
damaged one at a time. A correctly sealed record is accepted first, which shows the sealing is
right; each damaged one then goes, as the next record, to a fresh connection.

Also here: the default policy refuses clients and servers that only have CBC suites.
"""

from __future__ import annotations

import hmac
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from engine_helpers import queued_alert, record, split_handshake, split_records
from tls_support import drive, pki

from tls12 import errors
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto import prf
from tls12.crypto.suites import ALL_SUITES, CipherSuite
from tls12.events import ApplicationData
from tls12.record import protection
from tls12.wire.enums import AlertDescription, ContentType

CBC_SUITES = [s for s in ALL_SUITES if not s.is_aead]
CBC_IDS = [s.name for s in CBC_SUITES]
BLOCK = 16
APP = ContentType.application_data
DATA = b"attack at dawn, bring the padding oracle"  # 40 bytes


@dataclass
class Live:
    """A connected pair and the keys of each direction."""

    suite: CipherSuite
    etm: bool
    client: ClientConnection
    server: ServerConnection
    keys: prf.KeyMaterial

    def sender_keys(self, from_client: bool) -> tuple[bytes, bytes]:
        k = self.keys
        return (k.client_key, k.client_mac_key) if from_client else (k.server_key, k.server_mac_key)

    def receiver(self, from_client: bool) -> Connection:
        return self.server if from_client else self.client

    def sender(self, from_client: bool) -> Connection:
        return self.client if from_client else self.server


def hello_random(flight: bytes) -> bytes:
    """The random of the hello that starts a plaintext flight."""
    ctype, payload = split_records(flight)[0]
    assert ctype == ContentType.handshake
    hello = split_handshake(payload)[0]
    return hello[4 + 2 : 4 + 2 + 32]  # header, version, random


def connect_pair(suite: CipherSuite, etm: bool) -> Live:
    lines: list[str] = []
    p = pki()
    config = p.client_config(cipher_suites=[suite], encrypt_then_mac=etm, keylog=lines.append)
    client = ClientConnection(config, "localhost")
    server = ServerConnection(p.server_config(cipher_suites="compatible"))
    client.start()
    hello = client.data_to_send()
    server.receive_data(hello)
    flight = server.data_to_send()
    client.receive_data(flight)
    drive(client, server)
    assert client.handshake_complete and server.handshake_complete
    assert client.negotiated is not None and client.negotiated.cipher_suite == suite
    label, client_random, master = lines[-1].split()
    assert label == "CLIENT_RANDOM" and bytes.fromhex(client_random) == hello_random(hello)
    keys = prf.key_block(suite, bytes.fromhex(master), hello_random(hello), hello_random(flight))
    return Live(suite, etm, client, server, keys)


def hmac_of(name: str, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, name.lower()).digest()


def header(seq: int, length: int) -> bytes:
    """seq_num + type + version + length, the MAC's prefix (RFC 5246 §6.2.3.1)."""
    return struct.pack(">QBHH", seq, APP, 0x0303, length)


def cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def padding_for(n: int, extra_blocks: int = 1) -> bytes:
    """Padding that makes ``n`` bytes whole blocks, with ``extra_blocks`` more (TLS allows up
    to 255 bytes), so there are padding bytes to damage besides the length byte."""
    pad = (BLOCK - 1 - n % BLOCK) + BLOCK * extra_blocks
    return bytes((pad,)) * (pad + 1)


def _flip(b: bytes, i: int = -1) -> bytes:
    i %= len(b)
    return b[:i] + bytes((b[i] ^ 0x01,)) + b[i + 1 :]


# Ways to damage the padding: each takes the well-formed padding and returns it damaged.
PADDING_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "padding_byte": lambda pad: _flip(pad, 0),  # one byte differs from the length byte
    "padding_length_too_long": lambda pad: pad[:-1] + b"\xff",  # more than the record holds
    "padding_length_one_less": lambda pad: pad[:-1] + bytes((pad[-1] - 1,)),
}
CASES = [
    *PADDING_DAMAGE,
    "mac_bit",  # one bit of the MAC
    "mac_wrong_seq",  # a MAC for another record number (a replayed or reordered record)
    "content_bit",  # MtE: the data changed after the MAC; EtM: the ciphertext did
    "iv_bit",
    "truncated_block",
    "extra_byte",
]


def seal(live: Live, from_client: bool, seq: int, data: bytes, damage: str = "none") -> bytes:
    """A whole application_data record sealed as the sender would, then damaged."""
    key, mac_key = live.sender_keys(from_client)
    mac_name = live.suite.mac
    assert mac_name is not None
    iv = os.urandom(BLOCK)
    mac_seq = seq + 1 if damage == "mac_wrong_seq" else seq
    hurt_padding = PADDING_DAMAGE.get(damage, lambda pad: pad)
    if live.etm:
        # RFC 7366: IV + C + MAC(header(len(IV + C)) + IV + C), C = CBC(data + padding)
        body = iv + cbc(key, iv, data + hurt_padding(padding_for(len(data))))
        mac = hmac_of(mac_name, mac_key, header(mac_seq, len(body)) + body)
        if damage == "content_bit":
            body = _flip(body, BLOCK + 3)
        fragment = body + mac
    else:
        # RFC 5246: IV + CBC(data + MAC(header(len(data)) + data) + padding)
        mac = hmac_of(mac_name, mac_key, header(mac_seq, len(data)) + data)
        if damage == "content_bit":
            data = _flip(data, 3)
        pad = hurt_padding(padding_for(len(data) + len(mac)))
        fragment = iv + cbc(key, iv, data + mac + pad)
    if damage == "mac_bit":
        # EtM: the MAC is the tail in the clear; MtE: flip it before encryption instead
        if live.etm:
            fragment = _flip(fragment)
        else:
            plain_mac = _flip(mac)
            fragment = iv + cbc(key, iv, data + plain_mac + padding_for(len(data) + len(mac)))
    elif damage == "truncated_block":
        fragment = fragment[:-BLOCK]
    elif damage == "extra_byte":
        fragment += b"\x00"
    elif damage == "iv_bit":
        fragment = _flip(fragment, 0)
    return record(APP, fragment)


@pytest.mark.parametrize("etm", [False, True], ids=["MtE", "EtM"])
@pytest.mark.parametrize("suite", CBC_SUITES, ids=CBC_IDS)
@pytest.mark.parametrize("from_client", [True, False], ids=["to_server", "to_client"])
def test_hand_sealed_record_is_accepted(suite: CipherSuite, etm: bool, from_client: bool) -> None:
    """The control: the hand-sealed record is exactly what the peer expects."""
    live = connect_pair(suite, etm)
    events = live.receiver(from_client).receive_data(seal(live, from_client, 1, DATA))
    assert [e.data for e in events if isinstance(e, ApplicationData)] == [DATA]


@pytest.mark.parametrize("etm", [False, True], ids=["MtE", "EtM"])
@pytest.mark.parametrize("suite", CBC_SUITES, ids=CBC_IDS)
def test_hand_sealed_records_follow_the_engines(suite: CipherSuite, etm: bool) -> None:
    """The engine's own record 1, then a hand-sealed record 2: the numbers line up."""
    live = connect_pair(suite, etm)
    live.client.send(b"engine 1")
    got = live.server.receive_data(live.client.data_to_send())
    got += live.server.receive_data(seal(live, True, 2, DATA))
    assert [e.data for e in got if isinstance(e, ApplicationData)] == [b"engine 1", DATA]


@pytest.mark.parametrize("damage", CASES)
@pytest.mark.parametrize("etm", [False, True], ids=["MtE", "EtM"])
@pytest.mark.parametrize("suite", CBC_SUITES, ids=CBC_IDS)
@pytest.mark.parametrize("from_client", [True, False], ids=["to_server", "to_client"])
def test_damaged_record_is_bad_record_mac(
    suite: CipherSuite, etm: bool, damage: str, from_client: bool
) -> None:
    live = connect_pair(suite, etm)
    receiver, sender = live.receiver(from_client), live.sender(from_client)
    with pytest.raises(errors.BadRecordMac) as info:
        receiver.receive_data(seal(live, from_client, 1, DATA, damage))
    assert str(info.value) == "a record failed authentication (bad_record_mac)"
    assert receiver.state_name == "Failed"
    assert receiver.error is info.value
    # the alert goes out encrypted; the sender reads it
    assert queued_alert(receiver, sender) == AlertDescription.bad_record_mac


@pytest.mark.parametrize("damage", list(PADDING_DAMAGE))
def test_etm_bad_padding_is_under_a_valid_mac(damage: str, monkeypatch) -> None:
    """Under EtM the padding cases get past the MAC check (it passes: the MAC covers the
    damaged ciphertext) and fail at the padding check after decryption; under MtE no MAC check
    passes. Observed by spying on the MAC comparison of the record protection."""
    results: list[bool] = []
    compare = protection.hmac.compare_digest

    def spy(a, b) -> bool:
        results.append(compare(a, b))
        return results[-1]

    for etm, expected in ((True, [True]), (False, [False])):
        live = connect_pair(CBC_SUITES[0], etm)
        monkeypatch.setattr(protection.hmac, "compare_digest", spy)
        results.clear()
        with pytest.raises(errors.BadRecordMac):
            live.server.receive_data(seal(live, True, 1, DATA, damage))
        monkeypatch.undo()
        assert results == expected


@pytest.mark.parametrize("etm", [False, True], ids=["MtE", "EtM"])
@pytest.mark.parametrize("suite", CBC_SUITES, ids=CBC_IDS)
def test_padding_and_mac_failures_are_indistinguishable(suite: CipherSuite, etm: bool) -> None:
    """Bad padding and bad MAC: same error class, same message, same alert bytes length, same
    state, nothing else queued."""
    seen = []
    for damage in ("mac_bit", "padding_byte", "padding_length_too_long"):
        live = connect_pair(suite, etm)
        with pytest.raises(errors.TLSError) as info:
            live.server.receive_data(seal(live, True, 1, DATA, damage))
        wire = live.server.data_to_send()
        recs = split_records(wire)
        seen.append(
            (
                type(info.value),
                str(info.value),
                live.server.state_name,
                [(t, len(b)) for t, b in recs],
            )
        )
    assert seen[0][0] is errors.BadRecordMac
    assert seen.count(seen[0]) == len(seen), seen


@pytest.mark.parametrize("etm", [False, True], ids=["MtE", "EtM"])
@pytest.mark.parametrize("suite", CBC_SUITES, ids=CBC_IDS)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_bit_flipped_engine_record_is_bad_record_mac(suite: CipherSuite, etm: bool, where: str):
    """No hand sealing: a bit flipped in a record the engine sealed itself (IV, middle, last
    byte: the padding or the MAC)."""
    live = connect_pair(suite, etm)
    live.client.send(b"x" * 100)
    ((ctype, fragment),) = split_records(live.client.data_to_send())
    i = {"first": 0, "middle": len(fragment) // 2, "last": len(fragment) - 1}[where]
    damaged = fragment[:i] + bytes((fragment[i] ^ 0x01,)) + fragment[i + 1 :]
    with pytest.raises(errors.BadRecordMac):
        live.server.receive_data(record(ctype, damaged))
    assert queued_alert(live.server, live.client) == AlertDescription.bad_record_mac


def test_encrypt_then_mac_changes_the_record_layout() -> None:
    """The same suite with and without EtM really protects records differently: an EtM
    record does not open under MtE keys' rules (the hand sealing agrees with the engine)."""
    suite = CBC_SUITES[0]
    for etm in (False, True):
        live = connect_pair(suite, etm)
        wrong = Live(suite, not etm, live.client, live.server, live.keys)
        with pytest.raises(errors.BadRecordMac):
            live.server.receive_data(seal(wrong, True, 1, DATA))


# --- the default policy --------------------------------------------------------------------------

CBC_ONLY = [
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
]


@pytest.mark.parametrize("name", CBC_ONLY)
def test_default_server_refuses_cbc_only_client(name: str) -> None:
    p = pki()
    client = ClientConnection(p.client_config(cipher_suites=[name]), "localhost")
    server = ServerConnection(p.server_config())
    client.start()
    with pytest.raises(errors.HandshakeFailure) as info:
        server.receive_data(client.data_to_send())
    message = str(info.value)
    assert "cipher_suites='compatible'" in message and name in message, message
    assert server.state_name == "Failed"
    assert queued_alert(server) == AlertDescription.handshake_failure


@pytest.mark.parametrize("name", CBC_ONLY)
def test_default_client_refused_by_cbc_only_server(name: str) -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config(cipher_suites=[name]))
    client.start()
    with pytest.raises(errors.HandshakeFailure):
        server.receive_data(client.data_to_send())
    with pytest.raises(errors.FatalAlertReceived) as info:
        client.receive_data(server.data_to_send())
    assert info.value.description == AlertDescription.handshake_failure


@pytest.mark.parametrize(
    "name", ["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256"]
)
def test_default_client_refusal_names_the_option(name: str) -> None:
    p = pki()
    client = ClientConnection(p.client_config(), "localhost")
    server = ServerConnection(p.server_config(cipher_suites=[name]))
    client.start()
    with pytest.raises(errors.HandshakeFailure):
        server.receive_data(client.data_to_send())
    with pytest.raises(errors.FatalAlertReceived) as info:
        client.receive_data(server.data_to_send())
    assert "cipher_suites='compatible'" in str(info.value)
