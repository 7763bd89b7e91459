"""Field-level precision and recall of ``regiowerk.catalogue.extract`` on the seed texts
(issue 8, item 3).

Each seed ``NNN_*.txt`` in the seeds folder (default ``../shared/seeds`` next to the repository
root) is compared with the hand-labelled gold record ``tests/catalogue/gold/seed_NNN.yaml``
(matched through its ``source`` field).

Matching (after normalisation: case folded, "ß" → "ss", punctuation → space, administrative
type words such as "Landkreis", "Kreis", "Stadt", "Samtgemeinde", "Amt", "Welterbestadt"
dropped, spaces collapsed):

* **names** (title, lead, programme, partners, regions, contact roles): equal, or one
  contained in the other at word boundaries ("Arbeitsgemeinschaft proloco" matches
  "proloco"). A gold scalar may be a list of accepted alternatives (titles).
* **start**, **end**: equal years. **volume_eur**: within 1 %. **funding_code**: equal after
  removing spaces, upper case.
* **scalar fields**: a prediction is a true positive when the gold value is set and matches;
  a wrong prediction counts as a false positive and, if gold is set, a false negative; a
  missing prediction with gold set is a false negative; nothing predicted and nothing in gold
  counts nowhere.
* **list fields** (partners, regions, contact_roles): one-to-one matching per element, first
  equal keys, then containment; precision = matched / predicted, recall = matched / gold.
* **goals**: gold holds keyword lists; a gold keyword is found by a predicted goal when every
  word of the keyword with at least four letters occurs in the goal as a word starting with
  the same five letters (a crude stemming); precision = predicted goals finding at least one
  keyword / predicted goals, recall = keywords found / keywords.

Usage::

    python tools/extract_eval.py [--seeds DIR] [--gold DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from regiowerk.catalogue.extract import Draft, extract

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = ROOT.parent / "shared" / "seeds"
DEFAULT_GOLD = ROOT / "tests" / "catalogue" / "gold"
SCALARS = ("title", "start", "end", "programme", "funding_code", "volume_eur", "lead")
LISTS = ("partners", "regions", "contact_roles")
FIELDS = (*SCALARS, *LISTS, "goals")
ADMIN = re.compile(
    r"\b(?:welterbe ?stadt|welterbe|hansestadt|landeshauptstadt|landkreis|landkreises|kreis|"
    r"kreises|stadt|samtgemeinde|verbandsgemeinde|gemeinde|amt)\b"
)


@dataclass
class Counts:
    """Counts of one field: correct predictions of all predictions, gold values found of all
    gold values."""

    correct: int = 0
    predicted: int = 0
    found: int = 0
    gold: int = 0

    def add(self, other: Counts) -> None:
        self.correct += other.correct
        self.predicted += other.predicted
        self.found += other.found
        self.gold += other.gold

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None


def normalise(value: str) -> str:
    """Case folded, punctuation removed, administrative type words dropped."""
    text = value.casefold().replace("ß", "ss")
    text = re.sub(r"[^\w]+", " ", text)
    reduced = re.sub(r"\s+", " ", ADMIN.sub(" ", text)).strip()
    return reduced or re.sub(r"\s+", " ", text).strip()


def name_match(predicted: str, gold: str) -> bool:
    """Equal or contained at word boundaries (after :func:`normalise`)."""
    a, b = normalise(predicted), normalise(gold)
    if not a or not b:
        return False
    return a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} "


def _code(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).upper()


def _scalar_match(name: str, predicted: Any, gold: Any) -> bool:
    alternatives = gold if isinstance(gold, list) else [gold]
    for option in alternatives:
        if name in ("start", "end"):
            ok = int(predicted) == int(option)
        elif name == "volume_eur":
            ok = abs(float(predicted) - float(option)) <= 0.01 * float(option)
        elif name == "funding_code":
            ok = _code(predicted) == _code(option)
        else:
            ok = name_match(str(predicted), str(option))
        if ok:
            return True
    return False


def score_scalar(name: str, predicted: Any, gold: Any) -> Counts:
    """Counts of one scalar field of one record."""
    has_pred = predicted not in (None, "", [])
    has_gold = gold not in (None, "", [])
    counts = Counts(predicted=int(has_pred), gold=int(has_gold))
    if has_pred and has_gold and _scalar_match(name, predicted, gold):
        counts.correct = counts.found = 1
    return counts


def score_list(predicted: Sequence[str], gold: Sequence[str]) -> Counts:
    """One-to-one matching: first equal normalised keys, then containment."""
    free = list(range(len(gold)))
    matched = 0
    rest: list[str] = []
    for value in predicted:
        hit = next((i for i in free if normalise(value) == normalise(gold[i])), None)
        if hit is None:
            rest.append(value)
        else:
            free.remove(hit)
            matched += 1
    for value in rest:
        hit = next((i for i in free if name_match(value, gold[i])), None)
        if hit is not None:
            free.remove(hit)
            matched += 1
    return Counts(matched, len(predicted), matched, len(gold))


def _stems(text: str) -> list[str]:
    return [word[:5] for word in re.findall(r"\w+", text.casefold().replace("ß", "ss"))]


def keyword_found(goal: str, keyword: str) -> bool:
    """Every keyword word of ≥ 4 letters occurs in ``goal`` with the same first five letters."""
    words = [word for word in re.findall(r"\w+", keyword.casefold()) if len(word) >= 4]
    stems = set(_stems(goal))
    return bool(words) and all(stem in stems for stem in _stems(" ".join(words)))


def score_goals(predicted: Sequence[str], gold: Sequence[str]) -> Counts:
    correct = sum(any(keyword_found(goal, key) for key in gold) for goal in predicted)
    found = sum(any(keyword_found(goal, key) for goal in predicted) for key in gold)
    return Counts(correct, len(predicted), found, len(gold))


def score(draft: Draft, gold: dict[str, Any]) -> dict[str, Counts]:
    """Counts per field of one draft against its gold record."""
    result: dict[str, Counts] = {}
    values = draft.as_dict()
    for name in SCALARS:
        result[name] = score_scalar(name, values[name], gold.get(name))
    for name in LISTS:
        result[name] = score_list(values[name], gold.get(name) or [])
    result["goals"] = score_goals(values["goals"], gold.get("goals") or [])
    return result


def evaluate(
    seeds: Path, gold_dir: Path, report: Callable[[str], None] | None = None
) -> dict[str, Counts]:
    """Counts per field over all gold records whose seed exists, plus ``"gesamt"``."""
    totals = {name: Counts() for name in FIELDS}
    for path in sorted(gold_dir.glob("seed_*.yaml")):
        gold = yaml.safe_load(path.read_text(encoding="utf-8"))
        seed = seeds / gold["source"]
        if not seed.is_file():
            raise FileNotFoundError(f"Seed fehlt: {seed}")
        draft = extract(seed.read_text(encoding="utf-8"), seed.name)
        for name, counts in score(draft, gold).items():
            totals[name].add(counts)
            if report and (counts.correct < counts.predicted or counts.found < counts.gold):
                report(
                    f"  {seed.name[:3]} {name}: {counts.correct}/{counts.predicted} richtig, "
                    f"{counts.found}/{counts.gold} gefunden"
                )
    overall = Counts()
    for counts in totals.values():
        overall.add(counts)
    totals["gesamt"] = overall
    return totals


def _fmt(value: float | None) -> str:
    return "   –" if value is None else f"{value:4.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--verbose", action="store_true", help="Abweichungen je Seed zeigen")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not args.seeds.is_dir():
        print(f"Seeds-Ordner {args.seeds} fehlt – Auswertung übersprungen.")
        return 0
    if not any(args.gold.glob("seed_*.yaml")):
        print(f"Keine Gold-Dateien seed_*.yaml in {args.gold}.", file=sys.stderr)
        return 1
    totals = evaluate(args.seeds, args.gold, print if args.verbose else None)
    print(f"{'Feld':<14} {'richtig':>7} {'vorherg.':>8} {'gefunden':>8} {'Gold':>5}  P     R")
    for name, counts in totals.items():
        print(
            f"{name:<14} {counts.correct:>7} {counts.predicted:>8} {counts.found:>8} "
            f"{counts.gold:>5}  {_fmt(counts.precision)}  {_fmt(counts.recall)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
