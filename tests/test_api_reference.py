"""docs/API.md is what scripts/api_reference.py makes from the docstrings today: a change to a
public signature or docstring without `make docs` fails here, so the reference cannot go stale.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import tls12

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "api_reference.py"


def load_generator():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("api_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("api_reference", module)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_up_to_date() -> None:
    generator = load_generator()
    expected = generator.render()
    current = (ROOT / "docs" / "API.md").read_text()
    assert current == expected, "docs/API.md is stale: run `make docs` and commit the result"


def test_every_public_name_is_in_the_reference() -> None:
    text = (ROOT / "docs" / "API.md").read_text()
    for name in tls12.__all__:
        if name != "aio":
            assert f"`{name}" in text, f"{name} is missing from docs/API.md"
    for name in tls12.aio.__all__:
        assert f"`{name}" in text, f"tls12.aio.{name} is missing from docs/API.md"
