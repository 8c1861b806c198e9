"""The base of every handshake state: anything a state does not expect is unexpected_message.

A state handles one message and returns the next state (design rule 3). Subclasses override
only the inputs they accept, so a message in the wrong state fails by construction.
"""

from __future__ import annotations

from typing import ClassVar

from tls12.errors import UnexpectedMessage
from tls12.handshake.context import AnyContext
from tls12.messages.handshake import HandshakeMessage
from tls12.wire.enums import AlertDescription


class State:
    """One step of a handshake."""

    connected = False
    """True only for the states in which application data may flow."""

    expects: ClassVar[tuple[type[HandshakeMessage], ...]] = ()
    """The handshake messages this state handles. The engine asks ``accepts`` with the type
    from the message header, so any other type is unexpected_message before its body is
    decoded (RFC 5246 §7.4): a ClientHello body sent as server_hello_done is refused for its
    type, not for its bytes."""

    _accepted: ClassVar[frozenset[int]] = frozenset()
    """The header types of ``expects``, one set per class (``__init_subclass__``), so that
    ``accepts`` is one lookup per message rather than a scan."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._accepted = frozenset(int(m.msg_type) for m in cls.expects)

    def __init__(self, ctx: AnyContext) -> None:
        self.ctx = ctx

    def accepts(self, msg_type: int) -> bool:
        return msg_type in self._accepted

    def ignores(self, msg_type: int) -> bool:
        """Whether a message of this type is read and dropped in this state (the client's
        HelloRequest mid-handshake); asked before ``accepts``."""
        return False

    @property
    def name(self) -> str:
        return type(self).__name__

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        raise UnexpectedMessage(f"{type(msg).__name__} is not expected in state {self.name}")

    def refusal_hint(self, description: AlertDescription) -> str | None:
        """What to tell the user when the peer ends the handshake with a fatal alert in this
        state: a hint about the setting that may help, or None."""
        return None

    def handle_change_cipher_spec(self) -> State:
        raise UnexpectedMessage(f"ChangeCipherSpec is not expected in state {self.name}")


class Failed(State):
    """Terminal: the handshake or connection ended with an error."""
