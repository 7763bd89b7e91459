"""CLI of the catalogue: notes, workspace checks and reading files (issue 8 review)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from regiowerk.cli import EXIT_INPUT, app

runner = CliRunner(env={"COLUMNS": "400"})


def _own_w007(workspace: Path) -> None:
    shipped = runner.invoke(app, ["catalogue", "show", "W 007"])
    assert shipped.exit_code == 0, shipped.output
    entry = yaml.safe_load(shipped.output)
    entry["title"] = "Unser Bündnis für Wohnen"
    folder = workspace / "catalogue"
    folder.mkdir(parents=True)
    (folder / "measures_eigene.yaml").write_text(
        yaml.safe_dump([entry], allow_unicode=True), encoding="utf-8"
    )
    (folder / "massnahmen.yaml").write_text("[]\n", encoding="utf-8")


def test_show_prints_the_catalogue_notes(tmp_path: Path) -> None:
    _own_w007(tmp_path)
    done = runner.invoke(app, ["catalogue", "show", "W 007", "--workspace", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "Unser Bündnis für Wohnen" in done.output
    assert "Hinweis: Maßnahme W 007 aus" in done.output
    assert "ersetzt" in done.output
    assert "massnahmen.yaml: ignoriert" in done.output


def test_a_missing_workspace_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "gibt-es-nicht"
    done = runner.invoke(app, ["catalogue", "show", "W 007", "--workspace", str(missing)])
    assert done.exit_code == EXIT_INPUT
    assert "nicht gefunden" in done.output
    assert "Traceback" not in done.output


def test_extract_missing_file(tmp_path: Path) -> None:
    done = runner.invoke(app, ["catalogue", "extract", str(tmp_path / "fehlt.txt")])
    assert done.exit_code == EXIT_INPUT
    assert "nicht gefunden" in done.output
    assert "UTF-8" not in done.output


def test_extract_empty_and_nul_files(tmp_path: Path) -> None:
    cases = {"leer.txt": b"", "leer2.txt": b" \n\n", "null.txt": b"\x00" * 64}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        done = runner.invoke(app, ["catalogue", "extract", str(tmp_path / name), "--json"])
        assert done.exit_code == EXIT_INPUT, (name, done.output)
        assert "kein Text" in done.output
    utf16 = tmp_path / "utf16.txt"
    utf16.write_text("Projekt Dorfladen, Laufzeit 2020 bis 2022.", encoding="utf-16")
    done = runner.invoke(app, ["catalogue", "extract", str(utf16)])
    assert done.exit_code == EXIT_INPUT
    assert "keine Textdatei" in done.output


def test_extract_falls_back_to_windows_1252(tmp_path: Path) -> None:
    text = (
        "Dorfladen Großenlüder\n\nDas Vorhaben läuft von 2021 bis 2024 und wird mit "
        "80.000 € gefördert. Projektträger ist die Gemeinde Großenlüder.\n"
    )
    file = tmp_path / "cp1252.txt"
    file.write_bytes(text.encode("cp1252"))
    done = runner.invoke(app, ["catalogue", "extract", str(file), "--json"])
    assert done.exit_code == 0, done.output
    assert "Hinweis:" in done.output
    assert "Windows-1252" in done.output
    draft = json.loads(done.output[done.output.index("{") :])
    assert (draft["start"], draft["end"]) == (2021, 2024)
    assert draft["title"] == "Dorfladen Großenlüder"
