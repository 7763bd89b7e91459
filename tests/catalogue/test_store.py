"""Catalogue loading: YAML files, user entries replacing shipped ones, readable errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from regiowerk.catalogue.store import USER_FOLDER, Catalogue, CatalogueError


def _measure(code: str, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": code,
        "title": f"Maßnahme {code}",
        "summary": "Eine kurze Beschreibung der Maßnahme für den Test.",
        "implementation": ["Arbeitskreis gründen"],
        "effects": "Mehr passender Wohnraum.",
        "target_groups": ["Ältere"],
        "spatial_levels": ["kommunal"],
        "project_types": ["konzeptionell"],
        "field": "wohnen",
    }
    entry.update(changes)
    return entry


def _project(identifier: str, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": identifier,
        "title": "Ein Referenzprojekt",
        "regions": ["Landkreis Beispiel"],
        "sources": ["https://example.org"],
    }
    entry.update(changes)
    return entry


def _write(folder: Path, name: str, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def _problems(*folders: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(folders, shipped=False)
    assert str(caught.value).startswith("Katalog fehlerhaft")
    return caught.value.problems


def test_loads_measures_and_projects(tmp_path: Path) -> None:
    _write(tmp_path, "measures_x.yaml", [_measure("W 001", related=["W 002"]), _measure("W 002")])
    _write(tmp_path, "projects.yaml", [_project("dorf-projekt", measures=["W 001"])])
    catalogue = Catalogue.load([tmp_path], shipped=False)
    assert list(catalogue.measures) == ["W 001", "W 002"]
    assert catalogue.projects["dorf-projekt"].measures == ["W 001"]
    assert catalogue.origins["W 001"].endswith("measures_x.yaml")
    assert catalogue.notes == []


def test_empty_file_and_other_yaml_files(tmp_path: Path) -> None:
    _write(tmp_path, "measures.yaml", "")
    _write(tmp_path, "notizen.yaml", "- irgendwas\n")
    catalogue = Catalogue.load([tmp_path], shipped=False)
    assert catalogue.measures == {}
    assert any("notizen.yaml" in note and "ignoriert" in note for note in catalogue.notes)


def test_user_entries_add_to_and_replace_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    _write(shipped, "measures_a.yaml", [_measure("W 001"), _measure("W 002")])
    _write(shipped, "projects.yaml", [_project("alt-projekt", measures=["W 002"])])

    def fake_shipped() -> list[tuple[str, str, str]]:
        return [
            (path.name, f"data/{path.name} (mitgeliefert)", path.read_text(encoding="utf-8"))
            for path in sorted(shipped.iterdir())
        ]

    monkeypatch.setattr("regiowerk.catalogue.store._shipped_files", fake_shipped)
    workspace = tmp_path / "ws"
    _write(
        workspace / USER_FOLDER,
        "measures_eigene.yaml",
        [_measure("W 002", title="Eigene Fassung"), _measure("G 001", field="gesundheit")],
    )
    _write(workspace / USER_FOLDER, "projects.yaml", [_project("alt-projekt", title="Neu")])
    catalogue = Catalogue.for_workspace(workspace)
    assert set(catalogue.measures) == {"W 001", "W 002", "G 001"}
    assert catalogue.measures["W 002"].title == "Eigene Fassung"
    assert catalogue.projects["alt-projekt"].title == "Neu"
    assert catalogue.origins["W 001"] == "data/measures_a.yaml (mitgeliefert)"
    assert catalogue.origins["W 002"].endswith("measures_eigene.yaml")
    assert len(catalogue.notes) == 2
    assert "Maßnahme W 002" in catalogue.notes[0]
    assert "ersetzt" in catalogue.notes[0]
    assert "Projekt alt-projekt" in catalogue.notes[1]
    # A workspace without a catalogue folder gives the shipped entries only.
    assert set(Catalogue.for_workspace(tmp_path / "leer").measures) == {"W 001", "W 002"}


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "measures.yaml", "- code: W 001\n  title: [nicht geschlossen\n")
    (problem,) = _problems(tmp_path)
    assert "measures.yaml" in problem
    assert "kein gültiges YAML" in problem
    assert "Zeile" in problem


def test_file_that_is_not_a_list(tmp_path: Path) -> None:
    _write(tmp_path, "measures.yaml", {"code": "W 001"})
    (problem,) = _problems(tmp_path)
    assert "measures.yaml" in problem
    assert "YAML-Liste" in problem


def test_schema_violations_name_file_entry_and_field(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "measures.yaml",
        [
            _measure("W 001"),
            _measure("W 002", field="weltraum", colour="blau"),
            "kein Eintrag",
            _measure("W 3"),
        ],
    )
    problems = _problems(tmp_path)
    assert len(problems) == 4
    extra, field = sorted(problems[:2])
    assert field.startswith(f"{tmp_path / 'measures.yaml'}, Eintrag 2 (W 002): Feld field")
    assert "erlaubt" in field
    assert "Feld colour: unbekanntes Feld" in extra
    assert "Eintrag 3:" in problems[2]
    assert "Zuordnung" in problems[2]
    assert "Eintrag 4 (W 3): Feld code" in problems[3]


def test_duplicate_codes_within_a_set(tmp_path: Path) -> None:
    _write(tmp_path / "a", "measures_1.yaml", [_measure("W 001")])
    _write(tmp_path / "b", "measures_2.yaml", [_measure("W 001")])
    _write(tmp_path / "b", "projects.yaml", [_project("doppelt"), _project("doppelt")])
    problems = _problems(tmp_path / "a", tmp_path / "b")
    assert len(problems) == 2
    assert "measures_2.yaml, Eintrag 1 (W 001): Feld code" in problems[0]
    assert "doppelt" in problems[0]
    assert "measures_1.yaml" in problems[0]
    assert "projects.yaml, Eintrag 2 (doppelt): Feld id" in problems[1]


def test_dangling_references(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "measures.yaml",
        [_measure("W 001", related=["W 009"]), _measure("W 002", related=["W 002", "W 001"])],
    )
    _write(tmp_path, "projects.yaml", [_project("projekt-x", measures=["W 001", "M 404"])])
    problems = _problems(tmp_path)
    assert len(problems) == 3
    assert "Eintrag 1 (W 001): Feld related: unbekannter Maßnahmen-Code 'W 009'" in problems[0]
    assert "Eintrag 2 (W 002): Feld related: verweist auf sich selbst" in problems[1]
    assert "projects.yaml, Eintrag 1 (projekt-x): Feld measures" in problems[2]
    assert "'M 404'" in problems[2]


def test_missing_user_folder(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path / "gibt-es-nicht")
    assert "nicht gefunden" in problem


ENGLISH = ("should", "String", "List", "Input", " or ", "least", "valid")


def test_schema_messages_are_german(tmp_path: Path) -> None:
    trigger = {"indicator": "share_65plus", "direction": "oben", "threshold": 0.27, "reason": ""}
    _write(
        tmp_path,
        "measures.yaml",
        [
            _measure("W7"),
            _measure("W 002", summary="zu kurz", implementation=[], triggers=[trigger]),
        ],
    )
    _write(tmp_path, "projects.yaml", [_project("Kein Slug!", start=2024, end=2020)])
    problems = _problems(tmp_path)
    for problem in problems:
        assert not any(word in problem for word in ENGLISH), problem
    text = "\n".join(problems)
    assert "Eintrag 1 (W7): Feld code: muss ein Maßnahmen-Code wie 'W 007' sein" in text
    assert "Eintrag 2 (W 002): Feld summary: muss mindestens 20 Zeichen lang sein" in text
    assert "Eintrag 2 (W 002): Feld implementation: braucht mindestens 1 Eintrag" in text
    assert "Feld triggers.0.direction: erlaubt: 'above' oder 'below'" in text
    assert "Feld triggers.0.reason: muss mindestens 1 Zeichen lang sein" in text
    assert "projects.yaml, Eintrag 1 (Kein Slug!): Feld id: muss eine Projekt-Id" in text
    assert "Eintrag 1 (Kein Slug!): Feld end: Ende 2020 liegt vor dem Beginn 2024" in text


def test_unknown_trigger_indicator_names_file_entry_and_field(tmp_path: Path) -> None:
    trigger = {"indicator": "anteil_alt", "direction": "above", "threshold": 0.3, "reason": "x"}
    _write(tmp_path, "measures.yaml", [_measure("W 001", triggers=[trigger])])
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'measures.yaml'}, Eintrag 1 (W 001): Feld triggers.0")
    assert "unbekannte Kennzahl 'anteil_alt'" in problem
    assert "share_65plus" in problem


def test_problem_summary_is_bounded() -> None:
    from regiowerk.catalogue.store import problem_summary

    error = CatalogueError("Katalog fehlerhaft", [f"Problem {n}" for n in range(13)])
    lines = problem_summary(error)
    assert lines[:10] == [f"Problem {n}" for n in range(10)]
    assert lines[10] == "… und 3 weitere Probleme"
    assert problem_summary(CatalogueError("x", ["a", "b"]), limit=1) == [
        "a",
        "… und 1 weiteres Problem",
    ]


def test_catalogue_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / USER_FOLDER).write_text("keine Liste", encoding="utf-8")
    with pytest.raises(CatalogueError, match="muss ein Ordner"):
        Catalogue.for_workspace(tmp_path)
