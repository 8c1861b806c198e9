"""The record layer and handshake reassembly: ``selector(1) payload``.

selector bits 0-2: the read protection (null, AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305,
CBC-SHA1 MAC-then-encrypt, CBC-SHA256 encrypt-then-MAC, CBC-SHA384 MAC-then-encrypt, null);
bit 3: record version pinned to 1.2; bit 4: a small handshake message limit (300 bytes);
bits 5-6: chunking (whole, byte by byte, 7 bytes, 1000 bytes); bit 7: round-trip mode.

Parse mode: the payload is the transport stream. Records are read, handshake records are
reassembled (HandshakeBuffer), alert and ChangeCipherSpec bodies are checked: only TLSError may
escape, never InternalError.

Round-trip mode: ``type(1) fragment_size(2) data``: ``data`` written as records of at most
fragment_size bytes with the chosen protection and read back with the same keys must give back
the same type and bytes, in the expected number of records.
"""

from __future__ import annotations

from fuzz.common import MAX_INPUT, PropertyViolation, expect_only_tls_errors, fuzz_main
from tls12.crypto.suites import BY_ID
from tls12.messages.alert import Alert, check_change_cipher_spec
from tls12.record.framing import HandshakeBuffer
from tls12.record.layer import MAX_PLAINTEXT, RecordLayer
from tls12.record.protection import NullProtection, RecordProtection, protection_for
from tls12.wire.enums import ContentType

# (suite, encrypt_then_mac) per protection slot; None is the null protection.
PROTECTIONS: tuple[tuple[int, bool] | None, ...] = (
    None,
    (0xC02F, False),  # AES-128-GCM
    (0xC030, False),  # AES-256-GCM
    (0xCCA8, False),  # ChaCha20-Poly1305
    (0xC013, False),  # AES-128-CBC, HMAC-SHA1, MAC-then-encrypt
    (0xC027, True),  # AES-128-CBC, HMAC-SHA256, encrypt-then-MAC
    (0xC028, False),  # AES-256-CBC, HMAC-SHA384, MAC-then-encrypt
    None,
)
CHUNKS = (0, 1, 7, 1000)


def protection(slot: int) -> RecordProtection:
    """A fresh protection with fixed keys (the same for writing and reading)."""
    spec = PROTECTIONS[slot]
    if spec is None:
        return NullProtection()
    suite_id, etm = spec
    suite = BY_ID[suite_id]
    key = bytes(range(1, suite.key_len + 1))
    iv = bytes(range(0x40, 0x40 + suite.fixed_iv_len))
    mac_key = bytes(range(0x80, 0x80 + suite.mac_key_len))
    return protection_for(suite, key, iv, mac_key, etm)


def reader(selector: int) -> RecordLayer:
    layer = RecordLayer(expected_version=0x0303 if selector & 0x08 else None)
    slot = selector & 0x07
    if PROTECTIONS[slot] is not None:
        layer.set_pending_read(protection(slot))
        layer.activate_read()
    return layer


def parse(selector: int, payload: bytes) -> None:
    layer = reader(selector)
    handshake = HandshakeBuffer(300 if selector & 0x10 else 65536)
    size = CHUNKS[(selector >> 5) & 0x03]
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)] if size else [payload]
    for piece in pieces:
        layer.feed(piece)
        while (record := layer.read_record()) is not None:
            ctype, body = record
            if ctype == ContentType.handshake:
                handshake.feed(body)
                while handshake.next_message() is not None:
                    pass
            elif ctype == ContentType.change_cipher_spec:
                check_change_cipher_spec(body)
            elif ctype == ContentType.alert:
                Alert.decode(body)


def round_trip(selector: int, payload: bytes) -> None:
    if len(payload) < 3:
        return
    ctype = ContentType((20, 21, 22, 23)[payload[0] % 4])
    fragment = 1 + int.from_bytes(payload[1:3], "big") % MAX_PLAINTEXT
    data = payload[3:]
    if not data and ctype != ContentType.application_data:
        return  # refusing to send an empty record of these types is the writer's rule
    slot = selector & 0x07
    writer = RecordLayer(max_fragment=fragment)
    if PROTECTIONS[slot] is not None:
        writer.set_pending_write(protection(slot))
        writer.activate_write()
    wire = writer.write(ctype, data)
    layer = reader(selector | 0x08)
    layer.feed(wire)
    got = []
    while (record := layer.read_record()) is not None:
        got.append(record)
    expected_records = -(-len(data) // fragment)
    if len(got) != expected_records or layer.buffered_bytes:
        raise PropertyViolation(
            f"{len(data)} bytes in fragments of {fragment} came back as {len(got)} records"
        )
    if any(t != ctype for t, _ in got) or b"".join(b for _, b in got) != data:
        raise PropertyViolation("records read back differ from the records written")


def test_one_input(data: bytes) -> None:
    data = data[:MAX_INPUT]
    if not data:
        return
    selector, payload = data[0], data[1:]
    if selector & 0x80:
        round_trip(selector, payload)  # our own writer and reader: no error is acceptable
    else:
        expect_only_tls_errors(lambda: parse(selector, payload))


if __name__ == "__main__":
    fuzz_main(test_one_input)
