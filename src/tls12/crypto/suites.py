"""The cipher suite table.

One row per suite: how keys are exchanged, how the server authenticates, how records are
protected, and which hash the PRF uses. Everything else (key block sizes, policy filters) is
derived from the row, so adding a suite is adding a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property


class KeyExchange(Enum):
    ECDHE = "ECDHE"
    DHE = "DHE"
    RSA = "RSA"
    PSK = "PSK"  # RFC 4279 §2: the premaster is built from the pre-shared key alone
    ECDHE_PSK = "ECDHE_PSK"  # RFC 5489 §2: an unsigned ECDHE share, mixed with the key


class Auth(Enum):
    RSA = "RSA"
    ECDSA = "ECDSA"
    PSK = "PSK"  # both sides prove they hold the pre-shared key; no certificate


class BulkCipher(Enum):
    AES_128_GCM = "AES_128_GCM"
    AES_256_GCM = "AES_256_GCM"
    CHACHA20_POLY1305 = "CHACHA20_POLY1305"
    AES_128_CBC = "AES_128_CBC"
    AES_256_CBC = "AES_256_CBC"
    AES_128_CCM = "AES_128_CCM"
    AES_256_CCM = "AES_256_CCM"
    AES_128_CCM_8 = "AES_128_CCM_8"
    AES_256_CCM_8 = "AES_256_CCM_8"

    @property
    def short_tag(self) -> bool:
        """An 8-byte tag (the _CCM_8 suites, made for constrained devices): offered and
        accepted only when named, never by a policy."""
        return self in (BulkCipher.AES_128_CCM_8, BulkCipher.AES_256_CCM_8)


_KEY_LEN = {
    BulkCipher.AES_128_GCM: 16,
    BulkCipher.AES_256_GCM: 32,
    BulkCipher.CHACHA20_POLY1305: 32,
    BulkCipher.AES_128_CBC: 16,
    BulkCipher.AES_256_CBC: 32,
    BulkCipher.AES_128_CCM: 16,
    BulkCipher.AES_256_CCM: 32,
    BulkCipher.AES_128_CCM_8: 16,
    BulkCipher.AES_256_CCM_8: 32,
}
# RFC 5288: 4-byte salt from the key block, 8-byte explicit nonce per record.
# RFC 7905: a 12-byte IV from the key block xored with the sequence number, no explicit nonce.
# RFC 6655: AES-CCM takes RFC 5288's nonce (4-byte salt, 8-byte explicit nonce).
_FIXED_IV_LEN = {
    BulkCipher.AES_128_GCM: 4,
    BulkCipher.AES_256_GCM: 4,
    BulkCipher.CHACHA20_POLY1305: 12,
    BulkCipher.AES_128_CBC: 0,
    BulkCipher.AES_256_CBC: 0,
    BulkCipher.AES_128_CCM: 4,
    BulkCipher.AES_256_CCM: 4,
    BulkCipher.AES_128_CCM_8: 4,
    BulkCipher.AES_256_CCM_8: 4,
}
_MAC_KEY_LEN = {None: 0, "SHA1": 20, "SHA256": 32, "SHA384": 48}


@dataclass(frozen=True)
class CipherSuite:
    id: int
    name: str
    kx: KeyExchange
    auth: Auth
    cipher: BulkCipher
    prf_hash: str  # "SHA256" or "SHA384": the PRF and the Finished hash
    mac: str | None = None  # HMAC hash for CBC suites; None for AEAD

    @property
    def is_aead(self) -> bool:
        return self.mac is None

    @property
    def forward_secret(self) -> bool:
        return self.kx not in (KeyExchange.RSA, KeyExchange.PSK)

    @property
    def uses_psk(self) -> bool:
        return self.auth is Auth.PSK

    @cached_property  # kept in the instance dict: later reads are no call
    def key_len(self) -> int:
        return _KEY_LEN[self.cipher]

    @cached_property  # kept in the instance dict: later reads are no call
    def fixed_iv_len(self) -> int:
        return _FIXED_IV_LEN[self.cipher]

    @cached_property  # kept in the instance dict: later reads are no call
    def mac_key_len(self) -> int:
        return _MAC_KEY_LEN[self.mac]

    @cached_property  # kept in the instance dict: later reads are no call
    def key_block_len(self) -> int:
        """client/server MAC keys, write keys and fixed IVs (RFC 5246 §6.3)."""
        return 2 * (self.mac_key_len + self.key_len + self.fixed_iv_len)

    def __str__(self) -> str:
        return self.name


def _s(
    id: int,
    name: str,
    kx: KeyExchange,
    auth: Auth,
    cipher: BulkCipher,
    prf: str,
    mac: str | None = None,
) -> CipherSuite:
    return CipherSuite(id, name, kx, auth, cipher, prf, mac)


E, D, R = KeyExchange.ECDHE, KeyExchange.DHE, KeyExchange.RSA
A_RSA, A_EC = Auth.RSA, Auth.ECDSA
G128, G256, CHA = BulkCipher.AES_128_GCM, BulkCipher.AES_256_GCM, BulkCipher.CHACHA20_POLY1305
C128, C256 = BulkCipher.AES_128_CBC, BulkCipher.AES_256_CBC
M128, M256 = BulkCipher.AES_128_CCM, BulkCipher.AES_256_CCM
M128_8, M256_8 = BulkCipher.AES_128_CCM_8, BulkCipher.AES_256_CCM_8

# In preference order: forward-secret AEAD first (ECDHE, then DHE), then forward-secret CBC,
# then RSA key transport.
ALL_SUITES: tuple[CipherSuite, ...] = (
    _s(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", E, A_EC, G128, "SHA256"),
    _s(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", E, A_EC, G256, "SHA384"),
    _s(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", E, A_EC, CHA, "SHA256"),
    _s(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", E, A_RSA, G128, "SHA256"),
    _s(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", E, A_RSA, G256, "SHA384"),
    _s(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", E, A_RSA, CHA, "SHA256"),
    _s(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", D, A_RSA, G128, "SHA256"),
    _s(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", D, A_RSA, G256, "SHA384"),
    _s(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", D, A_RSA, CHA, "SHA256"),
    # AES-CCM (RFC 7251 for ECDHE_ECDSA, RFC 6655 for DHE_RSA and RSA), all with the SHA-256
    # PRF: forward-secret AEAD, after GCM and ChaCha20-Poly1305 (compatible policy only).
    _s(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", E, A_EC, M128, "SHA256"),
    _s(0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", E, A_EC, M256, "SHA256"),
    _s(0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", D, A_RSA, M128, "SHA256"),
    _s(0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", D, A_RSA, M256, "SHA256"),
    _s(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", E, A_EC, C128, "SHA256", "SHA256"),
    _s(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", E, A_EC, C256, "SHA384", "SHA384"),
    _s(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", E, A_EC, C128, "SHA256", "SHA1"),
    _s(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", E, A_EC, C256, "SHA256", "SHA1"),
    _s(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", E, A_RSA, C128, "SHA256", "SHA256"),
    _s(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", E, A_RSA, C256, "SHA384", "SHA384"),
    _s(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", E, A_RSA, C128, "SHA256", "SHA1"),
    _s(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", E, A_RSA, C256, "SHA256", "SHA1"),
    _s(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", D, A_RSA, C128, "SHA256", "SHA256"),
    _s(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", D, A_RSA, C256, "SHA256", "SHA256"),
    _s(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", D, A_RSA, C128, "SHA256", "SHA1"),
    _s(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", D, A_RSA, C256, "SHA256", "SHA1"),
    _s(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", R, A_RSA, G128, "SHA256"),
    _s(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", R, A_RSA, G256, "SHA384"),
    _s(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", R, A_RSA, C128, "SHA256", "SHA256"),
    _s(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", R, A_RSA, C128, "SHA256", "SHA1"),
    _s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", R, A_RSA, C256, "SHA256", "SHA1"),
    # AES-CCM with RSA key transport, then the _CCM_8 suites (8-byte tags), used only when named.
    _s(0xC09C, "TLS_RSA_WITH_AES_128_CCM", R, A_RSA, M128, "SHA256"),
    _s(0xC09D, "TLS_RSA_WITH_AES_256_CCM", R, A_RSA, M256, "SHA256"),
    _s(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", E, A_EC, M128_8, "SHA256"),
    _s(0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", E, A_EC, M256_8, "SHA256"),
    _s(0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", D, A_RSA, M128_8, "SHA256"),
    _s(0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", D, A_RSA, M256_8, "SHA256"),
    _s(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", R, A_RSA, M128_8, "SHA256"),
    _s(0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", R, A_RSA, M256_8, "SHA256"),
)

_CCM = (M128, M256, M128_8, M256_8)

P, EP, A_PSK = KeyExchange.PSK, KeyExchange.ECDHE_PSK, Auth.PSK

PSK_SUITES: tuple[CipherSuite, ...] = (
    # RFC 8442: ECDHE_PSK with AES-GCM and AES-CCM (no peer on this machine has them)
    _s(0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", EP, A_PSK, G128, "SHA256"),
    _s(0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", EP, A_PSK, G256, "SHA384"),
    # RFC 7905
    _s(0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", EP, A_PSK, CHA, "SHA256"),
    _s(0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", EP, A_PSK, M128, "SHA256"),
    # RFC 5487 (GCM), RFC 7905 (ChaCha20-Poly1305), RFC 6655 (CCM): no forward secrecy
    _s(0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", P, A_PSK, G128, "SHA256"),
    _s(0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", P, A_PSK, G256, "SHA384"),
    _s(0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", P, A_PSK, CHA, "SHA256"),
    _s(0xC0A4, "TLS_PSK_WITH_AES_128_CCM", P, A_PSK, M128, "SHA256"),
    _s(0xC0A5, "TLS_PSK_WITH_AES_256_CCM", P, A_PSK, M256, "SHA256"),
    # RFC 5489 (ECDHE_PSK) and RFC 4279 / RFC 5487 (PSK) with CBC and HMAC
    _s(0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", EP, A_PSK, C128, "SHA256", "SHA256"),
    _s(0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", EP, A_PSK, C256, "SHA384", "SHA384"),
    _s(0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", EP, A_PSK, C128, "SHA256", "SHA1"),
    _s(0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", EP, A_PSK, C256, "SHA256", "SHA1"),
    _s(0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", P, A_PSK, C128, "SHA256", "SHA256"),
    _s(0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", P, A_PSK, C256, "SHA384", "SHA384"),
    _s(0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", P, A_PSK, C128, "SHA256", "SHA1"),
    _s(0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", P, A_PSK, C256, "SHA256", "SHA1"),
    # the 8-byte-tag suites, used only when named
    _s(0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", EP, A_PSK, M128_8, "SHA256"),
    _s(0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", P, A_PSK, M128_8, "SHA256"),
    _s(0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", P, A_PSK, M256_8, "SHA256"),
)
"""Pre-shared key suites (RFC 4279, RFC 5489 and the AEAD RFCs), kept apart from ALL_SUITES
(the certificate suites): they are offered and chosen only when a PSK is configured
(tls12/psk_config.py adds them to a policy then)."""

BY_ID: dict[int, CipherSuite] = {s.id: s for s in ALL_SUITES + PSK_SUITES}
BY_NAME: dict[str, CipherSuite] = {s.name: s for s in ALL_SUITES + PSK_SUITES}

DEFAULT_SUITES: tuple[CipherSuite, ...] = tuple(
    s for s in ALL_SUITES if s.forward_secret and s.is_aead and s.cipher not in _CCM
)
"""The "default" policy: (EC)DHE with AES-GCM or ChaCha20-Poly1305: forward secrecy, no CBC."""

COMPATIBLE_SUITES: tuple[CipherSuite, ...] = tuple(
    s for s in ALL_SUITES if not s.cipher.short_tag
)
"""The "compatible" policy: adds CBC with HMAC (ECDHE and DHE), AES-CCM and RSA key transport
for legacy peers and devices; with it, SHA-1 and SHA-224 signatures are accepted too
(config.COMPATIBLE_SIGNATURE_SCHEMES). The _CCM_8 suites are in no policy (name them to use
them); RC4, 3DES, export, NULL and anonymous suites are never offered nor accepted."""

PSK_DEFAULT_SUITES: tuple[CipherSuite, ...] = tuple(
    s for s in PSK_SUITES if s.forward_secret and s.is_aead and not s.cipher.short_tag
)
"""With a PSK configured, the "default" policy adds these: ECDHE_PSK with an AEAD."""

PSK_COMPATIBLE_SUITES: tuple[CipherSuite, ...] = tuple(
    s for s in PSK_SUITES if not s.cipher.short_tag
)
"""With a PSK configured, "compatible" adds these: plain PSK (no forward secrecy) and CBC too."""

PSK_POLICIES: dict[str, tuple[CipherSuite, ...]] = {
    "default": PSK_DEFAULT_SUITES,
    "compatible": PSK_COMPATIBLE_SUITES,
}

POLICIES: dict[str, tuple[CipherSuite, ...]] = {
    "default": DEFAULT_SUITES,
    "compatible": COMPATIBLE_SUITES,
}

# OpenSSL's names, accepted as aliases on the command line.
OPENSSL_NAMES: dict[str, str] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "DHE-RSA-AES128-GCM-SHA256": "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "DHE-RSA-AES256-GCM-SHA384": "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "DHE-RSA-CHACHA20-POLY1305": "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-ECDSA-AES256-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "ECDHE-ECDSA-AES128-SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "ECDHE-ECDSA-AES256-SHA": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "ECDHE-RSA-AES128-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-RSA-AES256-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "ECDHE-RSA-AES128-SHA": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "ECDHE-RSA-AES256-SHA": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "DHE-RSA-AES128-SHA256": "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    "DHE-RSA-AES256-SHA256": "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    "DHE-RSA-AES128-SHA": "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    "DHE-RSA-AES256-SHA": "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    "AES128-GCM-SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "AES256-GCM-SHA384": "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "AES128-SHA256": "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "AES128-SHA": "TLS_RSA_WITH_AES_128_CBC_SHA",
    "AES256-SHA": "TLS_RSA_WITH_AES_256_CBC_SHA",
    "ECDHE-ECDSA-AES128-CCM": "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    "ECDHE-ECDSA-AES256-CCM": "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    "DHE-RSA-AES128-CCM": "TLS_DHE_RSA_WITH_AES_128_CCM",
    "DHE-RSA-AES256-CCM": "TLS_DHE_RSA_WITH_AES_256_CCM",
    "AES128-CCM": "TLS_RSA_WITH_AES_128_CCM",
    "AES256-CCM": "TLS_RSA_WITH_AES_256_CCM",
    "ECDHE-ECDSA-AES128-CCM8": "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
    "ECDHE-ECDSA-AES256-CCM8": "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
    "DHE-RSA-AES128-CCM8": "TLS_DHE_RSA_WITH_AES_128_CCM_8",
    "DHE-RSA-AES256-CCM8": "TLS_DHE_RSA_WITH_AES_256_CCM_8",
    "AES128-CCM8": "TLS_RSA_WITH_AES_128_CCM_8",
    "AES256-CCM8": "TLS_RSA_WITH_AES_256_CCM_8",
    "ECDHE-PSK-CHACHA20-POLY1305": "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-PSK-AES128-CBC-SHA256": "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
    "ECDHE-PSK-AES256-CBC-SHA384": "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
    "ECDHE-PSK-AES128-CBC-SHA": "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
    "ECDHE-PSK-AES256-CBC-SHA": "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
    "PSK-AES128-GCM-SHA256": "TLS_PSK_WITH_AES_128_GCM_SHA256",
    "PSK-AES256-GCM-SHA384": "TLS_PSK_WITH_AES_256_GCM_SHA384",
    "PSK-CHACHA20-POLY1305": "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
    "PSK-AES128-CCM": "TLS_PSK_WITH_AES_128_CCM",
    "PSK-AES256-CCM": "TLS_PSK_WITH_AES_256_CCM",
    "PSK-AES128-CCM8": "TLS_PSK_WITH_AES_128_CCM_8",
    "PSK-AES256-CCM8": "TLS_PSK_WITH_AES_256_CCM_8",
    "PSK-AES128-CBC-SHA256": "TLS_PSK_WITH_AES_128_CBC_SHA256",
    "PSK-AES256-CBC-SHA384": "TLS_PSK_WITH_AES_256_CBC_SHA384",
    "PSK-AES128-CBC-SHA": "TLS_PSK_WITH_AES_128_CBC_SHA",
    "PSK-AES256-CBC-SHA": "TLS_PSK_WITH_AES_256_CBC_SHA",
}


def lookup(name: str) -> CipherSuite | None:
    """A suite by IANA name or OpenSSL alias."""
    return BY_NAME.get(name) or BY_NAME.get(OPENSSL_NAMES.get(name, ""))


TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
TLS_FALLBACK_SCSV = 0x5600


OTHER_SUITE_NAMES = {
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
    TLS_FALLBACK_SCSV: "TLS_FALLBACK_SCSV",
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x1304: "TLS_AES_128_CCM_SHA256",
    0x1305: "TLS_AES_128_CCM_8_SHA256",
}
"""Values a TLS 1.2 ClientHello often lists that are not TLS 1.2 suites of ours: the
signalling values (RFC 5746, RFC 7507) and TLS 1.3's suites (RFC 8446 B.4), named in logs."""


def suite_name(suite_id: int) -> str:
    s = BY_ID.get(suite_id)
    if s is not None:
        return s.name
    other = OTHER_SUITE_NAMES.get(suite_id)
    if other is not None:
        return other
    if suite_id & 0x0F0F == 0x0A0A and suite_id >> 8 == suite_id & 0xFF:
        return f"GREASE {suite_id:#06x}"  # RFC 8701
    return f"unknown suite {suite_id:#06x}"
