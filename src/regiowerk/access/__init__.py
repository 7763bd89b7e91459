"""Accessibility of services on the road network (issue 6).

:mod:`~regiowerk.access.network` (graphs per mode, cache), :mod:`~regiowerk.access.snap`
(origins and destinations to nodes), :mod:`~regiowerk.access.engine` (nearest, k-nearest,
matrices by Dijkstra in ``scipy.sparse.csgraph``).
"""
