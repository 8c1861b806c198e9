"""The extensions of RFC 6066 that change the record layer or add a message, and RFC 8449's:
max_fragment_length (§4), status_request (§8) and record_size_limit. Listed with the others
in extensions.KNOWN_EXTENSIONS and re-exported from there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tls12.errors import IllegalParameter
from tls12.messages.extension_base import Extension
from tls12.record.limits import MFL_CODES, MIN_RECORD_SIZE_LIMIT
from tls12.wire.enums import CertificateStatusType, ExtensionType
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer


@dataclass(frozen=True)
class MaxFragmentLength(Extension):
    """RFC 6066 §4: one byte, 1..4 for 2^9..2^12; any other value is illegal_parameter.

    The code is checked when the length is read, not when the extension is decoded: a server
    that also finds record_size_limit in the ClientHello "MUST ignore" max_fragment_length
    (RFC 8449 §5), whatever its value."""

    code: int
    extension_type: ClassVar[int] = ExtensionType.max_fragment_length

    @property
    def length(self) -> int:
        if self.code not in MFL_CODES:
            raise IllegalParameter(
                f"max_fragment_length value {self.code} is not 1..4 (RFC 6066 §4)"
            )
        return MFL_CODES[self.code]

    def encode_body(self, w: Writer) -> None:
        w.u8(self.code)

    @classmethod
    def decode_body(cls, r: Reader) -> MaxFragmentLength:
        code = r.u8()
        r.expect_end()
        return cls(code)


@dataclass(frozen=True)
class RecordSizeLimit(Extension):
    """RFC 8449 §4: a uint16, at least 64 (else illegal_parameter). A larger value than
    2^14 is kept as sent; it means 2^14 in TLS 1.2."""

    limit: int
    extension_type: ClassVar[int] = ExtensionType.record_size_limit

    def encode_body(self, w: Writer) -> None:
        w.u16(self.limit)

    @classmethod
    def decode_body(cls, r: Reader) -> RecordSizeLimit:
        limit = r.u16()
        r.expect_end()
        if limit < MIN_RECORD_SIZE_LIMIT:
            raise IllegalParameter(f"record_size_limit {limit} is below 64 (RFC 8449 §4)")
        return cls(limit)


@dataclass(frozen=True)
class StatusRequest(Extension):
    """RFC 6066 §8 status_request. The client's CertificateStatusRequest: a status_type and,
    for ocsp(1), an OCSPStatusRequest (responder IDs and DER request extensions, both usually
    empty). ``status_type`` None is the server's empty acknowledgement. A status type other
    than ocsp keeps its request bytes in ``other_request``, unread (a server staples only for
    ocsp)."""

    status_type: int | None = CertificateStatusType.ocsp
    responder_ids: tuple[bytes, ...] = ()
    request_extensions: bytes = b""
    other_request: bytes = b""
    extension_type: ClassVar[int] = ExtensionType.status_request

    def encode_body(self, w: Writer) -> None:
        if self.status_type is None:
            return
        w.u8(self.status_type)
        if self.status_type != CertificateStatusType.ocsp:
            w.raw(self.other_request)
            return
        with w.vec16():
            for responder in self.responder_ids:
                w.opaque16(responder)
        w.opaque16(self.request_extensions)

    @classmethod
    def decode_body(cls, r: Reader) -> StatusRequest:
        if r.at_end():
            return cls(None)
        status_type = CertificateStatusType.of(r.u8())
        if status_type != CertificateStatusType.ocsp:
            return cls(status_type, other_request=r.rest())
        ids = r.vec16(field="responder_id_list")
        responders = []
        while not ids.at_end():
            responders.append(ids.opaque16(1, field="ResponderID"))
        extensions = r.opaque16(field="request_extensions")
        r.expect_end()
        return cls(status_type, tuple(responders), extensions)
