"""Domain errors. Third-party exceptions are wrapped once, at the boundary, into these."""

from __future__ import annotations


class KpiError(Exception):
    """Base class: the message is Japanese and safe to show to a user."""


class DatabaseBusy(KpiError):
    """The database file is held by another process (DuckDB allows one writer process)."""


class DatabaseError(KpiError):
    """A statement failed; the transaction was rolled back."""


class NotFound(KpiError):
    """A plan, KPI or upload that does not exist."""
