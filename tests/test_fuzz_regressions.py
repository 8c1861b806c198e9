"""Replays every input under fuzz/corpus/ and fuzz/regressions/ through the fuzz harnesses.

The harness functions are imported from fuzz/ (they do not need atheris) and each input must
satisfy the harness's property: only TLSError escapes, never InternalError, the same error on
every later call, no hang. A crash the fuzzer found is saved under fuzz/regressions/<harness>/;
while its bug is open, it is listed in KNOWN_BUGS and expected to fail (strict: the xfail turns
into a failure once the bug is fixed, so the entry is then removed).

The recorded handshakes behind the engine corpora (fuzz/flights/) are also checked: recording a
scenario again gives the same bytes, and each side rebuilt alone reaches every stage and
accepts the next recorded flight. When a change to the engine alters what goes on the wire,
these fail: regenerate with ``.venv/bin/python -m fuzz.make_corpus``.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

from fuzz import (  # noqa: E402
    fuzz_client_engine,
    fuzz_messages,
    fuzz_record_layer,
    fuzz_server_engine,
)
from fuzz.common import (  # noqa: E402
    REGRESSIONS_DIR,
    PropertyViolation,
    corpus_files,
    feed_engine,
)
from fuzz.determinism import Determinism, pkcs1v15_encrypt, pss_sign  # noqa: E402
from fuzz.make_corpus import check_and_seed  # noqa: E402
from fuzz.scenarios import SCENARIOS, Driven, fixed_pki, load, record  # noqa: E402
from tls12.connection import ServerConnection  # noqa: E402

HARNESSES: dict[str, Callable[[bytes], None]] = {
    "fuzz_record_layer": fuzz_record_layer.test_one_input,
    "fuzz_messages": fuzz_messages.test_one_input,
    "fuzz_client_engine": fuzz_client_engine.test_one_input,
    "fuzz_server_engine": fuzz_server_engine.test_one_input,
}

# Crashes found by fuzzing and since fixed stay in fuzz/regressions/ as ordinary regressions:
#   fuzz_messages/session-utf8-replacement-overflows-alpn: Session.from_bytes decoded
#     server_name/alpn with errors="replace", so a 154-byte ALPN re-encoded to 334 bytes and
#     to_bytes raised ValueError (fixed in 7601c48: strict decoding, DecodeError);
#   fuzz_messages/session-created-overflows-u64, .../session-created-loses-precision: a u64
#     creation time near 2^64 ms became a float that to_bytes rounded to 2^64 (OverflowError),
#     or that no longer held the same value (fixed in 2989006: at most 2^53 ms).
# An open one is listed here, keyed "<harness>/<file name>", with what is wrong.
KNOWN_BUGS: dict[str, str] = {}

TIME_LIMIT = 5.0  # seconds per input: far more than any needs (libFuzzer uses -timeout=10)


@contextlib.contextmanager
def _no_hang(seconds: float = TIME_LIMIT) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"the harness did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _inputs() -> Iterator[object]:
    for harness in HARNESSES:
        for path in corpus_files(harness):
            key = f"{harness}/{path.name}"
            marks = []
            if path.parent.parent == REGRESSIONS_DIR and key in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[key]))
            yield pytest.param(harness, path, id=f"{path.parent.parent.name}/{key}", marks=marks)


@pytest.mark.parametrize(("harness", "path"), list(_inputs()))
def test_input_keeps_the_property(harness: str, path: Path) -> None:
    with _no_hang():
        HARNESSES[harness](path.read_bytes())


def test_every_known_bug_has_its_input() -> None:  # the list may be empty
    for key in KNOWN_BUGS:
        assert (REGRESSIONS_DIR / key).is_file(), f"{key} is listed but not saved"


def test_the_corpora_are_there() -> None:
    for harness in HARNESSES:
        assert len(corpus_files(harness)) >= 20, f"{harness} has almost no corpus"


# -- the recordings behind the engine corpora ---------------------------------------------------


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_recording_replays_byte_for_byte(name: str) -> None:
    """Recording again gives the stored flights; each side alone reaches every stage (strict:
    byte for byte the recorded output) and accepts the next flight, as recorded and re-sealed.
    A failure means the engine changed what it sends: run `python -m fuzz.make_corpus`."""
    scenario = next(s for s in SCENARIOS if s.name == name)
    stored = load(name)
    again = record(scenario)
    assert again.flights == stored.flights, (
        f"{name}: the engine no longer sends the recorded flights; regenerate the corpus with "
        "`.venv/bin/python -m fuzz.make_corpus`"
    )
    check_and_seed(stored, defaultdict(dict))


# -- the scaffolding itself ---------------------------------------------------------------------


def test_harnesses_import_without_atheris() -> None:
    code = (
        "import sys; sys.modules['atheris'] = None\n"
        "from fuzz import fuzz_client_engine, fuzz_messages, fuzz_record_layer, "
        "fuzz_server_engine\n"
        "fuzz_messages.test_one_input(b'\\x00\\x01')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_deterministic_rsa_matches_the_standard() -> None:
    """The PSS signatures and PKCS#1 v1.5 ciphertexts made under Determinism are ordinary
    ones: OpenSSL verifies and decrypts them."""
    key = fixed_pki().server_rsa.key
    data = b"signed data"
    for algorithm in (hashes.SHA256(), hashes.SHA384(), hashes.SHA512()):
        salt = bytes(range(algorithm.digest_size))
        signature = pss_sign(key, data, algorithm, salt)  # type: ignore[arg-type]
        pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
        key.public_key().verify(signature, data, pss, algorithm)  # type: ignore[union-attr]
    det = Determinism("test")
    encrypted = pkcs1v15_encrypt(key.public_key(), b"\x03\x03" + bytes(46), det.urandom)  # type: ignore[arg-type]
    assert key.decrypt(encrypted, padding.PKCS1v15()) == b"\x03\x03" + bytes(46)  # type: ignore[union-attr]


def test_streams_are_per_side_and_reproducible() -> None:
    a, b = Determinism("seed"), Determinism("seed")
    with a.use("client"):
        first = a.urandom(40)
    with a.use("server"):
        a.urandom(1000)  # the other side's draws do not move this side's stream
    with a.use("client"):
        second = a.urandom(8)
    with b.use("client"):
        assert b.urandom(48) == first + second


def test_patches_are_undone() -> None:
    import os

    original = os.urandom
    det = Determinism("x")
    with det.installed():
        assert os.urandom is not original
    assert os.urandom is original


def test_the_property_can_fail() -> None:
    """feed_engine reports an engine bug that the safety net turned into InternalError."""

    class Broken(ServerConnection):
        def _process(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise IndexError("boom")

    scenario = SCENARIOS[0]
    driven = Driven(Broken(scenario.server_config()), "server")
    with pytest.raises(PropertyViolation, match="internal_error"):
        feed_engine(driven, iter([b"\x16\x03\x01\x00\x01\x01"]), False)
