"""Werkzeugkasten: catalogue of measures and reference projects (issue 8, in progress).

:mod:`~regiowerk.catalogue.schema` (records), :mod:`~regiowerk.catalogue.store` (shipped YAML
and user folders), :mod:`~regiowerk.catalogue.search` (German BM25 with facets) and
:mod:`~regiowerk.catalogue.extract` (draft project records from German texts).
"""
