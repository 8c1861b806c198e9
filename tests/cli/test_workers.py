"""``tls12 server --workers N``: N processes answer on one port, a dead worker is replaced,
SIGTERM stops everything cleanly.

Which process answered is read from the kernel, not from anything the server says: while a
connection is open, /proc/net/tcp gives the socket inode of the server's end and /proc/PID/fd
shows which worker holds it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from redis_support import HOST, free_port, server_args, wait_listening
from test_fleet_tickets import handshake
from tls_support import pki

from tls12.io.sync import connect


def children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


def server_inode(server_port: int, client_port: int) -> str:
    """The inode of the server's socket for the connection from ``client_port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if (
            int(local.split(":")[1], 16) == server_port
            and int(remote.split(":")[1], 16) == client_port
        ):
            return fields[9]
    raise AssertionError(f"no server socket for client port {client_port}")


def owner(inode: str, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            for fd in fd_dir.iterdir():
                try:
                    if os.readlink(fd) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def answering_pid(port: int, workers: set[int]) -> int:
    tls = connect(HOST, port, pki().client_config(), server_name="localhost", timeout=10)
    try:
        tls.sendall(b"who")
        assert tls.recv() == b"who"
        pid = owner(server_inode(port, tls.getsockname()[1]), workers)
        assert pid is not None, "one of the workers holds the connection"
        return pid
    finally:
        tls.unwrap().close()


def wait_workers(sup: subprocess.Popen, n: int, timeout: float = 15) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(sup.pid)
        if len(kids) == n:
            return kids
        time.sleep(0.05)
    raise AssertionError(f"expected {n} workers, saw {children(sup.pid)}")


SHARED_SOCKET = (
    "import sys; import tls12.cli.workers as w; from tls12.cli import main; "
    "w._reuse_port_available = lambda: False; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize("listening", ["SO_REUSEPORT", "one shared socket"])
def test_two_workers_answer_one_is_replaced_and_sigterm_stops_all(tmp_path, listening):
    port = free_port()
    err = tmp_path / "workers.stderr"
    args = server_args(tmp_path, port, "--workers", "2")
    if listening != "SO_REUSEPORT":  # as on a system without it
        args[1:3] = ["-c", SHARED_SOCKET]
    with open(err, "wb") as err_file:
        sup = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=err_file,
        )
    try:
        wait_listening(port, sup, "tls12 server --workers 2")
        workers = wait_workers(sup, 2)
        seen = {answering_pid(port, workers) for _ in range(40)}
        assert seen == workers, f"both workers answered: {seen} of {workers}"
        _, ticket = handshake(port)
        assert all(handshake(port, ticket)[0] for _ in range(12)), (
            "a ticket from one worker resumes on every worker"
        )

        victim = next(iter(workers))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = children(sup.pid)
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.05)
        replaced = children(sup.pid)
        assert len(replaced) == 2 and victim not in replaced, "the dead worker was replaced"
        for _ in range(5):
            assert answering_pid(port, replaced) in replaced

        sup.send_signal(signal.SIGTERM)
        assert sup.wait(15) == 0, "SIGTERM is a clean stop"
        for pid in replaced:
            assert (
                not Path(f"/proc/{pid}").exists()
                or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
        text = err.read_text()
        assert f"supervising 2 workers on 127.0.0.1:{port} ({listening})" in text
        assert f"worker {victim} exited (signal SIGKILL); restarting" in text
        assert "Traceback" not in text
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait(5)


def test_bad_workers_value_is_one_line(tmp_path):
    for value, words in (("many", "a number or 'auto'"), ("0", "between 1 and")):
        done = subprocess.run(
            server_args(tmp_path, 0, "--workers", value), capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 1
        assert done.stderr.splitlines() == [done.stderr.strip()], "one line"
        assert done.stderr.startswith("tls12: --workers") and words in done.stderr
