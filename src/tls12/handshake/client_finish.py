"""The client's last steps, shared by the full and the abbreviated handshake.

Once the master secret is known the two handshakes differ only in who finishes first:

    full:         ... we send CCS + Finished;  [NewSessionTicket] CCS Finished  → connected
    abbreviated:  ServerHello [NewSessionTicket] CCS Finished;  we send CCS + Finished → connected

Transitions:

    ExpectNewSessionTicket  --NewSessionTicket-->  ExpectChangeCipherSpec
    ExpectChangeCipherSpec  --ChangeCipherSpec-->  ExpectFinished
    ExpectFinished          --Finished-->          ClientConnected (abbreviated: sends CCS Finished)
    ClientConnected         --HelloRequest-->      ClientConnected (no_renegotiation warning)
"""

from __future__ import annotations

from tls12.events import HandshakeComplete
from tls12.handshake.agreement import Agreement, negotiated, new_session
from tls12.handshake.connected import Connected
from tls12.handshake.context import HandshakeContext
from tls12.handshake.finished import check_finished, send_finished
from tls12.handshake.state import State
from tls12.messages.handshake import Finished, HandshakeMessage, HelloRequest, NewSessionTicket
from tls12.sessions import DEFAULT_LIFETIME, Session


def after_keys(ctx: HandshakeContext, agreement: Agreement, *, ticket_expected: bool) -> State:
    """The state that follows once keys are installed: a ticket first if the server said so
    (RFC 5077 §3.3: its ServerHello carried an empty session_ticket)."""
    if ticket_expected:
        return ExpectNewSessionTicket(ctx, agreement)
    return ExpectChangeCipherSpec(ctx, agreement, ticket=None)


class ExpectNewSessionTicket(State):
    expects = (NewSessionTicket,)

    def __init__(self, ctx: HandshakeContext, agreement: Agreement) -> None:
        super().__init__(ctx)
        self.agreement = agreement

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, NewSessionTicket):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, lifetime_hint=msg.lifetime_hint, size=len(msg.ticket))
        return ExpectChangeCipherSpec(self.ctx, self.agreement, ticket=msg)


class ExpectChangeCipherSpec(State):
    def __init__(
        self, ctx: HandshakeContext, agreement: Agreement, *, ticket: NewSessionTicket | None
    ) -> None:
        super().__init__(ctx)
        self.agreement, self.ticket = agreement, ticket

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, self.agreement, ticket=self.ticket)


class ExpectFinished(State):
    expects = (Finished,)

    def __init__(
        self, ctx: HandshakeContext, agreement: Agreement, *, ticket: NewSessionTicket | None
    ) -> None:
        super().__init__(ctx)
        self.agreement, self.ticket = agreement, ticket

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        agreement, ctx = self.agreement, self.ctx
        suite = agreement.suite
        proof = check_finished(ctx, suite, agreement.master, msg, from_client=False)
        ctx.received(msg, raw)
        if agreement.resumed is not None:
            send_finished(ctx, suite, agreement.master, from_client=True)
        result = negotiated(agreement)
        ctx.events.append(HandshakeComplete(result))
        return ClientConnected(ctx, result, proof, self._session())

    def _session(self) -> Session:
        """The session to resume later: the old one (with any new ticket) or a new one."""
        agreement = self.agreement
        if agreement.resumed is not None:
            session = agreement.resumed
        else:
            session = new_session(
                agreement, created=self.ctx.config.clock(), lifetime=DEFAULT_LIFETIME
            )
        if self.ticket is not None:
            session = session.with_ticket(self.ticket.ticket, self.ticket.lifetime_hint)
        return session


class ClientConnected(Connected):
    """A server's HelloRequest asks us to renegotiate (RFC 5246 §7.4.1.1)."""

    renegotiation_request = HelloRequest
