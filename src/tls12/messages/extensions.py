"""Hello extensions: one small codec per extension, and the ordered list that carries them.

The list keeps the peer's order and any extension we do not know (as ``UnknownExtension``), so
a ClientHello can be inspected as it was sent. A type that appears twice is a decode error
(RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the same type").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, TypeVar

from tls12.errors import ConfigError, DecodeError, IllegalParameter
from tls12.messages.extension_base import Extension as Extension
from tls12.messages.record_and_status_extensions import (  # re-exported: ext.StatusRequest
    MaxFragmentLength as MaxFragmentLength,
)
from tls12.messages.record_and_status_extensions import (
    RecordSizeLimit as RecordSizeLimit,
)
from tls12.messages.record_and_status_extensions import (
    StatusRequest as StatusRequest,
)
from tls12.wire.enums import (
    ExtensionType,
    NamedGroup,
    NameType,
    SignatureScheme,
)
from tls12.wire.reader import Reader
from tls12.wire.writer import Writer

T = TypeVar("T", bound="Extension")

_GROUPS: dict[int, NamedGroup] = {int(g): g for g in NamedGroup}
SCHEME_MEMBERS: dict[int, SignatureScheme] = {int(s): s for s in SignatureScheme}


def known_members(members: dict[int, SignatureScheme], raw: tuple[int, ...]) -> tuple[int, ...]:
    """Each value as its enum member when known, else the plain int: a peer's list may hold
    32,767 values, and making a pseudo-member for each unknown one would cost far more than
    the rest of the hello (benchmarks/max_hello.py)."""
    return tuple(map(members.get, raw, raw))


def host_name_bytes(name: str) -> bytes:
    """The HostName as sent: ASCII (RFC 6066 §3). An internationalised name given in Unicode
    (``bücher.example``) is sent as its IDNA A-label (``xn--bcher-kva.example``), the form
    certificates carry; the same conversion verify.py applies before matching the name.
    A name that has no such form is the caller's mistake: ConfigError (a ValueError)."""
    try:
        return name.encode("ascii")
    except UnicodeEncodeError:
        pass
    try:
        return name.encode("idna")
    except UnicodeError as exc:
        raise ConfigError(f"server name {name!r} cannot be sent in server_name: {exc}") from None


_LABEL = rb"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rb"(?s)(?=.{1,253}\.?\Z)(?:%s\.)*%s\.?" % (_LABEL, _LABEL))
"""1 to 253 bytes besides one trailing dot, then labels joined by single dots: one
``fullmatch`` for the whole name (a label cannot hold a dot, so the match never backtracks
across labels)."""


def valid_host_name(name: bytes) -> bool:
    """A DNS host name as RFC 6066 §3 means it: ASCII labels of letters, digits, hyphens (and
    underscores, which real names carry), 1 to 63 bytes each, 253 in all; one trailing dot is
    tolerated. Control bytes, NUL, spaces, escapes and non-ASCII bytes are not host names."""
    return _HOST_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class ServerName(Extension):
    """RFC 6066 §3. ``host_name`` None is the server's empty acknowledgement (or a client's
    list without a host_name); ``listed`` says a ServerNameList was present at all, since a
    ClientHello's server_name must carry one."""

    host_name: str | None = None
    listed: bool = field(default=False, compare=False)
    extension_type: ClassVar[int] = ExtensionType.server_name

    def encode_body(self, w: Writer) -> None:
        if self.host_name is None:
            return
        with w.vec16():
            w.u8(NameType.host_name)
            w.opaque16(host_name_bytes(self.host_name))

    @classmethod
    def decode_body(cls, r: Reader) -> ServerName:
        """Two names of one type, or a host_name that is not a DNS host name, is
        illegal_parameter (RFC 6066 §3); a malformed list is decode_error."""
        if r.at_end():
            return cls(None)
        names = r.vec16(1, field="server_name_list")
        host: str | None = None
        seen: tuple[int, ...] = ()
        while not names.at_end():
            name_type = names.u8()
            name = names.opaque16(1, field="HostName")
            if name_type in seen:
                raise IllegalParameter(
                    f"server_name lists two names of type {name_type} (RFC 6066 §3)"
                )
            seen += (name_type,)
            if name_type == NameType.host_name:
                if not valid_host_name(name):
                    raise IllegalParameter(
                        f"server_name host_name {name[:64]!r} is not a valid DNS host name"
                    )
                host = name.decode("ascii")
        r.expect_end()
        return cls(host, listed=True)


@dataclass(frozen=True)
class SupportedGroups(Extension):
    """RFC 8422 §5.1.1 / RFC 7919: the groups the client can use for (EC)DHE."""

    groups: tuple[int, ...]
    extension_type: ClassVar[int] = ExtensionType.supported_groups

    def encode_body(self, w: Writer) -> None:
        w.u16_list(self.groups)

    @classmethod
    def decode_body(cls, r: Reader) -> SupportedGroups:
        raw = r.u16_list(2, field="named_group_list")
        groups = tuple(map(_GROUPS.get, raw, raw))
        r.expect_end()
        return cls(groups)


@dataclass(frozen=True)
class ECPointFormats(Extension):
    """RFC 8422 §5.1.2; only ``uncompressed`` (0) is used."""

    formats: tuple[int, ...] = (0,)
    extension_type: ClassVar[int] = ExtensionType.ec_point_formats

    def encode_body(self, w: Writer) -> None:
        w.u8_list(self.formats)

    @classmethod
    def decode_body(cls, r: Reader) -> ECPointFormats:
        formats = r.u8_list(1, field="ec_point_format_list")
        r.expect_end()
        return cls(formats)


@dataclass(frozen=True)
class SignatureAlgorithms(Extension):
    """RFC 5246 §7.4.1.4.1: the (hash, signature) pairs the sender can verify."""

    schemes: tuple[int, ...]
    extension_type: ClassVar[int] = ExtensionType.signature_algorithms

    def encode_body(self, w: Writer) -> None:
        w.u16_list(self.schemes)

    @classmethod
    def decode_body(cls, r: Reader) -> SignatureAlgorithms:
        raw = r.u16_list(2, 0xFFFE, field="supported_signature_algorithms")
        schemes = known_members(SCHEME_MEMBERS, raw)
        r.expect_end()
        return cls(schemes)


@dataclass(frozen=True)
class ApplicationLayerProtocols(Extension):
    """RFC 7301 ALPN. The client offers a list; the server answers with exactly one."""

    protocols: tuple[bytes, ...]
    extension_type: ClassVar[int] = ExtensionType.application_layer_protocol_negotiation

    def encode_body(self, w: Writer) -> None:
        with w.vec16():
            for p in self.protocols:
                w.opaque8(p)

    @classmethod
    def decode_body(cls, r: Reader) -> ApplicationLayerProtocols:
        lst = r.vec16(2, field="protocol_name_list")
        protocols = []
        while not lst.at_end():
            protocols.append(lst.opaque8(1, field="ProtocolName"))
        r.expect_end()
        return cls(tuple(protocols))


@dataclass(frozen=True)
class ExtendedMasterSecret(Extension):
    """RFC 7627: empty on both sides; binds the master secret to the whole handshake."""

    extension_type: ClassVar[int] = ExtensionType.extended_master_secret

    def encode_body(self, w: Writer) -> None:
        pass

    @classmethod
    def decode_body(cls, r: Reader) -> ExtendedMasterSecret:
        r.expect_end()
        return cls()


@dataclass(frozen=True)
class EncryptThenMac(Extension):
    """RFC 7366: empty on both sides; meaningful for CBC suites only."""

    extension_type: ClassVar[int] = ExtensionType.encrypt_then_mac

    def encode_body(self, w: Writer) -> None:
        pass

    @classmethod
    def decode_body(cls, r: Reader) -> EncryptThenMac:
        r.expect_end()
        return cls()


@dataclass(frozen=True)
class RenegotiationInfo(Extension):
    """RFC 5746: empty on an initial handshake; carries verify_data on a renegotiation."""

    renegotiated_connection: bytes = b""
    extension_type: ClassVar[int] = ExtensionType.renegotiation_info

    def encode_body(self, w: Writer) -> None:
        w.opaque8(self.renegotiated_connection)

    @classmethod
    def decode_body(cls, r: Reader) -> RenegotiationInfo:
        data = r.opaque8(field="renegotiated_connection")
        r.expect_end()
        return cls(data)


@dataclass(frozen=True)
class SessionTicket(Extension):
    """RFC 5077: the client's ticket (or empty to ask for one); the server's empty answer."""

    ticket: bytes = b""
    extension_type: ClassVar[int] = ExtensionType.session_ticket

    def encode_body(self, w: Writer) -> None:
        w.raw(self.ticket)

    @classmethod
    def decode_body(cls, r: Reader) -> SessionTicket:
        return cls(r.rest())


@dataclass(frozen=True)
class UnknownExtension(Extension):
    """An extension we do not interpret: kept byte for byte, otherwise ignored. ``type`` is
    the plain code point; ``extension_type`` makes its enum pseudo-member only when asked
    (making one costs microseconds, and a hello may carry sixteen thousand)."""

    type: int
    data: bytes

    @property
    def extension_type(self) -> int:  # type: ignore[override]  # per instance, not a ClassVar
        return ExtensionType.of(self.type)

    def encode_body(self, w: Writer) -> None:
        w.raw(self.data)


KNOWN_EXTENSIONS: dict[int, Callable[[Reader], Extension]] = {
    cls.extension_type: cls.decode_body
    for cls in (
        ServerName,
        SupportedGroups,
        ECPointFormats,
        SignatureAlgorithms,
        ApplicationLayerProtocols,
        ExtendedMasterSecret,
        EncryptThenMac,
        RenegotiationInfo,
        SessionTicket,
        MaxFragmentLength,
        RecordSizeLimit,
        StatusRequest,
    )
}


@dataclass(frozen=True)
class Extensions:
    """The ordered extension list of a hello message."""

    items: tuple[Extension, ...] = ()

    @cached_property
    def _by_class(self) -> dict[type, Extension]:
        return {type(item): item for item in self.items if type(item) is not UnknownExtension}

    def get(self, cls: type[T]) -> T | None:
        # ``_by_class`` maps each item's exact type to it, so what it holds under ``cls`` is a
        # ``cls``: no isinstance, which on an ABC subclass is a Python-level __instancecheck__.
        return self._by_class.get(cls)  # type: ignore[return-value]

    def has(self, cls: type[Extension]) -> bool:
        return cls in self._by_class

    @property
    def types(self) -> tuple[int, ...]:
        return tuple(
            e.type if type(e) is UnknownExtension else int(e.extension_type) for e in self.items
        )

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Extension]:
        return iter(self.items)

    def encoded(self) -> bytes:
        """The extensions block as bytes (empty for an empty list): the kept bytes of a
        ``kept_encoded`` list as they are, for a message encoded without a Writer."""
        kept = self.__dict__.get("_encoded")
        if kept is not None:
            return kept  # type: ignore[no-any-return]
        w = Writer()
        self.encode(w)
        return w.getvalue()

    def encode(self, w: Writer) -> None:
        """Writes the extensions block; an empty list is omitted, as RFC 5246 allows."""
        kept = self.__dict__.get("_encoded")
        if kept is not None:  # a list reused across connections (``kept_encoded``)
            w.raw(kept)
            return
        if not self.items:
            return
        seen: set[int] = set()
        with w.vec16():
            for ext in self.items:
                et = int(ext.extension_type)
                if et in seen:
                    raise ValueError(f"extension {ExtensionType(et).name} appears twice")
                seen.add(et)
                w.raw(encoded_extension(ext))

    def kept_encoded(self) -> Extensions:
        """This list, its block encoded now and written as is by every later ``encode``: for
        a list that is built once and sent on many connections (the server's ServerHello
        extensions). The items are immutable, so the bytes cannot go stale."""
        w = Writer()
        self.encode(w)
        object.__setattr__(self, "_encoded", w.getvalue())
        return self

    @classmethod
    def decode(cls, r: Reader) -> Extensions:
        """Reads an optional extensions block that ends the enclosing message.

        One pass: the block's entries come from ``Reader.extension_list`` (every length
        checked there), each known value from the decode table or its codec, and the by-type
        table ``get`` uses is filled on the way. Errors come in the order the entries are
        on the wire, as an entry-by-entry walk would raise them."""
        if r.at_end():
            return cls(())
        pairs, error = r.extension_list()
        parent = (r, "extensions")
        items: list[Extension] = []
        by_class: dict[type, Extension] = {}
        seen: set[int] = set()
        decoded = _decoded
        for et, raw in pairs:
            if et in seen:
                raise DecodeError(f"extension {ExtensionType(et).name} appears twice")
            seen.add(et)
            item = decoded.get((et, raw)) if len(raw) <= _MEMO_BYTES_MAX else None
            if item is None:
                from_raw = _FROM_RAW.get(et)
                if from_raw is not None:
                    item = from_raw(raw)
                else:
                    codec = KNOWN_EXTENSIONS.get(et)
                    if codec is None:
                        items.append(UnknownExtension(et, raw))
                        continue
                    item = decoded_extension(et, raw, codec, parent)
            items.append(item)
            by_class[type(item)] = item
        if error is not None:
            raise error
        result = cls(tuple(items))
        result.__dict__["_by_class"] = by_class  # what the cached_property would compute
        return result


def _encode_extension(ext: Extension) -> bytes:
    w = Writer()
    w.u16(int(ext.extension_type))
    with w.vec16():
        ext.encode_body(w)
    return w.getvalue()


_MEMO_CLASSES: frozenset[type[Extension]] = frozenset(
    (
        SupportedGroups,
        ECPointFormats,
        SignatureAlgorithms,
        ApplicationLayerProtocols,
        ExtendedMasterSecret,
        EncryptThenMac,
    )
)
"""Extensions whose value comes from a configuration, not from one connection: the same few
values recur on every hello, so their encoding is kept. Values that carry a connection's data
(a server name, a ticket, renegotiation verify_data) are never kept."""
_EMPTY_MEMO_CLASSES: frozenset[type] = frozenset((RenegotiationInfo, SessionTicket))
_EMPTY_FORMS: frozenset[Extension] = frozenset((RenegotiationInfo(b""), SessionTicket(b"")))
"""Kept only in their empty form (the initial handshake's renegotiation_info, the request
for a ticket and the server's empty answer)."""
_MEMO_MAX = 256
_MEMO_BYTES_MAX = 512
"""Only values this small are kept (a configuration's lists are tens of bytes): a peer's
legal 64 KiB signature_algorithms must not be held, 256 times over, by the table."""
_memo: dict[Extension, bytes] = {}


def encoded_extension(ext: Extension) -> bytes:
    """``extension_type || opaque extension_data<0..2^16-1>`` for one extension (RFC 5246
    §7.4.1.4), from a small table for the configuration-derived values: encoding a hello's
    seven extensions one Writer call at a time cost about 28 us per ClientHello. The table is
    bounded (cleared when it reaches ``_MEMO_MAX`` values, each at most ``_MEMO_BYTES_MAX``
    bytes)."""
    cls = type(ext)
    if cls in _MEMO_CLASSES or (cls in _EMPTY_MEMO_CLASSES and ext in _EMPTY_FORMS):
        raw = _memo.get(ext)
        if raw is None:
            raw = _encode_extension(ext)
            if len(raw) <= _MEMO_BYTES_MAX:
                if len(_memo) >= _MEMO_MAX:
                    _memo.clear()
                _memo[ext] = raw
        return raw
    return _encode_extension(ext)


_DECODE_MEMO_TYPES: frozenset[int] = frozenset(int(cls.extension_type) for cls in _MEMO_CLASSES)
"""The same configuration-derived extensions, by code point, for the decoding side."""
_EMPTY_BODIES: dict[int, bytes] = {
    ExtensionType.renegotiation_info: b"\x00",  # renegotiated_connection<0..255> empty
    ExtensionType.session_ticket: b"",
}
_decoded: dict[tuple[int, bytes], Extension] = {}


_FROM_RAW: dict[int, Callable[[bytes], Extension]] = {
    ExtensionType.session_ticket: SessionTicket,
}
"""Extensions whose extension_data is their value as it is (``decode_body`` is
``cls(r.rest())``, which cannot fail): built without a Reader."""


def decoded_extension(
    et: int, raw: bytes, codec: Callable[[Reader], Extension], parent: object
) -> Extension:
    """One known extension's value from its extension_data. A peer's configuration-derived
    extensions (groups, schemes, point formats, ALPN list, the empty ones) arrive byte for byte
    the same on every hello from the same kind of client, so their decoded values (immutable)
    are kept in a bounded table: decoding a ClientHello's extensions one field at a time was
    most of the ~45 us a ClientHello took to decode. Anything else, and every value the first
    time, goes through the codec and its checks; a value that fails them is never kept."""
    memo = len(raw) <= _MEMO_BYTES_MAX and (
        et in _DECODE_MEMO_TYPES or _EMPTY_BODIES.get(et) == raw
    )
    if memo:
        found = _decoded.get((et, raw))
        if found is not None:
            return found
    item = codec(Reader(raw, (parent, "extension_data")))
    if memo:
        if len(_decoded) >= _MEMO_MAX:
            _decoded.clear()
        _decoded[(et, raw)] = item
    return item
