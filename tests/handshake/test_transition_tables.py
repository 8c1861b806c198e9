"""The transition tables in the docstrings of handshake/client.py and handshake/server.py are
checked against the code: each row's state accepts the row's message (its ``expects``, its
renegotiation message, or ``handle_change_cipher_spec`` for ChangeCipherSpec), each row's next
state is one the state's code builds, and every message a state accepts and every state it
builds has its row. A table that drifts from the classes fails here."""

from __future__ import annotations

import ast
import inspect
import re
from types import ModuleType

import pytest

from tls12.handshake import client, server
from tls12.handshake.connected import Connected
from tls12.handshake.state import State

ROW = re.compile(r"^\s*(?:(\w+)\s+)?--(\w+)[^>]*-->\s*(\w+)")
ALTERNATIVE = re.compile(r"^\s+\|\s*(\w+)")


def table(module: ModuleType) -> set[tuple[str, str, str]]:
    """(state, message, next state) for every row, with ``| Next`` lines under their row."""
    rows: set[tuple[str, str, str]] = set()
    state = message = ""
    for line in (module.__doc__ or "").splitlines():
        row = ROW.match(line)
        if row:
            state = row.group(1) or state
            message = row.group(2)
            rows.add((state, message, row.group(3)))
            continue
        alternative = ALTERNATIVE.match(line)
        if alternative and state:
            rows.add((state, message, alternative.group(1)))
    return rows


def states(module: ModuleType) -> dict[str, type[State]]:
    return {
        name: cls
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and issubclass(cls, State) and cls.__module__ == module.__name__
    }


def accepted(cls: type[State]) -> set[str]:
    names = {m.__name__ for m in cls.expects}
    if issubclass(cls, Connected):
        names.add(cls.renegotiation_request.__name__)
    if cls.handle_change_cipher_spec is not State.handle_change_cipher_spec:
        names.add("ChangeCipherSpec")
    return names


def built(module: ModuleType, cls: type[State]) -> set[str]:
    """The names of the states the class's code constructs, directly or through a module-level
    function it calls (``after_keys``); a connected state that refuses renegotiation stays."""
    tree = ast.parse(inspect.getsource(module))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)

    def calls(where: ast.AST) -> set[str]:
        return {
            c.func.id
            for c in ast.walk(where)
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
        }

    names = calls(node)
    for name in list(names):
        if name in functions:
            names |= calls(functions[name])
    found = names & set(states(module))
    if issubclass(cls, Connected):
        found.add(cls.__name__)  # handle() returns self
    return found


MODULES = [client, server]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_row_names_a_state_that_accepts_the_message(module: ModuleType) -> None:
    classes = states(module)
    rows = table(module)
    assert len(rows) >= 10
    for state, message, following in rows:
        assert state in classes, f"{state} in the table is no state of {module.__name__}"
        assert following in classes, f"{following} in the table is no state"
        assert message in accepted(classes[state]), f"{state} does not accept {message}"
        assert following in built(module, classes[state]), (
            f"{state} never builds {following}, though the table says it follows {message}"
        )


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_accepted_message_and_every_next_state_has_a_row(module: ModuleType) -> None:
    rows = table(module)
    for name, cls in states(module).items():
        for message in accepted(cls):
            assert any(s == name and m == message for s, m, _ in rows), (
                f"{name} accepts {message}, but the table has no row for it"
            )
        for following in built(module, cls):
            assert any(s == name and n == following for s, _, n in rows), (
                f"{name} builds {following}, but the table has no row for it"
            )


def test_a_drifted_table_is_caught() -> None:
    """The parser reads rows and alternatives as written (so the checks above can fail)."""

    class Fake(ModuleType):
        pass

    fake = Fake("fake")
    fake.__doc__ = """
        A  --Finished-->  B
                          | C
        D  --ChangeCipherSpec-->  E (once)
    """
    assert table(fake) == {
        ("A", "Finished", "B"),
        ("A", "Finished", "C"),
        ("D", "ChangeCipherSpec", "E"),
    }
