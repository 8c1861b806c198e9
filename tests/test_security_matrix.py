"""docs/SECURITY.md cannot drift from the tests: its negative-test matrix has at least 60
distinct rows, every answer names real alerts, and every row points at a test that pytest
collects (and that is not an expected failure).

The referenced files are collected in a subprocess (``pytest --collect-only -q``), so a row
may name a parametrized case exactly (``test_x[client]``) or a test function as a whole."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tls12.wire.enums import AlertDescription

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "SECURITY.md"
MIN_ROWS = 60
HEADER = ["#", "Hostile input", "Receiver, state", "Answer", "Test"]


@dataclass(frozen=True)
class Row:
    number: int
    hostile_input: str
    state: str
    answer: str
    test: str


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@functools.cache
def matrix() -> tuple[Row, ...]:
    text = DOC.read_text(encoding="utf-8")
    assert "## Negative-test matrix" in text, "docs/SECURITY.md has no negative-test matrix"
    section = text.split("## Negative-test matrix", 1)[1]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| #"))
    assert _cells(lines[start]) == HEADER, f"unexpected matrix header: {lines[start]}"
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(HEADER), f"row does not have {len(HEADER)} cells: {line}"
        number, hostile_input, state, answer, test = cells
        match = re.fullmatch(r"`(tests/[\w/]+\.py::[^`\s]+)`", test)
        assert match, f"row {number}: the test cell is not one `tests/...py::name`: {test}"
        rows.append(Row(int(number), hostile_input, state, answer, match.group(1)))
    return tuple(rows)


@functools.cache
def collected() -> frozenset[str]:
    """Node ids pytest collects from the files the matrix names, expected failures left out."""
    files = sorted({row.test.split("::", 1)[0] for row in matrix()})
    for name in files:
        assert (ROOT / name).is_file(), f"the matrix names {name}, which does not exist"
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not xfail",
            "-p", "no:cacheprovider", "-o", "addopts=", *files,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"collection failed:\n{result.stdout}\n{result.stderr}"
    return frozenset(line.strip() for line in result.stdout.splitlines() if "::" in line)


def test_the_matrix_has_enough_distinct_cases() -> None:
    rows = matrix()
    assert len(rows) >= MIN_ROWS, f"only {len(rows)} rows"
    assert [r.number for r in rows] == list(range(1, len(rows) + 1)), "rows are not numbered 1..n"
    cases = [(r.hostile_input, r.state) for r in rows]
    repeated = {case for case in cases if cases.count(case) > 1}
    assert not repeated, f"the same input and state appear twice: {repeated}"
    tests = [r.test for r in rows]
    assert len(set(tests)) == len(tests), "two rows point at the same test"
    assert all(r.hostile_input and r.state for r in rows)


def test_both_sides_are_covered() -> None:
    states = " ".join(r.state for r in matrix())
    assert "client," in states and "server," in states


def test_every_answer_names_real_alerts() -> None:
    names = {d.name for d in AlertDescription}
    for row in matrix():
        alerts = re.findall(r"`([^`]+)`", row.answer)
        if not alerts:
            assert row.answer.startswith(("none", "any")), f"row {row.number}: names no alert"
        unknown = [a for a in alerts if a not in names]
        assert not unknown, f"row {row.number}: {unknown} are not alert names"


def test_every_row_points_at_a_collected_test() -> None:
    ids = collected()
    missing = []
    for row in matrix():
        if "[" in row.test:
            found = row.test in ids
        else:
            found = row.test in ids or any(i.startswith(row.test + "[") for i in ids)
        if not found:
            missing.append(f"row {row.number}: {row.test}")
    assert not missing, "the matrix names tests that pytest does not collect (or that are " + (
        "expected failures):\n" + "\n".join(missing)
    )


def test_the_checker_notices_a_missing_test() -> None:
    """The control: a name that is not there is not found."""
    ids = collected()
    ghost = matrix()[0].test + "_that_does_not_exist"
    assert ghost not in ids and not any(i.startswith(ghost + "[") for i in ids)
