"""Built-in report sections; importing this package registers them.

Further sections ("Erreichbarkeit", …) register themselves from their own modules with
:func:`regiowerk.report.registry.register_section`.
"""

from regiowerk.report.sections import housing, overview, population, sources

__all__ = ["housing", "overview", "population", "sources"]
