"""Handshake bytes that depend on the configuration only, encoded once and reused.

A server sends the same Certificate message on every full handshake with a given certificate,
the same CertificateRequest with a given policy and the same ServerHelloDone always; encoding
them per connection was pure repetition (the CertificateRequest re-encoded every anchor's
subject name on every handshake). The values are kept per object (the ``CertifiedKey``, the
``TrustStore``), keyed by identity and dropped with the object, so a configuration that is
replaced frees its entries. Everything here is public data: no key material is kept.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from tls12.config import CertifiedKey
from tls12.messages.handshake import Certificate, CertificateRequest, ServerHelloDone
from tls12.trust import TrustStore
from tls12.wire.enums import ClientCertificateType

K = TypeVar("K")
V = TypeVar("V")

SERVER_HELLO_DONE: bytes = ServerHelloDone().encode()
"""ServerHelloDone is always ``0e 00 00 00`` (RFC 5246 §7.4.5)."""


class PerObject(Generic[K, V]):
    """Values derived from objects that do not change, keyed by identity: computed on first
    use, dropped when the object is collected (``weakref.finalize``), so the table holds no
    more entries than there are live objects. Two threads racing compute the same value
    twice, which is harmless."""

    __slots__ = ("_make", "_values")

    def __init__(self, make: Callable[[K], V]) -> None:
        self._make = make
        self._values: dict[int, V] = {}

    def get(self, obj: K) -> V:
        key = id(obj)
        value = self._values.get(key)
        if value is None:
            value = self._make(obj)
            self._values[key] = value
            weakref.finalize(obj, self._values.pop, key, None)
        return value

    def __len__(self) -> int:
        return len(self._values)


def _certificate_message(certified: CertifiedKey) -> bytes:
    return Certificate(certified.chain_der).encode()


def _subject_names(trust: TrustStore) -> tuple[bytes, ...]:
    return tuple(trust.subjects_der)


_CERTIFICATES: PerObject[CertifiedKey, bytes] = PerObject(_certificate_message)
_SUBJECTS: PerObject[TrustStore, tuple[bytes, ...]] = PerObject(_subject_names)
_REQUESTS: dict[tuple[tuple[int, ...], tuple[bytes, ...]], tuple[CertificateRequest, bytes]] = {}
_REQUESTS_MAX = 64

CLIENT_CERTIFICATE_TYPES = (ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign)


def certificate_message(certified: CertifiedKey) -> bytes:
    """The whole Certificate handshake message (RFC 5246 §7.4.2) for this chain."""
    return _CERTIFICATES.get(certified)


def certificate_request(
    schemes: Sequence[int], trust: TrustStore | None, send_ca_names: bool
) -> tuple[CertificateRequest, bytes]:
    """The CertificateRequest (RFC 5246 §7.4.4) and its encoding: our schemes, and the
    anchors' subject names when ``send_ca_names``. A small bounded table keyed by content."""
    names = _SUBJECTS.get(trust) if (send_ca_names and trust is not None) else ()
    key = (tuple(schemes), names)
    found = _REQUESTS.get(key)
    if found is None:
        request = CertificateRequest(
            certificate_types=CLIENT_CERTIFICATE_TYPES,
            signature_algorithms=key[0],
            certificate_authorities=names,
        )
        found = (request, request.encode())
        if len(_REQUESTS) >= _REQUESTS_MAX:
            _REQUESTS.clear()
        _REQUESTS[key] = found
    return found
