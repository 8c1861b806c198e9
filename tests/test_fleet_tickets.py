"""A fleet sharing ticket keys through Redis and nothing else (issue 18, Done when).

Three ``tls12 server`` processes with ``--ticket-keys redis://...`` and no shared file, one
real ``redis-server``. Clients: our own and ``openssl s_client -sess_out/-sess_in``. A ticket
issued by one server resumes on the others; after a rotation old tickets still resume and new
ones carry the new key's name; a revoked key's tickets fall back to full handshakes. A ring
rotated on a schedule is rotated by one server at a time (the lease), and the others follow.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis_support import HOST, TEST_TIMEOUT_MS, redis_server, tls12_server
from tls_support import pki

from tls12.io.sync import connect
from tls12.sessions import Session
from tls12.ticket_ring import RedisTicketKeyStore

NAME = 16


def handshake(port: int, session: Session | None = None) -> tuple[bool, Session]:
    tls = connect(
        HOST, port, pki().client_config(), server_name="localhost", session=session, timeout=10
    )
    tls.sendall(b"ping")
    assert tls.recv() == b"ping"
    resumed, new = tls.session_reused, tls.session
    tls.unwrap().close()
    assert new is not None
    return resumed, new


def key_name(session: Session) -> bytes:
    assert session.ticket, "the server issued a ticket"
    return session.ticket[:NAME]


def ticket_keys(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tls12", "ticket-keys", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def eventually(check: Callable[[], bool], what: str, within: float = 8.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {within} s: {what}")


@contextlib.contextmanager
def fleet(tmp_path: Path, *extra: str) -> Iterator[tuple[str, list[int]]]:
    with redis_server(tmp_path) as (redis_port, _):
        url = f"redis://{HOST}:{redis_port}/0"
        shared = ("--ticket-keys", url, "--redis-timeout", str(TEST_TIMEOUT_MS), *extra)
        with (
            tls12_server(tmp_path, *shared) as (a, _),
            tls12_server(tmp_path, *shared) as (b, _),
            tls12_server(tmp_path, *shared) as (c, _),
        ):
            yield url, [a, b, c]


def test_three_servers_share_rotate_and_revoke_ticket_keys(tmp_path):
    with fleet(tmp_path) as (url, ports):
        store = RedisTicketKeyStore.from_url(url, timeout_ms=TEST_TIMEOUT_MS)
        (first,) = store.load()  # the first server to start made the ring's first key
        resumed, t1 = handshake(ports[0])
        assert not resumed
        assert key_name(t1) == first.name
        for port in ports:
            assert handshake(port, t1)[0], f"ticket from {ports[0]} resumes on {port}"

        new_name = bytes.fromhex(ticket_keys("rotate", "--redis", url).strip())
        assert [k.name for k in store.load()] == [new_name, first.name]
        for port in ports:
            eventually(
                lambda port=port: key_name(handshake(port)[1]) == new_name,
                f"server {port} seals new tickets with the new key",
            )
            assert handshake(port, t1)[0], "a ticket under the previous key still resumes"
        t2 = handshake(ports[1])[1]
        assert key_name(t2) == new_name

        listing = ticket_keys("list", "--redis", url)
        assert f"{new_name.hex()} current" in listing
        assert f"{first.name.hex()} accepted" in listing

        ticket_keys("revoke", "--redis", url, first.name.hex())
        for port in ports:
            eventually(
                lambda port=port: not handshake(port, t1)[0],
                f"server {port} refuses tickets under the revoked key",
            )
            resumed, fresh = handshake(port, t1)
            assert not resumed and fresh.ticket, "a full handshake, and a new ticket"
            assert handshake(port, t2)[0], "tickets under the other key still resume"


def openssl_client(port: int, ca: Path, *sess: str) -> str:
    done = subprocess.run(
        ["openssl", "s_client", "-tls1_2", "-connect", f"{HOST}:{port}"]
        + ["-servername", "localhost", "-CAfile", str(ca), "-verify_return_error", *sess],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Verify return code: 0 (ok)" in done.stdout, done.stdout + done.stderr
    return done.stdout


def test_openssl_ticket_from_one_server_resumes_on_the_others(tmp_path):
    ca = pki().write(tmp_path)["ca"]
    with fleet(tmp_path) as (_, ports):
        sess = tmp_path / "openssl.sess"
        out = openssl_client(ports[0], ca, "-sess_out", str(sess))
        assert "New, TLSv1.2" in out
        assert "TLS session ticket:" in out
        for port in ports[1:]:
            out = openssl_client(port, ca, "-sess_in", str(sess))
            assert "Reused, TLSv1.2" in out, out


@pytest.mark.parametrize("kek", [False, True], ids=["plain", "kek"])
def test_scheduled_rotation_one_new_key_per_period_picked_up_by_all(tmp_path, kek):
    extra = ["--ticket-rotate", "2", "--session-lifetime", "60"]
    kek_path = tmp_path / "kek"
    if kek:
        kek_path.write_text("ab" * 32 + "\n")
        extra += ["--ticket-kek", str(kek_path)]
    with fleet(tmp_path, *extra) as (url, ports):
        store = RedisTicketKeyStore.from_url(
            url, kek=bytes.fromhex("ab" * 32) if kek else None, timeout_ms=TEST_TIMEOUT_MS
        )
        start = store.load()
        eventually(lambda: len(store.load()) >= len(start) + 2, "the ring rotates on schedule")
        keys = store.load()
        assert keys[-len(start) :] == start, "rotation adds keys in front, old ones stay"
        gaps = [newer.created - older.created for newer, older in zip(keys, keys[1:], strict=False)]
        # three servers, one lease: one new key per 2 s period, never two
        assert all(gap >= 1.9 for gap in gaps), gaps
        for port in ports:
            eventually(
                lambda port=port: (
                    key_name(handshake(port)[1]) in {k.name for k in store.load()[:1]}
                ),
                f"server {port} follows the rotation",
                within=5,
            )
        if kek:
            raw = store._redis.get(store.key).decode()
            assert keys[0].key.hex() not in raw, "keys rest in Redis wrapped under the KEK"
            assert '"wrapped"' in raw
