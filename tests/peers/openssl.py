"""OpenSSL's s_server and s_client as processes, and OpenSSL's suite names."""

from __future__ import annotations

import contextlib
import re
import ssl
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from peers.process import DEFAULT_TIMEOUT, HOST, Peer, _tail, openssl_binary

# --- OpenSSL s_server -----------------------------------------------------------------------


class OpenSSLServer(Peer):
    port: int


@contextlib.contextmanager
def openssl_server(
    directory: Path,
    options: Sequence[str],
    *,
    cwd: Path | None = None,
    tls12_only: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[OpenSSLServer]:
    """``openssl s_server -accept 127.0.0.1:0 [-tls1_2] OPTIONS``, stopped on exit.

    The OS picks the port; s_server prints ``ACCEPT 127.0.0.1:PORT`` after listen(), which is
    what we wait for (a probe connection would use up a ``-naccept`` slot). stdin stays an open
    pipe: at EOF on stdin s_server would end the connection ("DONE").
    Received application data is written raw to stdout (without ``-quiet``/``-www``)."""
    args = [openssl_binary(), "s_server", "-accept", f"{HOST}:0"]
    if tls12_only:
        args.append("-tls1_2")
    args += list(options)
    server = OpenSSLServer("s_server", args, directory, cwd=cwd)
    try:
        match = server.wait_for(rb"ACCEPT 127\.0\.0\.1:(\d+)", timeout)
        server.port = int(match.group(1))
        yield server
    finally:
        server.stop()


def received_by_s_server(stdout: bytes) -> bytes:
    """The application data an s_server (without -www/-quiet) printed for one connection.

    It prints the session summary ending in the renegotiation line, then the data raw, then
    ``DONE`` when the client's close_notify arrives (``ERROR`` otherwise)."""
    start_marker = re.compile(rb"Secure Renegotiation IS (?:NOT )?supported\n")
    start = start_marker.search(stdout)
    if start is None:
        raise AssertionError("s_server did not print a session summary")
    end = stdout.rfind(b"DONE\nshutting down SSL")
    if end < start.end():
        raise AssertionError(
            "s_server did not report a clean close (DONE after close_notify)\n"
            + _tail(stdout[start.end() :], 1500)
        )
    return stdout[start.end() : end]


# --- OpenSSL s_client -----------------------------------------------------------------------


@dataclass
class ClientRun:
    """A finished s_client (or gnutls-cli) run. ``log``: gnutls-cli's --logfile (its
    informational messages), empty for s_client."""

    peer: Peer
    returncode: int
    stdout: bytes
    stderr: bytes
    log: str = ""

    @property
    def output(self) -> str:
        text = (self.stdout + b"\n" + self.stderr).decode("utf-8", errors="replace")
        return text + "\n" + self.log if self.log else text

    def diagnostics(self) -> str:
        log = f"--- log:\n{self.log[-3000:]}\n" if self.log else ""
        return self.peer.diagnostics() + log


def _s_client_args(port: int, options: Sequence[str], tls12_only: bool) -> list[str]:
    args = [openssl_binary(), "s_client", "-connect", f"{HOST}:{port}"]
    if tls12_only:
        args.append("-tls1_2")
    return args + list(options)


def run_openssl_client(
    directory: Path,
    port: int,
    options: Sequence[str],
    *,
    stdin_data: bytes = b"",
    timeout: float = DEFAULT_TIMEOUT,
    tls12_only: bool = True,
) -> ClientRun:
    """Runs ``openssl s_client -connect 127.0.0.1:PORT [-tls1_2] OPTIONS`` to completion,
    feeding ``stdin_data`` (then EOF) from a writer thread; kills it after ``timeout``.

    Without -quiet/-ign_eof, s_client ends the connection at EOF on stdin and treats a read
    from stdin that starts with Q or R as a command; with -quiet it only exits when the
    server closes, and stdout holds exactly the received application data."""
    peer = Peer("s_client", _s_client_args(port, options, tls12_only), directory)

    def feed() -> None:
        with contextlib.suppress(OSError):
            if stdin_data:
                peer.write(stdin_data)
        peer.close_stdin()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        returncode = peer.wait(timeout)
        writer.join(timeout)
        return ClientRun(peer, returncode, peer.stdout(), peer.stderr())
    finally:
        peer.stop()
        writer.join(1)


@contextlib.contextmanager
def openssl_client(
    directory: Path, port: int, options: Sequence[str], *, tls12_only: bool = True
) -> Iterator[Peer]:
    """An interactive s_client: write to its stdin, ``wait_for`` its output; stopped on exit."""
    peer = Peer("s_client", _s_client_args(port, options, tls12_only), directory)
    try:
        yield peer
    finally:
        peer.stop()


def assert_same_bytes(got: bytes, want: bytes, what: str) -> None:
    """Byte-exact comparison that reports sizes and the first difference, not a 1 MiB diff."""
    if got == want:
        return
    first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    where = f"first difference at offset {first}" if first is not None else "one is a prefix"
    raise AssertionError(f"{what}: got {len(got)} bytes, expected {len(want)} ({where})")


# --- OpenSSL names ----------------------------------------------------------------------------


def _openssl_cipher_names() -> dict[int, str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return {c["id"] & 0xFFFF: c["name"] for c in ctx.get_ciphers()}


_CIPHER_NAMES: dict[int, str] = {}


def every_tls12_suite() -> str:
    """An OpenSSL cipher string naming every suite tls12 has. OpenSSL's DEFAULT leaves AES-CCM
    out (and a ``!`` in it removes CCM for good), so "DEFAULT:AESCCM" does not work."""
    from tls12.crypto.suites import ALL_SUITES

    return ":".join(openssl_cipher_name(s.id) for s in ALL_SUITES)


def openssl_cipher_name(suite_id: int) -> str:
    """OpenSSL's name for a cipher suite id (``ECDHE-RSA-AES128-GCM-SHA256`` for 0xC02F)."""
    if not _CIPHER_NAMES:
        _CIPHER_NAMES.update(_openssl_cipher_names())
    try:
        return _CIPHER_NAMES[suite_id]
    except KeyError:
        raise AssertionError(f"this OpenSSL does not know suite {suite_id:#06x}") from None
