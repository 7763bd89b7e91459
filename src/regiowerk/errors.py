"""Exceptions that carry a user-facing (German) message.

Every error the CLI shows without a traceback derives from :class:`RegiowerkError`. The message
must say what is wrong, where (file, row, column or table) and, where possible, what to do.
"""

from __future__ import annotations


class RegiowerkError(Exception):
    """Base class of all expected, user-facing errors."""


class AgsError(RegiowerkError, ValueError):
    """An Amtlicher Gemeindeschlüssel or Regionalschlüssel that cannot be read."""


class SchemaViolation(RegiowerkError):
    """A table does not meet its canonical schema.

    ``problems`` lists one human-readable line per failure (row, column, value, rule).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class WorkspaceError(RegiowerkError):
    """A workspace folder is missing, damaged or inconsistent."""


class UnknownTableError(WorkspaceError, KeyError):
    """A table name that is not one of the canonical tables."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""
