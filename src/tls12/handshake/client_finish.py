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

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tls12.events import HandshakeComplete, Negotiated
from tls12.handshake.client_hello import ServerHelloResult
from tls12.handshake.connected import Connected
from tls12.handshake.context import HandshakeContext
from tls12.handshake.finished import check_finished
from tls12.handshake.state import State
from tls12.messages.extensions import SessionTicket
from tls12.messages.handshake import Finished, HandshakeMessage, HelloRequest, NewSessionTicket
from tls12.sessions import DEFAULT_LIFETIME, Session
from tls12.wire.enums import NamedGroup, SignatureScheme


@dataclass(frozen=True)
class ClientKeys:
    """What the client knows once the master secret is fixed."""

    hello: ServerHelloResult
    master: bytes
    resumed: Session | None
    """The session being resumed, for an abbreviated handshake."""
    peer_certificates: tuple[x509.Certificate, ...]
    group: NamedGroup | None
    scheme: SignatureScheme | None


def after_keys(ctx: HandshakeContext, keys: ClientKeys) -> State:
    """The state that follows once keys are installed: a ticket first if the server said so."""
    if keys.hello.server_hello.extensions.has(SessionTicket):
        return ExpectNewSessionTicket(ctx, keys)
    return ExpectChangeCipherSpec(ctx, keys, None)


class ExpectNewSessionTicket(State):
    expects = (NewSessionTicket,)

    def __init__(self, ctx: HandshakeContext, keys: ClientKeys) -> None:
        super().__init__(ctx)
        self.keys = keys

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, NewSessionTicket):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, lifetime_hint=msg.lifetime_hint, size=len(msg.ticket))
        return ExpectChangeCipherSpec(self.ctx, self.keys, msg)


class ExpectChangeCipherSpec(State):
    def __init__(
        self, ctx: HandshakeContext, keys: ClientKeys, ticket: NewSessionTicket | None
    ) -> None:
        super().__init__(ctx)
        self.keys, self.ticket = keys, ticket

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, self.keys, self.ticket)


class ExpectFinished(State):
    expects = (Finished,)

    def __init__(
        self, ctx: HandshakeContext, keys: ClientKeys, ticket: NewSessionTicket | None
    ) -> None:
        super().__init__(ctx)
        self.keys, self.ticket = keys, ticket

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        keys, ctx = self.keys, self.ctx
        suite = keys.hello.suite
        proof = check_finished(ctx, suite, keys.master, msg, from_client=False)
        ctx.received(msg, raw)
        if keys.resumed is not None:
            ctx.send_change_cipher_spec()
            ctx.send(Finished(ctx.finished_data(suite, keys.master, from_client=True)))
            ctx.flush()
        hello = keys.hello
        negotiated = Negotiated(
            version="TLSv1.2",
            cipher_suite=suite,
            group=keys.group,
            signature_scheme=keys.scheme,
            alpn_protocol=hello.alpn_protocol.decode() if hello.alpn_protocol else None,
            server_name=hello.server_name,
            extended_master_secret=hello.extended_master_secret,
            secure_renegotiation=hello.secure_renegotiation,
            resumed=keys.resumed is not None,
            session_id=hello.server_hello.session_id,
            encrypt_then_mac=hello.encrypt_then_mac,
            peer_certificates=keys.peer_certificates,
        )
        session = self._session(negotiated)
        ctx.events.append(HandshakeComplete(negotiated))
        return ClientConnected(ctx, negotiated, proof, session)

    def _session(self, negotiated: Negotiated) -> Session:
        """The session to resume later: the old one (with any new ticket) or a new one."""
        keys = self.keys
        if keys.resumed is not None:
            session = keys.resumed
        else:
            session = Session(
                session_id=negotiated.session_id,
                cipher_suite=negotiated.cipher_suite.id,
                master_secret=keys.master,
                extended_master_secret=negotiated.extended_master_secret,
                server_name=negotiated.server_name,
                alpn_protocol=negotiated.alpn_protocol,
                peer_certificates_der=tuple(
                    c.public_bytes(Encoding.DER) for c in negotiated.peer_certificates
                ),
                created=self.ctx.config.clock(),
                lifetime=DEFAULT_LIFETIME,
            )
        if self.ticket is not None:
            session = session.with_ticket(self.ticket.ticket, self.ticket.lifetime_hint)
        return session


class ClientConnected(Connected):
    """A server's HelloRequest asks us to renegotiate (RFC 5246 §7.4.1.1)."""

    renegotiation_request = HelloRequest
