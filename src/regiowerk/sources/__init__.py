"""Readers of official source files into canonical tables (one module per format).

Each format module registers a :class:`~regiowerk.sources.base.SourceFormat` when imported.
:func:`all_formats` imports every format module of this package, so the CLI and folder
detection know all of them without a hand-kept list.
"""

from __future__ import annotations

import importlib
import pkgutil

from regiowerk.sources.base import FORMATS, SourceFormat

_NOT_FORMATS = {"base", "download"}


def all_formats() -> dict[str, SourceFormat]:
    """Every registered source format by key (imports the format modules once)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_FORMATS and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(FORMATS.items()))
