"""The PSK settings of ClientConfig and ServerConfig, checked once when a config is built.

PSK suites are never offered nor chosen unless a PSK is configured: a policy ("default",
"compatible" or the default suites) gains the matching PSK suites only then, and a config
that names PSK suites without a PSK is a ConfigError. config.py calls these from
``__post_init__``; they know the fields by name and import nothing from config.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tls12.crypto.suites import (
    COMPATIBLE_SUITES,
    DEFAULT_SUITES,
    POLICIES,
    PSK_POLICIES,
    CipherSuite,
)
from tls12.errors import ConfigError

PskLookup = Callable[[bytes], "bytes | None"]
"""Server side: identity (the client's bytes, UTF-8 by RFC 4279 §5.1) → key, or None."""

ClientPskCallback = Callable[["bytes | None"], "tuple[bytes, bytes] | None"]
"""Client side: the server's identity hint (None when it sent none) → (identity, key), or
None to give up (handshake_failure)."""

MAX_WIRE = 0xFFFF
"""psk_identity<0..2^16-1>, and the PSK's uint16 length in the premaster (RFC 4279 §2)."""

DEFAULT_MAX_IDENTITY = 256
"""RFC 4279 §5.3 asks for identities up to 128 bytes; OpenSSL accepts 256."""

_SETTERS = object.__setattr__


def _policy_name(value: object) -> str | None:
    if isinstance(value, str) and value in PSK_POLICIES:
        return value
    # The config's field holds the resolved tuple: a policy is recognised by its suites.
    if value == DEFAULT_SUITES:
        return "default"
    if value == COMPATIBLE_SUITES:
        return "compatible"
    return None


def _expand(config: Any, psk_on: bool, certificate_suites: bool) -> None:
    """A policy gains the PSK suites of the same policy (first: a PSK was configured to be
    used); without certificates the server keeps only those."""
    name = _policy_name(config.cipher_suites)
    if not psk_on or name is None:
        return
    certificate = POLICIES[name] if certificate_suites else ()
    _SETTERS(config, "cipher_suites", PSK_POLICIES[name] + certificate)


def _secret(value: object, name: str, floor: int) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise ConfigError(f"{name} must be bytes, got {type(value).__name__}")
    if not floor <= len(value) <= MAX_WIRE:
        raise ConfigError(f"{name} must be {floor} to {MAX_WIRE} bytes, got {len(value)}")
    return bytes(value)


def _refuse_unused_psk_suites(suites: Sequence[CipherSuite], psk_on: bool, fields: str) -> None:
    named = [s.name for s in suites if s.uses_psk]
    if named and not psk_on:
        raise ConfigError(
            f"cipher_suites include PSK suites ({', '.join(named[:3])}) but no PSK is "
            f"configured ({fields})"
        )


def prepare_client(config: Any) -> None:
    """Before the common checks: PSK fields checked, the policy widened when they are set."""
    identity, key, callback = config.psk_identity, config.psk, config.psk_callback
    if (identity is None) != (key is None):
        raise ConfigError("psk_identity and psk must be given together")
    if identity is not None:
        if callback is not None:
            raise ConfigError("give psk_identity and psk, or psk_callback, not both")
        # RFC 4279 §5.1: the identity is UTF-8 text; bytes are sent as given.
        _SETTERS(config, "psk_identity", _secret(identity, "psk_identity", 1))
        _SETTERS(config, "psk", _secret(key, "psk", 1))
    _expand(config, client_psk_on(config), certificate_suites=True)


def client_psk_on(config: Any) -> bool:
    return config.psk_identity is not None or config.psk_callback is not None


def check_client(config: Any) -> None:
    """After the suites are resolved. A PSK handshake has no certificate, so no OCSP staple:
    ``require_ocsp_staple`` could not be honoured on it and is refused with a PSK."""
    _refuse_unused_psk_suites(config.cipher_suites, client_psk_on(config), "psk_identity/psk")
    if client_psk_on(config) and config.require_ocsp_staple:
        raise ConfigError(
            "require_ocsp_staple cannot be met with a PSK: a PSK handshake has no server "
            "certificate to staple for; use separate configurations"
        )


class PskKeyTable:
    """The psk_lookup made from ``psk_keys``: identity → key. A class of its own so that a
    config rebuilt by ``dataclasses.replace`` (which passes psk_lookup and psk_keys again)
    is told from one that was given both."""

    __slots__ = ("_table",)

    def __init__(self, keys: Mapping[bytes, bytes]) -> None:
        self._table = {
            _secret(i, "psk_keys identity", 1): _secret(k, "psk_keys key", 1)
            for i, k in keys.items()
        }

    def __call__(self, identity: bytes) -> bytes | None:
        return self._table.get(identity)

    def __repr__(self) -> str:
        return f"PskKeyTable({len(self._table)} identities)"


def prepare_server(config: Any) -> None:
    """Before the common checks: psk_keys becomes psk_lookup, the hint and the limit are
    checked, the policy widened (and, without certificates, narrowed to PSK suites)."""
    if config.psk_keys:
        if config.psk_lookup is not None and not isinstance(config.psk_lookup, PskKeyTable):
            raise ConfigError("give psk_lookup or psk_keys, not both")
        _SETTERS(config, "psk_lookup", PskKeyTable(config.psk_keys))
    if config.psk_lookup is not None and not callable(config.psk_lookup):
        raise ConfigError("psk_lookup must be callable (identity bytes -> key bytes or None)")
    hint = config.psk_identity_hint
    if hint is not None:
        hint = _secret(hint, "psk_identity_hint", 0) or None  # empty: no hint, no message
        _SETTERS(config, "psk_identity_hint", hint)
        if config.psk_lookup is None:
            raise ConfigError("psk_identity_hint needs psk_lookup or psk_keys")
    if not 1 <= config.max_psk_identity_length <= MAX_WIRE:
        raise ConfigError(f"max_psk_identity_length must be 1 to {MAX_WIRE}")
    has_certificates = bool(config.certificates) or bool(config.sni_certificates)
    _expand(config, config.psk_lookup is not None, certificate_suites=has_certificates)


def check_server(config: Any) -> None:
    """After the suites are resolved: PSK suites need a lookup, and a server without
    certificates can serve only PSK suites."""
    psk_on = config.psk_lookup is not None
    suites: Sequence[CipherSuite] = config.cipher_suites
    _refuse_unused_psk_suites(suites, psk_on, "psk_lookup or psk_keys")
    if psk_on and not config.certificates and not config.sni_certificates:
        needing = [s.name for s in suites if not s.uses_psk]
        if needing:
            raise ConfigError(
                f"cipher_suites include suites that need a certificate ({', '.join(needing[:3])})"
                " but the server has none (PSK only)"
            )
