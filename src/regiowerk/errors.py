"""Exceptions that carry a user-facing (German) message.

Every error the CLI shows without a traceback derives from :class:`RegiowerkError`. The message
must say what is wrong, where (file, row, column or table) and, where possible, what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


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


_PYDANTIC_GERMAN = {
    "extra_forbidden": "unbekanntes Feld",
    "missing": "Pflichtfeld fehlt",
    "float_type": "muss eine Zahl sein",
    "float_parsing": "muss eine Zahl sein",
    "int_type": "muss eine ganze Zahl sein",
    "int_parsing": "muss eine ganze Zahl sein",
    "int_from_float": "muss eine ganze Zahl sein",
    "finite_number": "muss eine endliche Zahl sein",
    "string_type": "muss ein Text sein",
    "bool_type": "muss ja/nein (true/false) sein",
    "dict_type": "muss eine Zuordnung 'name: wert' sein",
    "list_type": "muss eine Liste sein",
    "greater_than": "muss größer als {gt} sein",
    "greater_than_equal": "muss mindestens {ge} sein",
    "less_than": "muss kleiner als {lt} sein",
    "less_than_equal": "darf höchstens {le} sein",
    "literal_error": "erlaubt: {expected}",
}


def validation_lines(errors: Sequence[Mapping[str, Any]]) -> list[str]:
    """German lines ``Feld a.b: Meldung`` for pydantic's ``ValidationError.errors()``."""
    lines = []
    for error in errors:
        field = ".".join(str(part) for part in error["loc"]) or "(Datei)"
        template = _PYDANTIC_GERMAN.get(error["type"])
        if template is not None:
            message = template.format(**error.get("ctx", {}))
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  - Feld {field}: {message}")
    return lines
