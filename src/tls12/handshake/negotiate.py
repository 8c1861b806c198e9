"""Pure choices: cipher suite, ECDHE and FFDHE group, encrypt-then-MAC, ALPN protocol.

No I/O, no state: each function takes what the two sides said and returns the pick, or None
when there is nothing in common. The states turn a None into the right alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tls12.crypto.suites import CipherSuite
from tls12.errors import NoApplicationProtocol
from tls12.wire.enums import NamedGroup


def choose_suite(
    offered: Sequence[int],
    ours: Sequence[CipherSuite],
    prefer_client_order: bool,
    usable: Callable[[CipherSuite], bool],
) -> CipherSuite | None:
    """The first suite both sides have (in the preferred side's order) that ``usable`` accepts."""
    offered_set = set(offered)
    if prefer_client_order:
        by_id = {s.id: s for s in ours}
        candidates = [by_id[i] for i in offered if i in by_id]
    else:
        candidates = [s for s in ours if s.id in offered_set]
    for suite in candidates:
        if usable(suite):
            return suite
    return None


FFDHE_RANGE = range(256, 512)  # RFC 7919 §2: the FFDHE code points


def is_ffdhe(group: int) -> bool:
    # Compare, not ``in range``: range containment falls back to a linear scan for int
    # subclasses such as NamedGroup.
    return FFDHE_RANGE.start <= group < FFDHE_RANGE.stop


def choose_group(
    client_groups: Sequence[int] | None, ours: Sequence[NamedGroup]
) -> NamedGroup | None:
    """Our most preferred elliptic-curve group the client listed (its FFDHE entries are
    ``choose_ffdhe``'s). A client that sent no supported_groups leaves the choice to us
    (RFC 8422 §4): such a client predates X25519, and secp256r1 is the curve it has, so that
    one when we have it."""
    if client_groups is None:
        if NamedGroup.secp256r1 in ours:
            return NamedGroup.secp256r1
        return ours[0] if ours else None
    listed = {g for g in client_groups if not is_ffdhe(g)}
    for g in ours:
        if g in listed:
            return g
    return None


def choose_ffdhe(
    client_groups: Sequence[int] | None, ours: Sequence[NamedGroup]
) -> NamedGroup | None:
    """Our most preferred FFDHE group the client listed. RFC 7919 §4: a client that lists no
    FFDHE group leaves the choice to us; one that lists some but none we have rules DHE out."""
    listed = {g for g in (client_groups or ()) if is_ffdhe(g)}
    if not listed:
        return ours[0] if ours else None
    for g in ours:
        if g in listed:
            return g
    return None


def choose_encrypt_then_mac(suite: CipherSuite, ours: bool, client_offered: bool) -> bool:
    """RFC 7366 §3: encrypt-then-MAC only for a block-cipher suite, when both sides want it
    (the full and the abbreviated handshake decide it alike)."""
    return not suite.is_aead and ours and client_offered


def alpn_name(protocol: bytes | None) -> str | None:
    """The protocol as the application sees it, decoded once when the hello is read."""
    return protocol.decode(errors="replace") if protocol is not None else None


def choose_alpn(client: Sequence[bytes] | None, ours: Sequence[bytes]) -> bytes | None:
    """Our most preferred protocol the client offered. When both sides use ALPN and share no
    protocol the handshake fails with no_application_protocol (RFC 7301 §3.2)."""
    if not client or not ours:
        return None
    offered = set(client)
    for p in ours:
        if p in offered:
            return p
    listed = ", ".join(p.decode(errors="replace") for p in client[:8])
    raise NoApplicationProtocol(
        f"no application protocol in common: client offered {listed}, "
        f"server supports {', '.join(p.decode(errors='replace') for p in ours)}"
    )
