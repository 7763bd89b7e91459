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
    "string_too_short": "muss mindestens {min_length} Zeichen lang sein",
    "string_too_long": "darf höchstens {max_length} Zeichen lang sein",
    "string_pattern_mismatch": "hat nicht die verlangte Form (Muster {pattern})",
    "too_short": "braucht mindestens {min_length} {entries}",
    "too_long": "darf höchstens {max_length} {entries} haben",
    "bool_parsing": "muss ja/nein (true/false) sein",
    "model_type": "muss eine Zuordnung 'feld: wert' sein",
    "model_attributes_type": "muss eine Zuordnung 'feld: wert' sein",
}


def _context(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """pydantic's error context in German: ``'a' or 'b'`` → ``'a' oder 'b'``, plurals."""
    result = dict(ctx)
    if isinstance(result.get("expected"), str):
        result["expected"] = result["expected"].replace(" or ", " oder ")
    count = result.get("min_length", result.get("max_length"))
    result["entries"] = "Eintrag" if count == 1 else "Einträge"
    return result


def validation_lines(
    errors: Sequence[Mapping[str, Any]], messages: Mapping[tuple[str, str], str] | None = None
) -> list[str]:
    """German lines ``Feld a.b: Meldung`` for pydantic's ``ValidationError.errors()``.

    ``messages`` maps ``(field name, error type)`` to a message for that case, e.g.
    ``("code", "string_pattern_mismatch")`` → ``"muss ein Code wie 'W 007' sein"``; the field
    name is the last part of the location.
    """
    lines = []
    for error in errors:
        loc = tuple(str(part) for part in error["loc"])
        field = ".".join(loc) or "(Datei)"
        special = (messages or {}).get((loc[-1] if loc else "", error["type"]))
        template = _PYDANTIC_GERMAN.get(error["type"])
        if special is not None:
            message = special
        elif template is not None:
            message = template.format(**_context(error.get("ctx", {})))
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  - Feld {field}: {message}")
    return lines
