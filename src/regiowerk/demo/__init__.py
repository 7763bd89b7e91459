"""Deterministic synthetic demo region "Musterregion (synthetisch)".

``generate_demo(seed)`` returns every canonical table of a fictional rural region of 48
municipalities in three Kreise of Niedersachsen and Sachsen-Anhalt, calibrated on a few rounded
official facts (``calibration.toml``). The data are synthetic and must never be mistaken for
official figures; every table's provenance says so.
"""

from regiowerk.demo.generator import STEPS, DemoRegion, generate_demo, save_demo

__all__ = ["STEPS", "DemoRegion", "generate_demo", "save_demo"]
