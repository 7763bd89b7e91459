"""Indicators from the travel times of every origin: per municipality, per standard, per site.

With ``P_i`` inhabitants and ``t_i`` minutes at origin ``i`` (missing where no route exists):

* **Summary per municipality** (:func:`summary`): population-weighted mean time
  ``Σ P_i t_i / Σ P_i`` over reached origins, the largest time, the share of inhabitants
  within each threshold ``Σ_{t_i ≤ T} P_i / Σ P_i`` (unreached origins count as beyond), the
  inhabitants without a route, and the population-weighted E2SFCA supply ratio where computed.
* **Compliance with a standard** (:func:`compliance`): within the standard's scope, the
  inhabitants beyond its limit and their share, and the municipalities that miss it.
* **Closure test** (:func:`closure_test`, the G-BA "Betroffenheitsmaß" of the rules on
  Sicherstellungszuschläge): for site ``s``, the inhabitants (or women aged 15–49) whose
  nearest site is ``s`` and who are within the limit today but beyond it once ``s`` closes,
  i.e. whose second-nearest site is farther than the limit:
  ``B_s = Σ_i P_i · [n₁(i) = s] · [t₁(i) ≤ L] · [t₂(i) > L]``; the site is flagged when
  ``B_s`` exceeds the standard's ``closure_limit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regiowerk.access.standards import Standard
from regiowerk.schema import ACCESS_THRESHOLDS


def within(minutes: pd.Series, limit: float) -> pd.Series:
    """Reached within ``limit`` minutes (missing times count as beyond)."""
    return minutes.le(limit).fillna(False).astype(bool)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Table ``access_summary`` for the ``access`` rows of one or more services and modes."""
    rows = []
    for (ags, service, mode), group in frame.groupby(["ags", "service", "mode"], sort=True):
        persons = group["persons"].to_numpy(dtype=float)
        total = persons.sum()
        reached = group["minutes"].notna().to_numpy()
        minutes = group["minutes"].to_numpy(dtype=float)
        row: dict[str, object] = {
            "ags": ags,
            "service": service,
            "mode": mode,
            "persons": total,
            "unreached": float(persons[~reached].sum()),
            "mean_minutes": (
                float((minutes[reached] * persons[reached]).sum() / persons[reached].sum())
                if persons[reached].sum() > 0
                else np.nan
            ),
            "max_minutes": float(minutes[reached].max()) if reached.any() else np.nan,
        }
        for limit in ACCESS_THRESHOLDS:
            inside = within(group["minutes"], limit).to_numpy()
            row[f"share_{limit}"] = float(persons[inside].sum() / total) if total > 0 else np.nan
        ratio = group["supply_ratio"].to_numpy(dtype=float)
        known = np.isfinite(ratio)
        row["supply_ratio"] = (
            float((ratio[known] * persons[known]).sum() / persons[known].sum())
            if persons[known].sum() > 0
            else np.nan
        )
        rows.append(row)
    return pd.DataFrame(rows)


def compliance(frame: pd.DataFrame, standards: list[Standard]) -> pd.DataFrame:
    """One row per standard whose service and mode are in ``frame`` and whose scope it has."""
    rows = []
    for standard in standards:
        chosen = frame[(frame["service"] == standard.service) & (frame["mode"] == standard.mode)]
        if standard.scope != "DE":
            chosen = chosen[chosen["ags"].str[:2] == standard.scope]
        if chosen.empty:
            continue
        inside = within(chosen["minutes"], standard.minutes)
        persons = chosen["persons"].astype(float)
        by_ags = chosen.assign(beyond=persons.where(~inside, 0.0)).groupby("ags")["beyond"].sum()
        rows.append(
            {
                "standard": standard.id,
                "service": standard.service,
                "mode": standard.mode,
                "minutes": standard.minutes,
                "scope": standard.scope,
                "persons": float(persons.sum()),
                "beyond": float(persons[~inside].sum()),
                "share_within": float(persons[inside].sum() / persons.sum()),
                "municipalities_missing": int((by_ags > 0).sum()),
                "source": standard.source,
            }
        )
    return pd.DataFrame(rows)


def closure_test(frame: pd.DataFrame, standard: Standard, names: pd.Series) -> pd.DataFrame:
    """The G-BA closure test of ``standard`` for every site (see the module docstring).

    ``names`` maps facility ids to names. Raises ``ValueError`` for a standard without
    ``closure_limit``.
    """
    if standard.closure_limit is None:
        raise ValueError(f"{standard.id}: kein Grenzwert für den Schließungstest")
    rows = frame[(frame["service"] == standard.service) & (frame["mode"] == standard.mode)]
    weight = rows["persons" if standard.closure_group == "persons" else "women_15_49"]
    if weight.isna().all():
        raise ValueError(
            f"{standard.id}: {standard.closure_group} unbekannt (Tabelle 'population' fehlt)"
        )
    limit = standard.minutes
    today = within(rows["minutes"], limit)
    after = within(rows["second_minutes"], limit)
    affected = weight.where(today & ~after, 0.0).fillna(0.0)
    served = weight.where(today, 0.0).fillna(0.0)
    table = (
        pd.DataFrame({"facility_id": rows["facility_id"], "affected": affected, "served": served})
        .dropna(subset=["facility_id"])
        .groupby("facility_id", as_index=False)[["affected", "served"]]
        .sum()
    )
    sites = pd.DataFrame({"facility_id": names.index})
    table = sites.merge(table, on="facility_id", how="left").fillna({"affected": 0, "served": 0})
    table["name"] = table["facility_id"].map(names)
    table["standard"] = standard.id
    table["group"] = standard.closure_group
    table["limit"] = standard.closure_limit
    table["flagged"] = table["affected"] > standard.closure_limit
    return table.sort_values("affected", ascending=False).reset_index(drop=True)
