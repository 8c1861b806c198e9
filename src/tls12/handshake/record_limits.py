"""Record size negotiation: RFC 6066 §4 max_fragment_length and RFC 8449 record_size_limit.

Pure choices from the hellos and the configuration, plus ``apply``, which hands the outcome
to the record layer. The hello code calls in with one line each; the rules live here:

- max_fragment_length (client asks, server echoes exactly or ignores): binds both directions
  at once, handshake messages included, and for the rest of the session, resumptions too; a
  server resumes a session only when the ClientHello asks for the session's length.
- record_size_limit (each side says what it accepts): binds the records protected by the
  keys of the handshake that carried it, in the direction towards whoever advertised it;
  negotiated again on every handshake. A value above 2^14 means 2^14 in TLS 1.2.
- A server that sees both uses record_size_limit and ignores max_fragment_length (RFC 8449
  §5); a client that gets both back aborts with illegal_parameter.
"""

from __future__ import annotations

from typing import NamedTuple

from tls12.config import ClientConfig, ServerConfig
from tls12.errors import IllegalParameter
from tls12.handshake.context import AnyContext
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, ServerHello
from tls12.record.limits import MAX_PLAINTEXT, MFL_LENGTHS
from tls12.sessions import Session


class RecordLimits(NamedTuple):
    """What one handshake settled about record sizes."""

    max_fragment_length: int | None = None
    """The RFC 6066 length both sides keep to; None when not negotiated."""
    peer_record_size_limit: int | None = None
    """The peer's RFC 8449 limit (above 2^14 read as 2^14); None when not negotiated."""
    own_record_size_limit: int | None = None
    """The RFC 8449 limit we advertised, when the extension was negotiated."""
    send_cap: int = MAX_PLAINTEXT
    """Our own cap on what we send (a server's ``max_fragment_length`` setting)."""

    @property
    def send_limit(self) -> int:
        """The most plaintext per record we send once our records are protected."""
        return min(
            self.send_cap,
            self.max_fragment_length or MAX_PLAINTEXT,
            self.peer_record_size_limit or MAX_PLAINTEXT,
        )

    @property
    def receive_limit(self) -> int:
        """The most plaintext per record we accept once the peer's records are protected."""
        return min(
            self.max_fragment_length or MAX_PLAINTEXT,
            self.own_record_size_limit or MAX_PLAINTEXT,
        )

    @property
    def receive_limit_name(self) -> str:
        if self.max_fragment_length is not None:
            return f"the negotiated max_fragment_length of {self.max_fragment_length} (RFC 6066 §4)"
        if self.own_record_size_limit is not None and self.own_record_size_limit < MAX_PLAINTEXT:
            return f"the record_size_limit of {self.own_record_size_limit} we advertised (RFC 8449)"
        return f"the limit of {MAX_PLAINTEXT} (RFC 5246 §6.2.1)"


NO_LIMITS = RecordLimits()


def _peer_limit(value: int) -> int:
    """RFC 8449 §4: a larger value than TLS 1.2 allows is allowed to be sent; it means 2^14."""
    return min(value, MAX_PLAINTEXT)


# -- client ---------------------------------------------------------------------------------


def client_extensions(config: ClientConfig) -> list[ext.Extension]:
    """What the ClientHello asks for: RFC 6066 and RFC 8449 may be offered together (§5)."""
    items: list[ext.Extension] = []
    if config.max_fragment_length is not None:
        items.append(ext.MaxFragmentLength(MFL_LENGTHS[config.max_fragment_length]))
    if config.record_size_limit is not None:
        items.append(ext.RecordSizeLimit(config.record_size_limit))
    return items


def offered(config: ClientConfig) -> dict[str, object]:
    """What the ClientHello asks for, for its trace entry."""
    return {
        "max_fragment_length": config.max_fragment_length,
        "record_size_limit": config.record_size_limit,
    }


def check_server_answer(config: ClientConfig, sh: ServerHello) -> RecordLimits:
    """The server's answer (extensions we did not offer were already refused)."""
    mfl = sh.extensions.get(ext.MaxFragmentLength)
    rsl = sh.extensions.get(ext.RecordSizeLimit)
    if mfl is not None and rsl is not None:
        raise IllegalParameter(
            "server answered both max_fragment_length and record_size_limit (RFC 8449 §5)"
        )
    if mfl is not None:
        asked = config.max_fragment_length
        if asked is None or mfl.length != asked:
            raise IllegalParameter(
                f"server answered max_fragment_length {mfl.length}, we asked for {asked} "
                "(RFC 6066 §4)"
            )
        return RecordLimits(max_fragment_length=mfl.length)
    if rsl is not None:
        return RecordLimits(
            peer_record_size_limit=_peer_limit(rsl.limit),
            own_record_size_limit=config.record_size_limit,
        )
    return NO_LIMITS


def session_offerable(config: ClientConfig, session: Session) -> bool:
    """Offer a session only with the length it was made with (RFC 6066 §4: the length
    applies for the session's whole life; OpenSSL's server aborts otherwise). A session
    without one may also be offered when record_size_limit is offered, which a server
    prefers to max_fragment_length."""
    if session.max_fragment_length == config.max_fragment_length:
        return True
    return session.max_fragment_length is None and config.record_size_limit is not None


def check_resumed(limits: RecordLimits, session: Session) -> None:
    """A resumed session keeps its max_fragment_length (RFC 6066 §4)."""
    if limits.max_fragment_length != session.max_fragment_length:
        raise IllegalParameter(
            f"server resumed a session made with max_fragment_length "
            f"{session.max_fragment_length} with {limits.max_fragment_length} (RFC 6066 §4)"
        )


# -- server ---------------------------------------------------------------------------------


def server_limits(config: ServerConfig, ch: ClientHello) -> RecordLimits:
    """What the server answers: the client's record_size_limit when offered (and then its
    max_fragment_length is ignored, RFC 8449 §5), else its max_fragment_length. Invalid
    values were refused when the extensions were decoded (illegal_parameter)."""
    cap = config.max_fragment_length or MAX_PLAINTEXT
    rsl = ch.extensions.get(ext.RecordSizeLimit)
    if rsl is not None:
        return RecordLimits(
            peer_record_size_limit=_peer_limit(rsl.limit),
            own_record_size_limit=config.record_size_limit or MAX_PLAINTEXT,
            send_cap=cap,
        )
    mfl = ch.extensions.get(ext.MaxFragmentLength)
    if mfl is not None:
        return RecordLimits(max_fragment_length=mfl.length, send_cap=cap)
    return RecordLimits(send_cap=cap)


def server_extensions(limits: RecordLimits) -> list[ext.Extension]:
    """The ServerHello's answer: the same max_fragment_length, or our record_size_limit."""
    if limits.max_fragment_length is not None:
        return [ext.MaxFragmentLength(MFL_LENGTHS[limits.max_fragment_length])]
    if limits.own_record_size_limit is not None:
        return [ext.RecordSizeLimit(limits.own_record_size_limit)]
    return []


def session_resumable(session: Session, limits: RecordLimits) -> bool:
    """Resume only with the session's max_fragment_length (RFC 6066 §4); otherwise a full
    handshake makes a new session with the length asked for now."""
    return session.max_fragment_length == limits.max_fragment_length


# -- both sides -----------------------------------------------------------------------------


def apply(ctx: AnyContext, limits: RecordLimits) -> None:
    """Hands the limits to the record layer, right after the ServerHello was sent or
    received, and notes them on that trace entry."""
    records = ctx.records
    mfl = limits.max_fragment_length
    if mfl is not None or limits.send_cap < MAX_PLAINTEXT:
        # RFC 6066 §4: "immediately", handshake messages included.
        send = min(limits.send_cap, mfl or MAX_PLAINTEXT)
        records.limit_records(send, mfl, limits.receive_limit_name)
    if limits != NO_LIMITS:
        records.limit_protected_records(
            limits.send_limit, limits.receive_limit, limits.receive_limit_name
        )
    if limits == NO_LIMITS or not ctx.trace.entries:
        return
    details: dict[str, object] = {}
    if mfl is not None:
        details["max_fragment_length"] = mfl
    # The value the ServerHello carried: the server's own limit.
    carried = limits.peer_record_size_limit if ctx.is_client else limits.own_record_size_limit
    if carried is not None:
        details["record_size_limit"] = carried
    details["record_limits"] = f"send<={limits.send_limit} receive<={limits.receive_limit}"
    ctx.trace.entries[-1].annotate(**details)
