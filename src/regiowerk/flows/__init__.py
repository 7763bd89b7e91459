"""Commuter flows: commuting balance, travel-to-work areas (Coombes–Bond) and a community
comparator (Leiden, optional)."""

from regiowerk.flows.commuting import CommutingResult, FlowError, commuting, with_internal_flows
from regiowerk.flows.leiden import modularity
from regiowerk.flows.run import FlowsError, FlowsResult, run_flows, save_flows
from regiowerk.flows.ttwa import PRESETS, RESERVE, TTWAError, TTWAParams, TTWAResult, ttwa

__all__ = [
    "PRESETS",
    "RESERVE",
    "CommutingResult",
    "FlowError",
    "FlowsError",
    "FlowsResult",
    "TTWAError",
    "TTWAParams",
    "TTWAResult",
    "commuting",
    "modularity",
    "run_flows",
    "save_flows",
    "ttwa",
    "with_internal_flows",
]
