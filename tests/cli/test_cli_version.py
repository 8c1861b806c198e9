"""``tls12 --version`` prints the one version (src/tls12/_version.py) that the package metadata
also carries; ``tls12 bench`` says where the benchmark went instead of failing obscurely."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import tls12
from tls12._version import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tls12", *args], capture_output=True, text=True, timeout=60
    )


def test_version_is_one_number_everywhere() -> None:
    out = run("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"tls12 {__version__}"
    assert tls12.__version__ == __version__
    assert version("tls12") == __version__, "reinstall: the metadata is older than _version.py"


def test_bench_points_at_make_bench() -> None:
    for args in (["bench"], ["bench", "--quick", "--json", "x.json"]):
        out = run(*args)
        assert out.returncode == 2
        assert "make bench" in out.stderr and "Traceback" not in out.stderr
        assert out.stdout == ""
