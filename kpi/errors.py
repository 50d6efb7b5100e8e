"""Domain errors. Third-party exceptions are wrapped once, at the boundary, into these.

The message of each is Japanese, one line, and says what to do: the app shows it in one place
(ui/errors.py) and the CLI prints it as one line (etl/cli.py `main`).
"""

from __future__ import annotations


class KpiError(Exception):
    """Base class: the message is Japanese and safe to show to a user."""


class DatabaseBusy(KpiError):
    """The database file is held by another process (DuckDB allows one writer process)."""


class DatabaseError(KpiError):
    """A statement failed; the transaction was rolled back."""


class DatabaseCorrupt(DatabaseError):
    """The file is not a DuckDB database, or is cut short (a truncated copy, a damaged disk)."""


class DatabaseReadOnly(DatabaseError):
    """The file or its folder cannot be written: reads are served, writes refused."""


class DatabaseFull(DatabaseError):
    """The disk is full (or the file may not grow): reads are served, writes refused."""


class NotFound(KpiError):
    """A plan, KPI or upload that does not exist."""
