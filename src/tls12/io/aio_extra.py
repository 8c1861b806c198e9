"""What ``get_extra_info`` answers about the TLS side of an asyncio connection, and what a
``TLSTransport`` answers once its connection is gone (``ClosedSide``).

The names follow asyncio's SSL transports where they exist (``'cipher'``, ``'peercert'``,
``'ssl_object'``, ``'server_hostname'``, ``'compression'``) and add tls12's own (``'tls12'``,
``'negotiated'``, ``'session'``, ``'peer_certificates'``). Anything else is the TCP
transport's to answer (``TLSProtocol.extra_info``).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from tls12.connection import Connection
from tls12.io.sslcompat import SSLObjectView, peercert_dict

TLS_NAMES = frozenset(
    {
        "tls12", "negotiated", "session", "cipher", "peercert", "peercert_binary",
        "peer_certificates", "ssl_object", "server_hostname", "compression", "sslcontext",
        "ocsp_response",
    }
)  # fmt: skip
"""The names ``tls_extra_info`` answers; the TCP transport answers the others."""


def tls_extra_info(conn: Connection, name: str, default: Any = None) -> Any:
    """The value of one of TLS_NAMES (``default`` where asyncio's SSL transport would give
    it: no suite or no peer certificate yet)."""
    if name == "sslcontext":  # asked by every StreamReaderProtocol.connection_made
        return default  # there is no ssl.SSLContext; the engine's config is under 'tls12'
    n = conn.negotiated
    if name == "tls12":
        return conn
    if name == "negotiated":
        return n
    if name == "session":
        return conn.session
    if name == "cipher":
        return (n.cipher_suite.name, n.version, n.cipher_suite.key_len * 8) if n else default
    if name in ("peercert", "peercert_binary", "peer_certificates"):
        if n is None or not n.peer_certificates:
            return default if name != "peercert" else None
        if name == "peer_certificates":
            return n.peer_certificates
        if name == "peercert_binary":
            return n.peer_certificates[0].public_bytes(Encoding.DER)
        verified = not getattr(conn.config, "insecure_skip_verify", False)
        return peercert_dict(n.peer_certificates[0]) if verified else {}
    if name == "ssl_object":
        return SSLObjectView(conn, server_hostname=getattr(conn, "server_name", None))
    if name == "server_hostname":
        return getattr(conn, "server_name", default)
    if name == "compression":
        return None
    if name == "ocsp_response":
        return conn.ocsp_response  # the client's checked OCSP staple (RFC 6066 §8), or None
    raise KeyError(name)


class ClosedSide:
    """What a ``TLSTransport`` talks to once its connection is gone, in place of the
    ``TLSProtocol``: the same answers (TLS names from the engine, the peer's address, nothing
    else), the same no-ops for writes, closes and pauses. The protocol holds its transport
    and the transport held the protocol: swapping this in breaks that cycle, so a finished
    connection is freed as soon as the application lets go of it, not by the garbage
    collector."""

    __slots__ = ("connection", "_peername", "_app")
    _raw = None
    _closing = True
    _lost = True

    def __init__(self, connection: Connection, peername: Any, app: Any) -> None:
        self.connection = connection
        self._peername = peername
        self._app = app

    def extra_info(self, name: str, default: Any = None) -> Any:
        if name in TLS_NAMES:
            return tls_extra_info(self.connection, name, default)
        if name == "peername" and self._peername is not None:
            return self._peername
        return default

    def set_reading_paused(self, reason: str, paused: bool) -> None:
        pass  # nothing is read any more

    def app_close(self) -> None:
        pass  # already closed

    def app_abort(self) -> None:
        pass

    def _send(self, data: bytes | bytearray | memoryview) -> None:
        pass  # as asyncio's transports do after the connection is lost
