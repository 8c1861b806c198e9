"""What a TLS socket's handshake agreed on, read off its engine (``ssl.SSLSocket``'s names).

A mixin for ``TLSSocket``: the properties only read ``self.connection``, so they live apart
from the file that moves bytes.
"""

from __future__ import annotations

from cryptography import x509

from tls12.connection import Connection
from tls12.errors import ConnectionClosedError
from tls12.events import Negotiated
from tls12.ocsp import OcspResponse
from tls12.sessions import Session


class _NegotiatedView:
    """``negotiated``, ``version()``, ``cipher()``, ``selected_alpn_protocol()``, ``session``,
    ``session_reused``, ``ocsp_response`` and ``peer_certificates`` of one connection."""

    __slots__ = ()
    connection: Connection

    @property
    def negotiated(self) -> Negotiated:
        n = self.connection.negotiated
        if n is None:
            raise ConnectionClosedError("the handshake has not completed")
        return n

    def version(self) -> str | None:
        n = self.connection.negotiated
        return n.version if n else None

    def cipher(self) -> tuple[str, str, int] | None:
        """(suite name, protocol, secret bits), as ``ssl.SSLSocket.cipher()`` returns."""
        n = self.connection.negotiated
        if n is None:
            return None
        return (n.cipher_suite.name, n.version, n.cipher_suite.key_len * 8)

    def selected_alpn_protocol(self) -> str | None:
        n = self.connection.negotiated
        return n.alpn_protocol if n else None

    @property
    def session(self) -> Session | None:
        """The session to resume this connection later (a secret: it holds keys)."""
        return self.connection.session

    @property
    def session_reused(self) -> bool:
        n = self.connection.negotiated
        return bool(n and n.resumed)

    @property
    def ocsp_response(self) -> OcspResponse | None:
        """Client: the server's stapled OCSP response, checked (RFC 6066 §8), or None."""
        return self.connection.ocsp_response

    @property
    def peer_certificates(self) -> tuple[x509.Certificate, ...]:
        return self.negotiated.peer_certificates
