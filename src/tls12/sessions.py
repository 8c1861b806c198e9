"""Sessions: what a completed handshake leaves behind so a later one can be abbreviated.

A ``Session`` holds the master secret, so its byte form (``to_bytes``) is a secret: store it
as you would a private key. Servers keep sessions in a ``ServerSessionStore`` (the default is
``InMemorySessionStore``: bounded, expiring, thread-safe) or seal them into tickets
(``tls12.tickets``); clients keep them in a ``ClientSessionCache`` or pass them explicitly.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from cryptography import x509

from tls12.crypto.suites import BY_ID, CipherSuite
from tls12.errors import DecodeError
from tls12.record.limits import MFL_CODES, MFL_LENGTHS
from tls12.wire.reader import Reader

FORMAT_VERSION = 1
PSK_FORMAT_VERSION = 2
"""Version 1 with the PSK identity after the certificates; written only for PSK sessions,
so every other session keeps version 1's bytes (older readers in a fleet still read them)."""
MASTER_SECRET_LEN = 48
MAX_CREATED_MS = 253_402_300_799_999
"""The last millisecond of year 9999: far below 2^51, where seconds as a float still round-trip
every millisecond exactly."""
DEFAULT_LIFETIME = 7200  # seconds; RFC 5246 suggests at most 24 hours

Clock = Callable[[], float]


@dataclass(frozen=True)
class Session:
    """A resumable TLS 1.2 session (RFC 5246 §7.3, RFC 5077)."""

    session_id: bytes
    cipher_suite: int
    master_secret: bytes = field(repr=False)
    extended_master_secret: bool
    server_name: str | None = None
    alpn_protocol: str | None = None
    peer_certificates_der: tuple[bytes, ...] = field(default=(), repr=False)
    created: float = 0.0
    lifetime: int = DEFAULT_LIFETIME
    ticket: bytes = field(default=b"", repr=False)
    """The server's ticket (client side only); empty for session-ID resumption."""
    max_fragment_length: int | None = None
    """RFC 6066 §4: the length negotiated with the session, binding on its resumptions."""
    psk_identity: bytes | None = None
    """The PSK identity of a PSK suite's session (RFC 4279); None otherwise."""
    psk_binding: bytes = field(default=b"", repr=False)
    """A digest of the PSK the session was made with (handshake/psk.py key_binding): it
    resumes only while the identity still has that key."""

    @property
    def suite(self) -> CipherSuite | None:
        return BY_ID.get(self.cipher_suite)

    def expired(self, now: float) -> bool:
        return now >= self.created + self.lifetime or now < self.created - 60

    @property
    def peer_certificates(self) -> tuple[x509.Certificate, ...]:
        return tuple(x509.load_der_x509_certificate(d) for d in self.peer_certificates_der)

    # -- what ssl.SSLSession answers (code written for ssl reads these) -------------------

    @property
    def id(self) -> bytes:
        return self.session_id

    @property
    def time(self) -> int:
        """When the session was made, in whole seconds since the epoch."""
        return int(self.created)

    @property
    def timeout(self) -> int:
        """Seconds it may be resumed for (the ticket's lifetime hint caps it)."""
        return int(self.lifetime)

    @property
    def has_ticket(self) -> bool:
        return bool(self.ticket)

    @property
    def ticket_lifetime_hint(self) -> int:
        """The lifetime the ticket's hint allowed (0 without a ticket)."""
        return int(self.lifetime) if self.ticket else 0

    def with_ticket(self, ticket: bytes, lifetime_hint: int) -> Session:
        lifetime = min(self.lifetime, lifetime_hint) if lifetime_hint else self.lifetime
        return replace(self, ticket=ticket, lifetime=lifetime)

    # -- byte form (versioned; a secret) --------------------------------------------------

    def to_bytes(self) -> bytes:
        # Built in one join (every full handshake with tickets seals one); tests/test_sessions.py
        # checks it against the field-by-field Writer form. (No docstring: the API reference,
        # docs/API.md, shows none for this method.)
        mfl = MFL_LENGTHS[self.max_fragment_length] if self.max_fragment_length else 0
        version = FORMAT_VERSION if self.psk_identity is None else PSK_FORMAT_VERSION
        certs = b"".join([_vector(3, der) for der in self.peer_certificates_der])
        parts = [
            version.to_bytes(1, "big"),
            self.cipher_suite.to_bytes(2, "big"),
            _vector(1, self.session_id),
            self.master_secret,
            ((1 if self.extended_master_secret else 0) | mfl << 1).to_bytes(1, "big"),
            _vector(2, (self.server_name or "").encode("utf-8")),
            _vector(1, (self.alpn_protocol or "").encode("utf-8")),
            round(self.created * 1000).to_bytes(8, "big"),
            self.lifetime.to_bytes(4, "big"),
            _vector(2, self.ticket),
            _vector(3, certs),
        ]
        if self.psk_identity is not None:
            parts += (_vector(2, self.psk_identity), _vector(1, self.psk_binding))
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> Session:
        r = Reader(data, "session")
        version = r.u8()
        if version not in (FORMAT_VERSION, PSK_FORMAT_VERSION):
            raise DecodeError(f"session format version {version} is not supported")
        suite = r.u16()
        session_id = r.opaque8(0, 32, field="session_id")
        master = r.opaque_fixed(MASTER_SECRET_LEN)
        flags = r.u8()
        mfl_code = flags >> 1
        if flags >> 4 or (mfl_code and mfl_code not in MFL_CODES):
            raise DecodeError(f"session flags {flags:#04x} are not valid")
        server_name = _text(r.opaque16(field="server_name"), "server_name")
        alpn = _text(r.opaque8(field="alpn"), "alpn")
        created_ms = r.u64()
        if created_ms > MAX_CREATED_MS:
            raise DecodeError("session creation time is out of range")
        created = created_ms / 1000
        lifetime = r.u32()
        ticket = r.opaque16(field="ticket")
        certs_r = r.vec24(field="certificates")
        certs = []
        while not certs_r.at_end():
            certs.append(certs_r.opaque24(1, field="certificate"))
        psk_identity, psk_binding = None, b""
        if version == PSK_FORMAT_VERSION:
            psk_identity = r.opaque16(1, field="psk_identity")
            psk_binding = r.opaque8(0, 32, field="psk_binding")
        r.expect_end()
        return cls(
            session_id=session_id,
            cipher_suite=suite,
            master_secret=master,
            extended_master_secret=bool(flags & 1),
            server_name=server_name,
            alpn_protocol=alpn,
            peer_certificates_der=tuple(certs),
            created=created,
            lifetime=lifetime,
            ticket=ticket,
            max_fragment_length=MFL_CODES[mfl_code] if mfl_code else None,
            psk_identity=psk_identity,
            psk_binding=psk_binding,
        )


def _vector(width: int, data: bytes) -> bytes:
    """``opaque<0..2^(8*width)-1>``: the length, then the bytes (Writer's check and message)."""
    n = len(data)
    if n >> (8 * width):
        raise ValueError(f"vector of {n} bytes does not fit a {width}-byte length")
    return n.to_bytes(width, "big") + data


def _text(raw: bytes, field: str) -> str | None:
    """Strict UTF-8, so a decoded session always encodes back to the same bytes."""
    try:
        return raw.decode("utf-8") or None
    except UnicodeDecodeError:
        raise DecodeError(f"session {field} is not UTF-8") from None


class ServerSessionStore(Protocol):
    """Where a server keeps sessions by ID. Implementations must be safe across threads and
    must never raise for a missing or unreachable entry (return None instead)."""

    def get(self, session_id: bytes) -> Session | None: ...

    def put(self, session_id: bytes, session: Session) -> None: ...

    def delete(self, session_id: bytes) -> None: ...


class InMemorySessionStore:
    """A bounded LRU of sessions that also drops entries past their lifetime."""

    def __init__(self, max_entries: int = 20000, clock: Clock = time.time) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[bytes, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, session_id: bytes) -> Session | None:
        with self._lock:
            session = self._entries.get(session_id)
            if session is None:
                return None
            if session.expired(self._clock()):
                del self._entries[session_id]
                return None
            self._entries.move_to_end(session_id)
            return session

    def put(self, session_id: bytes, session: Session) -> None:
        with self._lock:
            self._entries[session_id] = session
            self._entries.move_to_end(session_id)
            self._purge_expired()
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, session_id: bytes) -> None:
        with self._lock:
            self._entries.pop(session_id, None)

    def _purge_expired(self) -> None:
        """Drops expired entries from the cold end (cheap: stops at the first live one)."""
        now = self._clock()
        while self._entries:
            oldest_id, oldest = next(iter(self._entries.items()))
            if not oldest.expired(now):
                return
            del self._entries[oldest_id]


class ClientSessionCache:
    """Client sessions by (server name, port): what ``connect`` resumes when given no session."""

    def __init__(self, max_entries: int = 1000, clock: Clock = time.time) -> None:
        self._store = InMemorySessionStore(max_entries, clock)

    @staticmethod
    def _key(server_name: str, port: int) -> bytes:
        return f"{server_name.lower()}:{port}".encode()

    def get(self, server_name: str, port: int) -> Session | None:
        return self._store.get(self._key(server_name, port))

    def put(self, server_name: str, port: int, session: Session) -> None:
        self._store.put(self._key(server_name, port), session)

    def delete(self, server_name: str, port: int) -> None:
        self._store.delete(self._key(server_name, port))
