"""Which ``ssl.SSLContext`` settings tls12 honours, and the loud refusal of the others.

A setting that is silently ignored is worse than a missing one (a security option that seems
to be on but is not), so every value ``TLS12Context`` accepts changes what tls12 does or is
what tls12 always does; anything else raises NotImplementedError naming the setting.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tls12.crypto.suites import CipherSuite

HONOURED_OPTIONS = {
    ssl.OP_ALL: "bug workarounds (tls12 needs none)",
    ssl.OP_NO_SSLv2: "tls12 never speaks SSLv2",
    ssl.OP_NO_SSLv3: "tls12 never speaks SSLv3",
    ssl.OP_NO_TLSv1: "tls12 never speaks TLS 1.0",
    ssl.OP_NO_TLSv1_1: "tls12 never speaks TLS 1.1",
    ssl.OP_NO_TLSv1_3: "tls12 never speaks TLS 1.3",
    ssl.OP_NO_TLSv1_2: "refused at connection time: TLS 1.2 is all tls12 speaks",
    ssl.OP_NO_COMPRESSION: "tls12 never compresses",
    ssl.OP_NO_TICKET: "turns session tickets off (RFC 5077)",
    ssl.OP_CIPHER_SERVER_PREFERENCE: "server picks by its own order (else the client's)",
    ssl.OP_SINGLE_DH_USE: "every (EC)DHE key is fresh",
    ssl.OP_SINGLE_ECDH_USE: "every (EC)DHE key is fresh",
    ssl.OP_NO_RENEGOTIATION: "tls12 never renegotiates",
    ssl.OP_ENABLE_MIDDLEBOX_COMPAT: "a TLS 1.3 option, without effect on TLS 1.2 (as in ssl)",
    ssl.OP_IGNORE_UNEXPECTED_EOF: "an EOF without close_notify reads as a clean end",
}
_KNOWN_OPTIONS = 0
for _flag in HONOURED_OPTIONS:
    _KNOWN_OPTIONS |= int(_flag)


def checked_options(value: int) -> ssl.Options:
    """``value`` as ssl.Options, or NotImplementedError naming the bits tls12 cannot honour."""
    unknown = int(value) & ~_KNOWN_OPTIONS
    if unknown:
        raise NotImplementedError(
            f"SSLContext.options: bits {unknown:#x} are not supported by tls12 (it honours "
            + ", ".join(f.name or hex(f) for f in HONOURED_OPTIONS)
            + ")"
        )
    return ssl.Options(value)


HONOURED_VERIFY_FLAGS = {
    ssl.VERIFY_DEFAULT: "",
    ssl.VERIFY_X509_TRUSTED_FIRST: "anchors are always preferred when building the chain",
    ssl.VERIFY_X509_STRICT: "cryptography's verifier is always RFC 5280 strict",
    ssl.VERIFY_X509_PARTIAL_CHAIN: "any loaded CA certificate is an anchor",
    ssl.VERIFY_CRL_CHECK_LEAF: "the leaf is checked against the CRLs loaded (ssl_crl.py)",
    ssl.VERIFY_CRL_CHECK_CHAIN: "every certificate is checked against the CRLs loaded",
}
_KNOWN_FLAGS = 0
for _vflag in HONOURED_VERIFY_FLAGS:
    _KNOWN_FLAGS |= int(_vflag)


def checked_verify_flags(value: int) -> ssl.VerifyFlags:
    unknown = int(value) & ~_KNOWN_FLAGS
    if unknown:
        raise NotImplementedError(
            f"SSLContext.verify_flags: {ssl.VerifyFlags(unknown)!r} is not supported by tls12"
        )
    return ssl.VerifyFlags(value)


def refuse(what: str, why: str) -> NotImplementedError:
    return NotImplementedError(f"{what} is not supported by tls12: {why}")


@dataclass
class SessionStats:
    """What ``SSLContext.session_stats()`` counts, kept by tls12's context."""

    connect: int = 0
    connect_good: int = 0
    accept: int = 0
    accept_good: int = 0
    hits: int = 0
    misses: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self, number: int) -> dict[str, int]:
        return {
            "number": number,
            "connect": self.connect,
            "connect_good": self.connect_good,
            "connect_renegotiate": 0,
            "accept": self.accept,
            "accept_good": self.accept_good,
            "accept_renegotiate": 0,
            "hits": self.hits,
            "misses": self.misses,
            "timeouts": 0,
            "cache_full": 0,
        }


def cipher_dict(suite: CipherSuite, name: str) -> dict[str, object]:
    """One entry of ``SSLContext.get_ciphers()``."""
    return {
        "id": 0x03000000 | suite.id,
        "name": name,
        "protocol": "TLSv1.2",
        "description": suite.name,
        "strength_bits": suite.key_len * 8,
        "alg_bits": suite.key_len * 8,
        "aead": suite.is_aead,
        "symmetric": suite.cipher.value.lower().replace("_", "-"),
        "digest": None if suite.is_aead else f"{(suite.mac or '').lower()}",
        "kea": f"kx-{suite.kx.value.lower()}",
        "auth": f"auth-{suite.auth.value.lower()}",
    }


class ContextSettings:
    """The settings half of ``TLS12Context``: each ``ssl.SSLContext`` attribute as a property
    that honours its value or refuses it by name (the context's ``__init__`` sets the
    private fields; ``_changed`` makes the next connection rebuild its configuration)."""

    protocol: Any
    _check_hostname: bool
    _verify_mode: int
    _options: ssl.Options
    _minimum_version: ssl.TLSVersion
    _maximum_version: ssl.TLSVersion
    _verify_flags: ssl.VerifyFlags
    _post_handshake_auth: bool
    _keylog_filename: str | None
    _sni_callback: Callable[..., Any] | None
    _num_tickets: int
    _generation: int

    def _changed(self) -> None:
        self._generation += 1

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

    @property
    def options(self) -> ssl.Options:
        return self._options

    @options.setter
    def options(self, value: int) -> None:
        self._options = checked_options(value)

    @property
    def minimum_version(self) -> ssl.TLSVersion:
        return self._minimum_version

    @minimum_version.setter
    def minimum_version(self, value: ssl.TLSVersion) -> None:
        self._minimum_version = ssl.TLSVersion(value)

    @property
    def maximum_version(self) -> ssl.TLSVersion:
        return self._maximum_version

    @maximum_version.setter
    def maximum_version(self, value: ssl.TLSVersion) -> None:
        self._maximum_version = ssl.TLSVersion(value)

    @property
    def verify_flags(self) -> ssl.VerifyFlags:
        return self._verify_flags

    @verify_flags.setter
    def verify_flags(self, value: int) -> None:
        self._verify_flags = checked_verify_flags(value)
        self._changed()

    @property
    def hostname_checks_common_name(self) -> bool:
        return False

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value: bool) -> None:
        if value:
            raise refuse(
                "hostname_checks_common_name = True",
                "names are matched against subjectAltName only (RFC 6125 §6.4.4, as ssl "
                "does by default since Python 3.7)",
            )

    @property
    def post_handshake_auth(self) -> bool:
        """TLS 1.3's post-handshake authentication: without effect on TLS 1.2, as in ssl
        (urllib3 turns it on); ``verify_client_post_handshake`` raises."""
        return self._post_handshake_auth

    @post_handshake_auth.setter
    def post_handshake_auth(self, value: bool) -> None:
        self._post_handshake_auth = bool(value)

    @property
    def keylog_filename(self) -> str | None:
        """Where NSS key log lines go. As with ssl.SSLContext, SSLKEYLOGFILE is not read:
        only ``ssl.create_default_context`` does that."""
        return self._keylog_filename

    @keylog_filename.setter
    def keylog_filename(self, value: str | os.PathLike[str] | None) -> None:
        self._keylog_filename = None if value is None else os.fspath(value)

    @property
    def sni_callback(self) -> Callable[..., Any] | None:
        """Called as ``callback(ssl_socket_or_object, server_name, context)`` when a client
        hello arrives on a full handshake: it may set ``.context`` on the object to another
        TLS12Context (its certificates are used), or return an ALERT_DESCRIPTION_* to
        refuse the handshake with that alert."""
        return self._sni_callback

    @sni_callback.setter
    def sni_callback(self, value: Callable[..., Any] | None) -> None:
        if value is not None and not callable(value):
            raise TypeError("not a callable object")
        self._sni_callback = value
        self._changed()

    @property
    def num_tickets(self) -> int:
        """TLS 1.3 tickets per handshake: without effect on TLS 1.2, as in ssl."""
        return self._num_tickets

    @num_tickets.setter
    def num_tickets(self, value: int) -> None:
        if value < 0:
            raise ValueError("value must be non-negative")
        if self.protocol == ssl.PROTOCOL_TLS_CLIENT:
            raise ValueError("SSLContext is not a server context.")
        self._num_tickets = int(value)

    @property
    def security_level(self) -> int:
        """OpenSSL's level 2 is what tls12's policy meets (112-bit security or more)."""
        return 2

    @property
    def _msg_callback(self) -> None:
        return None

    @_msg_callback.setter
    def _msg_callback(self, value: Any) -> None:
        if value is not None:
            raise refuse("SSLContext._msg_callback", "use tls12's Trace (connection.trace)")

    @property
    def _host_flags(self) -> int:
        raise refuse("SSLContext._host_flags", "OpenSSL host-check flags do not apply")

