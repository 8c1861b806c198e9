"""What users install is what the issue promised: the wheel has py.typed and the one version,
and no benchmark; the sdist carries the tests with their helpers, and pytest runs in it.

Builds both with ``python -m build`` (an isolated build: setuptools comes from the package index,
as for any user) from a copy of the checkout, so the checkout's own build files are untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tls12._version import __version__

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", ".venv-min", "build", "dist", "__pycache__", ".pytest_cache",
             ".hypothesis", ".ruff_cache", ".mypy_cache", "work", "artifacts"}


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    shutil.copytree(
        ROOT, source,
        ignore=lambda _d, names: [n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")],
    )
    out = base / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("tls12-*.whl")
    (sdist,) = out.glob("tls12-*.tar.gz")
    return wheel, sdist


def test_wheel_ships_types_and_no_benchmark(dists: tuple[Path, Path]) -> None:
    wheel, _ = dists
    assert wheel.name.startswith(f"tls12-{__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tls12/py.typed" in names
    assert "tls12/_version.py" in names
    assert not [n for n in names if n.startswith(("tls12/bench/", "benchmarks/", "tests/"))]
    metadata = zipfile.ZipFile(wheel).read(f"tls12-{__version__}.dist-info/METADATA").decode()
    assert f"Version: {__version__}\n" in metadata
    assert "License-Expression: MIT" in metadata
    assert "Requires-Dist: cryptography>=45.0.1\n" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_pytest_runs_in_the_unpacked_sdist(dists: tuple[Path, Path], tmp_path: Path) -> None:
    _, sdist = dists
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: refuse links and absolute paths
            tar.extractall(tmp_path, filter="data")
        else:  # our own archive, just built
            tar.extractall(tmp_path)  # noqa: S202
    (unpacked,) = tmp_path.glob("tls12-*")
    for helper in ("tests/tls_support.py", "tests/peers/__init__.py", "tests/peers/recording.py",
                   "examples/client.py", "benchmarks/__main__.py", "LICENSE", "CHANGELOG.md"):
        assert (unpacked / helper).is_file(), f"the sdist lacks {helper}"
    # a subset that needs the helpers (tls_support, peers), the docs and a real peer
    subset = ["tests/wire", "tests/crypto/test_prf.py", "tests/test_api_reference.py",
              "tests/interop/test_keylog_wireshark.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *subset],
        cwd=unpacked, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout, proc.stdout[-2000:]
