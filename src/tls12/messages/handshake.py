"""Handshake messages (RFC 5246 §7.4): one frozen dataclass each, with encode and decode.

The codec answers "are these bytes a valid message?" and nothing else: it knows no state and
no keys. ServerKeyExchange and ClientKeyExchange keep their body as bytes because its layout
depends on the negotiated suite; ``key_exchange.py`` decodes them once the state knows it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from tls12.errors import DecodeError, UnexpectedMessage
from tls12.messages.extensions import SCHEME_MEMBERS, Extensions, known_members
from tls12.wire.enums import (
    CertificateStatusType,
    ClientCertificateType,
    CompressionMethod,
    HandshakeType,
    SignatureScheme,
)
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

RANDOM_LEN = 32
MAX_SESSION_ID = 32
_U32 = struct.Struct(">I").pack
_U16 = struct.Struct(">H").pack


def framed(msg_type: int, body: bytes) -> bytes:
    """``msg_type || uint24 length || body`` (RFC 5246 §7.4): the header in one call."""
    n = len(body)
    if n >> 24:
        raise ValueError(f"vector of {n} bytes does not fit a 3-byte length")
    return _U32(msg_type << 24 | n) + body


def _opaque8(data: bytes) -> bytes:
    """``opaque<0..255>`` as bytes, for the messages encoded without a Writer."""
    n = len(data)
    if n >> 8:
        raise ValueError(f"vector of {n} bytes does not fit a 1-byte length")
    return bytes((n,)) + data


@dataclass(frozen=True)
class HandshakeMessage:
    msg_type: ClassVar[HandshakeType]

    def encode_body(self, w: Writer) -> None:
        """Empty-bodied messages inherit this; others override it."""

    def encode(self) -> bytes:
        """The full message: type, 24-bit length, body. The messages of every handshake
        (ServerHello, Finished, NewSessionTicket, ClientHello) build their bytes directly,
        the same bytes as through ``encode_body``."""
        body = Writer()
        self.encode_body(body)
        return framed(self.msg_type, body.getvalue())


@dataclass(frozen=True)
class HelloRequest(HandshakeMessage):
    msg_type: ClassVar[HandshakeType] = HandshakeType.hello_request

    @classmethod
    def decode_body(cls, r: Reader) -> HelloRequest:
        r.expect_end()
        return cls()


@dataclass(frozen=True)
class ClientHello(HandshakeMessage):
    random: bytes
    cipher_suites: tuple[int, ...]
    session_id: bytes = b""
    extensions: Extensions = field(default_factory=Extensions)
    version: int = 0x0303
    compression_methods: tuple[int, ...] = (CompressionMethod.null,)
    msg_type: ClassVar[HandshakeType] = HandshakeType.client_hello

    def encode_body(self, w: Writer) -> None:
        w.u16(self.version)
        w.raw(self.random)
        w.opaque8(self.session_id)
        w.u16_list(self.cipher_suites)
        w.u8_list(self.compression_methods)
        self.extensions.encode(w)

    def encode(self) -> bytes:
        suites = self.cipher_suites
        compression = bytes(self.compression_methods)
        n = 2 * len(suites)
        if n >> 16:
            raise ValueError(f"vector of {n} bytes does not fit a 2-byte length")
        body = b"".join(
            (
                _U16(self.version),
                self.random,
                _opaque8(self.session_id),
                struct.pack(f">{len(suites) + 1}H", n, *suites),
                _opaque8(compression),
                self.extensions.encoded(),
            )
        )
        return framed(HandshakeType.client_hello, body)

    @classmethod
    def decode_body(cls, r: Reader) -> ClientHello:
        version = r.u16()
        random = r.opaque_fixed(RANDOM_LEN)
        session_id = r.opaque8(0, MAX_SESSION_ID, field="session_id")
        suites = r.u16_list(2, 0xFFFE, field="cipher_suites")
        compression = r.u8_list(1, field="compression_methods")
        extensions = Extensions.decode(r)
        r.expect_end()
        return cls(random, suites, session_id, extensions, version, compression)


@dataclass(frozen=True)
class ServerHello(HandshakeMessage):
    random: bytes
    cipher_suite: int
    session_id: bytes = b""
    extensions: Extensions = field(default_factory=Extensions)
    version: int = 0x0303
    compression_method: int = CompressionMethod.null
    msg_type: ClassVar[HandshakeType] = HandshakeType.server_hello

    def encode_body(self, w: Writer) -> None:
        w.u16(self.version)
        w.raw(self.random)
        w.opaque8(self.session_id)
        w.u16(self.cipher_suite)
        w.u8(self.compression_method)
        self.extensions.encode(w)

    def encode(self) -> bytes:
        body = b"".join(
            (
                _U16(self.version),
                self.random,
                _opaque8(self.session_id),
                _U16(self.cipher_suite),
                bytes((self.compression_method,)),
                self.extensions.encoded(),
            )
        )
        return framed(HandshakeType.server_hello, body)

    @classmethod
    def decode_body(cls, r: Reader) -> ServerHello:
        version = r.u16()
        random = r.opaque_fixed(RANDOM_LEN)
        session_id = r.opaque8(0, MAX_SESSION_ID, field="session_id")
        suite = r.u16()
        compression = r.u8()
        extensions = Extensions.decode(r)
        r.expect_end()
        return cls(random, suite, session_id, extensions, version, compression)


@dataclass(frozen=True)
class Certificate(HandshakeMessage):
    """A chain of DER certificates, sender's own first (RFC 5246 §7.4.2)."""

    certificate_list: tuple[bytes, ...] = ()
    msg_type: ClassVar[HandshakeType] = HandshakeType.certificate

    def encode_body(self, w: Writer) -> None:
        with w.vec24():
            for cert in self.certificate_list:
                w.opaque24(cert)

    @classmethod
    def decode_body(cls, r: Reader) -> Certificate:
        lst = r.vec24(field="certificate_list")
        certs = []
        while not lst.at_end():
            certs.append(lst.opaque24(1, field="ASN.1Cert"))
        r.expect_end()
        return cls(tuple(certs))


@dataclass(frozen=True)
class CertificateStatus(HandshakeMessage):
    """RFC 6066 §8: the server's stapled OCSP response, right after its Certificate. The only
    status type is ocsp(1); another is refused with decode_error, as OpenSSL does (the body
    of an unknown type cannot be read). ``ocsp_response`` is a DER OCSPResponse
    (opaque<1..2^24-1>), checked by tls12.ocsp, not here."""

    ocsp_response: bytes
    status_type: int = CertificateStatusType.ocsp
    msg_type: ClassVar[HandshakeType] = HandshakeType.certificate_status

    def encode_body(self, w: Writer) -> None:
        w.u8(self.status_type)
        w.opaque24(self.ocsp_response)

    @classmethod
    def decode_body(cls, r: Reader) -> CertificateStatus:
        status_type = r.u8()
        if status_type != CertificateStatusType.ocsp:
            raise DecodeError(
                f"CertificateStatus has status_type {status_type}; only ocsp(1) exists"
            )
        response = r.opaque24(1, field="OCSPResponse")
        r.expect_end()
        return cls(response)


@dataclass(frozen=True)
class ServerKeyExchange(HandshakeMessage):
    """Body kept raw: its layout depends on the suite (see key_exchange.py)."""

    body: bytes
    msg_type: ClassVar[HandshakeType] = HandshakeType.server_key_exchange

    def encode_body(self, w: Writer) -> None:
        w.raw(self.body)

    @classmethod
    def decode_body(cls, r: Reader) -> ServerKeyExchange:
        body = r.rest()
        if not body:
            raise DecodeError("ServerKeyExchange is empty")
        return cls(body)


@dataclass(frozen=True)
class CertificateRequest(HandshakeMessage):
    """RFC 5246 §7.4.4: what kind of client certificate the server will accept."""

    certificate_types: tuple[int, ...]
    signature_algorithms: tuple[int, ...]
    certificate_authorities: tuple[bytes, ...] = ()
    msg_type: ClassVar[HandshakeType] = HandshakeType.certificate_request

    def encode_body(self, w: Writer) -> None:
        w.u8_list(self.certificate_types)
        w.u16_list(self.signature_algorithms)
        with w.vec16():
            for name in self.certificate_authorities:
                w.opaque16(name)

    @classmethod
    def decode_body(cls, r: Reader) -> CertificateRequest:
        types = tuple(ClientCertificateType(t) for t in r.u8_list(1, field="certificate_types"))
        schemes = known_members(
            SCHEME_MEMBERS, r.u16_list(2, 0xFFFE, field="supported_signature_algorithms")
        )
        lst = r.vec16(field="certificate_authorities")
        names = []
        while not lst.at_end():
            names.append(lst.opaque16(1, field="DistinguishedName"))
        r.expect_end()
        return cls(types, schemes, tuple(names))


@dataclass(frozen=True)
class ServerHelloDone(HandshakeMessage):
    msg_type: ClassVar[HandshakeType] = HandshakeType.server_hello_done

    @classmethod
    def decode_body(cls, r: Reader) -> ServerHelloDone:
        r.expect_end()
        return cls()


@dataclass(frozen=True)
class ClientKeyExchange(HandshakeMessage):
    """Body kept raw: an ECDH point, a DH value or an RSA-encrypted premaster."""

    body: bytes
    msg_type: ClassVar[HandshakeType] = HandshakeType.client_key_exchange

    def encode_body(self, w: Writer) -> None:
        w.raw(self.body)

    @classmethod
    def decode_body(cls, r: Reader) -> ClientKeyExchange:
        body = r.rest()
        if not body:
            raise DecodeError("ClientKeyExchange is empty")
        return cls(body)


@dataclass(frozen=True)
class CertificateVerify(HandshakeMessage):
    """RFC 5246 §7.4.8: a digitally-signed struct over all handshake messages so far."""

    scheme: int
    signature: bytes
    msg_type: ClassVar[HandshakeType] = HandshakeType.certificate_verify

    def encode_body(self, w: Writer) -> None:
        w.u16(self.scheme)
        w.opaque16(self.signature)

    @classmethod
    def decode_body(cls, r: Reader) -> CertificateVerify:
        scheme = SignatureScheme.of(r.u16())
        signature = r.opaque16(0, field="signature")  # empty: decrypt_error, when verified
        r.expect_end()
        return cls(scheme, signature)


@dataclass(frozen=True)
class Finished(HandshakeMessage):
    """verify_data; its length (12 for every suite we have) is checked by the state."""

    verify_data: bytes
    msg_type: ClassVar[HandshakeType] = HandshakeType.finished

    def encode_body(self, w: Writer) -> None:
        w.raw(self.verify_data)

    def encode(self) -> bytes:
        return framed(HandshakeType.finished, self.verify_data)

    @classmethod
    def decode_body(cls, r: Reader) -> Finished:
        data = r.rest()
        if not data:
            raise DecodeError("Finished is empty")
        return cls(data)


@dataclass(frozen=True)
class NewSessionTicket(HandshakeMessage):
    """RFC 5077 §3.3."""

    lifetime_hint: int
    ticket: bytes
    msg_type: ClassVar[HandshakeType] = HandshakeType.new_session_ticket

    def encode_body(self, w: Writer) -> None:
        w.u32(self.lifetime_hint)
        w.opaque16(self.ticket)

    def encode(self) -> bytes:
        ticket = self.ticket
        n = len(ticket)
        if n >> 16:
            raise ValueError(f"vector of {n} bytes does not fit a 2-byte length")
        return framed(
            HandshakeType.new_session_ticket, _U32(self.lifetime_hint) + _U16(n) + ticket
        )

    @classmethod
    def decode_body(cls, r: Reader) -> NewSessionTicket:
        hint = r.u32()
        ticket = r.opaque16(field="ticket")
        r.expect_end()
        return cls(hint, ticket)


_CLASSES = (
    HelloRequest,
    ClientHello,
    ServerHello,
    Certificate,
    CertificateStatus,
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    ClientKeyExchange,
    CertificateVerify,
    Finished,
    NewSessionTicket,
)
_DECODERS: dict[int, Callable[[Reader], HandshakeMessage]] = {
    int(cls.msg_type): cls.decode_body
    for cls in _CLASSES
}
_NAMES: dict[int, str] = {int(cls.msg_type): cls.__name__ for cls in _CLASSES}


def message_name(msg_type: int) -> str:
    """``ClientHello`` for 1; an unknown type as ``handshake message type N``."""
    return _NAMES.get(msg_type) or f"handshake message type {msg_type}"


_TYPE_NAMES = {int(t): t.name for t in HandshakeType}
"""``client_hello`` for 1, looked up without building an enum member per message."""


def decode_handshake(msg_type: int, body: bytes) -> HandshakeMessage:
    """Decodes one handshake message body; an unknown type is unexpected_message."""
    decoder = _DECODERS.get(msg_type)
    if decoder is None:
        raise UnexpectedMessage(f"unknown handshake message type {msg_type}")
    return decoder(Reader(body, _TYPE_NAMES[msg_type]))
