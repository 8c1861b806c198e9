"""``TLS12Context``: the ``ssl.SSLContext`` surface that urllib3, http.client and http.server
use, turned into a tls12 ClientConfig / ServerConfig (see sslcompat.py for the overview)."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import socket
import ssl
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig, keylog_to_file
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import DEFAULT_SUITES, CipherSuite
from tls12.errors import ConfigError, TLSError
from tls12.io.cipher_string import NoCipherSelected, select
from tls12.io.ssl_crl import revocation_check
from tls12.io.ssl_loading import load_locations, password_bytes
from tls12.io.ssl_object import TLS12SSLObject
from tls12.io.ssl_settings import ContextSettings, SessionStats, cipher_dict, refuse
from tls12.io.ssl_shapes import (
    _TLS12,
    TLS12SSLError,
    openssl_name,
    peercert_dict,
)
from tls12.io.ssl_socket import TLS12Socket
from tls12.sessions import Session
from tls12.verify import TrustStore
from tls12.wire.enums import AlertDescription, NamedGroup

_NO_VERSIONS = (
    ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3 | ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1
    | ssl.OP_NO_TLSv1_2 | ssl.OP_NO_TLSv1_3
)
_CURVES = {
    "prime256v1": NamedGroup.secp256r1,
    "secp256r1": NamedGroup.secp256r1,
    "secp384r1": NamedGroup.secp384r1,
    "secp521r1": NamedGroup.secp521r1,
    "X25519": NamedGroup.x25519,
    "x25519": NamedGroup.x25519,
    "X448": NamedGroup.x448,
    "x448": NamedGroup.x448,
}


def _version_value(v: ssl.TLSVersion, default: int) -> int:
    if v in (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED):
        return default
    return int(v)


@dataclass(frozen=True)
class _ConfigKey:
    generation: int
    verify_mode: int
    check_hostname: bool
    options: int
    keylog: str | None
    server: bool


class _SNIRefused(TLSError):
    """The sni_callback returned an alert: the handshake ends with it."""


# ContextSettings' properties replace ssl.SSLContext's (same names, tls12's checked values)
class TLS12Context(ContextSettings, ssl.SSLContext):  # type: ignore[misc, override]
    """An ``ssl.SSLContext`` whose connections tls12 makes: ``isinstance(ctx,
    ssl.SSLContext)`` holds (aiohttp, ``loop.start_tls`` and websockets check it), while
    ``wrap_socket`` and ``wrap_bio`` return tls12 objects. The OpenSSL context underneath is
    never handed a connection: its own wrap methods raise, and it is set to refuse every
    protocol version, so even a caller reaching past us could not handshake through it.

    ``protocol`` is ``ssl.PROTOCOL_TLS_CLIENT`` (default: verify the server and its name),
    ``ssl.PROTOCOL_TLS_SERVER`` or ``ssl.PROTOCOL_TLS`` (either side, no verification),
    as in ``ssl``. Every setting is honoured or refused with NotImplementedError naming it
    (see ssl_settings.py).

    tls12 additions: ``handshake_timeout`` (seconds a blocking handshake may take when the
    socket has no timeout of its own; None waits forever, as ``ssl`` does) and
    ``client_config()`` / ``server_config()``, the configurations the settings turn into.
    """

    sslsocket_class = TLS12Socket
    # typeshed wants an ssl.SSLObject subclass; ours answers the same API over the engine
    sslobject_class = TLS12SSLObject  # type: ignore[assignment]

    def __new__(cls, protocol: int | None = None, *args: Any, **kwargs: Any) -> TLS12Context:
        if protocol is None:
            protocol = ssl.PROTOCOL_TLS_CLIENT
        if protocol not in (ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER, ssl.PROTOCOL_TLS):
            raise ValueError(f"unsupported protocol {protocol!r} (tls12 speaks TLS 1.2)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PROTOCOL_TLS is deprecated
            self = super().__new__(cls, protocol)
            # The OpenSSL context is only a shell for isinstance: make it refuse every
            # version (setting OP_NO_TLS* warns that those options are deprecated).
            # the C base class is private and absent from typeshed
            base = ssl._ssl._SSLContext  # type: ignore[attr-defined]
            base.options.__set__(self, base.options.__get__(self) | _NO_VERSIONS)
        return self

    def __init__(self, protocol: int | None = None) -> None:
        if protocol is None:
            protocol = ssl.PROTOCOL_TLS_CLIENT
        client = protocol == ssl.PROTOCOL_TLS_CLIENT
        self._check_hostname = client
        self._verify_mode = ssl.CERT_REQUIRED if client else ssl.CERT_NONE
        self._options = ssl.Options(
            ssl.OP_ALL
            | ssl.OP_NO_SSLv2
            | ssl.OP_NO_SSLv3
            | ssl.OP_NO_COMPRESSION
            | ssl.OP_CIPHER_SERVER_PREFERENCE
            | ssl.OP_ENABLE_MIDDLEBOX_COMPAT
        )
        self._minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        self._maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
        self._verify_flags = ssl.VERIFY_X509_TRUSTED_FIRST
        self._post_handshake_auth = False
        self._keylog_filename: str | None = None
        self._sni_callback: Callable[..., Any] | None = None
        self._num_tickets = 2
        self.handshake_timeout: float | None = None
        self._anchors: list[x509.Certificate] = []
        self._crls: list[x509.CertificateRevocationList] = []
        self._system_store = False
        self._certificates: list[CertifiedKey] = []
        self._alpn: list[str] = []
        self._suites: list[CipherSuite] | None = None
        self._groups: list[NamedGroup] | None = None
        self._generation = 0
        self._cached: tuple[_ConfigKey, ClientConfig | ServerConfig] | None = None
        self._stats = SessionStats()

    # -- loading -----------------------------------------------------------------------

    # narrower than typeshed's: text paths only (bytes paths and buffer cadata are not taken)
    def load_verify_locations(  # type: ignore[override]
        self,
        cafile: str | os.PathLike[str] | None = None,
        capath: str | os.PathLike[str] | None = None,
        cadata: str | bytes | None = None,
    ) -> None:
        """Trust anchors from a PEM file, a directory of PEM files, or PEM text / DER bytes."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        for path in (cafile, capath):
            if path is not None and not os.path.exists(path):
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        try:
            with warnings.catch_warnings():
                # certifi's bundle holds roots cryptography warns about (negative serials):
                # ssl loads them without a word, and so do we.
                warnings.simplefilter("ignore")
                certs, crls = load_locations(cafile, capath, cadata)
                self._anchors.extend(certs)
                self._crls.extend(crls)
        except ConfigError as exc:
            raise TLS12SSLError(1, f"[TLS12: CA_LOAD] {exc}") from exc
        except ValueError as exc:
            message = f"[TLS12: CA_LOAD] could not read CA certificates: {exc}"
            raise TLS12SSLError(1, message) from exc
        except OSError as exc:
            raise FileNotFoundError(exc.errno, exc.strerror, exc.filename) from exc
        self._changed()

    def load_default_certs(self, purpose: Any = ssl.Purpose.SERVER_AUTH) -> None:
        """Trust the operating system's CA bundle (in addition to anything loaded)."""
        self._system_store = True
        self._changed()

    def set_default_verify_paths(self) -> None:
        self.load_default_certs()

    # narrower than typeshed's: text paths only (a bytes path is not taken)
    def load_cert_chain(  # type: ignore[override]
        self,
        certfile: str | os.PathLike[str],
        keyfile: str | os.PathLike[str] | None = None,
        password: Any = None,
    ) -> None:
        """Our certificate chain (leaf first) and its key; may be called for an RSA and an
        ECDSA chain both."""
        try:
            key = CertifiedKey.from_files(certfile, keyfile or certfile, password_bytes(password))
        except ConfigError as exc:
            raise TLS12SSLError(1, f"[TLS12: CERT_LOAD] {exc}") from exc
        self._certificates.append(key)
        self._changed()

    def load_dh_params(self, path: str, /) -> None:
        raise refuse(
            "load_dh_params",
            "DHE uses the RFC 7919 groups (ffdhe2048, ffdhe3072); custom parameters cannot "
            "be loaded",
        )

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:
        protocols = list(alpn_protocols)
        for protocol in protocols:
            if not 0 < len(protocol.encode("ascii")) <= 255:
                raise ssl.SSLError("ALPN protocols must be 1 to 255 in length")
        self._alpn = protocols
        self._changed()

    def _set_alpn_protocols(self, protos: Any) -> None:
        raise refuse("SSLContext._set_alpn_protocols", "use set_alpn_protocols")

    def set_npn_protocols(self, npn_protocols: Iterable[str]) -> None:
        raise refuse("set_npn_protocols", "NPN is obsolete; use set_alpn_protocols (ALPN)")

    def set_ciphers(self, spec: str, /) -> None:
        """OpenSSL's cipher-string grammar over tls12's suites (see cipher_string.py)."""
        try:
            self._suites = select(spec)
        except NoCipherSelected as exc:
            raise ssl.SSLError(1, f"[TLS12: NO_CIPHER_MATCH] {exc}") from exc
        self._changed()

    def set_ecdh_curve(self, name: str, /) -> None:
        """The one ECDHE group to use, by OpenSSL's name (prime256v1, secp384r1, X25519...)."""
        group = _CURVES.get(name)
        if group is None:
            raise ValueError(f"unknown elliptic curve name {name!r}")
        self._groups = [group]
        self._changed()

    # typeshed's _Cipher TypedDict lacks keys ssl itself returns; ours are ssl's dicts
    def get_ciphers(self) -> list[dict[str, Any]]:  # type: ignore[override]
        suites = self._suites if self._suites is not None else list(DEFAULT_SUITES)
        return [cipher_dict(s, openssl_name(s)) for s in suites]

    def get_ca_certs(self, binary_form: bool = False) -> list[Any]:
        if binary_form:
            return [c.public_bytes(Encoding.DER) for c in self._anchors]
        return [peercert_dict(c) for c in self._anchors]

    def cert_store_stats(self) -> dict[str, int]:
        return {"x509": len(self._anchors), "crl": len(self._crls), "x509_ca": len(self._anchors)}

    def session_stats(self) -> dict[str, int]:
        """ssl's counters: handshakes begun and completed per side, resumptions (hits) and
        offered sessions that could not be resumed (misses)."""
        return self._stats.as_dict(number=0)

    def _count(self, connection: Connection, completed: bool) -> None:
        """Counts one handshake begun (``completed`` False) or completed."""
        stats = self._stats
        if connection.is_client:
            if completed:
                stats.connect_good += 1
            else:
                stats.connect += 1
            return
        if not completed:
            stats.accept += 1
            return
        stats.accept_good += 1
        n = connection.negotiated
        if n is not None and n.resumed:
            stats.hits += 1
        elif n is not None and n.offered_session:
            stats.misses += 1

    def set_servername_callback(self, server_name_callback: Any) -> None:
        """The legacy form of ``sni_callback``: the server name arrives IDNA-encoded."""
        if server_name_callback is None:
            self.sni_callback = None
            return
        if not callable(server_name_callback):
            raise TypeError("not a callable object")

        def shim(obj: Any, servername: str | None, ctx: Any) -> Any:
            name = None if servername is None else servername.encode("idna").decode("ascii")
            return server_name_callback(obj, name, ctx)

        self.sni_callback = shim

    # -- configurations ----------------------------------------------------------------

    def _check_versions(self) -> None:
        low = _version_value(self._minimum_version, 0)
        high = _version_value(self._maximum_version, 0xFFFF)
        if not low <= int(_TLS12) <= high or self._options & ssl.OP_NO_TLSv1_2:
            raise TLS12SSLError(
                1,
                "[TLS12: NO_PROTOCOLS_AVAILABLE] this context excludes TLS 1.2, "
                "the only version tls12 speaks",
            )

    def _key(self, server: bool) -> _ConfigKey:
        return _ConfigKey(
            self._generation,
            int(self._verify_mode),
            self._check_hostname,
            int(self._options),
            self._keylog_filename,
            server,
        )

    def _trust(self) -> TrustStore | None:
        certs = list(self._anchors)
        if self._system_store or not certs:
            with contextlib.suppress(ConfigError):
                certs = list(TrustStore.system().certs) + certs
        if not certs:
            return None
        trust = TrustStore(certs)
        flags = self._verify_flags
        if flags & (ssl.VERIFY_CRL_CHECK_LEAF | ssl.VERIFY_CRL_CHECK_CHAIN):
            whole = bool(flags & ssl.VERIFY_CRL_CHECK_CHAIN)
            trust.revocation_check = revocation_check(self._crls, whole_chain=whole)
        return trust

    def _common(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "alpn_protocols": self._alpn,
            "session_tickets": not (self._options & ssl.OP_NO_TICKET),
            # as ssl.SSLContext: key log lines only where keylog_filename says
            "keylog": keylog_to_file(self._keylog_filename)
            if self._keylog_filename
            else _no_keylog,
        }
        if self._suites:
            kw["cipher_suites"] = self._suites
        if self._groups:
            kw["groups"] = self._groups
        return kw

    def client_config(self) -> ClientConfig:
        """The ClientConfig these settings make (cached until a setting changes)."""
        key = self._key(server=False)
        cached = self._cached
        if cached is not None and cached[0] == key and isinstance(cached[1], ClientConfig):
            return cached[1]
        kw = self._common()
        if self._verify_mode == ssl.CERT_NONE:
            kw["insecure_skip_verify"] = True
        else:
            trust = self._trust()
            if trust is None:
                raise TLS12SSLError(1, "[TLS12: NO_CA] no trust anchors: load_verify_locations()")
            kw["trust"] = trust
        kw["client_certificates"] = self._certificates
        kw["check_hostname"] = self._check_hostname
        config = ClientConfig(**kw)
        self._cached = (key, config)
        return config

    def server_config(self) -> ServerConfig:
        """The ServerConfig these settings make (cached, so sessions and ticket keys live as
        long as the context and its settings)."""
        key = self._key(server=True)
        cached = self._cached
        if cached is not None and cached[0] == key and isinstance(cached[1], ServerConfig):
            return cached[1]
        if not self._certificates:
            raise TLS12SSLError(1, "[TLS12: NO_CERTIFICATE] a server needs load_cert_chain()")
        kw = self._common()
        kw["certificates"] = self._certificates
        kw["prefer_client_order"] = not (self._options & ssl.OP_CIPHER_SERVER_PREFERENCE)
        if self._verify_mode != ssl.CERT_NONE:
            required = self._verify_mode == ssl.CERT_REQUIRED
            kw["client_auth"] = ClientAuth.REQUIRED if required else ClientAuth.OPTIONAL
            trust = self._trust()
            if trust is None:
                raise TLS12SSLError(1, "[TLS12: NO_CA] client certificates need CA certificates")
            kw["client_trust"] = trust
        config = ServerConfig(**kw)
        self._cached = (key, config)
        return config

    def _new_connection(
        self,
        server_side: bool,
        server_hostname: str | None,
        session: Session | None,
        owner: Any = None,
    ) -> ClientConnection | ServerConnection:
        """A fresh engine for ``owner`` (the TLS12Socket or TLS12SSLObject that drives it)."""
        self._check_versions()
        conn: ClientConnection | ServerConnection
        if server_side:
            config = self.server_config()
            if self._sni_callback is not None:
                config = dataclasses.replace(
                    config, server_name_callback=lambda name: self._on_server_name(owner, name)
                )
            conn = ServerConnection(config)
        else:
            conn = ClientConnection(self.client_config(), server_hostname, session)
        self._count(conn, completed=False)
        return conn

    def _on_server_name(self, owner: Any, name: str | None) -> list[CertifiedKey] | None:
        """Runs sni_callback as ssl does; the chains of the context it switched to."""
        callback = self._sni_callback
        if callback is None:
            return None
        result = callback(owner, name, self)
        if result is not None:
            try:
                alert = AlertDescription(int(result))
            except ValueError:
                alert = AlertDescription.internal_error
            raise _SNIRefused(f"the sni_callback refused server name {name!r}", alert=alert)
        switched = getattr(owner, "context", self)
        if switched is not self and isinstance(switched, TLS12Context):
            return list(switched._certificates) or None
        return None

    # -- wrapping ------------------------------------------------------------------------

    def _check_wrap(
        self, server_side: bool, server_hostname: str | bytes | None, session: Any
    ) -> str | None:
        if isinstance(server_hostname, bytes):
            server_hostname = server_hostname.decode("idna")
        if server_side:
            if self.protocol == ssl.PROTOCOL_TLS_CLIENT:
                raise ValueError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context")
            if server_hostname:
                raise ValueError("server_hostname can only be specified in client mode")
            if session is not None:
                raise ValueError("session can only be specified in client mode")
        else:
            if self.protocol == ssl.PROTOCOL_TLS_SERVER:
                raise ValueError("Cannot create a client socket with a PROTOCOL_TLS_SERVER context")
            if self._check_hostname and not server_hostname:
                raise ValueError("check_hostname requires server_hostname")
        return server_hostname

    # returns our TLS12Socket and takes a tls12 Session, where typeshed names ssl's types
    def wrap_socket(  # type: ignore[override]
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: Session | None = None,
    ) -> TLS12Socket:
        name = self._check_wrap(server_side, server_hostname, session)
        return TLS12Socket(
            sock,
            self,
            server_side=server_side,
            server_hostname=name,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            session=session,
        )

    # returns our TLS12SSLObject and takes a tls12 Session, where typeshed names ssl's types
    def wrap_bio(  # type: ignore[override]
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: Session | None = None,
    ) -> TLS12SSLObject:
        """An ``ssl.SSLObject``-compatible connection over two memory BIOs (asyncio's
        SSLProtocol, anyio's TLSStream and so httpx use this)."""
        name = self._check_wrap(server_side, server_hostname, session)
        return TLS12SSLObject(
            self,
            incoming,
            outgoing,
            server_side=server_side,
            server_hostname=name,
            session=session,
        )

    def _wrap_socket(self, *args: Any, **kwargs: Any) -> Any:
        raise refuse("SSLContext._wrap_socket", "it would hand the connection to OpenSSL")

    def _wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        raise refuse("SSLContext._wrap_bio", "it would hand the connection to OpenSSL")


def _no_keylog(line: str) -> None:
    """Key log lines go nowhere unless keylog_filename is set (ssl.SSLContext's rule)."""
