"""The end of the handshake both sides share: the master secret, our ChangeCipherSpec and
Finished, and the check of the peer's Finished (RFC 5246 §7.4.9, §8.1; RFC 7627 §4).

``check_finished`` is the only way to obtain a ``FinishedVerified``, and the connected states
take one as a required argument: the traffic state cannot exist without the proof (rule 4).
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from tls12.crypto import prf
from tls12.crypto.suites import CipherSuite
from tls12.errors import DecodeError, DecryptError
from tls12.handshake.context import AnyContext
from tls12.messages.handshake import Finished

VERIFY_DATA_LEN = 12


class FinishedVerified(NamedTuple):
    """Proof that the peer's Finished matched; the connected states require one."""

    verify_data: bytes


def check_finished(
    ctx: AnyContext, suite: CipherSuite, master: bytes, msg: Finished, from_client: bool
) -> FinishedVerified:
    """Compares the peer's verify_data with ours in constant time (before the transcript takes
    the Finished itself)."""
    if len(msg.verify_data) != VERIFY_DATA_LEN:
        raise DecodeError(f"Finished carries {len(msg.verify_data)} bytes, expected 12")
    expected = ctx.finished_data(suite, master, from_client=from_client)
    if not hmac.compare_digest(expected, msg.verify_data):
        side = "client" if from_client else "server"
        raise DecryptError(f"the {side}'s Finished message does not match the handshake")
    return FinishedVerified(msg.verify_data)


def derive_master_secret(
    ctx: AnyContext,
    suite: CipherSuite,
    premaster: bytes,
    *,
    client_random: bytes,
    server_random: bytes,
    extended: bool,
) -> bytes:
    """The master secret from the premaster (RFC 5246 §8.1), or with the extended master
    secret over the session hash up to and including ClientKeyExchange (RFC 7627 §4)."""
    if extended:
        session_hash = ctx.transcript.digest(suite.prf_hash)
        return prf.extended_master_secret(suite.prf_hash, premaster, session_hash)
    return prf.master_secret(suite.prf_hash, premaster, client_random, server_random)


def send_finished(
    ctx: AnyContext, suite: CipherSuite, master: bytes, *, from_client: bool
) -> None:
    """Ends our flight: ChangeCipherSpec, then Finished under the new keys, then the write
    (RFC 5246 §7.4.9)."""
    ctx.send_change_cipher_spec()
    ctx.send(Finished(ctx.finished_data(suite, master, from_client=from_client)))
    ctx.flush()
