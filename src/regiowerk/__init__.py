"""regiowerk: open planning support for German regions (Daseinsvorsorge and housing).

The package follows one flow: official sources are read into a region
:class:`~regiowerk.workspace.Workspace` of canonical tables (:mod:`regiowerk.schema`),
models turn those tables into indicators, and outputs (reports, XLSX, GeoPackage) present
them. See ``README.md`` for the quick start.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("regiowerk")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
