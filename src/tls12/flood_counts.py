"""Counts of records that carry no progress, so a peer cannot keep a connection busy for free.

A peer may send warning alerts or empty application-data records (RFC 5246 §6.2.1 allows
zero-length application data), each cheap to send and each costing us a record's work. The
engine allows a few of each in a row (``max_warning_alerts``, ``max_empty_records``) and
refuses more with unexpected_message; any record that makes progress ends both runs.
"""

from __future__ import annotations

from tls12.errors import UnexpectedMessage
from tls12.wire.enums import ContentType


class FloodCounts:
    """The two runs of a connection's incoming records; ``progress()`` on a record with data."""

    __slots__ = ("_max_warnings", "_max_empty", "warnings_in_row", "empty_in_row")

    def __init__(self, max_warning_alerts: int, max_empty_records: int) -> None:
        self._max_warnings = max_warning_alerts
        self._max_empty = max_empty_records
        self.warnings_in_row = 0
        self.empty_in_row = 0

    def progress(self) -> None:
        """A non-empty application-data record (or handshake progress) ends both runs."""
        self.warnings_in_row = self.empty_in_row = 0

    def count(self, content_type: int, payload: bytes) -> None:
        """Counts one record of any type; raises UnexpectedMessage past either limit."""
        if content_type == ContentType.alert:
            self.warnings_in_row += 1
            if self.warnings_in_row > self._max_warnings:
                raise UnexpectedMessage(
                    f"more than {self._max_warnings} alerts in a row (max_warning_alerts)"
                )
            return
        self.warnings_in_row = 0
        if content_type == ContentType.application_data and not payload:
            self.empty_in_row += 1
            if self.empty_in_row > self._max_empty:
                raise UnexpectedMessage(
                    f"more than {self._max_empty} empty records in a row (max_empty_records)"
                )
        else:
            self.empty_in_row = 0
