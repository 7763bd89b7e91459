"""Accessibility of services on the road network (see ``docs/access.md``).

:mod:`~regiowerk.access.network` (graphs per mode from the ``roads`` table, cache),
:mod:`~regiowerk.access.osm_network` (graphs from OSM extracts, speeds in ``speeds.toml``),
:mod:`~regiowerk.access.snap` (origins and destinations to nodes with walking legs),
:mod:`~regiowerk.access.engine` (nearest, k-nearest and matrices by Dijkstra in
``scipy.sparse.csgraph``), :mod:`~regiowerk.access.isochrones`,
:mod:`~regiowerk.access.standards` (services and time limits as data),
:mod:`~regiowerk.access.run` (the chain on a workspace, E2SFCA) and
:mod:`~regiowerk.access.indicators` (summaries, compliance, G-BA closure test).
"""
