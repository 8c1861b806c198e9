"""Property: whatever bytes arrive, in whatever state, the engine answers only with a TLSError
(never IndexError, ValueError, ... and never an InternalError wrapping one), never hangs, and
after a failure keeps raising that same error.

The inputs are random bytes, random records, and real flights (the bytes the peer really
queued at that step) with bits flipped, bytes inserted, deleted, duplicated or cut off, both
as raw bytes and re-framed so that the record headers stay valid and the damage reaches the
handshake parsers."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

import pytest
from engine_helpers import STAGES, join_records, record, split_records, stage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tls_support import pki

from tls12.config import ClientAuth
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.crypto.suites import ALL_SUITES
from tls12.errors import InternalError, TLSError
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, ServerHello
from tls12.wire.enums import HandshakeType, SignatureScheme

SCALE = float(os.environ.get("TLS12_FUZZ_SCALE", "1"))
"""Multiplies every example count. The default run is derandomized (the same examples every
time, so the suite does not flake); TLS12_FUZZ_SCALE=50 is a long, random hunt."""


def _examples(n: int) -> int:
    return max(1, int(n * SCALE))


FUZZ = settings(
    max_examples=_examples(150),
    derandomize=SCALE == 1,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TIME_LIMIT = 5.0  # seconds for one example: far more than any input needs


@contextlib.contextmanager
def _no_hang(seconds: float = TIME_LIMIT) -> Iterator[None]:
    """Fails the example if it runs longer than ``seconds`` (SIGALRM, main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"the engine did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _feed(conn: Connection, chunks: list[bytes], eof: bool = False) -> TLSError | None:
    """Feeds ``chunks`` one by one; returns the TLSError that ended the connection, if any.

    Anything but a TLSError escapes and fails the test, as does an InternalError: bytes from
    a peer must never make us send internal_error."""
    with _no_hang():
        try:
            for chunk in [*chunks, *([b""] if eof else [])]:
                if not chunk and not eof:
                    continue
                conn.receive_data(chunk)
                conn.data_to_send()
            if conn.error is not None:  # an error deferred behind events is raised next time
                conn.receive_data(b"\x17\x03\x03\x00\x00")
                raise AssertionError("a stored error was not raised")
        except TLSError as exc:
            if isinstance(exc, InternalError):
                raise AssertionError(f"engine bug: {exc}") from exc.__cause__
            assert conn.error is exc
            conn.data_to_send()  # never raises, even now
            with pytest.raises(TLSError) as again:
                conn.receive_data(b"\x17\x03\x03\x00\x00")
            assert again.value is exc
            with pytest.raises(TLSError) as again:
                conn.send(b"x")
            assert again.value is exc
            return exc
    return None


# Every random choice is drawn up front as a "plan" and applied afterwards by a pure function:
# the real flights differ in length from run to run (fresh keys, DER signatures), so hypothesis
# must not see draws that depend on them. A position is an offset, wrapped when it is beyond the
# end (so offsets before the first variable-length field hit the same byte every run).

POSITION = st.integers(0, 2047)


def _at(pos: int, n: int) -> int:
    return pos if pos < n else pos % n


KINDS = ("flip", "set", "insert", "delete", "truncate", "duplicate")

damage_step = st.tuples(
    st.sampled_from(KINDS),
    POSITION,
    st.integers(0, 7),
    st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFF]),
    st.binary(min_size=1, max_size=8),
    st.integers(1, 64),
)
mutation_plans = st.tuples(
    st.booleans(),  # damage one record's body (and re-frame it) rather than the raw bytes
    POSITION,  # which record
    st.lists(damage_step, min_size=1, max_size=3),
    st.integers(0, 4),  # 0: also repeat the damaged record
    POSITION,  # where the repeat goes
)
chunk_plans = st.tuples(st.integers(0, 9), st.lists(POSITION, max_size=4))


def _chunks(plan: tuple[int, list[int]], wire: bytes) -> list[bytes]:
    """``wire`` cut at a few places (or byte by byte, one time in ten)."""
    mode, positions = plan
    if not wire:
        return []
    if mode == 0:
        return [wire[i : i + 1] for i in range(len(wire))]
    cuts = sorted({1 + _at(p, len(wire)) for p in positions})
    bounds = [0, *cuts, len(wire)]
    return [wire[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


def _damage(steps: list[tuple[str, int, int, int, bytes, int]], buf: bytearray) -> None:
    for kind, pos, bit, value, blob, count in steps:
        if not buf:
            buf += blob
            continue
        i = _at(pos, len(buf))
        if kind == "flip":
            buf[i] ^= 1 << bit
        elif kind == "set":
            buf[i] = value
        elif kind == "insert":
            buf[i:i] = blob
        elif kind == "delete":
            del buf[i : i + count]
        elif kind == "truncate":
            del buf[i:]
        else:
            j = min(len(buf), i + count)
            buf[j:j] = buf[i:j]


def _mutate(plan: tuple[bool, int, list, int, int], wire: bytes) -> bytes:  # type: ignore[type-arg]
    """Damage either the raw bytes or one record's body (re-framed so its header stays valid,
    which lets the damage reach the handshake message parsers)."""
    framed, which, steps, repeat, repeat_at = plan
    records = split_records(wire)
    if framed and records:
        k = _at(which, len(records))
        ctype, body = records[k]
        buf = bytearray(body)
        _damage(steps, buf)
        records[k] = (ctype, bytes(buf) or b"\x00")
        if repeat == 0:
            records.insert(_at(repeat_at, len(records) + 1), records[k])
        return join_records(records)
    buf = bytearray(wire)
    _damage(steps, buf)
    return bytes(buf)


# -- where the fuzzed bytes go -----------------------------------------------------------------

Target = Callable[[], tuple[Connection, bytes]]


def _target(stage_name: str, side: str, client_auth: bool = False) -> Target:
    def make() -> tuple[Connection, bytes]:
        p = pki()
        client_config = server_config = None
        if client_auth:
            client_config = p.client_config(client_certificates=[p.certified(p.client_rsa)])
            server_config = p.server_config(client_auth=ClientAuth.REQUIRED, client_trust=p.trust)
        s = stage(stage_name, client_config, server_config)
        if side == "client":
            return s.client, s.to_client
        return s.server, s.to_server

    return make


# The real next flight for each receiving state of the full handshake.
FLIGHT_TARGETS: dict[str, Target] = {
    "server/start <- ClientHello": _target("start", "server"),
    "client/after_client_hello <- server flight": _target("after_client_hello", "client"),
    "server/after_server_flight <- client flight": _target("after_server_flight", "server"),
    "client/after_client_flight <- CCS Finished": _target("after_client_flight", "client"),
    "server/connected <- application data": _target("connected", "server"),
    "client/connected <- application data": _target("connected", "client"),
    "client-auth client <- server flight": _target("after_client_hello", "client", True),
    "client-auth server <- client flight": _target("after_server_flight", "server", True),
}


def _unstarted_client() -> tuple[Connection, bytes]:
    return ClientConnection(pki().client_config(), "localhost"), b""


def _fresh_server() -> tuple[Connection, bytes]:
    return ServerConnection(pki().server_config()), b""


ANY_STATE_TARGETS: dict[str, Target] = {
    "client/unstarted": _unstarted_client,
    "server/fresh": _fresh_server,
    **{f"client/{name}": _target(name, "client") for name in STAGES},
    **{f"server/{name}": _target(name, "server") for name in STAGES},
}


@pytest.mark.parametrize("name", list(FLIGHT_TARGETS))
@FUZZ
@given(plan=mutation_plans, chunking=chunk_plans, eof=st.booleans())
def test_mutated_real_flights(
    name: str,
    plan: tuple,
    chunking: tuple[int, list[int]],
    eof: bool,  # type: ignore[type-arg]
) -> None:
    conn, real = FLIGHT_TARGETS[name]()
    assert real
    _feed(conn, _chunks(chunking, _mutate(plan, real)), eof=eof)


@pytest.mark.parametrize("name", list(FLIGHT_TARGETS))
@settings(FUZZ, max_examples=_examples(20))
@given(chunking=chunk_plans)
def test_real_flights_in_any_chunking_are_accepted(
    name: str, chunking: tuple[int, list[int]]
) -> None:
    conn, real = FLIGHT_TARGETS[name]()
    assert _feed(conn, _chunks(chunking, real)) is None
    assert conn.error is None


records_st = st.lists(
    st.tuples(
        st.sampled_from([20, 21, 22, 23]),
        st.one_of(
            st.binary(min_size=1, max_size=64),
            # something shaped like a handshake message of a known type
            st.tuples(st.sampled_from([int(t) for t in HandshakeType]), st.binary(max_size=80)).map(
                lambda t: bytes([t[0]]) + len(t[1]).to_bytes(3, "big") + t[1]
            ),
        ),
    ),
    min_size=1,
    max_size=4,
).map(lambda recs: b"".join(record(t, b) for t, b in recs))


@pytest.mark.parametrize("name", list(ANY_STATE_TARGETS))
@settings(FUZZ, max_examples=_examples(60))
@given(
    noise=st.one_of(st.binary(min_size=1, max_size=200), records_st),
    prefix=st.one_of(st.none(), POSITION),
    chunking=chunk_plans,
    eof=st.booleans(),
)
def test_random_input_in_every_state(
    name: str, noise: bytes, prefix: int | None, chunking: tuple[int, list[int]], eof: bool
) -> None:
    conn, real = ANY_STATE_TARGETS[name]()
    if real and prefix is not None:
        # the noise follows (part of) what the peer really sent
        noise = real[: _at(prefix, len(real) + 1)] + noise
    _feed(conn, _chunks(chunking, noise), eof=eof)


# -- well-formed but arbitrary hellos: the negotiation code, not the parsers ---------------

SUITE_IDS = [s.id for s in ALL_SUITES] + [0x00FF, 0x5600, 0x1301, 0x0A0A, 0x0000, 0xC013]
GROUP_IDS = [29, 23, 24, 25, 30, 256, 257, 0x0A0A, 0]
SCHEME_IDS = [int(s) for s in SignatureScheme] + [0x0A0A, 0x0000, 0x0101]
NAMES = ["localhost", "LOCALHOST.", "127.0.0.1", "example.com", "a", "xn--bcher-kva.example"]

extension_choices = st.one_of(
    st.builds(ext.ServerName, st.sampled_from(NAMES) | st.text("ab.-*", min_size=1, max_size=9)),
    st.builds(
        ext.SupportedGroups, st.lists(st.sampled_from(GROUP_IDS), min_size=1, max_size=5).map(tuple)
    ),
    st.builds(ext.ECPointFormats, st.sampled_from([(0,), (1,), (1, 0), (2,)])),
    st.builds(
        ext.SignatureAlgorithms,
        st.lists(st.sampled_from(SCHEME_IDS), min_size=1, max_size=6).map(tuple),
    ),
    st.builds(
        ext.ApplicationLayerProtocols,
        st.lists(st.sampled_from([b"h2", b"http/1.1", b"x"]), min_size=1, max_size=3).map(tuple),
    ),
    st.just(ext.ExtendedMasterSecret()),
    st.just(ext.EncryptThenMac()),
    st.builds(ext.RenegotiationInfo, st.sampled_from([b"", b"\x00" * 12]) | st.binary(max_size=12)),
    st.builds(ext.SessionTicket, st.sampled_from([b""]) | st.binary(max_size=120)),
    st.builds(
        ext.UnknownExtension, st.sampled_from([0x0A0A, 5, 0x1234, 43, 51]), st.binary(max_size=8)
    ),
)
extension_sets = st.lists(
    extension_choices, max_size=9, unique_by=lambda e: int(e.extension_type)
).map(lambda items: ext.Extensions(tuple(items)))

client_hellos = st.builds(
    ClientHello,
    random=st.binary(min_size=32, max_size=32),
    cipher_suites=st.lists(st.sampled_from(SUITE_IDS), min_size=1, max_size=8).map(tuple),
    session_id=st.sampled_from([b""]) | st.binary(min_size=1, max_size=32),
    extensions=extension_sets,
    version=st.sampled_from([0x0303, 0x0303, 0x0302, 0x0304, 0x0300, 0xFEFD]),
    compression_methods=st.sampled_from([(0,), (0,), (1, 0), (1,)]),
)
server_hellos = st.builds(
    ServerHello,
    random=st.binary(min_size=32, max_size=32),
    cipher_suite=st.sampled_from(SUITE_IDS),
    session_id=st.binary(max_size=32),
    extensions=extension_sets,
    version=st.sampled_from([0x0303, 0x0303, 0x0302, 0x0304]),
    compression_method=st.sampled_from([0, 0, 1]),
)


@settings(FUZZ, max_examples=_examples(150))
@given(hello=client_hellos, client_auth=st.booleans())
def test_arbitrary_client_hello_to_a_server(hello: ClientHello, client_auth: bool) -> None:
    p = pki()
    auth = {"client_auth": ClientAuth.OPTIONAL, "client_trust": p.trust} if client_auth else {}
    server = ServerConnection(p.server_config(alpn_protocols=["http/1.1", "h2"], **auth))
    if _feed(server, [record(22, hello.encode())]) is None:
        assert server.state_name != "ExpectClientHello"


@settings(FUZZ, max_examples=_examples(150))
@given(hello=server_hellos, with_rest=st.booleans())
def test_arbitrary_server_hello_to_a_client(hello: ServerHello, with_rest: bool) -> None:
    s = stage("after_client_hello", pki().client_config(alpn_protocols=["h2"]))
    wire = record(22, hello.encode())
    if with_rest:  # the real server's other messages, which belong to another ServerHello
        payload = b"".join(body for _, body in split_records(s.to_client))
        rest = payload[4 + int.from_bytes(payload[1:4], "big") :]
        wire += record(22, rest)
    _feed(s.client, [wire])


def test_the_property_can_fail() -> None:
    """_feed reports an engine bug that the safety net turned into InternalError."""

    class Broken(ServerConnection):
        def _process(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise IndexError("boom")

    conn = Broken(pki().server_config())
    with pytest.raises(AssertionError, match="engine bug: internal error: IndexError: boom"):
        _feed(conn, [b"\x16"])
