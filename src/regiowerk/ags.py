"""Amtlicher Gemeindeschlüssel (AGS) and Amtlicher Regionalschlüssel (ARS).

Structure (Destatis, Gemeindeverzeichnis GV-ISys, "Erläuterungen zum Gemeindeschlüssel")::

    AGS (8)  = Land (2) + Regierungsbezirk (1) + Kreis (2) + Gemeinde (3)
    ARS (12) = Land (2) + Regierungsbezirk (1) + Kreis (2) + Gemeindeverband (4) + Gemeinde (3)

so ``AGS = ARS[:5] + ARS[9:]``, the Kreis key is ``AGS[:5]`` and the Land key ``AGS[:2]``.

Spreadsheet programs read keys as numbers and drop the leading zero of the Länder 01–09
(``01051044`` becomes ``1051044``). A key that is exactly one digit short is unambiguous (only a
leading zero can be missing) and is restored with an :class:`AgsPaddedWarning`; anything else is
an :class:`~regiowerk.errors.AgsError` naming the value.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import pandas as pd

from regiowerk.errors import AgsError

__all__ = [
    "LAENDER",
    "AgsPaddedWarning",
    "Land",
    "ars_to_ags",
    "kreis_of",
    "land_abbreviation",
    "land_name",
    "land_of",
    "normalize_ags_column",
    "parse_ags",
    "parse_ars",
    "parse_kreis",
]


@dataclass(frozen=True)
class Land:
    """A German Land with its official two-digit key."""

    code: str
    name: str
    abbreviation: str


LAENDER: dict[str, Land] = {
    land.code: land
    for land in (
        Land("01", "Schleswig-Holstein", "SH"),
        Land("02", "Hamburg", "HH"),
        Land("03", "Niedersachsen", "NI"),
        Land("04", "Bremen", "HB"),
        Land("05", "Nordrhein-Westfalen", "NW"),
        Land("06", "Hessen", "HE"),
        Land("07", "Rheinland-Pfalz", "RP"),
        Land("08", "Baden-Württemberg", "BW"),
        Land("09", "Bayern", "BY"),
        Land("10", "Saarland", "SL"),
        Land("11", "Berlin", "BE"),
        Land("12", "Brandenburg", "BB"),
        Land("13", "Mecklenburg-Vorpommern", "MV"),
        Land("14", "Sachsen", "SN"),
        Land("15", "Sachsen-Anhalt", "ST"),
        Land("16", "Thüringen", "TH"),
    )
}

_DIGITS = re.compile(r"^[0-9]+$")


class AgsPaddedWarning(UserWarning):
    """A key lost its leading zero (typically in Excel) and was restored."""


def _clean(value: object) -> str:
    """Turn a cell value into the digit string it stands for, keeping what cannot be read."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    text = str(value).strip()
    if text.endswith(".0") and _DIGITS.match(text[:-2]):
        return text[:-2]  # "1051044.0": a number that went through a float column
    return text


def _check_land(key: str, original: object, kind: str) -> None:
    if key[:2] not in LAENDER:
        raise AgsError(
            f"{kind} {original!r}: Landesschlüssel {key[:2]!r} gibt es nicht "
            f"(gültig sind 01 bis 16)."
        )


def _parse_fixed(value: object, length: int, kind: str, *, pad: bool) -> tuple[str, bool]:
    """Parse a key of ``length`` digits; return it and whether a zero was restored."""
    text = _clean(value)
    if not _DIGITS.match(text):
        raise AgsError(f"{kind} {value!r}: erwartet werden {length} Ziffern.")
    padded = False
    if len(text) == length - 1 and pad:
        text = "0" + text
        padded = True
    if len(text) != length:
        raise AgsError(f"{kind} {value!r}: erwartet werden {length} Ziffern, gefunden {len(text)}.")
    _check_land(text, value, kind)
    return text, padded


def parse_ags(value: object, *, pad: bool = True) -> str:
    """Return the 8-digit AGS for ``value`` or raise :class:`AgsError`.

    ``value`` may be a string or a number. A 7-digit value is restored to 8 digits (leading
    zero lost in a spreadsheet) with an :class:`AgsPaddedWarning`, unless ``pad`` is false.
    """
    key, padded = _parse_fixed(value, 8, "AGS", pad=pad)
    if padded:
        warnings.warn(
            f"AGS {value!r} hatte nur 7 Ziffern; führende Null ergänzt: {key}.",
            AgsPaddedWarning,
            stacklevel=2,
        )
    return key


def parse_ars(value: object, *, pad: bool = True) -> str:
    """Return the 12-digit ARS for ``value`` or raise :class:`AgsError` (see :func:`parse_ags`)."""
    key, padded = _parse_fixed(value, 12, "ARS", pad=pad)
    if padded:
        warnings.warn(
            f"ARS {value!r} hatte nur 11 Ziffern; führende Null ergänzt: {key}.",
            AgsPaddedWarning,
            stacklevel=2,
        )
    return key


def parse_kreis(value: object, *, pad: bool = True) -> str:
    """Return the 5-digit Kreis key for ``value`` or raise :class:`AgsError`."""
    key, padded = _parse_fixed(value, 5, "Kreisschlüssel", pad=pad)
    if padded:
        warnings.warn(
            f"Kreisschlüssel {value!r} hatte nur 4 Ziffern; führende Null ergänzt: {key}.",
            AgsPaddedWarning,
            stacklevel=2,
        )
    return key


def ars_to_ags(ars: object) -> str:
    """Convert an ARS (12 digits) to the AGS (8 digits): ``ARS[:5] + ARS[9:]``."""
    key = parse_ars(ars)
    return key[:5] + key[9:]


def kreis_of(ags: str) -> str:
    """Kreis key (first five digits) of an AGS."""
    return parse_ags(ags, pad=False)[:5]


def land_of(key: str) -> str:
    """Land key (first two digits) of an AGS, ARS or Kreis key."""
    text = _clean(key)
    if not _DIGITS.match(text) or len(text) not in (2, 3, 5, 8, 9, 12):
        raise AgsError(
            f"Schlüssel {key!r}: kein Landes-, Kreis-, Gemeinde- oder Regionalschlüssel."
        )
    _check_land(text, key, "Schlüssel")
    return text[:2]


def land_name(key: str) -> str:
    """Name of the Land of any key (``"03"``, ``"03991"``, ``"03991001"`` → Niedersachsen)."""
    return LAENDER[land_of(key)].name


def land_abbreviation(key: str) -> str:
    """Official two-letter abbreviation of the Land of any key (e.g. ``"NI"``)."""
    return LAENDER[land_of(key)].abbreviation


def normalize_ags_column(
    values: pd.Series,
    *,
    length: int = 8,
    file: str | None = None,
    column: str | None = None,
    pad: bool = True,
) -> pd.Series:
    """Validate and normalise a whole column of keys at once.

    Returns a string series of ``length``-digit keys (8 = AGS, 12 = ARS, 5 = Kreis). Values one
    digit short are restored with a single :class:`AgsPaddedWarning` that counts them. Invalid
    values raise one :class:`AgsError` naming file, column, the first rows (by index label) and
    their values.
    """
    kinds = {8: "AGS", 12: "ARS", 5: "Kreisschlüssel", 2: "Landesschlüssel"}
    if length not in kinds:
        raise ValueError(f"unsupported key length {length}")
    text = values.map(_clean).astype("string")
    is_digits = text.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)
    lengths = text.str.len()
    short = is_digits & (lengths == length - 1) & pad
    text = text.where(~short, "0" + text)
    ok = is_digits & (text.str.len() == length) & text.str[:2].isin(list(LAENDER))
    bad = ~ok | values.isna()
    where = _place(file, column)
    if bad.any():
        rows = list(values.index[bad.to_numpy()])
        shown = ", ".join(f"Zeile {r}: {values.loc[r]!r}" for r in rows[:5])
        more = f" (und {len(rows) - 5} weitere)" if len(rows) > 5 else ""
        raise AgsError(
            f"{where}{len(rows)} ungültige {kinds[length]} (erwartet {length} Ziffern, "
            f"Land 01–16): {shown}{more}."
        )
    n_short = int(short.sum())
    if n_short:
        warnings.warn(
            f"{where}{n_short} {kinds[length]} mit {length - 1} Ziffern: führende Null ergänzt "
            f"(vermutlich durch Excel verloren).",
            AgsPaddedWarning,
            stacklevel=2,
        )
    return text.astype(str)


def _place(file: str | None, column: str | None) -> str:
    parts = []
    if file:
        parts.append(f"Datei {file}")
    if column:
        parts.append(f"Spalte {column!r}")
    return (", ".join(parts) + ": ") if parts else ""
