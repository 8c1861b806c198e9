"""Ticket keys that change while servers run: a key file re-read on change, or a fleet-wide
key ring in Redis rotated on a schedule.

The engine only reads an in-memory ``TicketKeys``; everything here runs in one background
thread per process and replaces the ring's keys (``TicketKeys.set_keys``), so no handshake
ever waits on a file or on Redis.

The ring in Redis (key ``{tls12}:ticket-keys:NAME``) is a JSON document: the keys, newest
first, each with its name, creation time and key bytes (hex, or wrapped under a key-encryption
key). ``keys[0]`` seals new tickets. A key stays after it is replaced for ``lifetime`` seconds
(the ticket lifetime), so every ticket it sealed can still be opened, then it is dropped.
Rotation: when ``keys[0]`` is older than ``rotate_every``, the server that wins a short lease
(``SET NX PX``) makes the new key; the others pick it up on their next refresh (every
``refresh_every`` seconds). Every change is an optimistic transaction (WATCH/MULTI), so a
rotation and a revocation racing each other never lose either.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tls12.errors import ConfigError
from tls12.redis_clients import DEFAULT_TIMEOUT_MS, make_client
from tls12.tickets import KEY_LEN, NAME_LEN, TicketKey, TicketKeys, read_key_file

log = logging.getLogger("tls12.tickets")

FORMAT = 1
MAX_KEYS = 64
"""A ring never holds more keys than this (rotation far faster than the lifetime is refused
at configuration time; this bounds a ring someone else wrote)."""
REFRESH_EVERY = 1.0
LEASE_MS = 10_000


class KeyFileWatcher:
    """Re-reads a ticket key file when it changes (size, mtime or inode): a line removed is a
    key revoked, a new first line is a rotation. A file that turns bad keeps the last good
    keys and logs one warning naming the problem."""

    def __init__(self, ring: TicketKeys, path: str | os.PathLike[str], interval: float = 1.0):
        self.ring = ring
        self.path = Path(path)
        self.interval = interval
        self._seen = self._stamp()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._complained = False

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def check(self) -> bool:
        """Reloads if the file changed; True when the ring was replaced."""
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        try:
            keys = read_key_file(self.path)
        except ConfigError as exc:
            if not self._complained:
                log.warning("ticket key file not reloaded, keeping the last keys: %s", exc)
                self._complained = True
            return False
        self._seen = stamp
        self._complained = False
        self.ring.set_keys(keys)
        log.info("ticket key file %s reloaded: %d keys", self.path, len(keys))
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tls12-key-file", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def read_kek(path: str | os.PathLike[str]) -> bytes:
    """A key-encryption key file: 64 hex digits (32 bytes), whitespace ignored."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read key-encryption key file {path}: {exc}") from None
    try:
        kek = bytes.fromhex("".join(text.split()))
    except ValueError:
        raise ConfigError(f"key-encryption key file {path}: expected 64 hex digits") from None
    if len(kek) != 32:
        raise ConfigError(f"key-encryption key file {path}: expected 32 bytes, got {len(kek)}")
    return kek


@dataclass(frozen=True)
class RingPolicy:
    rotate_every: float = 3600.0
    """Seconds a key seals new tickets before the next one takes over."""
    lifetime: float = 7200.0
    """Seconds a replaced key still opens tickets (the ticket lifetime)."""

    def __post_init__(self) -> None:
        if self.rotate_every <= 0 or self.lifetime <= 0:
            raise ConfigError("ticket key rotation period and lifetime must be positive")
        if self.lifetime / self.rotate_every > MAX_KEYS - 2:
            raise ConfigError(
                f"ticket keys rotated every {self.rotate_every:g} s for a {self.lifetime:g} s "
                f"ticket lifetime would need more than {MAX_KEYS} keys; rotate less often"
            )


class RedisTicketKeyStore:
    """The fleet's key ring in Redis: read, rotate, revoke (blocking; never on an event loop)."""

    def __init__(self, client: Any, *, ring: str = "default", kek: bytes | None = None) -> None:
        self._redis = client
        self.key = f"{{tls12}}:ticket-keys:{ring}"
        self.lease_key = self.key + ":lease"
        self._kek = AESGCM(kek) if kek is not None else None
        self.kek_id = hashlib.sha256(b"tls12 ticket kek" + kek).hexdigest()[:16] if kek else ""

    @classmethod
    def from_url(
        cls, url: str, *, timeout_ms: int = DEFAULT_TIMEOUT_MS, **kwargs: Any
    ) -> RedisTicketKeyStore:
        return cls(make_client(url, timeout_ms=timeout_ms), **kwargs)

    # -- the document -------------------------------------------------------------------

    def _encode(self, keys: list[TicketKey]) -> str:
        entries = []
        for k in keys:
            entry: dict[str, Any] = {"name": k.name.hex(), "created": k.created}
            if self._kek is not None:
                nonce = os.urandom(12)
                wrapped = self._kek.encrypt(nonce, k.key, b"tls12 ticket key " + k.name)
                entry["wrapped"] = (nonce + wrapped).hex()
            else:
                entry["key"] = k.key.hex()
            entries.append(entry)
        return json.dumps({"format": FORMAT, "kek": self.kek_id, "keys": entries})

    def _decode(self, raw: bytes | str | None) -> list[TicketKey]:
        if raw is None:
            return []
        try:
            doc = json.loads(raw)
            if doc.get("format") != FORMAT:
                raise ConfigError(f"ticket key ring {self.key}: unknown format {doc.get('format')}")
            if doc.get("kek", "") != self.kek_id:
                raise ConfigError(
                    f"ticket key ring {self.key} is "
                    + (
                        "wrapped under another key-encryption key"
                        if doc.get("kek")
                        else "not wrapped under a key-encryption key"
                    )
                    + " (check --ticket-kek on every server)"
                )
            keys = [self._entry(e) for e in doc["keys"][:MAX_KEYS]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"ticket key ring {self.key} is malformed: {exc}") from None
        return keys

    def _entry(self, e: dict[str, Any]) -> TicketKey:
        name = bytes.fromhex(e["name"])
        if self._kek is not None:
            blob = bytes.fromhex(e["wrapped"])
            try:
                key = self._kek.decrypt(blob[:12], blob[12:], b"tls12 ticket key " + name)
            except InvalidTag:
                raise ConfigError(f"ticket key {name.hex()} does not unwrap") from None
        else:
            key = bytes.fromhex(e["key"])
        if len(name) != NAME_LEN or len(key) != KEY_LEN:
            raise ValueError("a key name is 16 bytes and a key 32 bytes")
        return TicketKey(name, key, float(e["created"]))

    # -- operations ---------------------------------------------------------------------

    def load(self) -> list[TicketKey]:
        """The ring, newest first (empty when none was made yet). Raises redis errors and
        ConfigError for a ring this server cannot read."""
        return self._decode(self._redis.get(self.key))

    def _update(self, change: Any) -> list[TicketKey]:
        """Applies ``change(keys) -> keys | None`` atomically (None: nothing to write)."""
        import redis

        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.key)
                    keys = self._decode(pipe.get(self.key))
                    new = change(keys)
                    if new is None:
                        pipe.unwatch()
                        return keys
                    pipe.multi()
                    pipe.set(self.key, self._encode(new))
                    pipe.execute()
                    return list(new)
                except redis.WatchError:
                    continue

    @staticmethod
    def prune(keys: list[TicketKey], policy: RingPolicy, now: float) -> list[TicketKey]:
        """Keeps the current key and each older key whose tickets may still be alive: the key
        after it (which replaced it) is younger than the lifetime."""
        kept = keys[:1]
        for older, newer in zip(keys[1:], keys, strict=False):
            if newer.created + policy.lifetime > now:
                kept.append(older)
        return kept[:MAX_KEYS]

    def rotate(self, policy: RingPolicy, *, only_if_due: bool = False) -> list[TicketKey]:
        """Makes a new current key (when due, with ``only_if_due``) and drops dead keys."""

        def change(keys: list[TicketKey]) -> list[TicketKey] | None:
            now = time.time()
            if only_if_due and keys and now < keys[0].created + policy.rotate_every:
                return None
            return self.prune([TicketKey.generate(now), *keys], policy, now)

        return self._update(change)

    def rotate_if_due(self, policy: RingPolicy, owner: str) -> bool:
        """Rotates when the current key has served its period and this server wins the lease.
        True when this call made a new key."""
        keys = self.load()
        if keys and time.time() < keys[0].created + policy.rotate_every:
            return False
        if not self._redis.set(self.lease_key, owner, nx=True, px=LEASE_MS):
            return False
        before = keys[0].name if keys else None
        try:
            after = self.rotate(policy, only_if_due=True)
        finally:
            # Let the next period's rotation go to whoever is due first. The due-check inside
            # the transaction, not the lease, is what makes two rotations in a period
            # impossible; the lease only keeps the fleet from all trying at once.
            if self._redis.get(self.lease_key) == owner.encode():
                self._redis.delete(self.lease_key)
        made = bool(after) and after[0].name != before
        if made:
            log.info("ticket key ring %s rotated: new key %s", self.key, after[0].name.hex())
        return made

    def revoke(self, name: bytes, policy: RingPolicy) -> bool:
        """Removes one key by name (a new current key is made if it was the current one).
        False when no such key is in the ring."""
        found = False

        def change(keys: list[TicketKey]) -> list[TicketKey] | None:
            nonlocal found
            kept = [k for k in keys if k.name != name]
            found = len(kept) != len(keys)
            if not found:
                return None
            if not keys or keys[0].name == name:
                kept.insert(0, TicketKey.generate())
            return kept

        self._update(change)
        return found


class RedisKeyRing:
    """Keeps a local ``TicketKeys`` in step with the fleet's ring in Redis, from a thread."""

    def __init__(
        self,
        store: RedisTicketKeyStore,
        policy: RingPolicy,
        *,
        refresh_every: float = REFRESH_EVERY,
    ) -> None:
        self.store = store
        self.policy = policy
        self.refresh_every = refresh_every
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex}"
        self.ring = TicketKeys(rotate_every=None)
        """Starts with a key of its own, replaced by the fleet's at the first refresh."""
        self.synced = False
        self._healthy = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """One round: rotate if due (under the lease), then load. Never raises; False when
        Redis could not be read (the ring keeps its keys)."""
        import redis

        try:
            self.store.rotate_if_due(self.policy, self.owner)
            keys = self.store.load()
        except (redis.RedisError, OSError, ConfigError) as exc:
            if self._healthy:
                self._healthy = False
                log.warning(
                    "ticket key ring in Redis unreachable or unreadable (%s); "
                    "keeping the last keys",
                    exc,
                )
            return False
        if not self._healthy:
            self._healthy = True
            log.warning("ticket key ring in Redis reachable again")
        if keys:
            if [k.name for k in keys] != self.ring.names:
                self.ring.set_keys(keys)
            self.synced = True
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_every):
            self.refresh()

    def start(self) -> None:
        """Starts refreshing in the background (in the process that serves: call it after
        any fork)."""
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex}"
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tls12-key-ring", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def watch_key_file(path: str | os.PathLike[str], *, start: bool = True) -> TicketKeys:
    """A ring loaded from a key file and re-read whenever the file changes."""
    ring = TicketKeys.from_file(path)
    ring.source = KeyFileWatcher(ring, path)
    if start:
        ring.source.start()
    return ring


def redis_key_ring(
    url: str,
    *,
    policy: RingPolicy | None = None,
    kek: bytes | None = None,
    ring: str = "default",
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    start: bool = True,
) -> TicketKeys:
    """A ring shared by every server that names the same Redis: synced once now (a fresh
    Redis gets its first key), then kept in step by a background thread."""
    source = RedisKeyRing(
        RedisTicketKeyStore.from_url(url, timeout_ms=timeout_ms, ring=ring, kek=kek),
        policy or RingPolicy(),
    )
    import redis

    try:
        source.store.load()
    except (redis.RedisError, OSError) as exc:  # start on a local key, sync when it is back
        log.warning(
            "ticket key ring in Redis unreachable at start (%s); using a local key "
            "until it is back",
            exc,
        )
    else:
        source.refresh()
    source.ring.source = source
    if start:
        source.start()
    return source.ring


class DerivedKeySchedule:
    """Ticket keys that several processes of one host compute alike, with nothing shared
    after the start. Used by ``--workers`` without ``--ticket-keys``: each worker rotates on
    its own and they still agree, so a ticket issued by one worker resumes on every other.

    Each period ``[i * rotate_every, (i+1) * rotate_every)`` of wall-clock time has a chain
    value ``c(i+1) = HKDF(c(i))``, starting from a random seed made before the fork, and the
    period's key is another HKDF of ``c(i)``. Only the chain value of the oldest period still
    needed is kept, and it only moves forward: a process's memory reveals the keys from the
    ticket lifetime ago onwards (later ones too: that is what agreeing without talking
    costs), never the keys of tickets that have expired."""

    def __init__(
        self,
        seed: bytes,
        policy: RingPolicy,
        *,
        check_every: float = 1.0,
        now: float | None = None,
    ) -> None:
        if len(seed) < 32:
            raise ValueError("the seed must be at least 32 bytes")
        self.policy = policy
        self.check_every = check_every
        self._back = int(policy.lifetime // policy.rotate_every) + 1
        start = time.time() if now is None else now
        self._base = int(start // policy.rotate_every) - self._back
        self._chain = seed
        self._lock = threading.Lock()
        self.ring = TicketKeys(self.keys_at(start), rotate_every=None)
        self.ring.source = self
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _hkdf(secret: bytes, info: bytes, size: int) -> bytes:
        return HKDF(hashes.SHA256(), size, None, info).derive(secret)

    def _key(self, chain: bytes, period: int) -> TicketKey:
        material = self._hkdf(chain, b"tls12 ticket key", NAME_LEN + KEY_LEN)
        return TicketKey(
            material[:NAME_LEN], material[NAME_LEN:], float(period * self.policy.rotate_every)
        )

    def keys_at(self, now: float) -> list[TicketKey]:
        """The current period's key, then every earlier one whose tickets may be alive."""
        current = int(now // self.policy.rotate_every)
        with self._lock:
            while self._base < current - self._back:  # forget what no live ticket needs
                self._chain = self._hkdf(self._chain, b"tls12 ticket chain", 32)
                self._base += 1
            chain, keys = self._chain, []
            for period in range(self._base, current + 1):
                keys.append(self._key(chain, period))
                chain = self._hkdf(chain, b"tls12 ticket chain", 32)
        return keys[::-1]

    def check(self) -> None:
        keys = self.keys_at(time.time())
        if [k.name for k in keys] != self.ring.names:
            self.ring.set_keys(keys)

    def _run(self) -> None:
        while not self._stop.wait(self.check_every):
            self.check()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="tls12-key-schedule", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
