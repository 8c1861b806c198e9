"""OpenSSL's cipher-string grammar (``SSLContext.set_ciphers``) over tls12's TLS 1.2 suites.

It follows OpenSSL's ``ssl_cipher_apply_rule`` (ssl/ssl_ciph.c) step by step, so a string
selects the same suites, in the same order, as Python's ``ssl`` would among the suites tls12
has (tests/io/test_cipher_string.py compares the two on many strings):

- every suite sits in one chain, first in OpenSSL's default order, each active or not;
- ``NAME`` or ``A+B`` (the suites matching every alias joined by ``+``) activates the
  matching inactive suites, moving them to the end; ``+A`` moves matching active suites to
  the end; ``-A`` deactivates them, moving them to the front (so a later ADD brings the most
  recently deleted back first); ``!A`` removes them for good;
- ``@STRENGTH`` sorts the active suites by secret bits, strongest first (stable);
  ``@SECLEVEL=n`` is accepted (every tls12 suite has 128-bit security or more);
- ``DEFAULT`` at the start is OpenSSL's default list; a word that matches nothing matches
  nothing (OpenSSL ignores it too), and a string that leaves no suite raises
  ``ssl.SSLError("No cipher can be selected.")``.
Elements are separated by ``:`` (``,`` and spaces too, as in OpenSSL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tls12.crypto.suites import (
    BY_NAME,
    OPENSSL_NAMES,
    Auth,
    BulkCipher,
    CipherSuite,
    KeyExchange,
)

_OPENSSL_ORDER = (
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "AES256-GCM-SHA384",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES256-SHA",
    "AES128-SHA",
)
DEFAULT_ORDER: tuple[CipherSuite, ...] = tuple(BY_NAME[OPENSSL_NAMES[n]] for n in _OPENSSL_ORDER)
"""tls12's suites in OpenSSL's default order (what ``ALL`` lists)."""

_OPENSSL_NAME = {BY_NAME[iana]: name for name, iana in OPENSSL_NAMES.items()}

Match = Callable[[CipherSuite], bool]
_GCM = (BulkCipher.AES_128_GCM, BulkCipher.AES_256_GCM)
_AES128 = (BulkCipher.AES_128_GCM, BulkCipher.AES_128_CBC)
_AES256 = (BulkCipher.AES_256_GCM, BulkCipher.AES_256_CBC)


def _kx(kx: KeyExchange) -> Match:
    return lambda s: s.kx == kx


def _auth(auth: Auth) -> Match:
    return lambda s: s.auth == auth


def _ciphers(*ciphers: BulkCipher) -> Match:
    return lambda s: s.cipher in ciphers


def _mac(mac: str) -> Match:
    return lambda s: s.mac == mac


def _everything(s: CipherSuite) -> bool:
    return True


ALIASES: dict[str, Match] = {
    "ALL": _everything,
    "HIGH": _everything,  # every tls12 suite has a 128- or 256-bit cipher: OpenSSL's HIGH
    "kECDHE": _kx(KeyExchange.ECDHE),
    "kEECDH": _kx(KeyExchange.ECDHE),
    "ECDHE": _kx(KeyExchange.ECDHE),
    "EECDH": _kx(KeyExchange.ECDHE),
    "kDHE": _kx(KeyExchange.DHE),
    "kEDH": _kx(KeyExchange.DHE),
    "DHE": _kx(KeyExchange.DHE),
    "EDH": _kx(KeyExchange.DHE),
    "kRSA": _kx(KeyExchange.RSA),
    "RSA": _kx(KeyExchange.RSA),
    "aRSA": _auth(Auth.RSA),
    "aECDSA": _auth(Auth.ECDSA),
    "ECDSA": _auth(Auth.ECDSA),
    "AESGCM": _ciphers(*_GCM),
    "AES128": _ciphers(*_AES128),
    "AES256": _ciphers(*_AES256),
    "AES": _ciphers(*_AES128, *_AES256),
    "CHACHA20": _ciphers(BulkCipher.CHACHA20_POLY1305),
    "SHA1": _mac("SHA1"),
    "SHA": _mac("SHA1"),
    "SHA256": _mac("SHA256"),
    "SHA384": _mac("SHA384"),
    "TLSv1.2": lambda s: s.mac != "SHA1",
    "TLSv1": _mac("SHA1"),
    "SSLv3": _mac("SHA1"),
}
"""OpenSSL's aliases that match some tls12 suite; any other word matches none (OpenSSL's
eNULL, aNULL, RC4, 3DES, MD5, PSK, CAMELLIA, MEDIUM, LOW, EXPORT ... have no tls12 suite)."""


def _exactly(suite: CipherSuite | None) -> Match:
    return lambda s: s == suite


def _matcher(word: str) -> Match:
    parts = word.split("+")
    tests: list[Match] = []
    for part in parts:
        if part in ALIASES:
            tests.append(ALIASES[part])
        else:
            tests.append(_exactly(BY_NAME.get(OPENSSL_NAMES.get(part, part))))
    return lambda s: all(t(s) for t in tests)


def _strength(s: CipherSuite) -> int:
    return s.key_len * 8


class NoCipherSelected(ValueError):
    """The string leaves no suite (``ssl`` raises SSLError "No cipher can be selected.")."""


@dataclass(eq=False)  # entries are found and removed by identity
class _Entry:
    """One suite in the cipher string's ordered chain, and whether it is selected."""

    suite: CipherSuite
    active: bool


def select(spec: str) -> list[CipherSuite]:
    """The suites ``spec`` selects, in order (raises NoCipherSelected when none)."""
    chain = [_Entry(s, False) for s in DEFAULT_ORDER]
    words = [w for w in spec.replace(",", ":").replace(" ", ":").split(":") if w]
    if words and words[0] == "DEFAULT":
        for entry in chain:
            entry.active = True
        words = words[1:]
    for word in words:
        if word.startswith("@"):
            if word == "@STRENGTH":
                active = [e for e in chain if e.active]
                inactive = [e for e in chain if not e.active]
                active.sort(key=lambda e: -_strength(e.suite))
                chain = inactive + active
            elif not word.startswith("@SECLEVEL="):
                raise NoCipherSelected(f"unknown cipher-string command {word!r}")
            continue
        op, name = (word[0], word[1:]) if word[0] in "!-+" else ("", word)
        match = _matcher(name)
        hits = [e for e in chain if match(e.suite)]
        if op == "":
            for e in hits:
                if not e.active:
                    chain.remove(e)
                    chain.append(e)
                    e.active = True
        elif op == "+":
            for e in hits:
                if e.active:
                    chain.remove(e)
                    chain.append(e)
        elif op == "-":
            for e in reversed(hits):
                if e.active:
                    chain.remove(e)
                    chain.insert(0, e)
                    e.active = False
        else:
            for e in hits:
                chain.remove(e)
    chosen = [e.suite for e in chain if e.active]
    if not chosen:
        raise NoCipherSelected("No cipher can be selected.")
    return chosen


def openssl_name(suite: CipherSuite) -> str:
    return _OPENSSL_NAME.get(suite, suite.name)
