"""Wire enums that keep unknown values.

A peer may send a code point we have never heard of (a new extension, a GREASE value). Decoding
must not fail on it: ``ExtensionType(0x0a0a)`` returns a pseudo-member named ``unknown_0xa0a``
that compares equal to its integer and encodes back unchanged.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Self


class WireEnum(IntEnum):
    """An IntEnum whose unknown values become pseudo-members instead of raising ValueError."""

    @classmethod
    def _missing_(cls, value: object) -> WireEnum | None:
        if not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"unknown_{value:#x}"
        member._value_ = value
        return member

    def __str__(self) -> str:
        return self.name

    @classmethod
    def of(cls, value: int) -> Self:
        """``cls(value)`` with a fast path for known values (decoders call this per entry;
        the Enum call machinery costs more than the lookup)."""
        member = cls._value2member_map_.get(value)
        return member if isinstance(member, cls) else cls(value)


class ContentType(WireEnum):
    change_cipher_spec = 20
    alert = 21
    handshake = 22
    application_data = 23


class HandshakeType(WireEnum):
    hello_request = 0
    client_hello = 1
    server_hello = 2
    new_session_ticket = 4
    certificate = 11
    server_key_exchange = 12
    certificate_request = 13
    server_hello_done = 14
    certificate_verify = 15
    client_key_exchange = 16
    finished = 20
    certificate_status = 22  # RFC 6066 §8


class AlertLevel(WireEnum):
    warning = 1
    fatal = 2


class AlertDescription(WireEnum):
    close_notify = 0
    unexpected_message = 10
    bad_record_mac = 20
    decryption_failed = 21
    record_overflow = 22
    decompression_failure = 30
    handshake_failure = 40
    no_certificate = 41
    bad_certificate = 42
    unsupported_certificate = 43
    certificate_revoked = 44
    certificate_expired = 45
    certificate_unknown = 46
    illegal_parameter = 47
    unknown_ca = 48
    access_denied = 49
    decode_error = 50
    decrypt_error = 51
    export_restriction = 60
    protocol_version = 70
    insufficient_security = 71
    internal_error = 80
    inappropriate_fallback = 86
    user_canceled = 90
    no_renegotiation = 100
    unsupported_extension = 110
    unrecognized_name = 112
    unknown_psk_identity = 115  # RFC 4279 §2
    bad_certificate_status_response = 113  # RFC 6066 §8
    no_application_protocol = 120


class ExtensionType(WireEnum):
    server_name = 0
    max_fragment_length = 1
    status_request = 5
    supported_groups = 10
    ec_point_formats = 11
    signature_algorithms = 13
    application_layer_protocol_negotiation = 16
    encrypt_then_mac = 22
    extended_master_secret = 23
    record_size_limit = 28
    session_ticket = 35
    renegotiation_info = 0xFF01


class NamedGroup(WireEnum):
    secp256r1 = 23
    secp384r1 = 24
    secp521r1 = 25
    x25519 = 29
    x448 = 30
    ffdhe2048 = 256
    ffdhe3072 = 257
    ffdhe4096 = 258


class SignatureScheme(WireEnum):
    rsa_pkcs1_sha1 = 0x0201
    ecdsa_sha1 = 0x0203
    rsa_pkcs1_sha224 = 0x0301  # TLS 1.2 only: (sha224, rsa) of RFC 5246 §7.4.1.4.1
    ecdsa_sha224 = 0x0303  # TLS 1.2 only: (sha224, ecdsa)
    rsa_pkcs1_sha256 = 0x0401
    rsa_pkcs1_sha384 = 0x0501
    rsa_pkcs1_sha512 = 0x0601
    ecdsa_secp256r1_sha256 = 0x0403
    ecdsa_secp384r1_sha384 = 0x0503
    ecdsa_secp521r1_sha512 = 0x0603
    rsa_pss_rsae_sha256 = 0x0804
    rsa_pss_rsae_sha384 = 0x0805
    rsa_pss_rsae_sha512 = 0x0806
    ed25519 = 0x0807
    ed448 = 0x0808
    rsa_pss_pss_sha256 = 0x0809
    rsa_pss_pss_sha384 = 0x080A
    rsa_pss_pss_sha512 = 0x080B


class ECPointFormat(WireEnum):
    uncompressed = 0
    ansiX962_compressed_prime = 1
    ansiX962_compressed_char2 = 2


class ECCurveType(WireEnum):
    explicit_prime = 1
    explicit_char2 = 2
    named_curve = 3


class ClientCertificateType(WireEnum):
    rsa_sign = 1
    dss_sign = 2
    rsa_fixed_dh = 3
    dss_fixed_dh = 4
    ecdsa_sign = 64
    rsa_fixed_ecdh = 65
    ecdsa_fixed_ecdh = 66


class CertificateStatusType(WireEnum):
    """RFC 6066 §8: the only status type of status_request and CertificateStatus."""

    ocsp = 1


class NameType(WireEnum):
    host_name = 0


class CompressionMethod(WireEnum):
    null = 0


TLS12_VERSION = 0x0303
"""ProtocolVersion {3, 3}: the only version this library speaks."""
