"""What the harnesses share: the property, the engine harness body, and the atheris runner.

The property, for every input: nothing but a ``tls12.errors.TLSError`` escapes, never an
``InternalError`` (bytes from a peer must never make us send internal_error), and after a
failure every later call raises that same error. A hang is caught by libFuzzer's ``-timeout``
(and by a SIGALRM guard in the pytest replay); inputs are cut to ``MAX_INPUT`` bytes.

atheris is imported only inside ``fuzz_main``: the harness functions run without it.
"""

from __future__ import annotations

import gc
import os
import struct
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from fuzz.determinism import Determinism
from fuzz.scenarios import PROBE, Driven, engine_at, pick
from tls12.connection import Connection
from tls12.errors import InternalError, TLSError

FUZZ_DIR = Path(__file__).resolve().parent
CORPUS_DIR = FUZZ_DIR / "corpus"
REGRESSIONS_DIR = FUZZ_DIR / "regressions"

MAX_INPUT = 16384
"""Longest input looked at (the largest recorded flight is about 3 KiB)."""

_HEADER = struct.Struct(">BHH")


class PropertyViolation(AssertionError):
    """The engine broke the property: a bug to report (the input is a regression)."""


# -- the property --------------------------------------------------------------------------------


def expect_only_tls_errors(call: Callable[[], object]) -> TLSError | None:
    """Runs ``call``; a TLSError is returned, an InternalError is a violation, anything else
    escapes (and is a crash for atheris and a failure for pytest)."""
    try:
        call()
    except InternalError as exc:
        raise PropertyViolation(f"internal_error from input: {exc}") from exc
    except TLSError as exc:
        return exc
    return None


def check_failed_for_good(conn: Connection, exc: TLSError) -> None:
    """After a fatal error the connection keeps raising exactly that error."""
    if conn.error is not exc:
        raise PropertyViolation(f"raised {exc!r} but stored {conn.error!r}")
    conn.data_to_send()  # never raises
    conn.close()  # a no-op now, never raises
    calls: tuple[tuple[str, Callable[[], object]], ...] = (
        ("receive_data", lambda: conn.receive_data(PROBE)),
        ("receive_data(EOF)", lambda: conn.receive_data(b"")),
        ("send", lambda: conn.send(b"x")),
    )
    for name, call in calls:
        try:
            call()
        except TLSError as again:
            if again is not exc:
                raise PropertyViolation(f"{name} after {exc!r} raised {again!r}") from again
        else:
            raise PropertyViolation(f"{name} after {exc!r} did not raise")


def feed_engine(driven: Driven, pieces: Iterator[bytes], eof: bool) -> TLSError | None:
    """Feeds ``pieces`` (then EOF if asked) and checks the property. Returns the error that
    ended the connection, or None."""
    conn = driven.conn

    def run() -> None:
        for piece in pieces:
            driven.after(conn.receive_data(piece))
            conn.data_to_send()
        if eof:
            conn.receive_data(b"")
        if conn.error is not None:  # an error deferred behind events is raised next time
            conn.receive_data(PROBE)
            raise PropertyViolation(f"stored error {conn.error!r} was not raised")

    exc = expect_only_tls_errors(run)
    if exc is not None:
        check_failed_for_good(conn, exc)
        return exc

    def use() -> None:  # the application may go on using a healthy connection
        conn.data_to_send()
        if conn.handshake_complete and not conn.closed_by_peer:
            conn.send(b"more")
        conn.close()
        conn.data_to_send()

    late = expect_only_tls_errors(use)
    if late is not None and conn.error is not None:
        raise PropertyViolation(f"send/close on a healthy connection failed it: {late!r}")
    return None


# -- the engine harness ---------------------------------------------------------------------------

MODE_EOF = 0x80
MODE_SEAL = 0x40
MODE_CHUNK = 0x3F


def engine_pieces(
    driven: Driven, payload: bytes, mode: int, det: Determinism | None = None
) -> Iterator[bytes]:
    """How the payload reaches the engine.

    Plain mode: the payload is the wire, in one piece or in chunks of ``mode & 0x3F`` bytes.
    Seal mode: the payload is a list of plaintext records ``type(1) length(2) data``; each is
    sealed, just before it is fed, with the key the engine currently reads with (the peer's
    write key; test scaffolding reaches into the record layer for it), so mutated plaintext
    gets past record authentication into the handshake, alert and application layers of the
    encrypted states. (A CBC seal draws its IV from the "sealer" stream, not the engine's.)
    """
    if not mode & MODE_SEAL:
        size = mode & MODE_CHUNK
        if not size:
            yield payload
            return
        for i in range(0, len(payload), size):
            yield payload[i : i + size]
        return
    records = driven.conn._records
    pos = 0
    while pos < len(payload):
        ctype = payload[pos]
        length = int.from_bytes(payload[pos + 1 : pos + 3], "big")
        data = payload[pos + 3 : pos + 3 + length]
        pos += 3 + length
        if records.read_encrypted:
            if det is None:
                data = records._read.encrypt(records.read_seq, ctype, data)
            else:
                with det.use("sealer"):
                    data = records._read.encrypt(records.read_seq, ctype, data)
        yield _HEADER.pack(ctype, 0x0303, len(data)) + data


def run_engine(side: str, data: bytes) -> None:
    """The body of both engine harnesses: ``selector(1) mode(1) payload``.

    selector: the scenario (high nibble) and the stage (low nibble), see scenarios.pick;
    mode: bit 7 EOF after the payload, bit 6 seal mode, bits 0-5 the chunk size (0: whole).
    """
    data = data[:MAX_INPUT]
    if len(data) < 2:
        return
    scenario, stage = pick(side, data[0])
    mode, payload = data[1], data[2:]
    det = Determinism(scenario.name)
    with det.installed():
        driven, _ = engine_at(side, scenario, stage, det)
        with det.use(side):
            pieces = engine_pieces(driven, payload, mode, det)
            feed_engine(driven, pieces, bool(mode & MODE_EOF))


# -- running under atheris ------------------------------------------------------------------------


def _instrument_tls12() -> int:
    """Adds atheris coverage instrumentation to every tls12 function already imported (the
    harness imported the package before atheris was loaded, so import hooks are too late)."""
    import atheris

    count = 0
    for obj in gc.get_objects():
        module = getattr(obj, "__module__", None)
        code = getattr(obj, "__code__", None)
        if (
            isinstance(module, str)
            and (module == "tls12" or module.startswith("tls12."))
            and code is not None
            and not hasattr(obj, "__self__")
            and callable(obj)
        ):
            try:
                atheris.instrument_func(obj)
                count += 1
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"could not instrument {obj!r}: {exc}", file=sys.stderr)
    return count


def fuzz_main(
    test_one_input: Callable[[bytes], None], warm_up: Callable[[], None] | None = None
) -> None:
    """``python -m fuzz.<harness> [libFuzzer flags] [corpus dirs]``."""
    import atheris

    if warm_up is not None:
        warm_up()  # load lazily imported modules and the recordings before instrumenting
    count = _instrument_tls12()
    print(f"instrumented {count} tls12 functions", file=sys.stderr)
    argv = list(sys.argv)
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    if spec is not None and any(a.startswith(("-fork=", "-jobs=", "-merge=")) for a in argv):
        # Fork and merge modes re-run argv[0]: a wrapper that starts this module again.
        os.environ["TLS12_FUZZ_PYTHON"] = sys.executable
        os.environ["TLS12_FUZZ_MODULE"] = spec.name
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(FUZZ_DIR.parent), os.environ.get("PYTHONPATH")) if p
        )
        argv[0] = str(FUZZ_DIR / "run_harness.sh")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def corpus_files(harness: str) -> list[Path]:
    """Every corpus and regression input of a harness, in a stable order."""
    files = []
    for root in (CORPUS_DIR / harness, REGRESSIONS_DIR / harness):
        if root.is_dir():
            files += sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    return files
