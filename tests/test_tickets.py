"""Ticket keys: sealing, opening, rotation, and files shared by a fleet."""

from __future__ import annotations

import os

import pytest

from tls12.errors import ConfigError
from tls12.sessions import Session
from tls12.tickets import TicketKey, TicketKeys


def session() -> Session:
    return Session(os.urandom(32), 0xC02B, os.urandom(48), True, "localhost", created=1.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_seal_open_round_trip():
    keys = TicketKeys()
    s = session()
    ticket = keys.seal(s)
    assert s.master_secret not in ticket
    assert keys.open(ticket) == s


@pytest.mark.parametrize("position", [0, 16, 28, 40, -1])
def test_tampered_ticket_does_not_open(position):
    keys = TicketKeys()
    ticket = bytearray(keys.seal(session()))
    ticket[position] ^= 1
    assert keys.open(bytes(ticket)) is None


@pytest.mark.parametrize(
    "ticket",
    [b"", b"x", bytes(range(27)), bytes(range(44)), bytes(300)],
    ids=["empty", "one-byte", "short", "header-only", "zeros"],
)
def test_garbage_never_raises(ticket):
    assert TicketKeys().open(ticket) is None


def test_other_keys_do_not_open():
    assert TicketKeys().open(TicketKeys().seal(session())) is None


def test_rotation_keeps_old_keys_for_a_window():
    clock = Clock()
    keys = TicketKeys(rotate_every=100, keep_for=50, clock=clock)
    s = session()
    old_ticket = keys.seal(s)
    clock.now += 100  # the current key is now due for rotation
    new_ticket = keys.seal(s)
    assert new_ticket[:16] != old_ticket[:16], "a new key seals after rotation"
    assert keys.open(old_ticket) == s, "the previous key still opens"
    clock.now += 151  # past rotate_every + keep_for for the first key
    keys.seal(s)
    assert keys.open(old_ticket) is None, "a key past its window is dropped"
    assert len(keys.keys) <= 3


def test_key_file_shared_by_servers(tmp_path):
    path = tmp_path / "ticket.keys"
    TicketKeys([TicketKey.generate(), TicketKey.generate()]).write(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    a, b = TicketKeys.from_file(path), TicketKeys.from_file(path)
    s = session()
    assert b.open(a.seal(s)) == s


@pytest.mark.parametrize("text", ["", "# only a comment\n", "zz zz\n", "00 00\n", "a" * 32 + "\n"])
def test_bad_key_files_are_config_errors(tmp_path, text):
    path = tmp_path / "keys"
    path.write_text(text)
    with pytest.raises(ConfigError):
        TicketKeys.from_file(path)


def test_missing_key_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        TicketKeys.from_file(tmp_path / "missing")


def test_non_utf8_key_file_is_a_config_error_not_a_traceback(tmp_path):
    path = tmp_path / "keys"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigError, match="is not text"):
        TicketKeys.from_file(path)


def test_set_keys_swaps_the_ring_and_revokes_what_is_left_out():
    old, new = TicketKey.generate(), TicketKey.generate()
    ring = TicketKeys([old], rotate_every=None)
    under_old = ring.seal(session())
    ring.set_keys([new, old])
    assert ring.seal(session())[:16] == new.name
    assert ring.open(under_old) is not None
    ring.set_keys([new])
    assert ring.open(under_old) is None
    with pytest.raises(ConfigError):
        ring.set_keys([])
