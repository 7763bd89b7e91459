"""Economic structure: location quotients, Krugman, Hoover, Herfindahl and shift-share.

See :mod:`regiowerk.economy.structure`, :mod:`regiowerk.economy.shift_share` and
:mod:`regiowerk.economy.run` (on a workspace's ``employment`` table).
"""

from regiowerk.economy.run import (
    EconomyResult,
    compute_economy,
    run_economy,
    save_economy,
    sector_partition,
)
from regiowerk.economy.shift_share import ShiftShare, dynamic_shift_share, shift_share
from regiowerk.economy.structure import (
    EconomyError,
    herfindahl,
    hoover,
    krugman,
    location_quotients,
)

__all__ = [
    "EconomyError",
    "EconomyResult",
    "ShiftShare",
    "compute_economy",
    "dynamic_shift_share",
    "herfindahl",
    "hoover",
    "krugman",
    "location_quotients",
    "run_economy",
    "save_economy",
    "sector_partition",
    "shift_share",
]
