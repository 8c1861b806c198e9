"""tls12's own server with outcomes collected, what a connection negotiated, DH params."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peers.process import DEFAULT_TIMEOUT, openssl_binary
from peers.python_ssl import Outcome, _OutcomeQueue

# --- our own server, with outcomes collected ------------------------------------------------


class OurServer(_OutcomeQueue):
    """tls12's TLSServer in a thread. Each connection's Outcome holds the handler's value (or
    exception) and ``info["negotiated"]``; a failed handshake is an Outcome with the error."""

    def __init__(self, config: Any, handler: Callable[[Any], Any], **kw: Any) -> None:
        from tls12.io.sync_server import TLSServer

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
