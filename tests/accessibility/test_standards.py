"""Services and standards as data: shipped rows, user overrides, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from regiowerk.access import standards


def test_shipped_standards_name_their_sources() -> None:
    catalogue = standards.shipped()
    ids = {s.id for s in catalogue.standards}
    assert {"gba-grundversorgung", "gba-geburtshilfe", "mkro-mittelzentrum"} <= ids
    assert all(len(s.source) > 20 for s in catalogue.standards)
    gba = next(s for s in catalogue.standards if s.id == "gba-geburtshilfe")
    assert (gba.minutes, gba.closure_limit, gba.closure_group) == (40, 950, "women_15_49")


def test_user_rows_override_and_extend(tmp_path: Path) -> None:
    path = tmp_path / "eigene.toml"
    path.write_text(
        """
[[standards]]
id = "mkro-mittelzentrum"
service = "mittelzentrum"
mode = "car"
minutes = 25
source = "Regionalplan Musterregion (Annahme)"

[[standards]]
id = "hausarzt-15"
service = "gp"
mode = "car"
minutes = 15
scope = "03"
source = "Eigener Zielwert"
""",
        encoding="utf-8",
    )
    catalogue = standards.load(path)
    by_id = {s.id: s for s in catalogue.standards}
    assert by_id["mkro-mittelzentrum"].minutes == 25
    assert by_id["hausarzt-15"].applies_to("03")
    assert not by_id["hausarzt-15"].applies_to("15")
    assert len(catalogue.standards) == len(standards.shipped().standards) + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[standards]]\nid = "x"\nservice = "zahnarzt"\nmode = "car"\n'
            'minutes = 5\nsource = "s"\n',
            "zahnarzt",
        ),
        (
            '[[standards]]\nid = "x"\nservice = "gp"\nmode = "boot"\nminutes = 5\nsource = "s"\n',
            "mode",
        ),
        (
            '[[standards]]\nid = "x"\nservice = "gp"\nmode = "car"\nminutes = -5\nsource = "s"\n',
            "minutes",
        ),
        ("[zusatz]\na = 1\n", "zusatz"),
        ("kein toml = = =", "nicht lesbar"),
    ],
)
def test_bad_standards_files_name_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(standards.StandardsError) as info:
        standards.load(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)
