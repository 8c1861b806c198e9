"""The state both sides reach after the Finished messages: application data flows, and an
attempt to renegotiate is refused with a no_renegotiation warning (RFC 5246 §7.2.2); the
connection goes on with its current keys. A server refuses a client up to
``max_refused_renegotiations`` times: a client that keeps asking is flooding, and the next
attempt ends the connection (a client refuses a server's HelloRequests without limit: old
servers send one now and then to rekey, and a client reads at its own pace). tls12 never
renegotiates (RFC 5746 leaves that choice to each side), so nothing is ever half-done."""

from __future__ import annotations

from typing import ClassVar

from tls12.errors import UnexpectedMessage
from tls12.events import Negotiated, RenegotiationRefused
from tls12.handshake.context import AnyContext
from tls12.handshake.finished import FinishedVerified
from tls12.handshake.state import State
from tls12.messages.handshake import HandshakeMessage
from tls12.sessions import Session
from tls12.wire.enums import AlertDescription


class Connected(State):
    connected = True
    renegotiation_request: ClassVar[type[HandshakeMessage]]
    """The message with which the peer would start a renegotiation."""

    def __init__(
        self,
        ctx: AnyContext,
        *,
        negotiated: Negotiated,
        proof: FinishedVerified,
        session: Session,
    ) -> None:
        super().__init__(ctx)
        self.negotiated = negotiated
        self.proof = proof
        self.session = session
        self.refused = 0
        ctx.release_handshake()  # both Finished messages are checked: nothing hashes it now

    def accepts(self, msg_type: int) -> bool:
        return msg_type == self.renegotiation_request.msg_type

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if isinstance(msg, self.renegotiation_request):
            limit = self.ctx.config.max_refused_renegotiations
            if not self.ctx.is_client and self.refused >= limit:
                raise UnexpectedMessage(
                    f"renegotiation asked for again after {limit} refusals "
                    "(max_refused_renegotiations)"
                )
            self.refused += 1
            self.ctx.send_alert(AlertDescription.no_renegotiation)
            self.ctx.events.append(RenegotiationRefused())
            return self
        return super().handle(msg, raw)
