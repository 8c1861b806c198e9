"""The transcript keeps raw messages and running hashes that start lazily."""

from __future__ import annotations

import hashlib

import pytest

from tls12.crypto.transcript import Transcript
from tls12.errors import InternalError

M1 = b"\x01\x00\x00\x03abc"
M2 = b"\x02\x00\x00\x02de"
M3 = b"\x0b\x00\x00\x00"


def test_messages_are_kept_in_order() -> None:
    t = Transcript()
    for m in (M1, M2, M3):
        t.update(m)
    assert t.messages() == M1 + M2 + M3
    assert len(t) == len(M1 + M2 + M3)


def test_lazy_hash_replays_earlier_messages() -> None:
    t = Transcript()
    t.update(M1)
    t.update(M2)
    assert t.digest("SHA384") == hashlib.sha384(M1 + M2).digest()


def test_digest_does_not_disturb_later_updates() -> None:
    t = Transcript()
    t.update(M1)
    d1 = t.digest("SHA256")
    assert t.digest("SHA256") == d1
    t.update(M2)
    assert t.digest("SHA256") == hashlib.sha256(M1 + M2).digest()
    t.update(M3)
    assert t.digest("SHA256") == hashlib.sha256(M1 + M2 + M3).digest()
    assert t.digest("SHA384") == hashlib.sha384(M1 + M2 + M3).digest()


def test_empty_transcript() -> None:
    assert Transcript().digest("SHA256") == hashlib.sha256(b"").digest()


def test_unknown_hash() -> None:
    with pytest.raises(InternalError):
        Transcript().digest("WHIRLPOOL")


def test_release_forgets_messages_and_hashes() -> None:
    t = Transcript()
    t.update(M1)
    t.digest("SHA256")
    t.release()
    assert len(t) == 0 and t.messages() == b""
    t.update(M2)  # still usable: starts afresh
    assert t.digest("SHA256") == hashlib.sha256(M2).digest()
