"""Records the scenarios' real handshakes and writes the seed corpora.

    .venv/bin/python -m fuzz.make_corpus [--new-pki]

1. fuzz/pki/: a fixed test PKI (made once; --new-pki replaces it, which changes every flight).
2. fuzz/flights/<scenario>.json: each scenario run in memory under Determinism: every flight,
   and each flight's records as plaintext.
3. Checks the replay: each side, rebuilt alone at every stage, sends byte for byte what it
   sent in the recording and accepts the next recorded flight, both as recorded and re-sealed
   from its plaintext (so the encrypted states are really reached).
4. fuzz/corpus/<harness>/: seeds for the four harnesses (replaced; the found-* inputs that
   fuzz.keep_found added stay).
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from fuzz import fuzz_messages, fuzz_record_layer
from fuzz.common import CORPUS_DIR, MODE_EOF, MODE_SEAL, engine_pieces, feed_engine
from fuzz.determinism import Determinism
from fuzz.scenarios import (
    FLIGHTS_DIR,
    PKI_DIR,
    PROBE,
    SCENARIOS,
    Recording,
    ReplayMismatch,
    engine_at,
    load,
    record,
    selector,
    stage_count,
    write_pki,
)
from tls12.messages.handshake import ClientHello, ServerHello, decode_handshake
from tls12.record.layer import RecordLayer
from tls12.wire.enums import ContentType, HandshakeType
from tls12.wire.writer import Writer

SIDES = ("client", "server")


def sealed_payload(records: list[tuple[int, bytes]]) -> bytes:
    return b"".join(bytes([t]) + len(b).to_bytes(2, "big") + b for t, b in records)


def check_and_seed(rec: Recording, seeds: dict[str, dict[str, bytes]]) -> list[str]:
    """Replays both sides at every stage; returns a line per side for the report."""
    lines = []
    scenario = next(s for s in SCENARIOS if s.name == rec.scenario)
    for side in SIDES:
        peer = rec.peer_flights(side)
        plain = rec.peer_plain(side)
        harness = f"fuzz_{side}_engine"
        for stage in range(stage_count(side, rec)):
            sel = selector(side, rec.scenario, stage)
            det = Determinism(scenario.name)
            with det.installed():
                driven, next_index = engine_at(side, scenario, stage, det, strict=True)
            base = f"{rec.scenario}-s{stage}"
            if next_index >= len(peer):  # after the last flight: noise, then EOF
                seeds[harness][f"{base}-probe-eof"] = bytes([sel, MODE_EOF]) + PROBE
                continue
            wire, records = peer[next_index], plain[next_index]
            seeds[harness][f"{base}-wire"] = bytes([sel, 0]) + wire
            seeds[harness][f"{base}-sealed"] = bytes([sel, MODE_SEAL]) + sealed_payload(records)
            if stage == 1:
                seeds[harness][f"{base}-wire-chunks7"] = bytes([sel, 7]) + wire
            if side == "client" and stage == 0:
                continue  # an unstarted client refuses everything
            for mode, payload in ((0, wire), (MODE_SEAL, sealed_payload(records))):
                det = Determinism(scenario.name)
                with det.installed():
                    driven, _ = engine_at(side, scenario, stage, det)
                    with det.use(side):
                        pieces = engine_pieces(driven, payload, mode, det)
                        error = feed_engine(driven, pieces, False)
                if error is not None:
                    raise ReplayMismatch(
                        f"{rec.scenario}: {side} at stage {stage} refused the recorded flight "
                        f"(mode {mode:#x}): {error!r}"
                    )
        lines.append(f"  {side}: {stage_count(side, rec)} stages replayed")
    return lines


def message_seeds(recordings: list[Recording], seeds: dict[str, bytes]) -> None:
    index = {f.__name__: i for i, f in enumerate(fuzz_messages.DECODERS)}

    def add(decoder: str, payload: bytes) -> None:
        data = bytes([index[decoder]]) + payload
        seeds[f"{decoder.strip('_')}-{hashlib.sha1(data).hexdigest()[:12]}"] = data

    for rec in recordings:
        for flight in rec.plain:
            for ctype, body in flight:
                if ctype == ContentType.alert:
                    add("_alert", body)
                elif ctype == ContentType.change_cipher_spec:
                    add("check_change_cipher_spec", body)
                elif ctype == ContentType.handshake:
                    pos = 0
                    while pos + 4 <= len(body):
                        length = int.from_bytes(body[pos + 1 : pos + 4], "big")
                        msg_type, msg_body = body[pos], body[pos + 4 : pos + 4 + length]
                        pos += 4 + length
                        add("_handshake", bytes([msg_type]) + msg_body)
                        _kx_seeds(msg_type, msg_body, add)
        for blob in (rec.client_session, rec.server_session):
            if blob:
                add("_session", blob)
    for t in range(256):  # every handshake type byte, with an empty body
        add("_handshake", bytes([t]))
    for description in (0, 10, 20, 40, 70, 90, 100, 255):
        add("_alert", bytes([1, description]))
        add("_alert", bytes([2, description]))


def _kx_seeds(msg_type: int, body: bytes, add: object) -> None:
    msg = decode_handshake(msg_type, body)
    if isinstance(msg, (ClientHello, ServerHello)):
        w = Writer()
        msg.extensions.encode(w)
        add("_extensions", w.getvalue())  # type: ignore[operator]
        for ext in msg.extensions:
            types = fuzz_messages.EXTENSION_TYPES
            if int(ext.extension_type) in types:
                ew = Writer()
                ext.encode_body(ew)
                add("_extension", bytes([types.index(int(ext.extension_type))]) + ew.getvalue())  # type: ignore[operator]
    elif msg_type == HandshakeType.server_key_exchange:
        add("_ecdhe_ske" if body[0] == 3 else "_dhe_ske", body)  # type: ignore[operator]
    elif msg_type == HandshakeType.client_key_exchange:
        for decoder in ("_ecdh_cke", "_dh_cke", "_rsa_cke"):
            add(decoder, body)  # type: ignore[operator]


def record_layer_seeds(recordings: list[Recording], seeds: dict[str, bytes]) -> None:
    for rec in recordings[:4]:
        for i, (_, wire) in enumerate(rec.flights[:3]):
            seeds[f"{rec.scenario}-flight{i}-null"] = bytes([0x00]) + wire
            seeds[f"{rec.scenario}-flight{i}-pinned-chunks7"] = bytes([0x08 | 0x40]) + wire
    samples = [
        (ContentType.handshake, bytes.fromhex("14 00000c") + bytes(12)),
        (ContentType.application_data, b"hello world " * 5),
        (ContentType.alert, b"\x01\x00"),
        (ContentType.change_cipher_spec, b"\x01"),
    ]
    for slot in range(1, 7):
        wire = b""
        layer = RecordLayer()
        layer.set_pending_write(fuzz_record_layer.protection(slot))
        layer.activate_write()
        for ctype, body in samples:
            wire += layer.write(ctype, body)
        seeds[f"sealed-slot{slot}"] = bytes([slot | 0x08]) + wire
        for ctype, body in samples[:2]:
            payload = bytes([int(ctype) - 20]) + (5).to_bytes(2, "big") + body
            seeds[f"roundtrip-slot{slot}-{int(ctype)}"] = bytes([0x80 | slot]) + payload
    seeds["small-handshake-limit"] = bytes([0x10]) + recordings[0].flights[0][1]


def write_corpus(seeds: dict[str, dict[str, bytes]]) -> None:
    for harness, files in seeds.items():
        directory = CORPUS_DIR / harness
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():  # our seeds are rewritten; found-* inputs stay
            if not old.name.startswith("found-"):
                old.unlink()
        for name, data in sorted(files.items()):
            (directory / name).write_bytes(data)
        print(f"{directory.relative_to(CORPUS_DIR.parent.parent)}: {len(files)} seeds")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-pki", action="store_true", help="replace fuzz/pki/")
    args = parser.parse_args(argv)
    if args.new_pki or not (PKI_DIR / "ca.pem").exists():
        write_pki()
        print(f"wrote a new PKI into {PKI_DIR}")
    FLIGHTS_DIR.mkdir(exist_ok=True)
    recordings = []
    for scenario in SCENARIOS:
        rec = record(scenario)
        (FLIGHTS_DIR / f"{scenario.name}.json").write_text(rec.to_json())
        load.cache_clear()
        recordings.append(rec)
        sizes = "/".join(str(len(w)) for _, w in rec.flights)
        print(f"{scenario.name}: {len(rec.flights)} flights ({sizes} bytes)")
    seeds: dict[str, dict[str, bytes]] = {
        "fuzz_client_engine": {},
        "fuzz_server_engine": {},
        "fuzz_messages": {},
        "fuzz_record_layer": {},
    }
    for rec in recordings:
        for line in check_and_seed(rec, seeds):
            print(line)
    message_seeds(recordings, seeds["fuzz_messages"])
    record_layer_seeds(recordings, seeds["fuzz_record_layer"])
    write_corpus(seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
