"""The README's Python snippets stay true to the API.

They are fragments (they name files such as ca.pem and a server on localhost:8443), so they are
not run; the runnable versions are examples/, which tests/examples runs against real peers. What
is checked here: every ``python`` block compiles (top-level ``await`` allowed), every
``from tls12... import name`` names something that exists, and every ``tls12.a.b`` attribute
chain resolves. Renaming a public name without fixing the README fails this test.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_snippets() -> None:
    assert len(BLOCKS) >= 3


def _attribute_chain(node: ast.Attribute) -> list[str] | None:
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name) and current.id == "tls12":
        return ["tls12", *reversed(parts)]
    return None


FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def check_snippet(source: str, label: str) -> int:
    """Compiles ``source`` and resolves its tls12 names; returns how many it checked."""
    tree = compile(source, label, "exec", FLAGS)
    checked = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tls12"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{label}: {node.module} has no {alias.name}"
                checked += 1
        elif isinstance(node, ast.Attribute):
            chain = _attribute_chain(node)
            if chain is None:
                continue
            obj = importlib.import_module("tls12")
            for i, part in enumerate(chain[1:], 1):
                assert hasattr(obj, part), f"{label}: no {'.'.join(chain[: i + 1])}"
                obj = getattr(obj, part)
            checked += 1
    return checked


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_snippet_uses_only_real_names(index: int) -> None:
    assert check_snippet(BLOCKS[index], f"README block {index}"), "uses no tls12 name"


def test_the_check_notices_a_wrong_name() -> None:
    with pytest.raises(AssertionError, match="tls12.aio.open_connexion"):
        check_snippet("await tls12.aio.open_connexion('h', 1)", "typo")
    with pytest.raises(AssertionError, match="no Conect"):
        check_snippet("from tls12 import Conect", "typo")
    with pytest.raises(SyntaxError):
        check_snippet("tls12.connect(", "broken")
