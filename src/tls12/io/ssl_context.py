"""``TLS12Context``: the ``ssl.SSLContext`` surface that urllib3, http.client and http.server
use, turned into a tls12 ClientConfig / ServerConfig (see sslcompat.py for the overview)."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig, keylog_to_file
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import BY_NAME, DEFAULT_SUITES, CipherSuite
from tls12.errors import ConfigError
from tls12.io.ssl_shapes import (
    _BY_OPENSSL_NAME,
    _TLS12,
    TLS12SSLError,
    _load_der_certificates,
    openssl_name,
    peercert_dict,
)
from tls12.io.ssl_socket import TLS12Socket
from tls12.sessions import Session
from tls12.verify import TrustStore


def _version_value(v: ssl.TLSVersion, default: int) -> int:
    if v in (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.MAXIMUM_SUPPORTED):
        return default
    return int(v)


def _parse_ciphers(spec: str) -> list[CipherSuite] | None:
    """Suites named in an OpenSSL cipher string, in its order; None when it names none of
    ours and only uses keywords (which then change nothing)."""
    chosen: list[CipherSuite] = []
    named_unknown = False
    for token in spec.replace(",", ":").replace(" ", ":").split(":"):
        token = token.strip()
        if not token or token[0] in "!-+@":
            continue
        suite = _BY_OPENSSL_NAME.get(token) or BY_NAME.get(token)
        if suite is not None:
            if suite not in chosen:
                chosen.append(suite)
        elif "-" in token or token.startswith("TLS_"):
            named_unknown = True
    if chosen:
        return chosen
    if named_unknown:
        raise TLS12SSLError(1, "No cipher can be selected.")
    return None


def _password(password: Any) -> bytes | None:
    if callable(password):
        password = password()
    if password is None:
        return None
    return password.encode() if isinstance(password, str) else bytes(password)


@dataclass(frozen=True)
class _ConfigKey:
    generation: int
    verify_mode: int
    check_hostname: bool
    tickets: bool
    keylog: str | None
    server: bool


class TLS12Context:
    """A stand-in for ``ssl.SSLContext`` that makes tls12 connections.

    ``protocol`` is ``ssl.PROTOCOL_TLS_CLIENT`` (default: verify the server and its name),
    ``ssl.PROTOCOL_TLS_SERVER`` or ``ssl.PROTOCOL_TLS`` (either side, no verification),
    as in ``ssl``.

    tls12 additions: ``handshake_timeout`` (seconds a blocking handshake may take when the
    socket has no timeout of its own; None waits forever, as ``ssl`` does) and
    ``client_config()`` / ``server_config()``, the configurations the settings turn into.
    """

    sslsocket_class: type[TLS12Socket]

    def __init__(self, protocol: int | None = None) -> None:
        if protocol is None:
            protocol = ssl.PROTOCOL_TLS_CLIENT
        if protocol not in (ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_SERVER, ssl.PROTOCOL_TLS):
            raise ValueError(f"unsupported protocol {protocol!r} (tls12 speaks TLS 1.2)")
        self.protocol = protocol
        client = protocol == ssl.PROTOCOL_TLS_CLIENT
        self._check_hostname = client
        self._verify_mode = ssl.CERT_REQUIRED if client else ssl.CERT_NONE
        self.options = ssl.Options(
            ssl.OP_ALL | ssl.OP_NO_SSLv2 | ssl.OP_NO_SSLv3 | ssl.OP_NO_COMPRESSION
        )
        self.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        self.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
        self.verify_flags = ssl.VERIFY_X509_TRUSTED_FIRST
        self.hostname_checks_common_name = False
        self.post_handshake_auth = False
        self.keylog_filename: str | None = None
        self.sni_callback: Callable[..., Any] | None = None
        self.num_tickets = 2
        self.security_level = 2
        self.handshake_timeout: float | None = None
        self._anchors: list[x509.Certificate] = []
        self._system_store = False
        self._certificates: list[CertifiedKey] = []
        self._alpn: list[str] = []
        self._suites: list[CipherSuite] | None = None
        self._generation = 0
        self._cached: tuple[_ConfigKey, ClientConfig | ServerConfig] | None = None

    # -- ssl.SSLContext's verification switches, with its consistency rules -------------

    @property
    def check_hostname(self) -> bool:
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value: bool) -> None:
        value = bool(value)
        if value and self._verify_mode == ssl.CERT_NONE:
            self._verify_mode = ssl.CERT_REQUIRED
        self._check_hostname = value

    @property
    def verify_mode(self) -> ssl.VerifyMode:
        return ssl.VerifyMode(self._verify_mode)

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        value = ssl.VerifyMode(value)
        if value == ssl.CERT_NONE and self._check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        self._verify_mode = value

    # -- loading -----------------------------------------------------------------------

    def _changed(self) -> None:
        self._generation += 1

    def load_verify_locations(
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
            if cafile is not None:
                self._anchors.extend(TrustStore.from_pem_file(cafile).certs)
            if capath is not None:
                for entry in sorted(Path(capath).iterdir()):
                    if entry.is_file():
                        data = entry.read_bytes()
                        if b"-----BEGIN CERTIFICATE-----" in data:
                            self._anchors.extend(x509.load_pem_x509_certificates(data))
            if cadata is not None:
                if isinstance(cadata, str):
                    self._anchors.extend(x509.load_pem_x509_certificates(cadata.encode()))
                else:
                    self._anchors.extend(_load_der_certificates(bytes(cadata)))
        except ConfigError as exc:
            raise TLS12SSLError(1, f"[TLS12: CA_LOAD] {exc}") from exc
        except ValueError as exc:
            message = f"[TLS12: CA_LOAD] could not read CA certificates: {exc}"
            raise TLS12SSLError(1, message) from exc
        except OSError as exc:
            raise FileNotFoundError(exc.errno, exc.strerror, exc.filename) from exc
        self._changed()

    def load_default_certs(self, purpose: Any = None) -> None:
        """Trust the operating system's CA bundle (in addition to anything loaded)."""
        self._system_store = True
        self._changed()

    def set_default_verify_paths(self) -> None:
        self.load_default_certs()

    def load_cert_chain(
        self,
        certfile: str | os.PathLike[str],
        keyfile: str | os.PathLike[str] | None = None,
        password: Any = None,
    ) -> None:
        """Our certificate chain (leaf first) and its key; may be called for an RSA and an
        ECDSA chain both."""
        try:
            key = CertifiedKey.from_files(certfile, keyfile or certfile, _password(password))
        except ConfigError as exc:
            raise TLS12SSLError(1, f"[TLS12: CERT_LOAD] {exc}") from exc
        self._certificates.append(key)
        self._changed()

    def set_alpn_protocols(self, protocols: Iterable[str]) -> None:
        self._alpn = list(protocols)
        self._changed()

    def set_npn_protocols(self, protocols: Iterable[str]) -> None:
        """NPN is obsolete; accepted and ignored."""

    def set_ciphers(self, spec: str) -> None:
        suites = _parse_ciphers(spec)
        if suites is not None:
            self._suites = suites
            self._changed()

    def set_ecdh_curve(self, name: str) -> None:
        """Accepted and ignored (the configured groups are used)."""

    def get_ciphers(self) -> list[dict[str, Any]]:
        out = []
        for s in self._suites or list(DEFAULT_SUITES):
            out.append(
                {
                    "id": 0x03000000 | s.id,
                    "name": openssl_name(s),
                    "protocol": "TLSv1.2",
                    "description": s.name,
                    "strength_bits": s.key_len * 8,
                    "alg_bits": s.key_len * 8,
                    "aead": s.is_aead,
                    "kea": f"kx-{s.kx.value.lower()}",
                    "auth": f"auth-{s.auth.value.lower()}",
                }
            )
        return out

    def get_ca_certs(self, binary_form: bool = False) -> list[Any]:
        if binary_form:
            return [c.public_bytes(Encoding.DER) for c in self._anchors]
        return [peercert_dict(c) for c in self._anchors]

    def cert_store_stats(self) -> dict[str, int]:
        return {"x509": len(self._anchors), "crl": 0, "x509_ca": len(self._anchors)}

    def session_stats(self) -> dict[str, int]:
        return {}

    def set_servername_callback(self, callback: Any) -> None:
        self.sni_callback = callback

    # -- configurations ----------------------------------------------------------------

    def _check_versions(self) -> None:
        low = _version_value(self.minimum_version, 0)
        high = _version_value(self.maximum_version, 0xFFFF)
        if not low <= int(_TLS12) <= high or self.options & ssl.OP_NO_TLSv1_2:
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
            not (self.options & ssl.OP_NO_TICKET),
            self.keylog_filename,
            server,
        )

    def _trust(self) -> TrustStore | None:
        certs = list(self._anchors)
        if self._system_store or not certs:
            with contextlib.suppress(ConfigError):
                certs = list(TrustStore.system().certs) + certs
        return TrustStore(certs) if certs else None

    def _common(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "alpn_protocols": self._alpn,
            "session_tickets": not (self.options & ssl.OP_NO_TICKET),
        }
        if self._suites:
            kw["cipher_suites"] = self._suites
        if self.keylog_filename:
            kw["keylog"] = keylog_to_file(self.keylog_filename)
        return kw

    def client_config(self) -> ClientConfig:
        """The ClientConfig these settings make (cached until a setting changes)."""
        key = self._key(server=False)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]  # type: ignore[return-value]
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
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]  # type: ignore[return-value]
        if not self._certificates:
            raise TLS12SSLError(1, "[TLS12: NO_CERTIFICATE] a server needs load_cert_chain()")
        kw = self._common()
        kw["certificates"] = self._certificates
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
        self, server_side: bool, server_hostname: str | None, session: Session | None
    ) -> Connection:
        self._check_versions()
        if server_side:
            return ServerConnection(self.server_config())
        return ClientConnection(self.client_config(), server_hostname, session)

    # -- wrapping ------------------------------------------------------------------------

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: Session | None = None,
    ) -> TLS12Socket:
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
        return TLS12Socket(
            sock,
            self,
            server_side=server_side,
            server_hostname=server_hostname,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            session=session,
        )


TLS12Context.sslsocket_class = TLS12Socket
