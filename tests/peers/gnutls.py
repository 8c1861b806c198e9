"""GnuTLS gnutls-serv and gnutls-cli (Debian package gnutls-bin)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers.openssl import ClientRun
from peers.process import DEFAULT_TIMEOUT, HOST, Peer, _counter

# --- GnuTLS gnutls-serv and gnutls-cli (Debian package gnutls-bin) ------------------------------


def gnutls_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"the {name} command is not installed (Debian package gnutls-bin)")
    return path


_GNUTLS_KX = {("ECDHE", "RSA"): "ECDHE-RSA", ("ECDHE", "ECDSA"): "ECDHE-ECDSA",
              ("DHE", "RSA"): "DHE-RSA", ("RSA", "RSA"): "RSA"}  # fmt: skip
_GNUTLS_CIPHER = {
    "AES_128_GCM": "AES-128-GCM",
    "AES_256_GCM": "AES-256-GCM",
    "CHACHA20_POLY1305": "CHACHA20-POLY1305",
    "AES_128_CBC": "AES-128-CBC",
    "AES_256_CBC": "AES-256-CBC",
    "AES_128_CCM": "AES-128-CCM",
    "AES_256_CCM": "AES-256-CCM",
    "AES_128_CCM_8": "AES-128-CCM-8",
    "AES_256_CCM_8": "AES-256-CCM-8",
}


@dataclass(frozen=True)
class GnuTLSNames:
    """A suite in GnuTLS's words: key exchange, cipher and MAC ("AEAD" for AEAD suites)."""

    kx: str
    cipher: str
    mac: str


def gnutls_names(suite: Any) -> GnuTLSNames:
    """GnuTLS's names for a ``tls12.crypto.suites.CipherSuite``."""
    return GnuTLSNames(
        _GNUTLS_KX[(suite.kx.value, suite.auth.value)],
        _GNUTLS_CIPHER[suite.cipher.value],
        suite.mac or "AEAD",
    )


def gnutls_priority(suite: Any, *, encrypt_then_mac: bool = True) -> str:
    """A priority string that allows TLS 1.2 and exactly ``suite``; ``%NO_ETM`` when
    ``encrypt_then_mac`` is False (GnuTLS then neither offers nor accepts RFC 7366)."""
    n = gnutls_names(suite)
    priority = (
        f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+{n.kx}:-CIPHER-ALL:+{n.cipher}:-MAC-ALL:+{n.mac}"
    )
    return priority if encrypt_then_mac else priority + ":%NO_ETM"


def gnutls_priority_suites(priority: str) -> list[int]:
    """The suite ids ``gnutls-cli -l --priority P`` lists for a priority string."""
    run = subprocess.run(
        [gnutls_binary("gnutls-cli"), "-l", "--priority", priority],
        capture_output=True, text=True, timeout=DEFAULT_TIMEOUT,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    ids = re.findall(r"^TLS_\S+\s+0x([0-9a-f]{2}), 0x([0-9a-f]{2})\s", run.stdout, re.M)
    return [int(a + b, 16) for a, b in ids]


@dataclass(frozen=True)
class GnuTLSSession:
    """What GnuTLS printed about one connection (gnutls-serv on stdout, gnutls-cli in its
    log): the ``- Key: value`` lines."""

    fields: dict[str, str]

    @property
    def description(self) -> str:
        """``(TLS1.2-X.509)-(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-128-CBC)-(SHA1)``"""
        return self.fields.get("Description", "")

    @property
    def options(self) -> list[str]:
        """``extended master secret``, ``safe renegotiation``, ``EtM``, ..."""
        return [o.strip() for o in self.fields.get("Options", "").split(",") if o.strip()]

    @property
    def encrypt_then_mac(self) -> bool:
        return "EtM" in self.options

    def check_suite(self, suite: Any) -> None:
        """Fails unless the description names TLS 1.2 and exactly this suite's key exchange,
        cipher and (for CBC) MAC."""
        n = gnutls_names(suite)
        parts = self.description.strip("()").split(")-(")
        what = f"GnuTLS description {self.description!r} for {suite.name}"
        assert parts[0] == "TLS1.2-X.509", what
        kx = parts[1]
        if n.kx == "RSA":
            assert kx == "RSA", what
        else:
            assert kx.startswith(n.kx.split("-")[0] + "-"), what
        if n.mac == "AEAD":
            assert parts[-1] == n.cipher, what
        else:
            assert parts[-2:] == [n.cipher, n.mac], what


def gnutls_sessions(text: str) -> list[GnuTLSSession]:
    """Every connection's block in GnuTLS output, in order (a block starts with
    ``- Description:``)."""
    sessions: list[GnuTLSSession] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        match = re.match(r"- ([A-Za-z][^:]*): ?(.*)$", line)
        if not match:
            continue
        key, value = match.group(1), match.group(2).strip()
        if key == "Description":
            current = {}
            sessions.append(GnuTLSSession(current))
        if current is not None:
            current.setdefault(key, value)
    return sessions


def _line_buffered() -> list[str]:
    """``stdbuf -oL`` when available: gnutls-serv reports connections on a block-buffered stdout
    (its ``listening`` lines go to stderr, unbuffered)."""
    stdbuf = shutil.which("stdbuf")
    return [stdbuf, "-oL"] if stdbuf else []


def free_port() -> int:
    """A port that was free a moment ago (for peers that cannot listen on port 0 and say which
    port they got)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class GnuTLSServer(Peer):
    port: int

    def sessions(self) -> list[GnuTLSSession]:
        """The connections gnutls-serv has reported so far (all of them after ``stop()``)."""
        return gnutls_sessions(self.stdout().decode("utf-8", errors="replace"))

    def only_session(self) -> GnuTLSSession:
        """Stops the server (so its output is complete) and returns its one connection."""
        self.stop()
        sessions = self.sessions()
        assert len(sessions) == 1, f"{len(sessions)} sessions reported" + self.diagnostics()
        return sessions[0]


_GNUTLS_LISTENING = rb"listening on IPv4 \S+ port (\d+)\.\.\.([^\n]*)\n"


@contextlib.contextmanager
def gnutls_server(
    directory: Path,
    options: Sequence[str],
    *,
    mode: str = "echo",
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = 5,
) -> Iterator[GnuTLSServer]:
    """``gnutls-serv -p PORT --echo|--http OPTIONS``, stopped on exit.

    ``mode``: "echo" (``--echo --crlf``: each line received is sent back unchanged once its
    newline arrives; lines are handled as C strings, so send text without NUL bytes) or "http"
    (``--http``: answers a GET with a page, or with ``--httpdata FILE`` with that file).

    gnutls-serv listens on 0.0.0.0 and :: with the port it is given (-p 0 would give each
    socket its own port and print 0). Readiness: on stderr (unbuffered) it prints
    ``... listening on IPv4 0.0.0.0 port N...`` before bind() and ``done`` after listen(); a
    failed IPv4 bind prints ``bind() failed`` there and the server would go on with IPv6 only,
    so that attempt is stopped and another free port tried."""
    flags = {"echo": ["--echo", "--crlf"], "http": ["--http"]}[mode]
    server: GnuTLSServer | None = None
    try:
        for attempt in range(attempts):
            port = free_port()
            args = [*_line_buffered(), gnutls_binary("gnutls-serv"), "-p", str(port), *flags]
            server = GnuTLSServer("gnutls-serv", [*args, *options], directory)
            match = server.wait_for(_GNUTLS_LISTENING, timeout, stream="stderr")
            if int(match.group(1)) == port and match.group(2).strip() == b"done":
                server.port = port
                break
            server.stop()
            if attempt == attempts - 1:
                raise AssertionError("gnutls-serv could not listen" + server.diagnostics())
        assert server is not None
        yield server
    finally:
        if server is not None:
            server.stop()


def run_gnutls_client(
    directory: Path,
    port: int,
    options: Sequence[str],
    *,
    stdin_data: bytes = b"",
    close_stdin: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ClientRun:
    """Runs ``gnutls-cli -p PORT 127.0.0.1 --logfile LOG OPTIONS`` to completion; stdout then
    holds exactly the application data received (the informational messages go to LOG, which
    becomes ``ClientRun.log``).

    gnutls-cli sends what it reads from stdin; at EOF on stdin it sends close_notify and exits
    at once, so by default stdin is left open after ``stdin_data`` and the run ends when the
    server closes the connection (``close_stdin=True`` closes it after the data instead).
    Killed after ``timeout``."""
    n = next(_counter)
    log = directory / f"gnutls-cli-{os.getpid()}-{n}.log"
    args = [gnutls_binary("gnutls-cli"), "-p", str(port), HOST, "--logfile", str(log), *options]
    peer = Peer("gnutls-cli", args, directory)

    def feed() -> None:
        with contextlib.suppress(OSError):
            if stdin_data:
                peer.write(stdin_data)
            if close_stdin:
                peer.close_stdin()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        try:
            returncode = peer.wait(timeout)
        finally:
            text = log.read_text(errors="replace") if log.exists() else ""
        writer.join(timeout)
        return ClientRun(peer, returncode, peer.stdout(), peer.stderr(), text)
    finally:
        peer.stop()
        writer.join(1)
