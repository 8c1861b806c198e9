"""An ``ssl``-compatible face for tls12: ``TLS12Context`` and ``TLS12Socket``.

Code written for Python's ``ssl`` module (urllib3, http.client, urllib, http.server,
socketserver) can use tls12 by passing a ``TLS12Context`` where it expects an
``ssl.SSLContext``::

    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile="ca.pem")
    urllib3.PoolManager(ssl_context=ctx).request("GET", "https://localhost:8443/")

    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("server.pem", "server.key")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)

The context turns its ssl-style settings into a ``ClientConfig`` / ``ServerConfig`` (built once
and reused while the settings do not change, so server sessions and ticket keys persist), and
``wrap_socket`` returns a ``TLS12Socket``: a ``TLSSocket`` with the ``ssl.SSLSocket`` methods
those libraries call. Failures are raised as ``ssl.SSLError`` subclasses (certificate problems
as ``ssl.SSLCertVerificationError``) carrying the original ``TLSError`` as ``.tls_error`` and
as ``__cause__``, so ``except ssl.SSLError`` and ``except OSError`` keep working.

``TLS12Context`` subclasses ``ssl.SSLContext`` (so ``isinstance`` checks pass) without ever
handing a connection to OpenSSL; ``wrap_bio`` returns a ``TLS12SSLObject`` (ssl_object.py),
which is what asyncio's ``ssl=`` and anyio (httpx) drive. Every ``ssl.SSLContext`` setting is
honoured or refused by name (ssl_settings.py); README.md lists what still differs from ``ssl``.
"""

from __future__ import annotations

from tls12.io.ssl_context import TLS12Context
from tls12.io.ssl_object import TLS12SSLObject
from tls12.io.ssl_shapes import (
    OPENSSL_NAMES,
    SSLObjectView,
    TLS12CertVerificationError,
    TLS12EOFError,
    TLS12SSLError,
    cipher_tuple,
    openssl_name,
    peercert_dict,
    ssl_error,
)
from tls12.io.ssl_socket import TLS12Socket

__all__ = [
    "OPENSSL_NAMES",
    "SSLObjectView",
    "TLS12CertVerificationError",
    "TLS12Context",
    "TLS12EOFError",
    "TLS12SSLError",
    "TLS12SSLObject",
    "TLS12Socket",
    "cipher_tuple",
    "openssl_name",
    "peercert_dict",
    "ssl_error",
]
