"""Recorded handshakes: the scenarios, their configurations, and replaying one side of them.

A *scenario* is a client and a server configuration (suite, group, client authentication,
resumption, ...). ``record`` runs it in memory under ``Determinism`` and keeps every flight
(each side's ``data_to_send`` after each step) and, for each flight, its records as plaintext
(decrypted with the receiver's keys), in ``fuzz/flights/<scenario>.json``.

``engine_at(side, scenario, stage)`` rebuilds one side alone and feeds it the peer's recorded
flights up to ``stage``. Because the randomness is seeded per side (see determinism.py), the
rebuilt engine has exactly the keys of the recording, so the recorded encrypted flights
decrypt: every state of the handshake, encrypted ones included, is reachable from the corpus.

The application is scripted the same way in the recording and in every replay (``Driven``):
the client sends PING when its handshake completes and closes when it gets data; the server
answers data with PONG. A full handshake thus has the flights

    C1 ClientHello | S1 ServerHello..ServerHelloDone | C2 [Certificate] ClientKeyExchange
    [CertificateVerify] ChangeCipherSpec Finished | S2 [NewSessionTicket] ChangeCipherSpec
    Finished | C3 PING | S3 PONG | C4 close_notify | S4 close_notify

and the stages of a side are "before its first input" up to "after the peer's last flight".
The order of SCENARIOS is part of the corpus format (an input's first byte picks one by
index): only append to it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz.determinism import Determinism
from tls12.config import CertifiedKey, ClientAuth, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.events import ApplicationData, Event
from tls12.sessions import InMemorySessionStore, Session
from tls12.tickets import TicketKey, TicketKeys
from tls12.verify import TrustStore

FUZZ_DIR = Path(__file__).resolve().parent
PKI_DIR = FUZZ_DIR / "pki"
FLIGHTS_DIR = FUZZ_DIR / "flights"

FIXED_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z: the engines' clock (sessions, tickets)
PING = b"ping from the client"
PONG = b"pong from the server"
PROBE = b"\x17\x03\x03\x00\x00"  # an empty application data record
_HEADER = struct.Struct(">BHH")


def fixed_clock() -> float:
    return FIXED_TIME


# -- a fixed PKI (files, so that recordings and replays present the same certificates) -------


@dataclass(frozen=True)
class FixedPKI:
    ca: Any
    server_rsa: CertifiedKey
    server_ecdsa: CertifiedKey
    client_rsa: CertifiedKey
    client_ecdsa: CertifiedKey
    trust: TrustStore


_IDENTITIES = ("server_rsa", "server_ecdsa", "client_rsa", "client_ecdsa")


def write_pki(directory: Path = PKI_DIR) -> None:
    """A CA and four leaves valid from 2025 to 2099; the keys are test keys, nothing else."""
    from tls12.pki import make_ca

    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2099, 12, 31, tzinfo=dt.UTC)
    ca = make_ca("tls12 fuzz CA", not_before=start, not_after=end)
    names = ["localhost", "127.0.0.1"]
    leaves = {
        "server_rsa": ca.issue(names, "rsa", not_before=start, not_after=end),
        "server_ecdsa": ca.issue(names, "ecdsa", not_before=start, not_after=end),
        "client_rsa": ca.issue(
            ["client.example"], "rsa", client_auth=True, server_auth=False,
            not_before=start, not_after=end,
        ),
        "client_ecdsa": ca.issue(
            ["client.example"], "ecdsa", client_auth=True, server_auth=False,
            not_before=start, not_after=end,
        ),
    }
    directory.mkdir(parents=True, exist_ok=True)
    ca.write(directory / "ca.pem")
    for stem, identity in leaves.items():
        identity.write(directory, stem)


@functools.cache
def fixed_pki() -> FixedPKI:
    if not (PKI_DIR / "ca.pem").exists():
        raise FileNotFoundError(f"{PKI_DIR} holds no PKI: run `python -m fuzz.make_corpus`")
    keys = {
        stem: CertifiedKey.from_files(PKI_DIR / f"{stem}.crt", PKI_DIR / f"{stem}.key")
        for stem in _IDENTITIES
    }
    trust = TrustStore.from_pem_file(PKI_DIR / "ca.pem")
    return FixedPKI(ca=trust.certs[0], trust=trust, **keys)


def fixed_ticket_keys() -> TicketKeys:
    secret = hashlib.sha256(b"tls12 fuzz ticket key").digest()
    key = TicketKey(b"tls12-fuzz-tkt-1", secret, FIXED_TIME)
    return TicketKeys([key], rotate_every=None, clock=fixed_clock)


# -- scenarios ---------------------------------------------------------------------------------

ALL_ECDHE_GROUPS = ("x25519", "secp256r1", "secp384r1", "secp521r1", "x448")


@dataclass(frozen=True)
class Scenario:
    name: str
    client: Mapping[str, Any] = field(default_factory=dict)
    server: Mapping[str, Any] = field(default_factory=dict)
    client_cert: str | None = None  # "client_rsa" / "client_ecdsa"
    client_auth: ClientAuth = ClientAuth.NONE
    resume: str | None = None  # "session_id" or "ticket": a prelude handshake makes the session
    server_name: str | None = "localhost"

    def client_config(self) -> ClientConfig:
        p = fixed_pki()
        kw: dict[str, Any] = {"trust": p.trust, "clock": fixed_clock, **self.client}
        if self.client_cert:
            kw["client_certificates"] = [getattr(p, self.client_cert)]
        return ClientConfig(**kw)

    def server_config(self, session: Session | None = None) -> ServerConfig:
        p = fixed_pki()
        store = InMemorySessionStore(clock=fixed_clock)
        if session is not None:
            store.put(session.session_id, session)
        kw: dict[str, Any] = {
            "certificates": [p.server_rsa, p.server_ecdsa],
            "cipher_suites": "compatible",
            "groups": ALL_ECDHE_GROUPS,
            "clock": fixed_clock,
            "session_store": store,
            "ticket_keys": fixed_ticket_keys(),
            "client_auth": self.client_auth,
            "client_trust": p.trust,
            **self.server,
        }
        return ServerConfig(**kw)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("ecdhe-ecdsa-aes128gcm-x25519", {"cipher_suites": [0xC02B]}),
    Scenario(
        "ecdhe-rsa-chacha20-p256-pss",
        {"cipher_suites": [0xCCA8], "groups": ["secp256r1"]},
    ),
    Scenario("dhe-rsa-aes256gcm-ffdhe2048", {"cipher_suites": [0x009F]}),
    Scenario("rsa-kx-aes128gcm", {"cipher_suites": [0x009C]}),
    Scenario(
        "ecdhe-rsa-aes128cbc-sha-etm-x448",
        {"cipher_suites": [0xC013], "groups": ["x448"]},
    ),
    Scenario(
        "ecdhe-ecdsa-aes256cbc-sha384-mte-p384",
        {
            "cipher_suites": [0xC024],
            "groups": ["secp384r1", "secp256r1"],
            "encrypt_then_mac": False,
        },
        {"groups": ["secp384r1", "secp256r1"]},
    ),
    Scenario(
        "rsa-kx-aes128cbc-sha256-no-ems",
        {"cipher_suites": [0x003C], "extended_master_secret": False, "encrypt_then_mac": False},
    ),
    Scenario(
        "compatible-client-auth-rsa",
        {"cipher_suites": "compatible"},
        client_cert="client_rsa",
        client_auth=ClientAuth.REQUIRED,
    ),
    Scenario(
        "dhe-chacha20-client-auth-ecdsa",
        {"cipher_suites": [0xCCAA]},
        client_cert="client_ecdsa",
        client_auth=ClientAuth.OPTIONAL,
    ),
    Scenario("client-auth-optional-no-cert", client_auth=ClientAuth.OPTIONAL),
    Scenario(
        "resume-session-id",
        {"cipher_suites": "compatible", "session_tickets": False},
        {"session_tickets": False},
        resume="session_id",
    ),
    Scenario("resume-ticket", resume="ticket"),
    Scenario(
        "alpn-ip-address-no-sni",
        {"alpn_protocols": ["h2", "http/1.1"]},
        {"alpn_protocols": ["http/1.1"]},
        server_name="127.0.0.1",
    ),
    Scenario(
        "ecdhe-rsa-aes256cbc-sha384-pkcs1",
        {"cipher_suites": [0xC028], "signature_schemes": [0x0401, 0x0501]},
    ),
    Scenario("resume-ticket-cbc-sha256", {"cipher_suites": [0xC027]}, resume="ticket"),
    Scenario(
        "dhe-chacha20-ffdhe3072",
        {"cipher_suites": [0xCCAA], "ffdhe_groups": ["ffdhe3072"]},
    ),
)
BY_NAME = {s.name: s for s in SCENARIOS}


# -- the scripted application ------------------------------------------------------------------


class Driven:
    """A connection plus the application's scripted behaviour (the same in every run)."""

    def __init__(self, conn: Connection, side: str) -> None:
        self.conn = conn
        self.side = side
        self.pinged = False

    def after(self, events: list[Event]) -> None:
        conn = self.conn
        if conn.error is not None or conn.closed_by_peer:
            return
        got = any(isinstance(e, ApplicationData) for e in events)
        if self.side == "client":
            if conn.handshake_complete and not self.pinged:
                self.pinged = True
                conn.send(PING)
            elif got:
                conn.close()
        elif got:
            conn.send(PONG)


def split_records(wire: bytes) -> list[tuple[int, bytes, bytes]]:
    """(content type, fragment, whole record) of each record in ``wire`` (whole records)."""
    out = []
    pos = 0
    while pos + 5 <= len(wire):
        ctype, _version, length = _HEADER.unpack_from(wire, pos)
        end = pos + 5 + length
        out.append((ctype, wire[pos + 5 : end], wire[pos:end]))
        pos = end
    return out


def build(
    side: str, scenario: Scenario, det: Determinism, stream: str, session: Session | None
) -> Driven:
    """The engine of ``side``, built in its own stream (configs draw randomness too)."""
    with det.use(stream):
        if side == "client":
            conn: Connection = ClientConnection(
                scenario.client_config(), scenario.server_name, session
            )
        else:
            conn = ServerConnection(scenario.server_config(session))
    return Driven(conn, side)


# -- recording ---------------------------------------------------------------------------------


@dataclass
class Recording:
    scenario: str
    flights: list[tuple[str, bytes]]  # (sender, wire), alternating, the client first
    plain: list[list[tuple[int, bytes]]]  # per flight: its records as plaintext
    client_session: bytes | None = None
    server_session: bytes | None = None

    def peer_flights(self, side: str) -> list[bytes]:
        return [wire for sender, wire in self.flights if sender != side]

    def peer_plain(self, side: str) -> list[list[tuple[int, bytes]]]:
        pairs = zip(self.flights, self.plain, strict=True)
        return [p for (sender, _), p in pairs if sender != side]

    def own_flights(self, side: str) -> list[bytes]:
        return [wire for sender, wire in self.flights if sender == side]

    def to_json(self) -> str:
        doc = {
            "scenario": self.scenario,
            "flights": [
                {
                    "from": sender,
                    "wire": wire.hex(),
                    "plaintext_records": [[t, body.hex()] for t, body in plain],
                }
                for (sender, wire), plain in zip(self.flights, self.plain, strict=True)
            ],
            "client_session": self.client_session.hex() if self.client_session else None,
            "server_session": self.server_session.hex() if self.server_session else None,
        }
        return json.dumps(doc, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Recording:
        doc = json.loads(text)
        flights = [(f["from"], bytes.fromhex(f["wire"])) for f in doc["flights"]]
        plain = [
            [(int(t), bytes.fromhex(b)) for t, b in f["plaintext_records"]] for f in doc["flights"]
        ]
        cs, ss = doc["client_session"], doc["server_session"]
        return cls(
            doc["scenario"],
            flights,
            plain,
            bytes.fromhex(cs) if cs else None,
            bytes.fromhex(ss) if ss else None,
        )


def _deliver(
    receiver: Driven, wire: bytes, det: Determinism, stream: str
) -> list[tuple[int, bytes]]:
    """Feeds ``wire`` one record at a time, noting each record's plaintext on the way."""
    plain = []
    events: list[Event] = []
    records = receiver.conn._records  # test scaffolding: the keys the receiver reads with
    with det.use(stream):
        for ctype, fragment, whole in split_records(wire):
            if records.read_encrypted:
                plain.append((ctype, records._read.decrypt(records.read_seq, ctype, fragment)))
            else:
                plain.append((ctype, fragment))
            events += receiver.conn.receive_data(whole)
        receiver.after(events)
    return plain


def _run(
    scenario: Scenario, det: Determinism, tag: str, sessions: tuple[Session | None, Session | None]
) -> tuple[Driven, Driven, list[tuple[str, bytes]], list[list[tuple[int, bytes]]]]:
    streams = {"client": f"{tag}client", "server": f"{tag}server"}
    server = build("server", scenario, det, streams["server"], sessions[1])
    client = build("client", scenario, det, streams["client"], sessions[0])
    with det.use(streams["client"]):
        client.conn.start()
        flights = [("client", client.conn.data_to_send())]
    plain: list[list[tuple[int, bytes]]] = []
    ends = {"client": client, "server": server}
    for _ in range(16):
        sender, wire = flights[-1]
        receiver = "server" if sender == "client" else "client"
        plain.append(_deliver(ends[receiver], wire, det, streams[receiver]))
        with det.use(streams[receiver]):
            out = ends[receiver].conn.data_to_send()
        if not out:
            break
        flights.append((receiver, out))
    return client, server, flights, plain


def record(scenario: Scenario) -> Recording:
    det = Determinism(scenario.name)
    with det.installed():
        sessions: tuple[Session | None, Session | None] = (None, None)
        client_bytes = server_bytes = None
        if scenario.resume:
            client, server, _, _ = _run(scenario, det, "prelude/", sessions)
            if client.conn.session is None or server.conn.session is None:
                raise RuntimeError(f"{scenario.name}: the prelude handshake left no session")
            server_session = server.conn.session if scenario.resume == "session_id" else None
            sessions = (client.conn.session, server_session)
            client_bytes = client.conn.session.to_bytes()
            server_bytes = server_session.to_bytes() if server_session else None
        client, server, flights, plain = _run(scenario, det, "", sessions)
        for end in (client, server):
            if end.conn.error is not None or not end.conn.handshake_complete:
                raise RuntimeError(f"{scenario.name}: {end.side} failed: {end.conn.error!r}")
        negotiated = client.conn.negotiated
        if scenario.resume and (negotiated is None or not negotiated.resumed):
            raise RuntimeError(f"{scenario.name}: the second handshake was not resumed")
    return Recording(scenario.name, flights, plain, client_bytes, server_bytes)


@functools.cache
def load(name: str) -> Recording:
    path = FLIGHTS_DIR / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m fuzz.make_corpus`")
    return Recording.from_json(path.read_text())


# -- replaying one side ------------------------------------------------------------------------


def stage_count(side: str, recording: Recording) -> int:
    """Client: 0 unstarted, 1 waiting for S1, ..., len(S)+1 after the last server flight.
    Server: 0 waiting for C1, ..., len(C) after the last client flight."""
    n = len(recording.peer_flights(side))
    return n + 2 if side == "client" else n + 1


def pick(side: str, selector: int) -> tuple[Scenario, int]:
    """An input's first byte: high nibble the scenario, low nibble the stage (both wrapped)."""
    scenario = SCENARIOS[(selector >> 4) % len(SCENARIOS)]
    return scenario, (selector & 0x0F) % stage_count(side, load(scenario.name))


def selector(side: str, scenario_name: str, stage: int) -> int:
    index = [s.name for s in SCENARIOS].index(scenario_name)
    if index > 15 or stage > 15:
        raise ValueError("the selector byte holds 16 scenarios and 16 stages")
    return index << 4 | stage


class ReplayMismatch(RuntimeError):
    """The rebuilt engine did not say what the recording says: determinism is broken."""


def engine_at(
    side: str, scenario: Scenario, stage: int, det: Determinism, *, strict: bool = False
) -> tuple[Driven, int]:
    """``side`` rebuilt and fed the peer's recorded flights up to ``stage`` (determinism must be
    installed). Returns it with the index of the next peer flight. ``strict`` checks that it
    sends byte for byte what it sent in the recording."""
    rec = load(scenario.name)
    session_bytes = rec.client_session if side == "client" else rec.server_session
    session = Session.from_bytes(session_bytes) if session_bytes else None
    driven = build(side, scenario, det, side, session)
    own = rec.own_flights(side)
    peer = rec.peer_flights(side)
    consumed = stage
    if side == "client":
        if stage == 0:
            return driven, 0
        consumed = stage - 1
        with det.use(side):
            driven.conn.start()
            out = driven.conn.data_to_send()
        if strict and out != own[0]:
            raise ReplayMismatch(f"{scenario.name}: the ClientHello differs from the recording")
    for k in range(consumed):
        with det.use(side):
            driven.after(driven.conn.receive_data(peer[k]))
            out = driven.conn.data_to_send()
        if strict:
            index = k + 1 if side == "client" else k
            expected = own[index] if index < len(own) else b""
            if out != expected:
                raise ReplayMismatch(
                    f"{scenario.name}: {side} output after peer flight {k + 1} differs from the "
                    f"recording ({len(out)} bytes, recorded {len(expected)})"
                )
    return driven, consumed
