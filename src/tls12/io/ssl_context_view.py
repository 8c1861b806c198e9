"""What a TLS12SSLObject or TLS12Socket needs of the context that made it.

``TLS12Context`` builds both (``wrap_bio``, ``wrap_socket``), so they cannot import it back
without an import cycle; they see it through this Protocol instead, which TLS12Context
satisfies (mypy checks that where the context hands itself over)."""

from __future__ import annotations

import ssl
from typing import Protocol

from tls12.connection import ClientConnection, ServerConnection
from tls12.sessions import Session


class ContextView(Protocol):
    """The settings and the engine factory a wrapped socket or BIO pair reads."""

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        """``ssl.CERT_NONE`` / ``CERT_OPTIONAL`` / ``CERT_REQUIRED``."""

    @property
    def options(self) -> ssl.Options:
        """``ssl.Options`` flags (OP_IGNORE_UNEXPECTED_EOF is read at a ragged EOF)."""

    @property
    def handshake_timeout(self) -> float | None:
        """Seconds a blocking handshake may take when the socket has no timeout of its own."""

    def _new_connection(
        self,
        server_side: bool,
        server_hostname: str | None,
        session: Session | None,
        owner: object = None,
    ) -> ClientConnection | ServerConnection:
        """A fresh engine for ``owner``."""

    def _count(self, connection: ClientConnection | ServerConnection, completed: bool) -> None:
        """Counts one handshake begun or completed (``session_stats``)."""
