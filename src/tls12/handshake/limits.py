"""Limits on what a peer may make us hold or do, checked where the handshake reads it.

The codec already bounds every vector by its RFC length; these are policy bounds from the
configuration (``max_extensions``, ``max_list_entries``, ``max_certificate_chain_length``), so
a hostile hello cannot make us walk thousands of entries and a chain cannot be arbitrarily deep.
"""

from __future__ import annotations

from tls12.config import ClientConfig, ServerConfig
from tls12.errors import BadCertificate, DecodeError
from tls12.messages import extensions as ext
from tls12.messages.handshake import CertificateRequest, ClientHello, ServerHello


def _entries(what: str, n: int, config: ClientConfig | ServerConfig) -> None:
    if n > config.max_list_entries:
        raise DecodeError(
            f"{what} has {n} entries, more than the limit of {config.max_list_entries} "
            "(max_list_entries)"
        )


def check_hello(config: ClientConfig | ServerConfig, hello: ClientHello | ServerHello) -> None:
    """Bounds the extension count and every list a hello carries."""
    name = type(hello).__name__
    n = len(hello.extensions)
    if n > config.max_extensions:
        raise DecodeError(
            f"{name} carries {n} extensions, more than the limit of {config.max_extensions} "
            "(max_extensions)"
        )
    # Each count is compared here and ``_entries`` called (for its message) only when over:
    # this runs on every hello.
    limit = config.max_list_entries
    if isinstance(hello, ClientHello) and len(hello.cipher_suites) > limit:
        _entries("ClientHello cipher_suites", len(hello.cipher_suites), config)
    exts = hello.extensions
    groups = exts.get(ext.SupportedGroups)
    if groups is not None and len(groups.groups) > limit:
        _entries(f"{name} supported_groups", len(groups.groups), config)
    schemes = exts.get(ext.SignatureAlgorithms)
    if schemes is not None and len(schemes.schemes) > limit:
        _entries(f"{name} signature_algorithms", len(schemes.schemes), config)
    alpn = exts.get(ext.ApplicationLayerProtocols)
    if alpn is not None and len(alpn.protocols) > limit:
        _entries(f"{name} ALPN protocol list", len(alpn.protocols), config)


def check_request(config: ClientConfig | ServerConfig, request: CertificateRequest) -> None:
    _entries("CertificateRequest signature_algorithms", len(request.signature_algorithms), config)
    _entries(
        "CertificateRequest certificate_authorities", len(request.certificate_authorities), config
    )


def check_chain_length(config: ClientConfig | ServerConfig, n: int, who: str) -> None:
    if n > config.max_certificate_chain_length:
        raise BadCertificate(
            f"the {who}'s certificate chain has {n} certificates, more than the limit of "
            f"{config.max_certificate_chain_length} (max_certificate_chain_length)"
        )
