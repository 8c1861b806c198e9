"""Session tickets (RFC 5077): the server seals a session into an opaque ticket the client
keeps, so resumption needs no server-side state.

A ticket is ``key_name (16) || nonce (12) || AES-256-GCM(session bytes)`` with the key name as
additional data (the layout RFC 5077 §4 recommends, with an AEAD in place of CBC + HMAC).
Keys have names: the current key seals, older keys still open tickets until they are dropped.
Several servers that load the same key file resume each other's tickets; ``tls12.ticket_ring``
keeps a ring in step with a key file (re-read on change) or with a fleet-wide ring in Redis,
by replacing its keys (``set_keys``) from outside the handshake: the engine only ever reads
the in-memory ring.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tls12.errors import ConfigError, DecodeError
from tls12.sessions import Clock, Session


class Startable(Protocol):
    def start(self) -> None: ...


NAME_LEN = 16
KEY_LEN = 32
NONCE_LEN = 12


@dataclass(frozen=True)
class TicketKey:
    name: bytes
    key: bytes = field(repr=False)
    created: float = 0.0

    @classmethod
    def generate(cls, now: float | None = None) -> TicketKey:
        return cls(os.urandom(NAME_LEN), os.urandom(KEY_LEN), time.time() if now is None else now)


class TicketKeys:
    """A ring of named ticket keys: ``keys[0]`` seals, all of them open.

    When made with ``rotate_every`` (seconds), a new current key is made once the current one is
    that old, and keys older than ``rotate_every + keep_for`` are dropped; tickets sealed under a
    dropped key simply lead to a full handshake.
    """

    def __init__(
        self,
        keys: list[TicketKey] | None = None,
        *,
        rotate_every: float | None = 12 * 3600,
        keep_for: float = 24 * 3600,
        clock: Clock = time.time,
    ) -> None:
        self._clock = clock
        self._keys = list(keys) if keys else [TicketKey.generate(clock())]
        self.rotate_every = rotate_every
        self.keep_for = keep_for
        self._lock = threading.Lock()
        self._aead = {k.name: AESGCM(k.key) for k in self._keys}
        self.source: Startable | None = None
        """What keeps this ring up to date from outside (``ticket_ring.KeyFileWatcher`` or
        ``ticket_ring.RedisKeyRing``); the serving process starts it (after any fork)."""

    @property
    def keys(self) -> list[TicketKey]:
        return list(self._keys)

    @property
    def names(self) -> list[bytes]:
        return [k.name for k in self._keys]

    def set_keys(self, keys: list[TicketKey]) -> None:
        """Replaces the whole ring (``keys[0]`` seals from now on). Tickets under a key that
        is no longer in the list stop opening at once: that is how a key is revoked."""
        if not keys:
            raise ConfigError("a ticket key ring needs at least one key")
        with self._lock:
            old = self._aead
            aead = {k.name: old.get(k.name) or AESGCM(k.key) for k in keys}
            # one assignment each, so a concurrent seal/open sees the old ring or the new one
            self._aead = aead
            self._keys = list(keys)

    def rotate(self) -> None:
        """Makes a new current key; the old ones keep opening tickets."""
        with self._lock:
            key = TicketKey.generate(self._clock())
            self._keys.insert(0, key)
            self._aead[key.name] = AESGCM(key.key)
            self._drop_old()

    def _drop_old(self) -> None:
        if self.rotate_every is None:
            return
        horizon = self._clock() - self.rotate_every - self.keep_for
        kept = [self._keys[0]] + [k for k in self._keys[1:] if k.created >= horizon]
        for k in self._keys:
            if k not in kept:
                self._aead.pop(k.name, None)
        self._keys = kept

    def _maybe_rotate(self) -> None:
        age = self._clock() - self._keys[0].created
        if self.rotate_every is not None and age >= self.rotate_every:
            self.rotate()

    def seal(self, session: Session) -> bytes:
        self._maybe_rotate()
        with self._lock:
            current = self._keys[0]
            aead = self._aead[current.name]
        nonce = os.urandom(NONCE_LEN)
        sealed = aead.encrypt(nonce, session.to_bytes(), current.name)
        return current.name + nonce + sealed

    def open(self, ticket: bytes) -> Session | None:
        """The session inside a ticket, or None for anything we cannot open (never raises)."""
        if len(ticket) < NAME_LEN + NONCE_LEN + 16:
            return None
        name = ticket[:NAME_LEN]
        nonce = ticket[NAME_LEN : NAME_LEN + NONCE_LEN]
        sealed = ticket[NAME_LEN + NONCE_LEN :]
        aead = self._aead.get(name)
        if aead is None:
            return None
        try:
            return Session.from_bytes(aead.decrypt(nonce, sealed, name))
        except (InvalidTag, DecodeError):
            return None

    # -- files shared by a fleet ----------------------------------------------------------

    def write(self, path: str | os.PathLike[str]) -> None:
        """One key a line, ``<name hex> <key hex>``, the current key first. A secret file."""
        lines = [f"{k.name.hex()} {k.key.hex()}\n" for k in self._keys]
        p = Path(path)
        p.write_text("".join(lines))
        p.chmod(0o600)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TicketKeys:
        """Loads shared keys; no automatic rotation (the file's owner rotates them).
        ``ticket_ring.KeyFileWatcher`` re-reads the file when it changes."""
        return cls(read_key_file(path), rotate_every=None)


def read_key_file(path: str | os.PathLike[str]) -> list[TicketKey]:
    """The keys of a ticket key file, current first; ConfigError naming the line if bad."""
    keys = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"ticket key file {path} is not text (lines of hex)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read ticket key file {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            name_hex, key_hex = line.split()
            name, key = bytes.fromhex(name_hex), bytes.fromhex(key_hex)
        except ValueError:
            raise ConfigError(f"{path}:{number}: expected '<name hex> <key hex>'") from None
        if len(name) != NAME_LEN or len(key) != KEY_LEN:
            raise ConfigError(f"{path}:{number}: name must be 16 bytes and key 32 bytes")
        keys.append(TicketKey(name, key, time.time()))
    if not keys:
        raise ConfigError(f"ticket key file {path} holds no keys")
    return keys
