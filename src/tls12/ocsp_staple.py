"""The server's OCSP staple: a DER OCSPResponse file, as ``openssl s_server -status_file``.

A ``StapleFile`` belongs to one certified key: set it as ``CertifiedKey.ocsp_staple`` (each
SNI chain has its own), or as ``ServerConfig.ocsp_staple`` for the default chains, where it is
stapled only for the one leaf it answers for (``Staple`` holds fixed bytes instead of a
file). ``StapleFile.for_leaf`` is what a handshake asks
when the client sent status_request: it looks at the file (one ``stat``: a new mtime or size
means it was replaced, and it is read again, so an operator refreshes the staple by writing
the file; no thread watches it), and hands back the response only when it is

* a successful response with a SingleResponse for this leaf (serial, issuer name hash, and
  issuer key hash when the chain holds the issuer), and
* not expired: its nextUpdate is not in the past by the configuration's clock.

Otherwise the server simply staples nothing (RFC 6066 §8 lets it): a handshake never fails
for want of a staple. ``last_problem`` says why the last look found nothing usable.

Bounded: a file over ``MAX_STAPLE_SIZE`` is a ConfigError when the StapleFile is made, and is
not read at all when it grows that large later.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509 import ocsp as x509_ocsp

from tls12.errors import BadCertificateStatusResponse, ConfigError
from tls12.ocsp import load_response, single_for

MAX_STAPLE_SIZE = 16380
"""The largest response stapled: OpenSSL's clients accept a CertificateStatus of at most
16,384 bytes (SSL3_RT_MAX_PLAIN_LENGTH), which is the response plus four bytes."""


@dataclass(frozen=True)
class _Loaded:
    der: bytes
    response: x509_ocsp.OCSPResponse


class Staple:
    """A fixed DER OCSPResponse to staple (checked when made, and for each leaf and moment
    when used); ``StapleFile`` is the one that follows a file."""

    def __init__(self, der: bytes, *, max_size: int = MAX_STAPLE_SIZE) -> None:
        self.max_size = max_size
        self.last_problem: str | None = None
        try:
            self._loaded: _Loaded | None = _parse(bytes(der), max_size)
        except ValueError as exc:
            raise ConfigError(f"OCSP staple: {exc}") from None

    def for_leaf(
        self, leaf: x509.Certificate, issuer: x509.Certificate | None, now: float
    ) -> bytes | None:
        """The response to staple for ``leaf`` at ``now`` (the config's clock), or None."""
        loaded = self._current()
        if loaded is None:
            return None
        problem = _unusable(loaded.response, leaf, issuer, now)
        self.last_problem = problem
        return None if problem else loaded.der

    def _current(self) -> _Loaded | None:
        return self._loaded


class StapleFile(Staple):
    """A DER OCSPResponse file, re-read when it changes; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str], *, max_size: int = MAX_STAPLE_SIZE) -> None:
        self.path = Path(path)
        self.max_size = max_size
        self.last_problem = None
        self._lock = threading.Lock()
        try:
            stamp = self._stat()
            self._loaded = self._read(stamp)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"OCSP status file {self.path}: {exc}") from None
        self._stamp = stamp

    def __repr__(self) -> str:
        return f"StapleFile({str(self.path)!r})"

    def _current(self) -> _Loaded | None:
        with self._lock:
            try:
                stamp = self._stat()
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._loaded = None
                    self._loaded = self._read(stamp)
            except (OSError, ValueError) as exc:
                self.last_problem = f"{self.path}: {exc}"
                return None
            return self._loaded

    def _stat(self) -> tuple[int, int]:
        info = os.stat(self.path)
        return (info.st_mtime_ns, info.st_size)

    def _read(self, stamp: tuple[int, int]) -> _Loaded:
        if stamp[1] > self.max_size:
            raise ValueError(_too_big(stamp[1], self.max_size))
        with open(self.path, "rb") as f:
            return _parse(f.read(self.max_size + 1), self.max_size)


def _too_big(size: int, limit: int) -> str:
    return f"{size} bytes is more than the {limit} bytes a staple may have (max_size)"


def _parse(der: bytes, limit: int) -> _Loaded:
    if len(der) > limit:
        raise ValueError(_too_big(len(der), limit))
    try:
        return _Loaded(der, load_response(der))
    except BadCertificateStatusResponse:
        raise ValueError("not a DER OCSPResponse (RFC 6960 §4.2.1)") from None


def _unusable(
    response: x509_ocsp.OCSPResponse,
    leaf: x509.Certificate,
    issuer: x509.Certificate | None,
    now: float,
) -> str | None:
    """Why the response must not be stapled for this leaf now, or None."""
    if response.response_status is not x509_ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"the response is not successful ({response.response_status.name.lower()})"
    single = single_for(response, leaf, issuer)
    if single is None:
        return f"the response is not for the certificate with serial {leaf.serial_number:X}"
    next_update = single.next_update_utc
    if next_update is not None and next_update < datetime.fromtimestamp(now, UTC):
        return f"the response expired at {next_update:%Y-%m-%d %H:%M:%S} UTC"
    return None
