"""Built-in report sections; importing this package registers them.

Further sections (e.g. from plug-ins) register themselves from their own modules with
:func:`regiowerk.report.registry.register_section`.
"""

from regiowerk.report.sections import (
    access,
    economy,
    flows,
    housing,
    measures,
    overview,
    population,
    sources,
)

__all__ = ["access", "economy", "flows", "housing", "measures", "overview", "population", "sources"]
