"""The cipher suite table.

One row per suite: how keys are exchanged, how the server authenticates, how records are
protected, and which hash the PRF uses. Everything else (key block sizes, policy filters) is
derived from the row, so adding a suite is adding a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class KeyExchange(Enum):
    ECDHE = "ECDHE"
    DHE = "DHE"
    RSA = "RSA"


class Auth(Enum):
    RSA = "RSA"
    ECDSA = "ECDSA"


class BulkCipher(Enum):
    AES_128_GCM = "AES_128_GCM"
    AES_256_GCM = "AES_256_GCM"
    CHACHA20_POLY1305 = "CHACHA20_POLY1305"
    AES_128_CBC = "AES_128_CBC"
    AES_256_CBC = "AES_256_CBC"


_KEY_LEN = {
    BulkCipher.AES_128_GCM: 16,
    BulkCipher.AES_256_GCM: 32,
    BulkCipher.CHACHA20_POLY1305: 32,
    BulkCipher.AES_128_CBC: 16,
    BulkCipher.AES_256_CBC: 32,
}
# RFC 5288: 4-byte salt from the key block, 8-byte explicit nonce per record.
# RFC 7905: a 12-byte IV from the key block xored with the sequence number, no explicit nonce.
_FIXED_IV_LEN = {
    BulkCipher.AES_128_GCM: 4,
    BulkCipher.AES_256_GCM: 4,
    BulkCipher.CHACHA20_POLY1305: 12,
    BulkCipher.AES_128_CBC: 0,
    BulkCipher.AES_256_CBC: 0,
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
        return self.kx is not KeyExchange.RSA

    @property
    def key_len(self) -> int:
        return _KEY_LEN[self.cipher]

    @property
    def fixed_iv_len(self) -> int:
        return _FIXED_IV_LEN[self.cipher]

    @property
    def mac_key_len(self) -> int:
        return _MAC_KEY_LEN[self.mac]

    @property
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
)

BY_ID: dict[int, CipherSuite] = {s.id: s for s in ALL_SUITES}
BY_NAME: dict[str, CipherSuite] = {s.name: s for s in ALL_SUITES}

DEFAULT_SUITES: tuple[CipherSuite, ...] = tuple(
    s for s in ALL_SUITES if s.forward_secret and s.is_aead
)
"""The "default" policy: (EC)DHE with AEAD only: forward secrecy, no CBC."""

COMPATIBLE_SUITES: tuple[CipherSuite, ...] = ALL_SUITES
"""The "compatible" policy: adds CBC with HMAC (ECDHE and DHE) and RSA key transport for legacy
peers; with it, SHA-1 and SHA-224 signatures are accepted too (config.COMPATIBLE_SIGNATURE_SCHEMES).
RC4, 3DES, export, NULL and anonymous suites are in no policy: never offered nor accepted."""

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
}


def lookup(name: str) -> CipherSuite | None:
    """A suite by IANA name or OpenSSL alias."""
    return BY_NAME.get(name) or BY_NAME.get(OPENSSL_NAMES.get(name, ""))


TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
TLS_FALLBACK_SCSV = 0x5600


def suite_name(suite_id: int) -> str:
    s = BY_ID.get(suite_id)
    return s.name if s else f"unknown suite {suite_id:#06x}"
