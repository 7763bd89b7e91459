"""Rule-based extraction of a draft project record from an unstructured German project text.

``extract(text, source)`` returns a :class:`Draft`: the fields of a
:class:`~regiowerk.catalogue.schema.Project` (any of them may stay empty) plus, per field, the
evidence snippets (the sentence or line each value came from; e-mail addresses and telephone
numbers are masked). No network, no statistical model: regular expressions and keyword cues.

Preprocessing
    The text is split into lines and sentences (German abbreviations such as "z. B.", "u. a.",
    "Mio." and dates do not end a sentence). Web leftovers are dropped: menu and image labels
    ("Icon Array", "Werkzeug-Bild", "Zurück", "weitere Nachrichten", "Klicken Sie …"), cookie
    and privacy notes; everything after a line "Impressum" is ignored (publisher, editorial
    office and "Projektträger Jülich" there are not the project's actors). The *contact
    section* starts at a heading "Ansprechpartner…", "Ansprechperson…", "Kontakt…".

Rules per field
    * **title**: a labelled line ("Projekttitel:", "Titel:", "Teilprojekt:"), else the longest
      quoted name after "Projekt"/"Vorhaben"/"Modellvorhaben", else the first heading-like line
      (short, no final full stop, not "Label: value", not all capitals). ``id`` is its slug.
    * **period** (``start``/``end`` years): a labelled line ("Laufzeit:", "Projektlaufzeit:",
      "Zeitraum:", "Förderzeitraum:") or a sentence with a project cue containing a range
      ``DATE – DATE`` / ``DATE bis DATE`` where DATE is "01.08.2021", "9/2016", "März 2020",
      "Ende 2019", "Anfang 2014" or a year; else "seit/ab/gestartet … DATE" gives the start and
      "bis (Ende) DATE" the end; a duration ("über einen Zeitraum von zweieinhalb Jahren",
      "Laufzeit von 36 Monaten") completes a missing end from the start (start month, if known,
      counts; January otherwise).
    * **programme**: labelled lines ("Förderprogramm:", "Programm:", "Fördermaßnahme:") score 3,
      quoted names after "Programm(s)"/"Förderprogramm(s)" 2, after "Fördermaßnahme",
      "Bundesprogramm", "Wettbewerb", "Förderaufruf" 1, and known programme names (LEADER,
      INTERREG, EFRE, ESF, ELER, GRW, GAK, Städtebauförderung, Region gestalten, Kommunen
      innovativ, WIR!, MORO, …) 1 per mention; the highest total wins.
    * **funding_code**: the token after "Förderkennzeichen", "FKZ", "Förderkennz.",
      "Aktenzeichen" (letters, digits, "/", ".", "-"; at least one digit; spaces removed).
    * **volume_eur**: EUR amounts ("1,2 Mio. Euro", "250.000 €", "EUR 2 Millionen",
      "944.356 Euro") in a labelled line ("Fördervolumen…:", "Fördersumme:", "Budget:") or in
      a sentence with a funding cue ("Volumen", "gefördert", "Förder…", "Zuwendung",
      "Budget", "Kosten"); the labelled one wins, else the first.
    * **lead**: labelled lines ("Projektträger:", "Träger:", "Antragsteller:", "Lead Partner:",
      "Federführung:", "Koordination:", "Verbundkoordination:"), "unter (der) Federführung
      des/der X", "X übernahm/übernimmt die (Gesamt-)Koordination/Projektleitung/Federführung",
      "Projektträger/Lead Partner ist X", "koordiniert von X"; as a weak fallback the first
      organisation (legal form or organisation word) in the contact section. Generic
      suggestions ("Mögliche Projektträger: Kommunen") and funding agencies ("Projektträger
      Jülich") are not leads. Genitive forms are reduced ("Landkreises" → "Landkreis").
    * **partners**: labelled lines ("Partner:", "Projektpartner:", "Kooperationspartner:",
      "Verbundpartner:", "Verbundbeteiligte:", "Assoziierte Beteiligte:"), split at ";" (or
      "," when no ";"); bullet lists after a line ending in ":" with a partner cue
      ("partner", "beteiligt", "zusammengeschlossen", "Mitglieder"); enumerations in
      sentences "Zu den … Partnern gehören …" and "… wurde X und Y beauftragt" (plural types are
      distributed: "die Landkreise A und B" → "Landkreis A", "Landkreis B").
    * **regions**: names after territorial words ("Metropolregion", "Planungsregion",
      "Region", "Landkreis", "Kreis", "Stadt", "Gemeinde", "Samtgemeinde", "Amt", …; an
      organisation's name such as "Region X e.V." is excluded), enumerations after plural words
      ("die Städte A, B und C", "der Bundesländer A und B"), places in "zwischen A, B und C",
      the 16 Länder by name, and territorial partners. ``ags`` holds only the two-digit keys
      of the Länder named (municipal keys need a gazetteer, not used here).
    * **contact_roles**: role lines of the contact section ("Regionalmanagerin",
      "Projektleitung", "Regional- & Flächenmanagement", …) and "ROLE: …" lines anywhere; never
      personal names, telephone numbers or e-mail addresses.
    * **goals**: labelled lines ("Ziel:", "Ziele:"), sentences with goal cues ("Ziel",
      "zielt", "will", "soll(en)", "verfolgt", "angestrebt", "Schwerpunkt", "Im Kern") outside
      the contact section, and bullet or numbered lists after a line with a goal cue.

Limits
    Names are recognised by capitalisation and cue words, so lower-case names ("proloco"),
    place names without a territorial word or enumeration ("in Wolfhagen") and organisations
    mentioned only in running text without a cue are missed; sentences about a larger
    framework (a metropolitan region's aims, the Länder it spans) are taken as the project's
    own; a lead implied only by a contact address is a guess; durations need the start;
    English text yields an (almost) empty draft. The draft is for a person to check.

Reading a file
    :func:`read_text` reads UTF-8 (with or without BOM) and falls back to Windows-1252 (a
    superset of Latin-1 for the German letters) with a note; a missing file, a folder, an
    empty file and a file of NUL bytes or other binary content are German errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regiowerk.catalogue.schema import Actor, Project
from regiowerk.errors import RegiowerkError

__all__ = ["Draft", "extract", "slugify"]

# --------------------------------------------------------------------------------------------
# vocabularies

MONTHS = {
    "januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3, "mär": 3,
    "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8,
    "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11,
    "nov": 11, "dezember": 12, "dez": 12,
}  # fmt: skip
SEASONS = {"anfang": 1, "frühjahr": 4, "mitte": 6, "sommer": 7, "herbst": 10, "ende": 12}
NUMBER_WORDS = {
    "ein": 1.0, "einem": 1.0, "eines": 1.0, "einen": 1.0, "eineinhalb": 1.5, "anderthalb": 1.5,
    "zwei": 2.0, "zweieinhalb": 2.5, "drei": 3.0, "dreieinhalb": 3.5, "vier": 4.0,
    "viereinhalb": 4.5, "fünf": 5.0, "sechs": 6.0, "sieben": 7.0, "acht": 8.0, "neun": 9.0,
    "zehn": 10.0, "zwölf": 12.0, "achtzehn": 18.0, "vierundzwanzig": 24.0,
}  # fmt: skip
LAENDER = {
    "Schleswig-Holstein": "01", "Hamburg": "02", "Niedersachsen": "03", "Bremen": "04",
    "Nordrhein-Westfalen": "05", "Hessen": "06", "Rheinland-Pfalz": "07",
    "Baden-Württemberg": "08", "Bayern": "09", "Saarland": "10", "Berlin": "11",
    "Brandenburg": "12", "Mecklenburg-Vorpommern": "13", "Sachsen": "14",
    "Sachsen-Anhalt": "15", "Thüringen": "16",
}  # fmt: skip
KNOWN_PROGRAMMES = (
    "LEADER", "INTERREG", "EFRE", "ESF Plus", "ESF", "ELER", "GRW", "GAK",
    "Städtebauförderung", "Region gestalten", "Kommunen innovativ", "WIR!",
    "Modellvorhaben der Raumordnung", "MORO", "Bundesprogramm Ländliche Entwicklung",
    "BULE", "Land(auf)Schwung", "Smart Cities", "Soziale Stadt", "Lebendige Zentren",
    "Demografiewerkstatt Kommunen", "Zukunftsstadt", "REGIONALE",
)  # fmt: skip
FUNDING_AGENCIES = ("projektträger jülich", "ptj", "vdi/vde", "dlr projektträger")
ORG_WORD = (
    r"(?:e\.\s?V\.|gGmbH|GmbH|mbH|\bAG\b|\bKG\b|Universität|Hochschule|Fachhochschule|"
    r"Landkreis|\bKreis\b|\bStadt\b|Gemeinde|\bAmt\b|Verband|verband|Agentur|agentur|"
    r"Institut|Ministerium|Verein|Stiftung|Genossenschaft|Planungsgemeinschaft|"
    r"Planungsgruppe|Kammer|Büro|Gesellschaft|Arbeitsgemeinschaft|Sparkasse)"
)
ROLE_WORD = re.compile(
    r"(manager|management|leitung|leiter|koordinat|geschäftsf|referent|sachbearbeit|"
    r"öffentlichkeitsarbeit|beauftragte|bürgermeister|landr[aä]t|moderat|berater|beratung|"
    r"wirtschaftsförderung|sprecher)",
    re.IGNORECASE,
)
TERRITORY = (
    "Metropolregion|Planungsregion|Modellregion|LEADER-Region|Region|Landkreis|Kreis|"
    "Stadt|Gemeinde|Samtgemeinde|Verbandsgemeinde|Amt|Regionalpark|Welterbestadt|"
    "Hansestadt|Bezirk|Landeshauptstadt"
)
PLURAL_TYPES = {
    "kreise": "Kreis", "kreisen": "Kreis", "landkreise": "Landkreis", "landkreisen": "Landkreis",
    "städte": "Stadt", "städten": "Stadt", "gemeinden": "Gemeinde",
    "samtgemeinden": "Samtgemeinde", "verbandsgemeinden": "Verbandsgemeinde",
    "ämter": "Amt", "ämtern": "Amt", "bundesländer": "", "bundesländern": "", "länder": "",
    "ländern": "",
}  # fmt: skip
GENITIVE = {
    "Landkreises": "Landkreis", "Kreises": "Kreis", "Vereins": "Verein", "Amtes": "Amt",
    "Zweckverbandes": "Zweckverband", "Verbandes": "Verband", "Ministeriums": "Ministerium",
    "Instituts": "Institut", "Regionalverbandes": "Regionalverband", "Bezirks": "Bezirk",
}  # fmt: skip
CONNECTORS = {"für", "der", "des", "die", "den", "und", "am", "an", "in", "im", "von", "vom",
              "zu", "zur", "&", "-", "–", "a.", "d.", "e.V.", "e.", "V."}  # fmt: skip
ABBREVIATIONS = {
    "z", "b", "u", "a", "d", "h", "v", "e", "o", "g", "s", "bzw", "ca", "vgl", "ggf", "inkl",
    "str", "nr", "tel", "mio", "mrd", "tsd", "dr", "prof", "st", "abs", "usw", "etc", "evtl",
    "ggü", "rd", "mill", "dipl", "ing", "geb", "jh", "max", "min", "bspw", "sog", "lt",
}  # fmt: skip
BOILERPLATE = re.compile(
    r"^(icon\b.*|werkzeug-bild|zurück|weiter|menü|navigation|suche|startseite|nach oben|"
    r"drucken|teilen|mehr erfahren|weiterlesen|→.*|.*weitere nachrichten.*|"
    r"klicken sie.*|.*cookie.*|.*datenschutz.*|alle akzeptieren|akzeptieren|ablehnen|"
    r"einstellungen|bildnachweis:.*|foto:.*|©.*|aktuelle nachrichten:?)$",
    re.IGNORECASE,
)
STOP_LINE = re.compile(r"^(impressum|herausgeber:.*)$", re.IGNORECASE)
CONTACT_HEAD = re.compile(
    r"^(ihre |ihr |unsere )?(kontakte?|ansprechpartner\w*|ansprechperson\w*)\b", re.IGNORECASE
)
BULLET = re.compile(r"^\s*(?:[•·▪●*–-]|\d{1,2}[.)])\s+(.+)$")
EMAIL = re.compile(r"\S+@\S+|\S+\.(?:de|com|org|eu)\b")
PHONE = re.compile(r"(?:\+\d{2}\s?)?(?:\(0\)\s?)?\d[\d /()-]{5,}\d")


# --------------------------------------------------------------------------------------------
# the draft


@dataclass
class Draft:
    """A draft project record: the fields of :class:`Project` (empty where nothing was
    found), the contact roles, and per field the evidence snippets."""

    id: str
    title: str | None = None
    regions: list[str] = field(default_factory=list)
    ags: list[str] = field(default_factory=list)
    lead: str | None = None
    partners: list[str] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    programme: str | None = None
    funding_code: str | None = None
    volume_eur: float | None = None
    contact_roles: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (for YAML/JSON output)."""
        return {
            "id": self.id,
            "title": self.title,
            "regions": list(self.regions),
            "ags": list(self.ags),
            "lead": self.lead,
            "partners": list(self.partners),
            "start": self.start,
            "end": self.end,
            "programme": self.programme,
            "funding_code": self.funding_code,
            "volume_eur": self.volume_eur,
            "contact_roles": list(self.contact_roles),
            "goals": list(self.goals),
            "sources": list(self.sources),
            "evidence": {key: list(value) for key, value in self.evidence.items()},
        }

    def to_project(self) -> Project:
        """The draft as a validated :class:`Project` (raises ``pydantic.ValidationError`` when
        required fields, e.g. title or regions, are missing)."""
        start, end = self.start, self.end
        if start is not None and end is not None and end < start:
            start, end = end, start
        return Project(
            id=self.id,
            title=self.title or "",
            regions=self.regions,
            ags=self.ags,
            lead=self.lead,
            partners=[Actor(name=name, role="Partner") for name in self.partners if len(name) >= 2],
            start=start,
            end=end,
            programme=self.programme,
            funding_code=self.funding_code,
            volume_eur=self.volume_eur,
            goals=self.goals,
            sources=self.sources,
        )

    def _note(self, name: str, snippet: str) -> None:
        snippet = _mask(snippet)
        bucket = self.evidence.setdefault(name, [])
        if snippet not in bucket:
            bucket.append(snippet)


# --------------------------------------------------------------------------------------------
# helpers


def read_text(path: Path) -> tuple[str, list[str]]:
    """The text of ``path`` and German notes (see "Reading a file" in the module docstring).

    Raises :class:`~regiowerk.errors.RegiowerkError` when there is no text to extract from.
    """
    if not path.exists():
        raise RegiowerkError(f"Datei {path} nicht gefunden.")
    if path.is_dir():
        raise RegiowerkError(f"{path} ist ein Ordner, keine Textdatei.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegiowerkError(f"Datei {path} nicht lesbar ({exc.strerror or exc}).") from None
    if not data.strip(b"\x00 \t\r\n\x0b\x0c"):
        what = "ist leer" if not data.strip(b" \t\r\n\x0b\x0c") else "enthält nur Nullbytes"
        raise RegiowerkError(f"Datei {path} {what}: kein Text für einen Projektentwurf.")
    if b"\x00" in data:
        raise RegiowerkError(
            f"Datei {path} ist keine Textdatei (enthält Nullbytes; UTF-16 oder ein "
            "Binärformat wie PDF/Word?). Bitte als Text (UTF-8) speichern."
        )
    notes: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise RegiowerkError(
                f"Datei {path} ist weder UTF-8- noch Windows-1252-Text (Byte "
                f"{data[exc.start]:#04x} an Position {exc.start})."
            ) from None
        notes.append(f"{path}: kein UTF-8, als Windows-1252 (Latin-1) gelesen")
    if not text.strip():
        raise RegiowerkError(f"Datei {path} ist leer: kein Text für einen Projektentwurf.")
    return text, notes


def slugify(text: str) -> str:
    """Lower-case ASCII slug (umlauts transliterated), at most 60 characters."""
    text = text.lower()
    for old, new in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(old, new)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:60].rstrip("-")


def _mask(snippet: str) -> str:
    snippet = EMAIL.sub("[…]", snippet)
    return PHONE.sub("[…]", snippet).strip()


def _clean(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u00ad", "")
    return re.sub(r"\s+", " ", text).strip()


def _sentences(line: str) -> list[str]:
    parts: list[str] = []
    begin = 0
    for match in re.finditer(r"[.!?]\s+(?=[A-ZÄÖÜ„\"(0-9])", line):
        before = line[begin : match.start()]
        word = re.findall(r"[\wäöüß]+$", before)
        if match.group(0)[0] == "." and word:
            token = word[0]
            if token.lower() in ABBREVIATIONS or token.isdigit() or len(token) == 1:
                continue
        parts.append(line[begin : match.start() + 1].strip())
        begin = match.end()
    parts.append(line[begin:].strip())
    return [part for part in parts if part]


@dataclass
class _Text:
    lines: list[str]
    sentences: list[str]
    contact_start: int


def _prepare(text: str) -> _Text:
    lines: list[str] = []
    contact_start = -1
    for raw in text.splitlines():
        line = _clean(raw)
        if not line:
            continue
        if STOP_LINE.match(line):
            break
        if BOILERPLATE.match(line):
            continue
        if contact_start < 0 and CONTACT_HEAD.match(line) and len(line) <= 40:
            rest = line.split(":", 1)[1].strip() if ":" in line else ""
            if not rest or CONTACT_HEAD.match(rest):
                contact_start = len(lines)
        lines.append(line)
    if contact_start < 0:
        contact_start = len(lines)
    sentences = [s for line in lines[:contact_start] for s in _sentences(line)]
    return _Text(lines, sentences, contact_start)


def _label(line: str, pattern: str) -> str | None:
    match = re.match(rf"^(?:{pattern})\s*:\s*(.+)$", line, re.IGNORECASE)
    return match.group(1).strip() if match else None


def _org_phrase(text: str) -> str | None:
    """The organisation name at the start of ``text``: capitalised words and connectors."""
    text = re.sub(r"^(?:der|die|das|des|dem|den)\s+", "", text.strip())
    tokens = text.split()
    taken: list[str] = []
    for token in tokens[:12]:
        bare = token.rstrip(",.;:)")
        if token.startswith("("):
            break
        if not bare:
            break
        if bare[0].isupper() or bare[0].isdigit() or bare in CONNECTORS or bare in ("e.V",):
            taken.append(bare if bare != "e.V" else "e.V.")
            if token != bare and not token.endswith("."):
                break
            if token.endswith(".") and bare.lower() not in ("e.v", "v"):
                break
            continue
        break
    while taken and taken[-1] in CONNECTORS - {"e.V."}:
        taken.pop()
    if not taken:
        return None
    taken[0] = GENITIVE.get(taken[0], taken[0])
    name = " ".join(taken).strip(" ,;–-")
    return name if len(name) >= 2 else None


def _split_list(text: str) -> list[str]:
    """Split an enumeration at ",", "sowie", "und"; distribute plural types."""
    text = re.sub(r"\([^)]*\)", "", text).strip(" .;:")
    items = re.split(r",\s*|\s+sowie\s+|\s+und\s+(?=(?:die|der|das|den)\s|[A-ZÄÖÜ])", text)
    result: list[str] = []
    current = ""
    for item in items:
        item = re.sub(r"^(?:die|der|das|den|dem|des)\s+", "", item.strip())
        if not item:
            continue
        words = item.split()
        first = words[0].lower()
        if first in PLURAL_TYPES:
            current = PLURAL_TYPES[first]
            item = " ".join(words[1:])
            if not item:
                continue
        elif re.match(rf"^(?:{TERRITORY}|{ORG_WORD})", item):
            current = ""
        name = _org_phrase(item)
        if not name:
            continue
        if current and not re.match(rf"^(?:{TERRITORY})\b", name):
            name = f"{current} {name}"
        result.append(name)
    return result


def _add(values: list[str], value: str, keyfunc: Callable[[str], str] | None = None) -> bool:
    keyfunc = keyfunc or _key
    key = keyfunc(value)
    if not key or any(keyfunc(existing) == key for existing in values):
        return False
    values.append(value)
    return True


def _strip_dot(value: str) -> str:
    """Strip spaces, ";" and a final full stop, but keep the dot of "e.V." or "Str."."""
    value = value.strip(" ;,")
    if value.endswith(".") and not re.search(r"(?:\b[A-Za-z]|Str|Nr)\.$", value):
        value = value[:-1].rstrip()
    return value


def _key(value: str) -> str:
    return re.sub(r"[^a-z0-9äöüß]+", " ", value.lower()).strip()


ADMIN_WORDS = re.compile(
    r"\b(?:welterbe ?stadt|welterbe|hansestadt|landeshauptstadt|landkreis|kreis|stadt|"
    r"samtgemeinde|verbandsgemeinde|gemeinde|amt)\b"
)


def _region_key(value: str) -> str:
    """Dedupe key of a place: administrative type words dropped ("Welterbe-Stadt X" = "X")."""
    return re.sub(r"\s+", " ", ADMIN_WORDS.sub(" ", _key(value))).strip()


# --------------------------------------------------------------------------------------------
# dates


def _date_re(tag: str) -> str:
    months = "|".join(sorted(MONTHS, key=len, reverse=True))
    seasons = "|".join(SEASONS)
    return (
        rf"(?:(?P<d{tag}>\d{{1,2}})\.\s?(?P<m{tag}>\d{{1,2}})\.\s?(?P<y{tag}>(?:19|20)\d{{2}})"
        rf"|(?P<n{tag}>\d{{1,2}})\s?/\s?(?P<z{tag}>(?:19|20)\d{{2}})"
        rf"|(?:(?P<q{tag}>{seasons})\s+)?(?:(?P<w{tag}>{months})\.?\s+)?"
        rf"(?P<x{tag}>(?:19|20)\d{{2}}))(?!\d|[.,]\d)"
    )


DATE = re.compile(_date_re("a"), re.IGNORECASE)
RANGE = re.compile(
    rf"(?:von\s+)?{_date_re('a')}\s*(?:–|—|-|bis(?:\s+zum)?|bis\s+einschließlich)\s*"
    rf"{_date_re('b')}",
    re.IGNORECASE,
)
PERIOD_LABEL = (
    r"projektlaufzeit|laufzeit|projektzeitraum|förderzeitraum|zeitraum|förderdauer|"
    r"projektdauer|dauer"
)
PROJECT_CUE = re.compile(
    r"(projekt|vorhaben|laufzeit|läuft|förder|gefördert|zeitraum|initiative|gestartet)",
    re.IGNORECASE,
)


def _date(match: re.Match[str], tag: str) -> tuple[int, int] | None:
    group = match.groupdict()
    if group.get(f"y{tag}"):
        return int(group[f"y{tag}"]), int(group[f"m{tag}"])
    if group.get(f"z{tag}"):
        return int(group[f"z{tag}"]), int(group[f"n{tag}"])
    if group.get(f"x{tag}"):
        month = 1
        if group.get(f"w{tag}"):
            month = MONTHS[group[f"w{tag}"].lower()]
        elif group.get(f"q{tag}"):
            month = SEASONS[group[f"q{tag}"].lower()]
        return int(group[f"x{tag}"]), month
    return None


def _valid_year(year: int) -> bool:
    return 1990 <= year <= 2100


def _period(draft: Draft, text: _Text) -> None:
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None
    labelled = [
        (value, line) for line in text.lines if (value := _label(line, PERIOD_LABEL)) is not None
    ]
    candidates = labelled + [(s, s) for s in text.sentences if PROJECT_CUE.search(s)]
    for value, snippet in candidates:
        match = RANGE.search(value)
        if match:
            first, second = _date(match, "a"), _date(match, "b")
            if first and second and _valid_year(first[0]) and _valid_year(second[0]):
                if second < first:
                    first, second = second, first
                start, end = first, second
                draft._note("period", snippet)
                break
    if start is None or end is None:
        for value, snippet in candidates:
            for match in re.finditer(
                rf"(?P<cue>seit|ab|bis|gestartet|startet|startete|beginnt|begann|Beginn|Start)"
                rf"\b(?:\s+(?:im|in|am|zum|Ende|dem|Jahr))*\s+{_date_re('a')}"
                rf"|{_date_re('b')}\s+(?:das\s+\w+\s+)?(?P<post>gestartet|begonnen|gestartet)",
                value,
                re.IGNORECASE,
            ):
                cue = (match.group("cue") or match.group("post") or "").lower()
                date = _date(match, "a") or _date(match, "b")
                if not date or not _valid_year(date[0]):
                    continue
                if cue == "bis":
                    if end is None:
                        end = date
                        draft._note("period", snippet)
                elif start is None:
                    start = date
                    draft._note("period", snippet)
            if start is not None and end is not None:
                break
    if start is None:
        # "Ende November 2021 … gestartet": the date precedes the verb in the same sentence
        for sentence in text.sentences:
            if re.search(r"\b(gestartet|begonnen|Auftakt|Projektstart)\b", sentence):
                match = DATE.search(sentence)
                date = _date(match, "a") if match else None
                if date and _valid_year(date[0]):
                    start = date
                    draft._note("period", sentence)
                    break
    if start is not None and end is None:
        for value, snippet in candidates:
            months = _duration(value)
            if months:
                index = start[0] * 12 + (start[1] - 1) + round(months) - 1
                end = (index // 12, index % 12 + 1)
                draft._note("period", snippet)
                break
    draft.start = start[0] if start else None
    draft.end = end[0] if end else None


def _duration(text: str) -> float | None:
    words = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    match = re.search(
        rf"(?:zeitraum|laufzeit|dauer)\s+von\s+(?:rund\s+|etwa\s+|ca\.\s+)?"
        rf"(?P<n>\d+(?:,\d+)?|{words})\s+(?P<u>jahr|jahre|jahren|monat|monate|monaten)\b"
        rf"|(?P<n2>\d+(?:,\d+)?|{words})\s*(?:-|\s)?(?P<u2>jährig|monatig)",
        text,
        re.IGNORECASE,
    )
    if not match:
        return None
    number = (match.group("n") or match.group("n2")).lower()
    unit = (match.group("u") or match.group("u2")).lower()
    value = NUMBER_WORDS.get(number)
    if value is None:
        value = float(number.replace(",", "."))
    return value * 12 if unit.startswith("jahr") or unit.startswith("jähr") else value


# --------------------------------------------------------------------------------------------
# programme, code, volume


def _programme(draft: Draft, text: _Text) -> None:
    scores: dict[str, float] = {}
    names: dict[str, str] = {}
    snippets: dict[str, str] = {}

    def vote(name: str, score: float, snippet: str) -> None:
        name = name.strip(" .,;:„“”\"'")
        if len(name) < 3:
            return
        key = _key(name)
        scores[key] = scores.get(key, 0.0) + score
        names.setdefault(key, name)
        snippets.setdefault(key, snippet)

    for line in text.lines:
        value = _label(line, r"förderprogramm|programm|fördermaßnahme|förderlinie|förderung")
        if value:
            vote(re.split(r"\s[|–]\s|;", value)[0], 3.0, line)
    quote = r"[„\"“]([^“”\"]{3,80})[“”\"]"
    for sentence in text.sentences:
        for match in re.finditer(
            rf"\b(Förderprogramm(?:s|es)?|Programm(?:s|es)?|Fördermaßnahme|Bundesprogramm(?:s)?|"
            rf"Wettbewerb(?:s|es)?|Förderaufruf(?:s)?|Förderrichtlinie)\s+{quote}",
            sentence,
        ):
            score = (
                2.0 if match.group(1).lower().startswith(("programm", "förderprogramm")) else 1.0
            )
            vote(match.group(2), score, sentence)
        for name in KNOWN_PROGRAMMES:
            pattern = rf"(?<![\w-]){re.escape(name)}(?!\w)"
            flags = 0 if name.isupper() or len(name) <= 5 else re.IGNORECASE
            quoted = rf"[„\"“]{re.escape(name)}[“”\"]"  # counted above with its cue
            if re.search(pattern, sentence, flags) and not re.search(quoted, sentence, re.I):
                vote(name, 1.0, sentence)
    if scores:
        best = max(scores, key=lambda key: (scores[key], -len(key)))
        draft.programme = names[best]
        draft._note("programme", snippets[best])


CODE = re.compile(
    r"\b(?:Förderkennzeichen|FKZ|Förderkennz\.|Förder-Kennzeichen|Aktenzeichen|Az\.)\s*:?\s*"
    r"(?P<code>[0-9A-Z][0-9A-Z./-]*(?:\s[0-9A-Z][0-9A-Z./-]*)?)"
)


def _funding_code(draft: Draft, text: _Text) -> None:
    for line in text.lines:
        for match in CODE.finditer(line):
            code = match.group("code").rstrip(".-/")
            if " " in code and not re.search(r"\d", code.split()[1]):
                code = code.split()[0]
            compact = code.replace(" ", "")
            if re.search(r"\d", compact) and len(compact) >= 5:
                draft.funding_code = compact
                draft._note("funding_code", line)
                return


_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?"
_SCALE = r"Mio\.?|Millionen|Mill\.?|Mrd\.?|Milliarden|Tsd\.?|Tausend"
AMOUNT = re.compile(
    rf"(?:(?P<num>{_NUM})\s*(?P<scale>{_SCALE})?\s*(?:€|Euro\b|EUR\b))"
    rf"|(?:(?:€|EUR\b|Euro\b)\s*(?P<num2>{_NUM})\s*(?P<scale2>{_SCALE})?)"
    r"(?!\s*(?:million|billion|thousand|m\b|bn\b|k\b))"
)
VOLUME_LABEL = (
    r"fördervolumen[\w ]*|projektvolumen|fördersumme|förderbetrag|zuwendung|budget|"
    r"gesamtvolumen|gesamtkosten|fördermittel|volumen"
)
VOLUME_CUE = re.compile(
    r"(volumen|gefördert|förder|zuwendung|budget|kosten|finanziert|mittel)", re.IGNORECASE
)


def _amount(number: str, scale: str | None) -> float:
    if "," in number:
        whole, decimals = number.split(",", 1)
        value = float(whole.replace(".", "") + "." + decimals)
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        value = float(number.replace(".", ""))
    else:
        value = float(number)
    factor = 1.0
    if scale:
        low = scale.lower()
        if low.startswith("mio") or low.startswith("mill"):
            factor = 1e6
        elif low.startswith("mrd") or low.startswith("milliard"):
            factor = 1e9
        elif low.startswith("tsd") or low.startswith("tausend"):
            factor = 1e3
    return value * factor


def _volume(draft: Draft, text: _Text) -> None:
    found: list[tuple[int, float, str]] = []
    for line in text.lines[: text.contact_start] + text.lines[text.contact_start :]:
        value = _label(line, VOLUME_LABEL)
        if value:
            match = AMOUNT.search(value)
            if match:
                number = match.group("num") or match.group("num2")
                found.append(
                    (0, _amount(number, match.group("scale") or match.group("scale2")), line)
                )
    for sentence in text.sentences:
        if VOLUME_CUE.search(sentence):
            match = AMOUNT.search(sentence)
            if match:
                number = match.group("num") or match.group("num2")
                scale = match.group("scale") or match.group("scale2")
                found.append((1, _amount(number, scale), sentence))
    if found:
        found.sort(key=lambda item: item[0])
        draft.volume_eur = found[0][1]
        draft._note("volume_eur", found[0][2])


# --------------------------------------------------------------------------------------------
# lead, partners, regions, roles, goals

LEAD_LABEL = (
    r"projektträger(?:in)?|träger(?:in)?|antragsteller(?:in)?|lead[ -]?partner|federführung|"
    r"koordination|verbundkoordination|verbundkoordinator(?:in)?|zuwendungsempfänger(?:in)?|"
    r"projektkoordination"
)


def _is_agency(name: str) -> bool:
    return any(agency in name.lower() for agency in FUNDING_AGENCIES)


def _lead(draft: Draft, text: _Text) -> None:
    for line in text.lines:
        value = _label(line, LEAD_LABEL)
        if value:
            name = _org_phrase(re.split(r"[|;]", value)[0])
            if name and not _is_agency(name):
                draft.lead = name
                draft._note("lead", line)
                return
    patterns = (
        r"unter\s+(?:der\s+)?(?:Federführung|Leitung|Koordination|Trägerschaft)\s+"
        r"(?:des|der|von)\s+(?P<org>.+)",
        r"(?:Projektträger(?:in)?|Träger des (?:Projekts|Projektes|Vorhabens)|Lead[ -]?Partner)"
        r"\s+(?:ist|sind|war|wird)\s+(?P<org>.+)",
        r"(?:[Kk]oordiniert|[Gg]etragen|[Gg]eleitet|[Dd]urchgeführt)\s+(?:wird\s+\w+\s+\w+\s+)?von\s+"
        r"(?:der|dem|den)?\s*(?P<org>.+)",
    )
    for sentence in text.sentences:
        for pattern in patterns:
            match = re.search(pattern, sentence)
            if match:
                name = _org_phrase(match.group("org"))
                if name and not _is_agency(name):
                    draft.lead = name
                    draft._note("lead", sentence)
                    return
        match = re.search(
            r"^(?:Die|Der|Das)?\s*(?P<org>.{3,90}?)\s+(?:übernahm|übernimmt|übernehmen|hat|hatte|"
            r"leitet|leitete|koordiniert|koordinierte)\s+(?:die|das|den)?\s*"
            r"(?:Gesamtkoordination|Koordination|Projektleitung|Federführung|Projektkoordination|"
            r"Leitung)",
            sentence,
        )
        if match:
            name = _org_phrase(match.group("org"))
            if name and re.search(ORG_WORD, name) and not _is_agency(name):
                draft.lead = name
                draft._note("lead", sentence)
                return
    # weak fallback: the first organisation in the contact section or a "Kontakt:" line
    contact = [line for line in text.lines[: text.contact_start] if _label(line, "kontakt")]
    for line in contact + text.lines[text.contact_start :]:
        value = _label(line, r"kontakt|ansprechpartner\w*|ansprechperson\w*")
        parts = re.split(r"\s\|\s|;", value) if value else [line]
        for part in parts:
            if "@" in part or (ROLE_WORD.search(part) and not re.search(ORG_WORD, part)):
                continue
            if re.search(r"\d{3,}", part) or part.startswith(("Projekt ", "Projekt\u00a0")):
                continue
            if re.search(ORG_WORD, part):
                name = _org_phrase(part) or part
                if not _is_agency(name):
                    draft.lead = name
                    draft._note("lead", part)
                    return


PARTNER_LABEL = (
    r"(?:projekt|kooperations|verbund|netzwerk)?partner(?:innen|in)?(?:/innen)?|"
    r"verbundbeteiligte|assoziierte beteiligte|assoziierte partner(?:innen)?|beteiligte|"
    r"mitglieder|teilprojektpartner(?:innen)?"
)
PARTNER_CUE = re.compile(r"(partner|beteiligt|zusammengeschlossen|mitglieder)", re.IGNORECASE)


def _partners(draft: Draft, text: _Text) -> None:
    label = re.compile(rf"(?:^|(?<=[.;]\s))(?:{PARTNER_LABEL})\s*:\s*", re.IGNORECASE)
    for line in text.lines:
        if re.match(r"^mögliche", line, re.IGNORECASE):
            continue
        starts = list(label.finditer(line))
        if not starts:
            continue
        for index, match in enumerate(starts):
            stop = starts[index + 1].start() if index + 1 < len(starts) else len(line)
            segment = _strip_dot(line[match.end() : stop])
            parts = segment.split(";") if ";" in segment else segment.split(",")
            for part in parts:
                name = _strip_dot(_clean(part))
                if name and len(name) <= 120 and _add(draft.partners, name):
                    draft._note("partners", line)
    # bullet lists after a line announcing partners
    for index, line in enumerate(text.lines):
        if line.endswith(":") and PARTNER_CUE.search(line) and not line.lower().startswith("mögl"):
            for follow in text.lines[index + 1 :]:
                bullet = BULLET.match(follow)
                if not bullet:
                    break
                if _add(draft.partners, _strip_dot(bullet.group(1))):
                    draft._note("partners", line)
    for sentence in text.sentences:
        among = re.search(
            r"(?:Zu den|Unter den)\s+.*?[Pp]artner\S*\s+(?:gehören|zählen)\s+(?P<rest>.+)", sentence
        )
        if among:
            rest = among.group("rest")
            neben = re.match(r"neben\s+(?P<n>.+?)\s+(?P<tail>(?:die|der|das)\s.+)$", rest)
            names = []
            if neben:
                names.append(neben.group("n"))
                rest = neben.group("tail")
            names += _split_list(rest)
            for name in names:
                if _add(draft.partners, name):
                    draft._note("partners", sentence)
        listed = re.search(
            r"(?:Partner|Beteiligt)\s+(?:sind|waren)\s+(?P<rest>.+)", sentence, re.IGNORECASE
        )
        if listed:
            for name in _split_list(listed.group("rest")):
                if _add(draft.partners, name):
                    draft._note("partners", sentence)
        hired = re.search(r"wurden?\s+(?:die|der|das)?\s*(?P<rest>.+?)\s+beauftragt", sentence)
        if hired:
            for part in re.split(r"\s+und\s+|,\s*", hired.group("rest")):
                name = part.strip()
                if len(name.split()) <= 6 and _add(draft.partners, name):
                    draft._note("partners", sentence)


def _regions(draft: Draft, text: _Text) -> None:
    name = r"[A-ZÄÖÜ][\wäöüß.]*(?:-[A-ZÄÖÜ]?[\wäöüß]+)*"
    tail = rf"(?:\s(?:in der|an der|am|im|ob der|a\.\s?d\.|der)\s{name}|\s{name})*"
    territory = re.compile(
        rf"(?<![\w-])(?P<t>{TERRITORY})\s(?P<n>(?:(?<=[Rr]egion\s)(?:der|des)\s)?{name}{tail})"
    )
    candidates: list[tuple[str, str]] = []
    for sentence in text.sentences + text.lines[text.contact_start :]:
        for match in territory.finditer(sentence):
            after = sentence[match.end() : match.end() + 8]
            if re.match(r"\s*e\.\s?V\.", after) or re.search(r"e\.\s?V\.", match.group("n")):
                continue
            place = _trim_place(match.group("n"))
            if not place:
                continue
            kind = match.group("t")
            candidates.append((f"{kind} {place}", sentence))
        for match in re.finditer(
            r"\b(?:Städte|Städten|Kreise|Kreisen|Landkreise|Landkreisen|Gemeinden|Bundesländer|"
            r"Bundesländern|Samtgemeinden)\s+(?P<list>(?:[A-ZÄÖÜ][^.;:]*?))(?=[.;:]|$|\s(?:sein|"
            r"sind|bestehen|erstreckt|liegen|gehören)\b)",
            sentence,
        ):
            kind = PLURAL_TYPES.get(match.group(0).split()[0].lower(), "")
            for item in _split_list(match.group("list")):
                typed = re.search(rf"(?:^|-)(?:{TERRITORY})\b", item)
                label = item if not kind or typed else f"{kind} {item}"
                candidates.append((label, sentence))
        for match in re.finditer(
            r"\bzwischen\s+(?P<list>[A-ZÄÖÜ][\wäöüß-]+(?:,\s*[A-ZÄÖÜ][\wäöüß-]+)+\s+und\s+"
            r"[A-ZÄÖÜ][\wäöüß-]+)",
            sentence,
        ):
            for item in re.split(r",\s*|\s+und\s+", match.group("list")):
                candidates.append((item, sentence))
        for land in LAENDER:
            for hit in re.finditer(rf"(?<![\w-]){re.escape(land)}(?![\w-])", sentence):
                before = sentence[: hit.start()].split()[-1:] or [""]
                if not re.fullmatch(rf"(?:{TERRITORY})", before[0]):
                    candidates.append((land, sentence))
                    break
    for partner in draft.partners:
        if re.match(rf"^(?:{TERRITORY})\s", partner) and not re.search(ORG_WORD[3:-1], partner[6:]):
            candidates.append((partner, "Partner: " + partner))
    for label, snippet in candidates:
        if label.startswith(("Region gestalten",)):
            continue
        if _add(draft.regions, label, _region_key):
            draft._note("regions", snippet)
    for land, key in LAENDER.items():
        if any(_key(region) == _key(land) for region in draft.regions) and key not in draft.ags:
            draft.ags.append(key)


def _trim_place(place: str) -> str | None:
    words = place.split()
    stop = {"Mitglied", "Daseinsvorsorge", "Wohnen", "Projekt", "Projekte", "Zusammenarbeit"}
    kept: list[str] = []
    for word in words:
        if word.rstrip(".,") in stop or (kept and word.endswith(".") and len(word) > 3):
            break
        kept.append(word)
    while kept and kept[-1] in {"in", "der", "an", "am", "im", "ob"}:
        kept.pop()
    text = " ".join(kept).rstrip(".,")
    if not text or text.lower() in {"der", "die", "des"}:
        return None
    return text


def _roles(draft: Draft, text: _Text) -> None:
    for index, line in enumerate(text.lines):
        value = line.rstrip(":").strip()
        in_contact = index >= text.contact_start
        if in_contact and CONTACT_HEAD.match(value):
            continue
        if "@" in value or re.search(r"\d{3,}", value) or len(value) > 60:
            continue
        if re.search(ORG_WORD, value) and not ROLE_WORD.search(value.split()[0]):
            continue
        if not ROLE_WORD.search(value):
            continue
        labelled = line.endswith(":") or re.match(
            rf"^[\w-]*{ROLE_WORD.pattern}[\w-]*\s*:", line, re.IGNORECASE
        )
        if in_contact or labelled:
            role = value.split(":")[0].strip() if not line.endswith(":") else value
            if _add(draft.contact_roles, role):
                draft._note("contact_roles", role)


GOAL_CUE = re.compile(
    r"(\bZiel(?:e|en|s)?\b|Kernziel|Hauptziel|zielt|\bwill\b|\bwollen\b|\bsoll(?:en|te|ten)?\b|"
    r"verfolgt|angestrebt|Schwerpunkt|Im Kern|Aufgabe des Projekt)",
)


def _goals(draft: Draft, text: _Text) -> None:
    for line in text.lines[: text.contact_start]:
        value = _label(line, r"ziele?|projektziele?|zielsetzung|kernziel")
        if value and _add(draft.goals, value):
            draft._note("goals", line)
    for sentence in text.sentences:
        if len(sentence) < 25 or (sentence.endswith(":") and len(sentence) < 60):
            continue
        if _label(sentence, r"ziele?|projektziele?|zielsetzung|kernziel"):
            continue
        if GOAL_CUE.search(sentence) and _add(draft.goals, sentence[:300]):
            draft._note("goals", sentence)
    for index, line in enumerate(text.lines[: text.contact_start]):
        if line.endswith(":") and GOAL_CUE.search(line):
            for follow in text.lines[index + 1 : text.contact_start]:
                bullet = BULLET.match(follow)
                if not bullet:
                    break
                if _add(draft.goals, bullet.group(1)):
                    draft._note("goals", bullet.group(1))


# --------------------------------------------------------------------------------------------
# title and entry point


def _title(text: _Text) -> tuple[str | None, str | None]:
    for line in text.lines:
        value = _label(line, r"projekttitel|projekttitle|titel|projektname|teilprojekt")
        if value:
            return value, line
    best: tuple[str, str] | None = None
    for sentence in text.sentences:
        for match in re.finditer(
            r"\b(?:Projekt|Teilprojekt|Vorhaben|Modellvorhaben|Verbundprojekt)(?:es|s)?\s+"
            r"[„\"“]([^“”\"]{3,120})[“”\"]",
            sentence,
        ):
            if best is None or len(match.group(1)) > len(best[0]):
                best = (match.group(1).strip(), sentence)
    if best:
        return best
    for line in text.lines[: text.contact_start]:
        if len(line) > 150 or line.endswith((".", ":", "!", "?")) or line.isupper():
            continue
        if re.match(r"^[\wäöüß-]+\s*:", line) or BULLET.match(line) or len(line) < 5:
            continue
        if re.fullmatch(r"[A-Z]{1,3} \d{3}", line):
            continue
        return line, line
    return None, None


def extract(text: str, source: str) -> Draft:
    """Extract a draft project record from ``text`` (``source``: the file name, stored in
    ``sources``). See the module docstring for the rules and their limits."""
    prepared = _prepare(text or "")
    title, snippet = _title(prepared)
    slug = slugify(title) if title else ""
    if len(slug) < 3:
        slug = slugify(re.sub(r"\.\w+$", "", source.rsplit("/", 1)[-1])) or "entwurf"
    if not re.match(r"^[a-z0-9]", slug):
        slug = "p-" + slug
    draft = Draft(id=slug[:61].rstrip("-"), title=title, sources=[source] if source else [])
    if snippet:
        draft._note("title", snippet)
    _period(draft, prepared)
    _programme(draft, prepared)
    _funding_code(draft, prepared)
    _volume(draft, prepared)
    _lead(draft, prepared)
    _partners(draft, prepared)
    _regions(draft, prepared)
    _roles(draft, prepared)
    _goals(draft, prepared)
    return draft
