"""Keeps what a fuzzing run found: the inputs under fuzz/work/<harness>/ that add coverage to
fuzz/corpus/<harness>/ are copied there as ``found-<sha1>`` (libFuzzer's -merge=1 picks them).

    .venv/bin/python -m fuzz.keep_found [harness ...]      # needs atheris

tests/test_fuzz_regressions.py replays them with the rest of the corpus.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from fuzz.common import CORPUS_DIR, FUZZ_DIR, MAX_INPUT

HARNESSES = ("fuzz_record_layer", "fuzz_messages", "fuzz_client_engine", "fuzz_server_engine")


def keep(harness: str) -> int:
    corpus = CORPUS_DIR / harness
    work = FUZZ_DIR / "work" / harness
    if not work.is_dir():
        print(f"{harness}: no {work}, nothing to keep")
        return 0
    known = {hashlib.sha1(p.read_bytes()).hexdigest() for p in corpus.iterdir()}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", f"fuzz.{harness}", "-merge=1", f"-max_len={MAX_INPUT}",
             tmp, str(corpus), str(work)],
            cwd=FUZZ_DIR.parent, check=True, capture_output=True,
        )
        added = 0
        for path in sorted(Path(tmp).iterdir()):
            data = path.read_bytes()
            digest = hashlib.sha1(data).hexdigest()
            if digest not in known:
                (corpus / f"found-{digest}").write_bytes(data)
                known.add(digest)
                added += 1
    print(f"{harness}: kept {added} new input(s) in {corpus}")
    return added


def main(argv: list[str]) -> int:
    for harness in argv or HARNESSES:
        keep(harness)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
