"""Fictional names of the Musterregion: Kreise, towns and villages.

The names are compounds in the style of the northern German Börde and Harz foreland (-rode,
-leben, -stedt, -hagen, -felde). None of them is the name of a German municipality in the
Gemeindeverzeichnis (GV-ISys 2009–2021; checked by ``tests/test_demo.py`` when the real data are
present); a hamlet or district somewhere may still share one.
"""

from __future__ import annotations

import numpy as np

REGION_NAME = "Musterregion (synthetisch)"

KREIS_NAMES: dict[str, str] = {
    "03991": "Landkreis Wiesenbruch",
    "15991": "Landkreis Bördenhagen",
    "15992": "Landkreis Saalbruch",
}
"""Kreis key → name. 03991 lies in Niedersachsen, 15991 and 15992 in Sachsen-Anhalt; the
Regierungsbezirk digit 9 is unused in both Länder, so the keys cannot clash with real ones."""

TOWN_NAMES = (
    "Lerchenburg",
    "Haselburg",
    "Kranichstedt",
    "Ulmenburg",
    "Rabenstedt",
    "Eichenstedt",
)
"""Names for the Mittelzentrum and the three towns."""

PLACE_NAMES = (
    "Wiesenfelde",
    "Bruchhagen",
    "Kranichrode",
    "Lerchenstedt",
    "Birkenhagen",
    "Eichenrode",
    "Lindenbruch",
    "Erlenstedt",
    "Haselbeck",
    "Ulmenhagen",
    "Storchenfelde",
    "Finkenrode",
    "Hirschfelde",
    "Fuchsbüttel",
    "Dachsrode",
    "Wolfsleben",
    "Moorhagen",
    "Heidewinkel",
    "Auenrode",
    "Quellbrunn",
    "Roggenfelde",
    "Haferstedt",
    "Kleefelde",
    "Weidenbruch",
    "Schilfhagen",
    "Espenrode",
    "Sandleben",
    "Lehmstedt",
    "Bachfelde",
    "Kiebitzhagen",
    "Grünwedel",
    "Brunnleben",
    "Wachtelrode",
    "Reiherstedt",
    "Drosselbeck",
    "Krähenbruch",
    "Hummelstedt",
    "Ginsterrode",
    "Schlehenfelde",
    "Hagedornleben",
    "Holunderstedt",
    "Wickenrode",
    "Ackerleben",
    "Talwedel",
    "Eschenbruch",
    "Buchenrode",
    "Moorwedel",
    "Krummhagen",
    "Ahornleben",
    "Quendelrode",
    "Rapsfelde",
    "Heuwinkel",
    "Seggenbruch",
    "Binsenfelde",
    "Flachsleben",
    "Kümmelstedt",
    "Schwalbenrode",
    "Amselhagen",
    "Eulenrode",
    "Habichtsfelde",
)
"""Names for Grundzentren and villages."""


def pick_names(rng: np.random.Generator, pool: tuple[str, ...], count: int) -> list[str]:
    """``count`` distinct names drawn from ``pool`` in random order."""
    if count > len(pool):
        raise ValueError(f"Nur {len(pool)} Namen vorrätig, {count} verlangt.")
    return [pool[i] for i in rng.permutation(len(pool))[:count]]
