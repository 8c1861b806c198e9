"""The handshake transcript: every handshake message, as sent or received, in order.

The hash that covers it depends on the cipher suite, which is not known until ServerHello, and
CertificateVerify signs the raw messages with a hash of the signer's choosing. So the raw bytes
are kept, and a running hash per name is started lazily (replaying the buffer once) the first
time that hash is asked for.
"""

from __future__ import annotations

from typing import Any

from tls12.crypto.prf import new_hash


class Transcript:
    """Raw handshake messages (each with its 4-byte header) plus lazily started running hashes."""

    __slots__ = ("_buf", "_hashes")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._hashes: dict[str, Any] = {}

    def update(self, raw_handshake_message: bytes) -> None:
        """Append one whole handshake message, header included (HelloRequest must not be fed)."""
        self._buf += raw_handshake_message
        for h in self._hashes.values():
            h.update(raw_handshake_message)

    def messages(self) -> bytes:
        """Everything so far, for CertificateVerify, which signs the messages themselves."""
        return bytes(self._buf)

    def digest(self, hash_name: str) -> bytes:
        """The hash of everything so far; later updates continue the same running hash."""
        h = self._hashes.get(hash_name)
        if h is None:
            h = new_hash(hash_name, self._buf)
            self._hashes[hash_name] = h
        digest: bytes = h.copy().digest()
        return digest

    def release(self) -> None:
        """Forgets the messages and the running hashes once the handshake is over: nothing
        hashes the transcript after the Finished messages (tls12 never renegotiates), and an
        idle connection should not keep its handshake's few kilobytes (the certificate chain
        among them) for its whole life."""
        self._buf = bytearray()
        self._hashes = {}

    def __len__(self) -> int:
        return len(self._buf)
