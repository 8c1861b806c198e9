"""tls12: a readable, strict TLS 1.2 client and server (RFC 5246).

The engine is sans-I/O (``ClientConnection``/``ServerConnection``: bytes in, events and bytes
out); ``connect``, ``wrap_client``, ``wrap_server`` and ``TLSServer`` put it on blocking sockets.
"""

from tls12 import aio  # noqa: E402  (tls12.aio.open_connection / start_server)
from tls12._version import __version__ as __version__
from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import ALL_SUITES, DEFAULT_SUITES, PSK_SUITES, CipherSuite
from tls12.errors import (
    BadCertificate,
    BadCertificateStatusResponse,
    BadRecordMac,
    CertificateError,
    CertificateExpired,
    CertificateRevoked,
    ConfigError,
    ConnectionClosedError,
    DecodeError,
    DecryptError,
    FatalAlertReceived,
    HandshakeFailure,
    IllegalParameter,
    InsufficientSecurity,
    InternalError,
    KeyUsageLimit,
    NoApplicationProtocol,
    ProtocolVersionError,
    RecordOverflow,
    TLSError,
    TruncationError,
    UnexpectedMessage,
    UnknownCA,
    UnknownPskIdentity,
    UnsupportedCertificate,
    UnsupportedExtension,
    UsageError,
)
from tls12.events import (
    ApplicationData,
    ConnectionClosed,
    Event,
    HandshakeComplete,
    Negotiated,
    RenegotiationRefused,
    WarningAlertReceived,
)
from tls12.io.sync import TLSSocket, connect, wrap_client, wrap_server
from tls12.io.sync_server import TLSServer
from tls12.ocsp import CertStatus, OcspResponse
from tls12.ocsp_staple import Staple, StapleFile
from tls12.sessions import ClientSessionCache, InMemorySessionStore, Session
from tls12.tickets import TicketKeys
from tls12.verify import TrustStore

__all__ = [
    "ALL_SUITES",
    "ApplicationData",
    "BadCertificate",
    "BadCertificateStatusResponse",
    "BadRecordMac",
    "CertificateError",
    "CertStatus",
    "CertificateExpired",
    "CertificateRevoked",
    "CertifiedKey",
    "CipherSuite",
    "ClientAuth",
    "ClientConfig",
    "ClientConnection",
    "ClientSessionCache",
    "ConfigError",
    "Connection",
    "ConnectionClosed",
    "ConnectionClosedError",
    "DEFAULT_SUITES",
    "DecodeError",
    "DecryptError",
    "Event",
    "FatalAlertReceived",
    "HandshakeComplete",
    "HandshakeFailure",
    "IllegalParameter",
    "InMemorySessionStore",
    "InsufficientSecurity",
    "InternalError",
    "KeyUsageLimit",
    "Negotiated",
    "NoApplicationProtocol",
    "PSK_SUITES",
    "OcspResponse",
    "ProtocolVersionError",
    "RecordOverflow",
    "RenegotiationRefused",
    "ServerConfig",
    "ServerConnection",
    "Session",
    "Staple",
    "StapleFile",
    "TLSError",
    "TLSServer",
    "TLSSocket",
    "TicketKeys",
    "TruncationError",
    "TrustStore",
    "UnexpectedMessage",
    "UnknownCA",
    "UnknownPskIdentity",
    "UnsupportedCertificate",
    "UnsupportedExtension",
    "UsageError",
    "WarningAlertReceived",
    "aio",
    "connect",
    "wrap_client",
    "wrap_server",
]
