"""What tls12's servers and wrap helpers tell the ``tls12`` logger.

``logging.getLogger("tls12")`` gets one DEBUG line per completed handshake (peer, suite,
resumed or new, ALPN) and one INFO line per failed connection with the alert it ended with,
so a server never swallows a failure silently: configure logging to see them, or pass an
``on_error`` callback to the server for your own handling.

``describe_error`` is the one wording of a failure, shared with the command-line tools: it
names an alert only when one was exchanged (a truncation or a reset has none).
"""

from __future__ import annotations

import logging
from typing import Any

from tls12.connection import Connection
from tls12.errors import (
    ConnectionClosedError,
    FatalAlertReceived,
    TLSError,
    TruncationError,
    UsageError,
)
from tls12.wire.enums import AlertDescription

logger = logging.getLogger("tls12")


def peer_text(peer: Any) -> str:
    """``host:port`` (``[v6]:port``) of a peername, or "?" when unknown."""
    if not isinstance(peer, tuple) or len(peer) < 2:
        return "?" if not peer else str(peer)
    host, port = str(peer[0]), peer[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_error(exc: BaseException) -> str:
    """``Type: message``, plus ``(sent alert X)`` when our engine answered with an alert.

    A received alert is already named in its message; a truncation, a timeout, a reset or a
    close_notify exchange involve no failure alert, so none is named.
    """
    text = f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, TLSError):
        return text
    silent = (FatalAlertReceived, TruncationError, ConnectionClosedError, UsageError)
    if isinstance(exc, silent) or exc.alert == AlertDescription.close_notify:
        return text
    return f"{text} (sent alert {exc.alert.name})"


def handshake_completed(conn: Connection, peer: Any) -> None:
    n = conn.negotiated
    if n is None or not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug(
        "handshake with %s: %s %s, %s, ALPN %s",
        peer_text(peer),
        n.version,
        n.cipher_suite.name,
        "resumed" if n.resumed else "new session",
        n.alpn_protocol or "-",
    )


def connection_failed(exc: BaseException, peer: Any, *, during_handshake: bool = True) -> None:
    what = "handshake" if during_handshake else "connection"
    logger.info("%s with %s failed: %s", what, peer_text(peer), describe_error(exc))
