"""Built-in report sections; importing this package registers them.

Further sections ("Bevölkerungsentwicklung", "Wohnungsbedarf", "Erreichbarkeit", …) register
themselves from their own modules with :func:`regiowerk.report.registry.register_section`.
"""

from regiowerk.report.sections import overview, population, sources

__all__ = ["overview", "population", "sources"]
