"""``tls12 server`` fleet options: every contradiction or bad value is one line naming the
option, never ignored and never a traceback."""

from __future__ import annotations

import subprocess

import pytest
from redis_support import server_args


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--ticket-kek", "k"], "--ticket-kek needs --ticket-keys URL"),
        (["--ticket-rotate", "60"], "--ticket-rotate needs --ticket-keys URL"),
        (["--ticket-keys", "F", "--ticket-rotate", "60"], "applies to a ring in Redis"),
        (["--ticket-keys", "redis://127.0.0.1:1/0", "--no-tickets"], "contradict"),
        (["--session-store", "memcached://h:1"], "--session-store takes a Redis URL"),
        (["--ticket-keys", "http://h:1"], "--ticket-keys takes a Redis URL"),
        (["--redis-timeout", "0"], "--redis-timeout must be a positive"),
        (["--session-lifetime", "0"], "--session-lifetime must be a positive"),
        (
            ["--ticket-keys", "redis://127.0.0.1:1/0", "--ticket-rotate", "1"],
            "would need more than 64 keys",
        ),
        (["--ticket-keys", "redis+sentinel://h/svc"], "is not HOST:PORT"),
    ],
)
def test_bad_fleet_options_are_one_line(tmp_path, extra, words):
    done = subprocess.run(
        server_args(tmp_path, 0, *extra), capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("tls12: ") and words in done.stderr, done.stderr
