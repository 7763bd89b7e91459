"""Rule-based extraction of draft project records (issue 8, item 3).

The snippets are written for these tests (invented places and organisations); the evaluation
on the real seed texts runs when ``../shared/seeds`` exists.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pydantic
import pytest

from regiowerk.catalogue.extract import extract, slugify
from regiowerk.catalogue.schema import Project
from regiowerk.sources.base import default_data_dir

ROOT = Path(__file__).resolve().parents[2]
SEEDS = default_data_dir().parent / "seeds"


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "extract_eval", ROOT / "tools" / "extract_eval.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("extract_eval", module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Laufzeit: 01.03.2020 – 28.02.2023", 2020, 2023),
        ("Projektlaufzeit: Anfang 2018 bis Ende 2021", 2018, 2021),
        ("Das Projekt läuft von 2019–2022 im Kreis Nordland.", 2019, 2022),
        ("Laufzeit: 4/2017 - 9/2019", 2017, 2019),
        ("Zeitraum: März 2016 bis Juni 2018", 2016, 2018),
        ("Das Vorhaben wird seit 2021 gefördert und läuft bis Ende 2025.", 2021, 2025),
        ("Das Projekt startete im März 2020 mit einer Laufzeit von 36 Monaten.", 2020, 2023),
        (
            "Im Oktober 2022 wurde das Projekt gestartet. Es erstreckt sich über einen Zeitraum "
            "von zwei Jahren.",
            2022,
            2024,
        ),
    ],
)
def test_period(text: str, start: int, end: int) -> None:
    draft = extract(text, "t.txt")
    assert (draft.start, draft.end) == (start, end)
    assert draft.evidence["period"]


def test_period_needs_a_project_cue_for_seit() -> None:
    draft = extract("Der Kreis Nordland ist seit 2005 Mitglied im Verband.", "t.txt")
    assert draft.start is None
    assert draft.end is None


# ---------------------------------------------------------------------------- volume


@pytest.mark.parametrize(
    ("text", "volume"),
    [
        ("Fördervolumen: 1,2 Mio. Euro", 1_200_000.0),
        ("Das Land fördert das Vorhaben mit 250.000 €.", 250_000.0),
        ("Budget: EUR 2 Millionen", 2_000_000.0),
        ("Fördersumme des Verbundes: 944.356,50 Euro", 944_356.5),
        ("Das Projekt wird mit rund 3,5 Mrd. € gefördert.", 3.5e9),
    ],
)
def test_volume(text: str, volume: float) -> None:
    assert extract(text, "t.txt").volume_eur == pytest.approx(volume)


def test_amount_without_funding_cue_is_no_volume() -> None:
    assert extract("Die Kaltmiete liegt bei 8,50 Euro je Quadratmeter.", "t.txt").volume_eur is None


def test_labelled_volume_wins_over_running_text() -> None:
    text = "Die Gemeinde fördert Vereine mit 5.000 Euro.\nFördervolumen: 750.000 €"
    assert extract(text, "t.txt").volume_eur == 750_000.0


# ---------------------------------------------------------------------------- code, programme


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Förderkennzeichen: 03WIR1234", "03WIR1234"),
        ("Das Bündnis (FKZ 03WIR1234) arbeitet seit 2020.", "03WIR1234"),
        ("FKZ: 033L 225A", "033L225A"),
        ("Förderkennzeichen: folgt", None),
    ],
)
def test_funding_code(text: str, code: str | None) -> None:
    assert extract(text, "t.txt").funding_code == code


@pytest.mark.parametrize(
    ("text", "programme"),
    [
        ("Fördermaßnahme: Kommunen innovativ", "Kommunen innovativ"),
        ("Das Projekt wird im Rahmen des Programms „Zukunft Dorf“ gefördert.", "Zukunft Dorf"),
        ("Das Dorfbüro wird über LEADER gefördert.", "LEADER"),
        (
            "Die Fördermaßnahme „Neue Wege“ ist Teil des Förderprogramms „Land gestalten“. "
            "Das Förderprogramm „Land gestalten“ läuft bis 2027.",
            "Land gestalten",
        ),
    ],
)
def test_programme(text: str, programme: str) -> None:
    assert extract(text, "t.txt").programme == programme


def test_regionale_in_running_text_is_no_programme() -> None:
    assert extract("Die regionale Zusammenarbeit wird gestärkt.", "t.txt").programme is None


# ---------------------------------------------------------------------------- lead, partners


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("Projektträger: Landkreis Musterland", "Landkreis Musterland"),
        ("Lead Partner: Regionalentwicklung Nordwald GmbH", "Regionalentwicklung Nordwald GmbH"),
        (
            "Das Projekt wird unter der Federführung des Landkreises Musterland umgesetzt.",
            "Landkreis Musterland",
        ),
        (
            "Die Wirtschaftsförderung Talaue GmbH übernimmt die Projektkoordination.",
            "Wirtschaftsförderung Talaue GmbH",
        ),
        ("Projektträger ist der Verein Dorfleben e.V.", "Verein Dorfleben e.V."),
        ("Mögliche Projektträger: Kommunen, Landkreis", None),
        ("Impressum\nRedaktion: Projektträger Jülich", None),
    ],
)
def test_lead(text: str, lead: str | None) -> None:
    assert extract(text, "t.txt").lead == lead


def test_partners_labelled_line() -> None:
    text = "Projektpartner: Gemeinde Adorf; Verein Lebenswert e.V.; Hochschule Nord"
    draft = extract(text, "t.txt")
    assert draft.partners == ["Gemeinde Adorf", "Verein Lebenswert e.V.", "Hochschule Nord"]


def test_partners_bullets_and_enumeration() -> None:
    text = (
        "Folgende Partner sind beteiligt:\n"
        "  • Stadt Oberhain\n"
        "  • Bürgerstiftung Unterhain\n"
        "Ende der Liste.\n"
        "Zu den Partnern gehören die Landkreise Nordland und Südland sowie die Stadt Mittelburg."
    )
    assert extract(text, "t.txt").partners == [
        "Stadt Oberhain",
        "Bürgerstiftung Unterhain",
        "Landkreis Nordland",
        "Landkreis Südland",
        "Stadt Mittelburg",
    ]


def test_inline_labels_in_one_line() -> None:
    text = "Förderung: GRW; Laufzeit 2018 - 2020; Partner: Stadt Nauheim, IHK Weststadt"
    draft = extract(text, "t.txt")
    assert draft.programme == "GRW"
    assert (draft.start, draft.end) == (2018, 2020)
    assert draft.partners == ["Stadt Nauheim", "IHK Weststadt"]


def test_lead_from_passive_sentence() -> None:
    text = "Koordiniert wird das Projekt von der Kreisentwicklung Talheim GmbH."
    assert extract(text, "t.txt").lead == "Kreisentwicklung Talheim GmbH"


def test_generic_possible_partners_are_ignored() -> None:
    text = "Mögliche Projektpartnerinnen und Projektpartner: Wohnungswirtschaft, Vermieter"
    assert extract(text, "t.txt").partners == []


# ---------------------------------------------------------------------------- regions, roles


def test_regions_and_laender_keys() -> None:
    text = (
        "Das Projekt wird in der Planungsregion Oberland und im Landkreis Nordland in "
        "Thüringen umgesetzt. Beteiligt sind die Städte Adorf, Bedorf und Cedorf."
    )
    draft = extract(text, "t.txt")
    assert draft.regions[:3] == ["Planungsregion Oberland", "Landkreis Nordland", "Thüringen"]
    assert {"Stadt Bedorf", "Stadt Cedorf", "Thüringen"} <= set(draft.regions)
    assert draft.ags == ["16"]


def test_region_of_an_association_is_no_region() -> None:
    draft = extract("Kontakt\nRegion Waldland e.V.\nHauptstraße 1", "t.txt")
    assert draft.regions == []
    assert draft.lead == "Region Waldland e.V."


def test_contact_roles_without_personal_data() -> None:
    text = (
        "Ziel ist die Stärkung der Nahversorgung.\n"
        "Ansprechpartnerin\n"
        "Erika Muster\n"
        "Regionalmanagerin\n"
        "Telefon: 01234 567890\n"
        "E-Mail: e.muster@example.org\n"
    )
    draft = extract(text, "t.txt")
    assert draft.contact_roles == ["Regionalmanagerin"]
    flat = repr(draft.as_dict())
    assert "Erika" not in flat
    assert "567890" not in flat
    assert "example.org" not in flat


def test_role_label_outside_the_contact_section() -> None:
    draft = extract("Projektleitung: Dr. Max Beispiel", "t.txt")
    assert draft.contact_roles == ["Projektleitung"]


# ---------------------------------------------------------------------------- goals, title


def test_goals_sentences_and_lists() -> None:
    text = (
        "Ziel des Projekts ist die Stärkung der Nahversorgung im ländlichen Raum.\n"
        "Das Projekt verfolgt drei Ziele:\n"
        "1. Dorfläden sichern\n"
        "2. Mobile Angebote erproben\n"
        "Die Gemeinde hat 1.200 Einwohner."
    )
    goals = extract(text, "t.txt").goals
    assert goals[0].startswith("Ziel des Projekts ist die Stärkung der Nahversorgung")
    assert "Dorfläden sichern" in goals
    assert "Mobile Angebote erproben" in goals
    assert not any("Einwohner" in goal for goal in goals)


def test_title_and_id() -> None:
    text = "Icon Array\nWerkzeug-Bild\nDorfladen 2.0 in Oberhain\n\nDas Projekt startete 2020."
    draft = extract(text, "quelle.txt")
    assert draft.title == "Dorfladen 2.0 in Oberhain"
    assert draft.id == "dorfladen-2-0-in-oberhain"
    assert draft.sources == ["quelle.txt"]
    assert slugify("Qualitätsoffensive Wohnen – Süd") == "qualitaetsoffensive-wohnen-sued"


def test_labelled_title_wins() -> None:
    text = "Kommunen innovativ\nProjekttitel: Gemeinsam versorgt"
    assert extract(text, "t.txt").title == "Gemeinsam versorgt"


# ---------------------------------------------------------------------------- robustness


def test_empty_text() -> None:
    draft = extract("", "leer.txt")
    assert draft.id == "leer"
    assert draft.title is None
    assert draft.regions == []
    assert draft.goals == []
    assert draft.start is None
    assert draft.volume_eur is None
    assert draft.evidence == {}


def test_english_text_yields_an_almost_empty_draft() -> None:
    text = (
        "The project runs from 2019 to 2022 with a budget of EUR 1 million. Its aim is to "
        "improve rural services. Partners are universities and municipalities."
    )
    draft = extract(text, "en.txt")
    assert draft.start is None
    assert draft.end is None
    assert draft.volume_eur is None
    assert draft.goals == []
    assert draft.lead is None
    assert draft.programme is None
    assert draft.regions == []


def test_web_leftovers_are_ignored() -> None:
    text = (
        "Startseite\nMenü\nIcon Array\n"
        "Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten. Ziel ist Statistik.\n"
        "Alle akzeptieren\n"
        "Dorfmobil Nordland\n"
        "Ziel des Vorhabens ist ein Bürgerbus für den Landkreis Nordland.\n"
        "→ weitere Nachrichten\nZurück\n"
        "Impressum\nHerausgeber: Ministerium für Beispiele\nProjektträger: Agentur Beispiel GmbH\n"
    )
    draft = extract(text, "web.txt")
    assert draft.title == "Dorfmobil Nordland"
    assert draft.goals == ["Ziel des Vorhabens ist ein Bürgerbus für den Landkreis Nordland."]
    assert draft.lead is None
    assert draft.regions == ["Landkreis Nordland"]


def test_to_project() -> None:
    text = (
        "Projekttitel: Dorfmobil Nordland\nLaufzeit: 2020–2023\nProjektträger: Landkreis "
        "Nordland\nProjektpartner: Gemeinde Adorf; Verein Mobil e.V.\nFKZ 03WIR1234\n"
        "Fördervolumen: 1,2 Mio. Euro"
    )
    project = extract(text, "dorfmobil.txt").to_project()
    assert isinstance(project, Project)
    assert project.id == "dorfmobil-nordland"
    assert (project.start, project.end, project.volume_eur) == (2020, 2023, 1_200_000.0)
    assert [actor.name for actor in project.partners] == ["Gemeinde Adorf", "Verein Mobil e.V."]
    assert project.regions == ["Landkreis Nordland", "Gemeinde Adorf"]
    with pytest.raises(pydantic.ValidationError):
        extract("", "leer.txt").to_project()


# ---------------------------------------------------------------------------- evaluation


def test_matching_rules() -> None:
    module = _eval_module()
    assert module.name_match("Arbeitsgemeinschaft proloco", "proloco")
    assert module.name_match("Landkreises Harz", "Landkreis Harz")
    assert not module.name_match("Region Heide", "Heider Umland")
    counts = module.score_list(
        ["Stadt Heide", "Region Heide", "Hamburg"], ["Region Heide", "Heide"]
    )
    assert (counts.correct, counts.predicted, counts.gold) == (2, 3, 2)
    assert module.keyword_found("Ziel ist bedarfsgerechter Wohnraum.", "bedarfsgerechter Wohnraum")
    assert not module.keyword_found("Ziel ist Mobilität.", "bedarfsgerechter Wohnraum")


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"Seed-Texte fehlen ({SEEDS})")
def test_seed_evaluation() -> None:
    module = _eval_module()
    totals = module.evaluate(SEEDS, ROOT / "tests" / "catalogue" / "gold")
    # Measured (2026-11): every scalar field, partners and contact roles P = R = 1.00;
    # regions P 0.89 R 1.00; goals P 0.84 R 0.83; overall P 0.93 R 0.96 (rules written while
    # reading these seeds, so optimistic). Thresholds = measured minus a margin.
    minimum = {"regions": (0.80, 0.90), "goals": (0.75, 0.75), "gesamt": (0.88, 0.90)}
    for name, counts in totals.items():
        precision, recall = minimum.get(name, (0.90, 0.90))
        if counts.predicted:
            assert counts.precision >= precision, name
        if counts.gold:
            assert counts.recall >= recall, name
    assert module.main(["--seeds", str(SEEDS)]) == 0


def test_evaluation_skips_without_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = _eval_module()
    assert module.main(["--seeds", str(tmp_path / "fehlt")]) == 0
    assert "übersprungen" in capsys.readouterr().out
