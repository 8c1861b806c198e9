"""What every handshake state shares: the configuration, the transcript, and the ways to send.

States call ``received`` and ``send`` at exactly the point where a message enters the
transcript (as Go's crypto/tls does), so the hash each check uses is visible in the state code.
Outgoing handshake messages are gathered and written as few records as possible when the
flight ends (``flush``), or before a ChangeCipherSpec or an alert. Every byte the engine sends
goes through ``records.write_into`` into the connection's output buffer.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from tls12.config import ClientConfig, ServerConfig
from tls12.crypto import prf
from tls12.crypto.exporter import ExporterSecret
from tls12.crypto.suites import CipherSuite
from tls12.crypto.transcript import Transcript
from tls12.events import Event
from tls12.messages.alert import CHANGE_CIPHER_SPEC, Alert
from tls12.messages.handshake import HandshakeMessage
from tls12.ocsp import OcspResponse
from tls12.record.layer import RecordLayer
from tls12.record.protection import protection_for
from tls12.trace import Trace
from tls12.wire.enums import AlertDescription, ContentType

ConfigT = TypeVar("ConfigT", bound="ClientConfig | ServerConfig")


class HandshakeContext(Generic[ConfigT]):
    """One side's handshake: ``config`` is that side's configuration (ClientContext and
    ServerContext name the two)."""

    __slots__ = (
        "is_client",
        "config",
        "records",
        "transcript",
        "trace",
        "events",
        "_out",
        "_pending",
        "exporter",
        "first_finished",
        "ocsp_response",
        "_keyed_master",
    )

    def __init__(
        self, is_client: bool, config: ConfigT, records: RecordLayer, out: bytearray
    ) -> None:
        self.is_client = is_client
        self.config = config
        self.records = records
        self.transcript = Transcript()
        self.trace = Trace()
        self.events: list[Event] = []
        self._out = out
        self._pending = bytearray()
        self.exporter: ExporterSecret | None = None
        self.first_finished: bytes | None = None
        """verify_data of the handshake's first Finished (RFC 5929 tls-unique)."""
        self.ocsp_response: OcspResponse | None = None
        """Client: the server's stapled OCSP response, once checked (certificate_status.py)."""
        self._keyed_master: tuple[bytes, str, object] | None = None
        """(master, hash, its keyed HMAC state): the key block and both Finished values."""

    # -- messages -----------------------------------------------------------------------------

    def received(self, msg: HandshakeMessage, raw: bytes, **details: object) -> None:
        """Adds a received message to the transcript and the trace."""
        self.transcript.update(raw)
        self.trace.add("recv", msg, len(raw), self.records.read_encrypted, details)

    def send(self, msg: HandshakeMessage, **details: object) -> None:
        self.send_encoded(msg, msg.encode(), **details)

    def send_encoded(self, msg: HandshakeMessage, raw: bytes, **details: object) -> None:
        """``send`` for a message encoded once per configuration (handshake/precomputed.py)."""
        self.transcript.update(raw)
        self.trace.add("send", msg, len(raw), self.records.write_encrypted, details)
        self._pending += raw

    def flush(self) -> None:
        """Writes the queued handshake messages as records."""
        if self._pending:
            self.records.write_into(self._out, ContentType.handshake, bytes(self._pending))
            self._pending.clear()

    def send_change_cipher_spec(self) -> None:
        self.flush()
        self.records.write_into(self._out, ContentType.change_cipher_spec, CHANGE_CIPHER_SPEC)
        self.trace.add_ccs("send", self.records.write_encrypted)
        self.records.activate_write()

    def send_alert(self, description: AlertDescription) -> None:
        """The one alert writer, for the states and the engine alike: queued handshake
        messages first, the level picked from the description (``Alert.for_description``)."""
        self.flush()
        alert = Alert.for_description(description)
        self.trace.add_alert(
            "send", alert.level.name, description.name, self.records.write_encrypted
        )
        self.records.write_into(self._out, ContentType.alert, alert.encode())

    def note_change_cipher_spec_received(self) -> None:
        self.trace.add_ccs("recv", self.records.read_encrypted)
        self.records.activate_read()

    # -- keys ---------------------------------------------------------------------------------

    def install_pending_keys(
        self,
        suite: CipherSuite,
        master: bytes,
        client_random: bytes,
        server_random: bytes,
        encrypt_then_mac: bool = False,
    ) -> None:
        """Derives the key block and readies both directions for the next ChangeCipherSpec."""
        km = prf.key_block(
            suite, master, client_random, server_random, self._keyed(suite.prf_hash, master)
        )
        etm = encrypt_then_mac
        client = protection_for(suite, km.client_key, km.client_iv, km.client_mac_key, etm)
        server = protection_for(suite, km.server_key, km.server_iv, km.server_mac_key, etm)
        if self.is_client:
            self.records.set_pending_write(client)
            self.records.set_pending_read(server)
        else:
            self.records.set_pending_write(server)
            self.records.set_pending_read(client)
        self.exporter = ExporterSecret(suite.prf_hash, master, client_random, server_random)
        if self.config.keylog is not None:
            self.config.keylog(f"CLIENT_RANDOM {client_random.hex()} {master.hex()}")

    def _keyed(self, hash_name: str, master: bytes) -> object:
        """The master secret's keyed HMAC state, made once per handshake (prf.keyed)."""
        kept = self._keyed_master
        if kept is not None and kept[0] is master and kept[1] == hash_name:
            return kept[2]
        keyed = prf.keyed(hash_name, master)
        self._keyed_master = (master, hash_name, keyed)
        return keyed

    def release_handshake(self) -> None:
        """Once both Finished messages are checked: the transcript (``Transcript.release``)
        and the master secret's keyed state are no longer needed."""
        self.transcript.release()
        self._keyed_master = None

    def finished_data(self, suite: CipherSuite, master: bytes, from_client: bool) -> bytes:
        """verify_data over the transcript as it stands now (RFC 5246 §7.4.9). The first one
        computed is the first Finished on the wire, ours or the peer's (each side computes
        the first before the second), kept as ``first_finished`` for tls-unique."""
        label = b"client finished" if from_client else b"server finished"
        digest = self.transcript.digest(suite.prf_hash)
        keyed = self._keyed(suite.prf_hash, master)
        data = prf.verify_data(suite.prf_hash, master, label, digest, keyed)
        if self.first_finished is None:
            self.first_finished = data
        return data


ClientContext = HandshakeContext[ClientConfig]
ServerContext = HandshakeContext[ServerConfig]
AnyContext = ClientContext | ServerContext
"""What the states both sides share (State, Connected, the Finished helpers) are given."""
