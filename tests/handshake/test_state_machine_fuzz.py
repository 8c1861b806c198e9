"""Stateful fuzzing: a client and a server joined by a hostile network, driven by hypothesis.

The network holds each side's queued records. The rules deliver the next bytes (whole or cut at
an arbitrary point), deliver a mutated copy instead, inject a well-formed record (a handshake
message from the codec, a ChangeCipherSpec, a warning alert, empty application data; in the
clear, or sealed with the key the receiver reads with, as an insider could), send application
data, and close. Whatever the interleaving:

* only TLSErrors escape, and never InternalError;
* after an error every call raises that same error;
* the application data a side received is always a prefix of what its peer sent, and when
  nothing was tampered with and no error occurred, it is all of it once the network is drained.

This complements test_fuzz_engine.py (single flights into fixed states) and fuzz/ (atheris):
here the *order* of events is what is fuzzed.
"""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from tls_support import pki

from tls12.config import ClientAuth
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.errors import ConnectionClosedError, InternalError, TLSError, UsageError
from tls12.events import ApplicationData
from tls12.messages import handshake as hs
from tls12.messages.alert import Alert
from tls12.wire.enums import AlertDescription, AlertLevel, ContentType

SCALE = float(os.environ.get("TLS12_FUZZ_SCALE", "1"))
SIDES = ("client", "server")
# The hostile rules act only when ``act`` is True (about one time in four), so that most runs
# get far enough (through the handshake, into application data) to be interesting; shrinking
# goes towards False, the honest network.
act = st.sampled_from((False, False, False, True))
_HEADER = struct.Struct(">BHH")


def _peer(side: str) -> str:
    return "server" if side == "client" else "client"


def _configs(name: str):  # type: ignore[no-untyped-def]
    p = pki()
    if name == "default":
        return p.client_config(), p.server_config()
    if name == "compatible-cbc":
        return (
            p.client_config(cipher_suites=[0xC027, 0xC013]),
            p.server_config(cipher_suites="compatible"),
        )
    if name == "rsa-kx":
        return (
            p.client_config(cipher_suites=[0x009C], extended_master_secret=False),
            p.server_config(cipher_suites="compatible"),
        )
    if name == "client-auth":
        return (
            p.client_config(client_certificates=[p.certified(p.client_ecdsa)]),
            p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust),
        )
    raise AssertionError(name)


CONFIGS = ("default", "compatible-cbc", "rsa-kx", "client-auth")

# -- well-formed things to inject ----------------------------------------------------------------

handshake_messages = st.one_of(
    st.just(hs.HelloRequest()),
    st.just(hs.ServerHelloDone()),
    st.builds(hs.Finished, st.binary(min_size=12, max_size=12)),
    st.builds(hs.NewSessionTicket, st.integers(0, 2**32 - 1), st.binary(max_size=64)),
    st.builds(hs.Certificate, st.just(())),
    st.builds(hs.ClientKeyExchange, st.binary(min_size=1, max_size=70)),
    st.builds(hs.ServerKeyExchange, st.binary(min_size=1, max_size=70)),
    st.builds(
        hs.CertificateVerify, st.sampled_from([0x0403, 0x0804]), st.binary(min_size=1, max_size=8)
    ),
    st.builds(
        hs.CertificateRequest,
        st.just((1, 64)),
        st.just((0x0403, 0x0804)),
    ),
    st.builds(
        hs.ClientHello,
        random=st.binary(min_size=32, max_size=32),
        cipher_suites=st.sampled_from([(0xC02B, 0xC02F), (0x009C,), (0x1301,)]),
    ),
    st.builds(
        hs.ServerHello,
        random=st.binary(min_size=32, max_size=32),
        cipher_suite=st.sampled_from([0xC02B, 0xC02F, 0x009C]),
    ),
).map(lambda m: (ContentType.handshake, m.encode()))

injections = st.one_of(
    handshake_messages,
    st.just((ContentType.change_cipher_spec, b"\x01")),
    st.sampled_from(
        [AlertDescription.close_notify, AlertDescription.user_canceled,
         AlertDescription.no_renegotiation, AlertDescription.unrecognized_name]
    ).map(lambda d: (ContentType.alert, Alert(AlertLevel.warning, d).encode())),
    st.just((ContentType.application_data, b"")),
)

mutations = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]),
    st.integers(0, 4095),
    st.integers(0, 7),
    st.binary(min_size=1, max_size=4),
)


def _mutate(data: bytes, mutation: tuple[str, int, int, bytes]) -> bytes:
    kind, pos, bit, blob = mutation
    buf = bytearray(data)
    if not buf:
        return bytes(blob)
    i = pos % len(buf)
    if kind == "flip":
        buf[i] ^= 1 << bit
    elif kind == "insert":
        buf[i:i] = blob
    elif kind == "delete":
        del buf[i : i + 1 + bit]
    elif kind == "truncate":
        del buf[i:]
    else:
        buf[i:i] = buf[i : i + 1 + bit * 8]
    return bytes(buf)


def _records(wire: bytes) -> list[bytes]:
    """``wire`` (whole records, as data_to_send returns them) cut into records."""
    out = []
    pos = 0
    while pos < len(wire):
        length = _HEADER.unpack_from(wire, pos)[2]
        out.append(wire[pos : pos + 5 + length])
        pos += 5 + length
    return out


class HostileNetwork(RuleBasedStateMachine):
    conns: dict[str, Connection]

    @initialize(config=st.sampled_from(CONFIGS))
    def connect(self, config: str) -> None:
        client_config, server_config = _configs(config)
        self.conns = {
            "client": ClientConnection(client_config, "localhost"),
            "server": ServerConnection(server_config),
        }
        # queue[side]: records on their way *to* side; done[side]: bytes of the first one
        # already delivered (so injections only happen on a record boundary)
        self.queue: dict[str, list[bytes]] = {"client": [], "server": []}
        self.done = {"client": 0, "server": 0}
        self.sent = {"client": b"", "server": b""}
        self.received = {"client": b"", "server": b""}
        self.errors: dict[str, TLSError | None] = {"client": None, "server": None}
        self.tampered = False
        self.conns["client"].start()
        self._collect()

    # -- plumbing -------------------------------------------------------------------------

    def _collect(self) -> None:
        for side in SIDES:
            wire = self.conns[side].data_to_send()  # never raises
            self.queue[_peer(side)] += _records(wire)

    def _take(self, side: str, n: int) -> bytes:
        out = bytearray()
        queue = self.queue[side]
        while n > 0 and queue:
            start = self.done[side]
            chunk = queue[0][start : start + n]
            out += chunk
            n -= len(chunk)
            if start + len(chunk) == len(queue[0]):
                queue.pop(0)
                self.done[side] = 0
            else:
                self.done[side] = start + len(chunk)
        return bytes(out)

    def _pending(self, side: str) -> int:
        return sum(len(r) for r in self.queue[side]) - self.done[side]

    def _call(self, side: str, action, what: str) -> tuple[bool, object]:  # type: ignore[no-untyped-def]
        """Runs one call into ``side``'s engine and checks the error discipline.
        Returns (whether it returned normally, its result)."""
        conn = self.conns[side]
        stored = self.errors[side]
        try:
            result = action()
        except InternalError as exc:
            raise AssertionError(f"{side}.{what} raised internal_error: {exc}") from exc
        except TLSError as exc:
            if stored is not None:
                assert exc is stored, f"{side}.{what} raised {exc!r}, not the stored {stored!r}"
            elif isinstance(exc, (UsageError, ConnectionClosedError)):
                assert conn.error is None, f"a usage error failed the connection: {exc!r}"
            else:
                assert conn.error is exc, f"{side}.{what} raised {exc!r} but stored {conn.error!r}"
                self.errors[side] = exc
            return False, None
        assert stored is None, f"{side}.{what} did not raise the stored error {stored!r}"
        if conn.error is not None:  # events first, the error on the next call
            self.errors[side] = conn.error
        return True, result

    def _receive(self, side: str, data: bytes) -> None:
        conn = self.conns[side]
        _, events = self._call(side, lambda: conn.receive_data(data), "receive_data")
        for event in events or ():  # type: ignore[attr-defined]
            if isinstance(event, ApplicationData):
                self.received[side] += event.data
        self._collect()

    # -- rules ----------------------------------------------------------------------------

    @precondition(lambda self: self._pending("client") or self._pending("server"))
    @rule(side=st.sampled_from(SIDES), cut=st.none() | st.integers(1, 4096))
    def deliver(self, side: str, cut: int | None) -> None:
        """The next bytes on the way to ``side``: all of them, or the first ``cut``."""
        pending = self._pending(side)
        if not pending:
            return
        self._receive(side, self._take(side, pending if cut is None else 1 + cut % pending))

    @precondition(lambda self: self._pending("client") or self._pending("server"))
    @rule()
    def pump(self) -> None:
        """Everything on the wire is delivered, to the server first: the honest network."""
        for side in ("server", "client"):
            pending = self._pending(side)
            if pending:
                self._receive(side, self._take(side, pending))

    @precondition(lambda self: self._pending("client") or self._pending("server"))
    @rule(side=st.sampled_from(SIDES), mutation=mutations, dice=act)
    def deliver_mutated(self, side: str, mutation: tuple[str, int, int, bytes], dice: bool) -> None:
        pending = self._pending(side)
        if not pending or not dice:
            return
        self.tampered = True
        self._receive(side, _mutate(self._take(side, pending), mutation))

    @rule(
        side=st.sampled_from(SIDES),
        record=injections,
        sealed=st.booleans(),
        dice=act,
    )
    def inject(self, side: str, record: tuple[int, bytes], sealed: bool, dice: bool) -> None:
        """A well-formed record from a third party, on a record boundary. ``sealed``: with
        the key the receiver reads with (test scaffolding reaches into its record layer)."""
        if self.done[side] or not dice:
            return
        ctype, body = record
        layer = self.conns[side]._records
        if sealed and layer.read_encrypted:
            body = layer._read.encrypt(layer.read_seq, ctype, body)
            self.tampered = True  # the sender's next record no longer has the right number
        self._receive(side, _HEADER.pack(ctype, 0x0303, len(body)) + body)

    @rule(side=st.sampled_from(SIDES), data=st.binary(min_size=1, max_size=300))
    def send(self, side: str, data: bytes) -> None:
        conn = self.conns[side]
        if not conn.handshake_complete and self.errors[side] is None:
            return  # sending before the handshake is a usage error, tested elsewhere
        ok, _ = self._call(side, lambda: conn.send(data), "send")
        if ok:
            self.sent[side] += data
        self._collect()

    @rule(side=st.sampled_from(SIDES), dice=act)
    def close(self, side: str, dice: bool) -> None:
        if dice:
            self.conns[side].close()  # never raises, even after an error
            self._collect()

    @rule(side=st.sampled_from(SIDES), dice=act, again=act)
    def eof(self, side: str, dice: bool, again: bool) -> None:
        """The transport of ``side`` ends; nothing more can be delivered to it."""
        if not (dice and again):
            return
        self.queue[side].clear()
        self.done[side] = 0
        self.tampered = True
        self._receive(side, b"")

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def errors_are_stored(self) -> None:
        for side in SIDES:
            if self.errors[side] is not None:
                assert self.conns[side].error is self.errors[side]

    @invariant()
    def received_is_a_prefix_of_sent(self) -> None:
        for side in SIDES:
            sent = self.sent[_peer(side)]
            assert sent.startswith(self.received[side]), f"{side} received data never sent"

    def teardown(self) -> None:
        """Drain the network: with no tampering and no error, everything sent arrives."""
        if not hasattr(self, "conns"):
            return
        for _ in range(20):
            moved = False
            for side in SIDES:
                pending = self._pending(side)
                if pending:
                    moved = True
                    self._receive(side, self._take(side, pending))
            if not moved:
                break
        self.received_is_a_prefix_of_sent()
        for side in SIDES:  # what the run reached (shown by --hypothesis-show-statistics)
            error = self.errors[side]
            complete = self.conns[side].handshake_complete
            note_event(f"{side}: {type(error).__name__ if error else 'no error'}")
            note_event(f"{side}: handshake {'complete' if complete else 'not complete'}")
            note_event(f"{side}: {'received data' if self.received[side] else 'no data'}")
        if not self.tampered and self.errors == {"client": None, "server": None}:
            for side in SIDES:
                assert self.received[side] == self.sent[_peer(side)], f"{side} lost data"


HostileNetwork.TestCase.settings = settings(
    max_examples=max(1, int(300 * SCALE)),
    stateful_step_count=40,
    derandomize=SCALE == 1,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestHostileNetwork = HostileNetwork.TestCase


def test_the_machine_notices_an_internal_error() -> None:
    """The error discipline is really checked: a bug turned into InternalError is reported."""

    class Broken(ServerConnection):
        def _process(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise IndexError("boom")

    machine = HostileNetwork()
    machine.connect("default")
    machine.conns["server"] = Broken(pki().server_config())
    with pytest.raises(AssertionError, match="internal_error"):
        machine.deliver("server", None)
