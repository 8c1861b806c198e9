"""The server's decision to resume (RFC 5246 §7.4.1.2, RFC 5077 §3.4, RFC 7627 §5.3, RFC 6066
§3): find the offered session by ticket or by ID, then resume only when every rule allows.

Any reason not to resume means a full handshake, never an error, with one exception written in
RFC 7627 §5.3: a session made with the extended master secret, offered in a ClientHello that
no longer carries the extension, aborts the handshake.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from tls12.config import ClientAuth, ServerConfig
from tls12.crypto.suites import BY_ID, CipherSuite
from tls12.errors import HandshakeFailure
from tls12.handshake import record_limits
from tls12.handshake.psk import checked_key, key_binding
from tls12.handshake.server_hello import HelloFacts
from tls12.sessions import Session


class Resumption(NamedTuple):
    session: Session
    suite: CipherSuite
    by_ticket: bool


def find_resumable(config: ServerConfig, facts: HelloFacts) -> Resumption | None:
    ch = facts.client_hello
    session: Session | None = None
    by_ticket = False
    ticket = facts.session_ticket
    if ticket and config.session_tickets and config.ticket_keys:
        session = config.ticket_keys.open(ticket)
        by_ticket = session is not None
        if by_ticket and not ch.session_id:
            # We recognise resumption by echoing the client's session ID; without one the
            # client could not tell, so do a full handshake (RFC 5077 §3.4 allows either).
            return None
    if session is None and ch.session_id and config.session_store is not None:
        session = config.session_store.get(ch.session_id)
    if session is None:
        return None
    if session.expired(config.clock()):
        return None
    suite = BY_ID.get(session.cipher_suite)
    if suite is None or suite.id not in ch.cipher_suites or suite not in config.cipher_suites:
        return None
    if (session.server_name or None) != (facts.server_name or None):
        return None
    if session.extended_master_secret and not facts.client_offered_ems:
        raise HandshakeFailure(
            "client offers a session made with the extended master secret "
            "without offering the extension (RFC 7627 §5.3)"
        )
    if session.extended_master_secret != facts.extended_master_secret:
        return None
    if session.psk_identity is not None:
        # A PSK session resumes only while its identity still has the key it was made with
        # (revoking or rotating a key ends its sessions); the PSK authenticated the client,
        # so client_auth does not apply.
        found = config.psk_lookup(session.psk_identity) if config.psk_lookup else None
        if not found or not hmac.compare_digest(
            key_binding(checked_key(found, "psk_lookup")), session.psk_binding
        ):
            return None
    elif config.client_auth is ClientAuth.REQUIRED and not session.peer_certificates_der:
        return None
    if not record_limits.session_resumable(session, facts.record_limits):
        return None
    return Resumption(session, suite, by_ticket)
