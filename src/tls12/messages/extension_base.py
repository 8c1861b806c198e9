"""The base class of every hello extension codec (messages/extensions.py and its siblings)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from tls12.wire.writer import Writer


class Extension(ABC):
    """Base class: ``extension_type`` names the code point; subclasses encode their body.

    Known extensions also have a ``decode_body(reader)`` classmethod, listed in
    ``KNOWN_EXTENSIONS``; ``UnknownExtension`` is built directly from the raw bytes.
    """

    extension_type: ClassVar[int]

    @abstractmethod
    def encode_body(self, w: Writer) -> None:
        """Writes the extension_data bytes (without the type and length)."""
