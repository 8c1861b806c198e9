"""Writes docs/API.md, the API reference, from the docstrings of the public names.

    python scripts/api_reference.py          # rewrite docs/API.md (make docs)
    python scripts/api_reference.py --check  # exit 1 if docs/API.md is stale

The public API is ``tls12.__all__`` (plus ``tls12.aio``'s names and ``TLS12Context``, the
ssl-compatible context). For each class: its constructor signature, its docstring, the
dataclass fields with the docstring written under each field, then its public methods and
properties. Everything comes from ``inspect`` and, for field docstrings, from the class's source
(``ast``), so the reference says exactly what the code says. Offline, no dependencies; the suite
(tests/test_api_reference.py) fails when the checked-in file differs from what this produces.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import re
import sys
import textwrap
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import tls12
from tls12.converted import Converted
from tls12.events import Event, Negotiated
from tls12.io.sslcompat import TLS12Context

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "API.md"
MAX_DEFAULT = 50  # longer default values are shown as "..."


def _doc(obj: object) -> str:
    doc = inspect.getdoc(obj)
    return doc.strip() if doc else ""


def _own_doc(obj: object) -> str:
    """The object's own docstring, not one inherited from a base class or from ``object``."""
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _default(value: Any) -> str:
    text = re.sub(r" at 0x[0-9a-f]+", "", repr(value))
    if isinstance(value, enum.Enum):
        text = f"{type(value).__name__}.{value.name}"
    elif isinstance(value, tuple) and value and all(hasattr(v, "name") for v in value):
        text = "(" + ", ".join(str(v.name) for v in value) + ")"
        if len(text) > MAX_DEFAULT:
            text = f"({len(value)} entries: {value[0].name}, ...)"
        if len(text) > MAX_DEFAULT:
            text = f"({len(value)} entries)"
    return text if len(text) <= MAX_DEFAULT else "..."


def _signature(func: Callable[..., Any], *, drop_self: bool = False) -> str:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return "(...)"
    params = list(sig.parameters.values())
    if drop_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    parts: list[str] = []
    star_done = False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        if p.kind is p.VAR_POSITIONAL:
            star_done = True
        prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
        text = prefix + p.name
        if p.annotation is not p.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            text += f" = {_default(p.default)}"
        parts.append(text)
    ret = ""
    if sig.return_annotation is not sig.empty:
        ret = f" -> {_annotation(sig.return_annotation)}"
    return f"({', '.join(parts)}){ret}"


def _annotation(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\b(?:[a-z_][a-z0-9_]*\.)+([A-Za-z_])", r"\1", str(annotation))


def _field_docs(cls: type) -> dict[str, str]:
    """The string literal under each annotated field in the class body (the attribute
    docstring convention, which ``inspect`` does not see)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ == "builtins":
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        body = ast.parse(source).body[0]
        if not isinstance(body, ast.ClassDef):
            continue
        statements = body.body
        for stmt, nxt in zip(statements, statements[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[stmt.target.id] = inspect.cleandoc(nxt.value.value)
    return docs


def _members(cls: type) -> Iterable[tuple[str, Any]]:
    """Public methods and properties defined by the class or its tls12 bases, in source order."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("tls12"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            routine = (property, classmethod, staticmethod, types.FunctionType)
            cached = hasattr(value, "__get__") and hasattr(value, "func")  # cached_property
            if isinstance(value, routine) or cached:
                yield name, value


def _member(cls_name: str, name: str, value: Any) -> list[str]:
    if isinstance(value, property) or type(value).__name__ == "cached_property":
        func = value.fget if isinstance(value, property) else value.func
        assert func is not None, f"{cls_name}.{name} has no getter"
        ret = inspect.signature(func).return_annotation
        kind = f": {_annotation(ret)}" if ret is not inspect.Signature.empty else ""
        head = f"#### `{cls_name}.{name}{kind}` (property)"
        doc = _own_doc(func)
    else:
        func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        marker = " (classmethod)" if isinstance(value, classmethod) else ""
        sig = _signature(func, drop_self=not isinstance(value, staticmethod))
        head = f"#### `{cls_name}.{name}{sig}`{marker}"
        doc = _own_doc(func)
    return [head, "", doc, ""] if doc else [head, ""]


def _class(name: str, cls: type) -> list[str]:
    lines: list[str] = []
    if issubclass(cls, enum.Enum):
        lines += [f"### class `{name}` (enum)", "", _own_doc(cls), ""]
        lines.append("Members: " + ", ".join(f"`{m.name}`" for m in cls) + ".")
        return [*lines, ""]
    if dataclasses.is_dataclass(cls) and len(dataclasses.fields(cls)) > 4:
        signature = "(...)"  # the fields table below says it better
    else:
        signature = _signature(cls).removesuffix(" -> None")
    lines += [f"### class `{name}{signature}`", ""]
    bases = [b.__name__ for b in cls.__bases__ if b is not object and b.__name__[0] != "_"]
    if bases:
        lines += ["Bases: " + ", ".join(f"`{b}`" for b in bases) + ".", ""]
    doc = _own_doc(cls)
    if doc and not doc.startswith(f"{cls.__name__}("):  # not dataclass's generated one
        lines += [doc, ""]
    if dataclasses.is_dataclass(cls):
        docs = _field_docs(cls)
        fields = [f for f in dataclasses.fields(cls) if not f.name.startswith("_")]
        if fields:
            lines += ["| Field | Type | Default | |", "|---|---|---|---|"]
            for f in fields:
                if f.default is not dataclasses.MISSING:
                    default = _default(f.default)
                elif f.default_factory is not dataclasses.MISSING:
                    default = "(made fresh)"
                else:
                    default = "required"
                text = " ".join(docs.get(f.name, "").split()).replace("|", "\\|")
                kind = _field_type(cls, f).replace("|", "\\|")
                lines.append(f"| `{f.name}` | `{kind}` | `{default}` | {text} |")
            lines.append("")
    for member_name, value in _members(cls):
        lines += _member(name, member_name, value)
    return lines


def _field_type(cls: type, f: dataclasses.Field[Any]) -> str:
    """The field's type; for a Converted field (converted.py), what the constructor accepts
    and the type the field holds."""
    hint = typing.get_type_hints(cls).get(f.name)
    if typing.get_origin(hint) is Converted:
        loose, resolved = typing.get_args(hint)
        return f"{_annotation(loose)}` → `{_annotation(resolved)}"
    return _annotation(f.type)


def _function(name: str, func: Callable[..., Any]) -> list[str]:
    lines = [f"### `{name}{_signature(func)}`", ""]
    doc = _own_doc(func)
    return lines + [doc, ""] if doc else lines


def _section(title: str, owner: str, names: Iterable[tuple[str, Any]]) -> list[str]:
    lines = [f"## {title}", "", f"From `{owner}`.", ""]
    for name, obj in names:
        if inspect.isclass(obj):
            lines += _class(name, obj)
        elif callable(obj):
            lines += _function(name, obj)
        else:
            lines += [f"### `{name}`", "", f"`{_default(obj)}`", ""]
    return lines


def render() -> str:
    top = [(n, getattr(tls12, n)) for n in tls12.__all__ if n != "aio"]
    classes = [(n, o) for n, o in top if inspect.isclass(o)]
    errors = [(n, o) for n, o in classes if issubclass(o, Exception)]
    events = [(n, o) for n, o in classes if n in {"Event"} or _is_event(o)]
    other = [(n, o) for n, o in classes if (n, o) not in errors and (n, o) not in events]
    functions = [(n, o) for n, o in top if not inspect.isclass(o) and callable(o)]
    constants = [(n, o) for n, o in top if not inspect.isclass(o) and not callable(o)]
    aio_names = [(n, getattr(tls12.aio, n)) for n in getattr(tls12.aio, "__all__", [])]

    lines = [
        "# tls12 API reference",
        "",
        "Generated from the docstrings by `scripts/api_reference.py` (`make docs`); the test",
        "suite fails when this file is stale. Do not edit by hand.",
        "",
        f"tls12 {tls12.__version__}. " + " ".join(_doc(tls12).split("\n\n")[0].split()),
        "",
        "Contents: [Configuration and connections](#configuration-and-connections) · "
        "[Functions](#functions) · [Events](#events) · [Errors](#errors) · "
        "[Constants](#constants) · [asyncio](#asyncio) · "
        "[ssl-compatible context](#ssl-compatible-context)",
        "",
    ]
    lines += _section("Configuration and connections", "tls12", sorted(other))
    lines += _section("Functions", "tls12", sorted(functions))
    lines += _section("Events", "tls12", sorted(events))
    lines += _section("Errors", "tls12", sorted(errors))
    lines += _section("Constants", "tls12", sorted(constants))
    lines += _section("asyncio", "tls12.aio", aio_names)
    context = [("TLS12Context", TLS12Context)]
    lines += _section("ssl-compatible context", "tls12.io.sslcompat", context)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.rstrip() + "\n"


def _is_event(cls: type) -> bool:
    return issubclass(cls, Event) or cls is Negotiated


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
