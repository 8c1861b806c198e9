"""Every message decoder: ``selector(1) payload``.

selector (wrapped) picks the decoder:
  0  decode_handshake(payload[0], payload[1:]): every handshake type byte, known or not
  1  a hello's extensions block (Extensions.decode, then the end of the message)
  2  one known extension's body: payload[0] picks the codec, payload[1:] is the body
  3  Alert.decode               4  the ChangeCipherSpec body
  5  ECDHE ServerKeyExchange    6  DHE ServerKeyExchange
  7  ECDH ClientKeyExchange     8  DH ClientKeyExchange     9  RSA ClientKeyExchange
  10 Session.from_bytes (what a ticket holds once opened)

Property: only TLSError escapes (never InternalError), and what decodes re-encodes to
something that decodes to the same value.
"""

from __future__ import annotations

from collections.abc import Callable

from fuzz.common import MAX_INPUT, PropertyViolation, expect_only_tls_errors, fuzz_main
from tls12.messages import key_exchange as kxm
from tls12.messages.alert import Alert, check_change_cipher_spec
from tls12.messages.extensions import KNOWN_EXTENSIONS, Extensions
from tls12.messages.handshake import decode_handshake
from tls12.sessions import Session
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

EXTENSION_TYPES = sorted(KNOWN_EXTENSIONS)


def _same(what: str, first: object, again: object) -> None:
    if first != again:
        raise PropertyViolation(f"{what} does not survive encode/decode: {first!r} -> {again!r}")


def _handshake(payload: bytes) -> None:
    if not payload:
        return
    msg = decode_handshake(payload[0], payload[1:])
    wire = msg.encode()
    if wire[0] != payload[0]:
        raise PropertyViolation(f"type {payload[0]} decoded as {type(msg).__name__}")
    _same("handshake message", msg, decode_handshake(wire[0], wire[4:]))


def _extensions(payload: bytes) -> None:
    r = Reader(payload, "hello")
    exts = Extensions.decode(r)
    r.expect_end()
    w = Writer()
    exts.encode(w)
    _same("extensions", exts, Extensions.decode(Reader(w.getvalue(), "hello")))


def _extension(payload: bytes) -> None:
    if not payload:
        return
    codec = KNOWN_EXTENSIONS[EXTENSION_TYPES[payload[0] % len(EXTENSION_TYPES)]]
    ext = codec(Reader(payload[1:], "extension"))
    w = Writer()
    ext.encode_body(w)
    _same("extension", ext, codec(Reader(w.getvalue(), "extension")))


def _alert(payload: bytes) -> None:
    alert = Alert.decode(payload)
    _same("alert", alert, Alert.decode(alert.encode()))


def _ecdhe_ske(payload: bytes) -> None:
    ske = kxm.EcdheServerKeyExchange.decode(payload)
    _same("ECDHE ServerKeyExchange", ske, kxm.EcdheServerKeyExchange.decode(ske.encode()))


def _dhe_ske(payload: bytes) -> None:
    ske = kxm.DheServerKeyExchange.decode(payload)
    _same("DHE ServerKeyExchange", ske, kxm.DheServerKeyExchange.decode(ske.encode()))


def _ecdh_cke(payload: bytes) -> None:
    public = kxm.decode_ecdh_client_public(payload)
    _same("ECDH ClientKeyExchange", public, kxm.decode_ecdh_client_public(
        kxm.encode_ecdh_client_public(public)
    ))


def _dh_cke(payload: bytes) -> None:
    public = kxm.decode_dh_client_public(payload)
    _same("DH ClientKeyExchange", public, kxm.decode_dh_client_public(
        kxm.encode_dh_client_public(public)
    ))


def _rsa_cke(payload: bytes) -> None:
    encrypted = kxm.decode_rsa_premaster(payload)
    _same("RSA ClientKeyExchange", encrypted, kxm.decode_rsa_premaster(
        kxm.encode_rsa_premaster(encrypted)
    ))


def _session(payload: bytes) -> None:
    session = Session.from_bytes(payload)
    _same("session", session, Session.from_bytes(session.to_bytes()))


DECODERS: tuple[Callable[[bytes], None], ...] = (
    _handshake,
    _extensions,
    _extension,
    _alert,
    check_change_cipher_spec,
    _ecdhe_ske,
    _dhe_ske,
    _ecdh_cke,
    _dh_cke,
    _rsa_cke,
    _session,
)


def test_one_input(data: bytes) -> None:
    data = data[:MAX_INPUT]
    if not data:
        return
    decoder = DECODERS[data[0] % len(DECODERS)]
    expect_only_tls_errors(lambda: decoder(data[1:]))


if __name__ == "__main__":
    fuzz_main(test_one_input)
