"""A dataclass field that takes a loose value at construction and keeps the resolved one.

``ClientConfig(cipher_suites="compatible")`` and ``ClientConfig(groups=["x25519"])`` are the
friendly way to configure; the handshake wants ``tuple[CipherSuite, ...]`` and
``tuple[NamedGroup, ...]``. A ``Converted`` field is a data descriptor: the dataclass
``__init__`` (and ``dataclasses.replace``) assigns through ``__set__``, which runs the
converter, so the stored value always has the resolved type. mypy reads both halves (the
``__init__`` parameter has ``__set__``'s type, the attribute ``__get__``'s), so the constructor
accepts the loose input and the field reads as the resolved type, with no cast anywhere.

A frozen dataclass's ``__init__`` assigns with ``object.__setattr__``, which still goes through
a data descriptor; assignment afterwards raises FrozenInstanceError as for any other field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar, overload

In = TypeVar("In")
Out = TypeVar("Out")


class Converted(Generic[In, Out]):
    """A field accepting ``In``, stored and read as ``convert(value)``; ``default`` is an ``In``
    (read by the dataclass as the field's default, then converted like any value)."""

    __slots__ = ("_convert", "_default", "_name")

    def __init__(self, convert: Callable[[In], Out], default: In) -> None:
        self._convert = convert
        self._default = default
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> In: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Out: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> In | Out:
        if obj is None:
            return self._default  # on the class: the dataclass reads the default here
        try:
            value: Out = obj.__dict__[self._name]
        except KeyError:
            raise AttributeError(self._name) from None
        return value

    def __set__(self, obj: object, value: In) -> None:
        obj.__dict__[self._name] = self._convert(value)

