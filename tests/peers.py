"""Real TLS peers for the interop tests: OpenSSL's s_server and s_client as processes, GnuTLS's
gnutls-serv and gnutls-cli as processes, Python's ``ssl`` module as a threaded server or a
client, and our own TLSServer with its outcomes collected for assertions.

Rules every helper follows, so the tests run side by side under pytest-xdist:
- everything listens on 127.0.0.1 on a port the OS picks (port 0); no fixed ports (gnutls-serv
  can neither pick nor report one, nor bind to one address: it gets a port that was free a
  moment before and listens on all addresses; a lost race is retried with another port);
- output goes to files in the test's own tmp directory, and ``diagnostics()`` puts their tail
  into assertion messages;
- waiting is polling with a deadline, never a long blind sleep;
- every process is stopped by its own pid (terminate, then kill) and reaped; every thread and
  socket is closed when its context manager exits.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
POLL = 0.01
DEFAULT_TIMEOUT = 15.0

_counter = itertools.count()


def openssl_binary() -> str:
    path = shutil.which("openssl")
    if path is None:
        raise AssertionError("the openssl command is not installed (Debian package openssl)")
    return path


def _tail(data: bytes, limit: int) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else "[...]" + text[-limit:]


# --- processes ------------------------------------------------------------------------------


class Peer:
    """A peer process whose stdout and stderr go to files (never to pipes that could fill)."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        directory: Path,
        *,
        cwd: Path | None = None,
    ) -> None:
        n = next(_counter)
        self.name = name
        self.args = [str(a) for a in args]
        self.stdout_path = directory / f"{name}-{os.getpid()}-{n}.stdout"
        self.stderr_path = directory / f"{name}-{os.getpid()}-{n}.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.PIPE, stdout=out, stderr=err, cwd=cwd
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stdout(self) -> bytes:
        return self.stdout_path.read_bytes()

    def stderr(self) -> bytes:
        return self.stderr_path.read_bytes()

    def output(self) -> str:
        """stdout then stderr, as text (for searching for messages)."""
        return (self.stdout() + b"\n" + self.stderr()).decode("utf-8", errors="replace")

    def diagnostics(self, limit: int = 3000) -> str:
        rc = self.proc.poll()
        return (
            f"\n--- {self.name} (pid {self.pid}, exit status {rc}): {' '.join(self.args)}\n"
            f"--- stdout ({self.stdout_path}):\n{_tail(self.stdout(), limit)}\n"
            f"--- stderr ({self.stderr_path}):\n{_tail(self.stderr(), limit)}\n"
        )

    def wait_for(
        self, pattern: bytes, timeout: float = DEFAULT_TIMEOUT, *, stream: str = "stdout"
    ) -> re.Match[bytes]:
        """Polls the output file until the regex ``pattern`` matches; fails with the output
        when the deadline passes or the process exits first."""
        regex = re.compile(pattern)
        read = self.stdout if stream == "stdout" else self.stderr
        deadline = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            match = regex.search(read())
            if match:
                return match
            if exited:
                raise AssertionError(
                    f"{self.name} exited before printing {pattern!r}" + self.diagnostics()
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} did not print {pattern!r} within {timeout}s" + self.diagnostics()
                )
            time.sleep(POLL)

    def write(self, data: bytes) -> None:
        """Writes to the peer's stdin (blocking until the peer has read enough of it)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Waits for the process to exit by itself; fails (with the output) after timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.name} did not exit within {timeout}s" + self.diagnostics()
            ) from None

    def stop(self) -> None:
        """Terminates (then kills) this process by its pid and reaps it. Idempotent."""
        self.close_stdin()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        else:
            self.proc.wait()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


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


def openssl_cipher_name(suite_id: int) -> str:
    """OpenSSL's name for a cipher suite id (``ECDHE-RSA-AES128-GCM-SHA256`` for 0xC02F)."""
    if not _CIPHER_NAMES:
        _CIPHER_NAMES.update(_openssl_cipher_names())
    try:
        return _CIPHER_NAMES[suite_id]
    except KeyError:
        raise AssertionError(f"this OpenSSL does not know suite {suite_id:#06x}") from None


# --- Python ssl -----------------------------------------------------------------------------


def python_server_context(
    certs: Sequence[tuple[Path, Path]],
    *,
    ciphers: str | None = None,
    alpn: Sequence[str] = (),
    client_ca: Path | None = None,
    dh_params: Path | None = None,
) -> ssl.SSLContext:
    """A TLS 1.2-only server context. ``certs``: (chain, key) files (one RSA, one ECDSA may be
    given together). ``client_ca`` turns on CERT_REQUIRED with those anchors. ``dh_params``: a
    PEM file of DH parameters, without which ``ssl`` offers no DHE suite (it has no automatic
    DH group; see ``write_ffdhe2048_params``)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    for chain, key in certs:
        ctx.load_cert_chain(chain, key)
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(client_ca))
    if dh_params is not None:
        ctx.load_dh_params(str(dh_params))
    return ctx


def python_client_context(
    cafile: Path,
    *,
    ciphers: str | None = None,
    alpn: Sequence[str] = (),
    cert: tuple[Path, Path] | None = None,
) -> ssl.SSLContext:
    """A TLS 1.2-only client context that verifies the server against ``cafile``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=str(cafile))
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


@dataclass
class Outcome:
    """What one server-side connection ended with: the handler's value or an exception."""

    value: Any = None
    error: BaseException | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def result(self) -> Any:
        if self.error is not None:
            raise AssertionError(f"server side failed: {self.error!r}") from self.error
        return self.value


class _OutcomeQueue:
    def __init__(self) -> None:
        self._q: queue.Queue[Outcome] = queue.Queue()

    def put(self, outcome: Outcome) -> None:
        self._q.put(outcome)

    def next_outcome(self, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
        """The next finished connection's outcome (waits up to ``timeout``)."""
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no server-side connection finished within {timeout}s") from None

    def result(self, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The next connection's handler value; its exception becomes an AssertionError."""
        return self.next_outcome(timeout).result()


class PythonTLSServer(_OutcomeQueue):
    """A Python ``ssl`` server in a thread: one thread per connection runs ``handler`` on the
    wrapped socket; each connection's Outcome (value or exception) is queued."""

    def __init__(
        self,
        context: ssl.SSLContext,
        handler: Callable[[ssl.SSLSocket], Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__()
        self.context = context
        self.handler = handler
        self.timeout = timeout
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket) -> None:
        outcome = Outcome()
        try:
            sock.settimeout(self.timeout)
            with self.context.wrap_socket(sock, server_side=True) as tls:
                outcome.info["cipher"] = tls.cipher()  # [1] is the suite's minimum version
                outcome.info["version"] = tls.version()  # the negotiated version
                outcome.info["alpn"] = tls.selected_alpn_protocol()
                outcome.info["peercert"] = tls.getpeercert()
                outcome.value = self.handler(tls)
        except BaseException as exc:  # reported to the test through the queue
            outcome.error = exc
        finally:
            sock.close()
            self.put(outcome)

    def __enter__(self) -> PythonTLSServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepter.join(5)
        for t in self._threads:
            t.join(5)


def recv_exactly(sock: Any, n: int) -> bytes:
    """Reads exactly n bytes (fails if the stream ends first)."""
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            raise AssertionError(f"stream ended after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def recv_until_eof(sock: Any) -> bytes:
    """Reads until the peer's close_notify (recv returns b"")."""
    buf = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(buf)
        buf += chunk


def py_echo_handler(tls: ssl.SSLSocket) -> bytes:
    """Echoes until the client's close_notify, answers with its own; returns what it echoed."""
    seen = bytearray()
    while True:
        data = tls.recv(65536)
        if not data:
            break
        seen += data
        tls.sendall(data)
    tls.unwrap()
    return bytes(seen)


def py_send_handler(payload: bytes) -> Callable[[ssl.SSLSocket], int]:
    """Sends ``payload``, then close_notify (waiting for the client's); returns its length."""

    def handler(tls: ssl.SSLSocket) -> int:
        tls.sendall(payload)
        tls.unwrap()
        return len(payload)

    return handler


def py_receive_handler(size: int, reply: bytes = b"OK") -> Callable[[ssl.SSLSocket], bytes]:
    """Reads exactly ``size`` bytes, answers ``reply`` and close_notify; returns the bytes."""

    def handler(tls: ssl.SSLSocket) -> bytes:
        data = recv_exactly(tls, size)
        tls.sendall(reply)
        tls.unwrap()
        return data

    return handler


@contextlib.contextmanager
def python_tls_client(
    port: int,
    context: ssl.SSLContext,
    server_hostname: str | None = "localhost",
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[ssl.SSLSocket]:
    """A connected, handshaken Python ``ssl`` client socket; closed on exit."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    try:
        tls = context.wrap_socket(sock, server_hostname=server_hostname)
    except BaseException:
        sock.close()
        raise
    try:
        yield tls
    finally:
        tls.close()


def ssl_unwrap_quietly(tls: ssl.SSLSocket) -> None:
    """close_notify from a Python ssl socket when the peer may already be gone."""
    with contextlib.suppress(OSError, ValueError):
        tls.unwrap()


# --- our own server, with outcomes collected ------------------------------------------------


class OurServer(_OutcomeQueue):
    """tls12's TLSServer in a thread. Each connection's Outcome holds the handler's value (or
    exception) and ``info["negotiated"]``; a failed handshake is an Outcome with the error."""

    def __init__(self, config: Any, handler: Callable[[Any], Any], **kw: Any) -> None:
        from tls12.io.sync import TLSServer

        super().__init__()
        self._user_handler = handler
        self.server = TLSServer(config, self._handle, on_error=self._on_error, **kw)
        self.port: int = self.server.port

    def _handle(self, tls: Any) -> None:
        outcome = Outcome(info={"negotiated": tls.negotiated, "connection": tls.connection})
        try:
            outcome.value = self._user_handler(tls)
        except BaseException as exc:
            outcome.error = exc
        self.put(outcome)

    def _on_error(self, exc: BaseException) -> None:  # handshake failures only
        self.put(Outcome(error=exc))

    def __enter__(self) -> OurServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()


# How the encrypt-then-MAC interop tests vary the two sides of a CBC suite:
# mode -> (our encrypt_then_mac, the peer's willingness, whether RFC 7366 must be in use).
ETM_MODES: dict[str, tuple[bool, bool, bool]] = {
    "etm": (True, True, True),
    "no_etm_ours": (False, True, False),
    "no_etm_theirs": (True, False, False),
}


# --- what record protection a connection of ours negotiated -----------------------------------


def encrypt_then_mac_in_use(connection: Any) -> bool | None:
    """Whether a connection of ours (``tls12.connection.Connection``, after its handshake)
    protects records with RFC 7366 encrypt-then-MAC: True or False for a CBC suite, None for an
    AEAD suite (where the extension means nothing).

    The record layer's current protection objects (``connection._records._read`` /
    ``._write``, private) say what really happens to each record; both directions must agree,
    and ``Negotiated.encrypt_then_mac`` must report the same."""
    records = connection._records
    assert records.read_encrypted and records.write_encrypted, "no keys in use yet"
    modes = {getattr(p, "encrypt_then_mac", None) for p in (records._read, records._write)}
    assert len(modes) == 1, f"read and write protection disagree about encrypt-then-MAC: {modes}"
    mode = modes.pop()
    assert connection.negotiated.encrypt_then_mac is bool(mode), "Negotiated disagrees"
    return mode


# --- DH parameter files -------------------------------------------------------------------------


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _der_integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    return b"\x02" + _der_length(len(raw)) + raw


def dh_params_pem(p: int, g: int = 2) -> bytes:
    """PKCS #3 ``DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }`` as the PEM
    "DH PARAMETERS" block OpenSSL's ``-dhparam`` and ``ssl``'s ``load_dh_params`` read."""
    import base64

    body = _der_integer(p) + _der_integer(g)
    der = b"\x30" + _der_length(len(body)) + body
    b64 = base64.encodebytes(der).replace(b"\n", b"")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    pem = b"-----BEGIN DH PARAMETERS-----\n" + b"\n".join(lines)
    return pem + b"\n-----END DH PARAMETERS-----\n"


def write_ffdhe2048_params(path: Path) -> Path:
    """RFC 7919 ffdhe2048 as a DH PARAMETERS PEM file, made by OpenSSL itself (a named group:
    no prime search, it takes milliseconds)."""
    subprocess.run(
        [openssl_binary(), "genpkey", "-genparam", "-algorithm", "DH",
         "-pkeyopt", "group:ffdhe2048", "-out", str(path)],
        check=True, capture_output=True, timeout=DEFAULT_TIMEOUT,
    )  # fmt: skip
    return path


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
