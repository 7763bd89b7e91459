"""Werkzeugkasten: catalogue of measures and reference projects (issue 8, in progress).

:mod:`~regiowerk.catalogue.schema` defines the records.
"""
