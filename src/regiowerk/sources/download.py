"""Downloads of official source files into a checksummed cache (standard library only).

:class:`Downloader` keeps files in a cache folder (``~/.cache/regiowerk`` unless given or set
in ``$REGIOWERK_CACHE``) with a small JSON index next to them (``index.json``: URL, file name,
SHA-256, size, retrieval time, and MD5 where one was checked). A cached file is reused only
if its SHA-256 still matches the index (and any checksum the caller expects); otherwise it is
downloaded again. Transfers are retried with exponential backoff on server errors (5xx),
timeouts, broken connections and truncated bodies (fewer bytes than ``Content-Length``), never
on client errors (4xx). Files are written to a temporary file in the cache folder and renamed
into place, so an interrupted download never leaves a half file under the final name. A
progress callback receives ``(bytes_done, bytes_total_or_None)``.

Source-specific functions (all base URLs can be replaced, e.g. by a local test server):

* :func:`genesis_table` – GENESIS web service REST API "2020", method ``data/tablefile``
  (``https://www-genesis.destatis.de/genesisWS/rest/2020/data/tablefile``), format ``ffcsv``
  (flat CSV). Since 15.07.2025 the API only accepts POST with the access data in the request
  headers ``username`` and ``password`` and the parameters as form fields (Destatis' notice
  "GENESIS API: Changes as of July 15, 2025"; the client ``pystatis`` of CorrelAid does the
  same). Access data come from ``GENESIS_TOKEN`` (an API token, sent as user name with an
  empty password) or ``GENESIS_USER`` and ``GENESIS_PASSWORD``. The same API runs for the
  Regionaldatenbank (``https://www.regionalstatistik.de/genesisws/rest/2020/``, variables
  ``REGIONALSTATISTIK_…``) and the Zensus-2022 database
  (``https://ergebnisse.zensus2022.de/api/rest/2020/``, ``ZENSUS_…``, e.g. table
  ``1000A-0000``). Error answers of the API (JSON ``Status`` with an error code, HTTP 200) are
  reported with Destatis' own text and never cached.
* :func:`zensus_grid` – Zensus 2022 grid data as published for download
  (``https://www.zensus2022.de/static/Zensus_Veroeffentlichung/Zensus2022_Bevoelkerungszahl.zip``
  and the other ``<Merkmal>.zip`` files, CSV per 100 m / 1 km / 10 km cell).
* :func:`vg250` – BKG open data VG250 (``https://daten.gdz.bkg.bund.de/produkte/vg/``
  ``vg250_ebenen_0101/<Jahr>/vg250_01-01.utm32s.gpkg.ebenen.zip``; ``1231`` for the status
  of 31.12., ``shape`` instead of ``gpkg``, ``aktuell`` for the latest year).
* :func:`geofabrik_land` – Geofabrik extract of a Land
  (``https://download.geofabrik.de/europe/germany/<land>-latest.osm.pbf``) checked against
  Geofabrik's ``.md5`` file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any

from regiowerk import __version__
from regiowerk.ags import LAENDER, land_of
from regiowerk.errors import AgsError, RegiowerkError
from regiowerk.fileio import atomic_write_bytes, publish, sha256_of

ProgressCallback = Callable[[int, int | None], None]
Check = Callable[[Path, Message], None]
"""Called with the downloaded temporary file and the response headers before it is kept."""

GENESIS_URL = "https://www-genesis.destatis.de/genesisWS/rest/2020/"
REGIONALSTATISTIK_URL = "https://www.regionalstatistik.de/genesisws/rest/2020/"
ZENSUS_DB_URL = "https://ergebnisse.zensus2022.de/api/rest/2020/"
ZENSUS_GRID_URL = "https://www.zensus2022.de/static/Zensus_Veroeffentlichung/"
BKG_URL = "https://daten.gdz.bkg.bund.de/produkte/vg/"
GEOFABRIK_URL = "https://download.geofabrik.de/europe/germany/"

INDEX = "index.json"
CHUNK = 1 << 16


class DownloadError(RegiowerkError):
    """A download failed; the message names the URL and what to do."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        self.url, self.status = url, status
        super().__init__(message)


class _Retry(Exception):
    """A transient failure worth another attempt (5xx, timeout, broken or short transfer)."""


@dataclass(frozen=True)
class _Transfer:
    path: Path
    sha256: str
    md5: str
    size: int
    headers: Message


def default_cache_dir() -> Path:
    """``$REGIOWERK_CACHE`` or ``~/.cache/regiowerk``."""
    configured = os.environ.get("REGIOWERK_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "regiowerk"


class Downloader:
    """Cached, checksummed, retried downloads (see the module docstring).

    ``retries`` further attempts follow a transient failure after ``backoff``, ``2·backoff``,
    ``4·backoff`` … seconds; ``timeout`` limits each connection and read in seconds.
    ``messages`` collects German remarks (e.g. a cached file replaced after a checksum
    mismatch).
    """

    def __init__(
        self,
        cache_dir: Path | str | None = None,
        *,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 60.0,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.progress = progress
        self.messages: list[str] = []
        self._opener = urllib.request.build_opener()
        self._opener.addheaders = [("User-Agent", f"regiowerk/{__version__}")]

    # ---- public -----------------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        name: str | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        sha256: str | None = None,
        md5: str | None = None,
        refresh: bool = False,
        check: Check | None = None,
    ) -> Path:
        """The cached file for ``url`` (and ``form``, sent as POST), downloading it if needed.

        ``headers`` are sent but never stored (they may hold access data). ``sha256`` / ``md5``
        are expected checksums: a cached file must match them, a new download that does not
        is rejected. ``refresh`` downloads again even when a valid copy is cached.
        """
        key = _cache_key(url, form)
        target = self.cache_dir / _file_name(url, name, key)
        index = self._read_index()
        entry = index.get(key)
        if not refresh and entry and self._reusable(target, entry, sha256, md5):
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        transfer = self._with_retries(url, lambda: self._download(url, form, headers))
        try:
            _verify(transfer, url, sha256=sha256, md5=md5)
            if check is not None:
                check(transfer.path, transfer.headers)
            publish(transfer.path, target)
        finally:
            transfer.path.unlink(missing_ok=True)
        index = self._read_index()
        index[key] = {
            "url": url,
            "form": dict(form or {}),
            "file": target.name,
            "sha256": transfer.sha256,
            "md5": transfer.md5,
            "bytes": transfer.size,
            "retrieved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self._write_index(index)
        return target

    def read_text(self, url: str) -> str:
        """A small text resource (e.g. a checksum file), not cached, with retries."""
        return self._with_retries(url, lambda: self._small(url)).decode("utf-8", "replace")

    # ---- cache -----------------------------------------------------------------------------

    def _reusable(
        self, target: Path, entry: Mapping[str, Any], sha256: str | None, md5: str | None
    ) -> bool:
        if not target.is_file():
            return False
        if sha256 and entry.get("sha256") != sha256.lower():
            return False
        if md5 and entry.get("md5") != md5.lower():
            return False
        if sha256_of(target) != entry.get("sha256"):
            self.messages.append(
                f"{target.name}: Prüfsumme der Datei im Zwischenspeicher stimmt nicht mehr "
                f"(beschädigt oder verändert); neu heruntergeladen."
            )
            return False
        return True

    def _read_index(self) -> dict[str, Any]:
        path = self.cache_dir / INDEX
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            self.messages.append(f"{path}: Index unlesbar; wird neu angelegt.")
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        return dict(files) if isinstance(files, dict) else {}

    def _write_index(self, files: dict[str, Any]) -> None:
        text = json.dumps({"version": 1, "files": files}, indent=2, ensure_ascii=False)
        atomic_write_bytes(self.cache_dir / INDEX, (text + "\n").encode("utf-8"))

    # ---- transfer --------------------------------------------------------------------------

    def _with_retries(self, url: str, attempt: Callable[[], Any]) -> Any:
        problem = ""
        for number in range(self.retries + 1):
            try:
                return attempt()
            except _Retry as exc:
                problem = str(exc)
                if number < self.retries:
                    time.sleep(self.backoff * 2**number)
        raise DownloadError(
            f"{url} konnte nach {self.retries + 1} Versuchen nicht geladen werden "
            f"(zuletzt: {problem}). Später erneut versuchen.",
            url=url,
        )

    def _open(
        self, url: str, form: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> Any:
        body = urllib.parse.urlencode(dict(form)).encode() if form is not None else None
        request = urllib.request.Request(
            url, data=body, headers=dict(headers or {}), method="POST" if body else "GET"
        )
        try:
            return self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code >= 500:
                raise _Retry(f"HTTP {exc.code} {exc.reason}") from None
            raise DownloadError(
                _client_error(url, exc.code, str(exc.reason)), url=url, status=exc.code
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, OSError):  # timeouts, refused or reset connections
                raise _Retry(f"Verbindung: {reason}") from None
            raise DownloadError(f"{url} ist nicht erreichbar ({reason}).", url=url) from None

    def _download(
        self, url: str, form: Mapping[str, str] | None, headers: Mapping[str, str] | None
    ) -> _Transfer:
        response = self._open(url, form, headers)
        handle, temporary = tempfile.mkstemp(dir=self.cache_dir, prefix=".part-")
        path = Path(temporary)
        try:
            with response, os.fdopen(handle, "wb") as out:
                size, sha256, md5 = self._copy(response, out)
            return _Transfer(path, sha256, md5, size, response.headers)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _copy(self, response: Any, out: IO[bytes]) -> tuple[int, str, str]:
        total = _content_length(response.headers)
        sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        done = 0
        try:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                sha256.update(chunk)
                md5.update(chunk)
                done += len(chunk)
                if self.progress is not None:
                    self.progress(done, total)
        except (http.client.IncompleteRead, TimeoutError, ConnectionError) as exc:
            raise _Retry(f"Übertragung abgebrochen nach {done} Bytes ({exc!r})") from None
        if total is not None and done != total:
            raise _Retry(f"unvollständig: {done} von {total} Bytes")
        return done, sha256.hexdigest(), md5.hexdigest()

    def _small(self, url: str) -> bytes:
        response = self._open(url, None, None)
        with response:
            total = _content_length(response.headers)
            try:
                data: bytes = response.read()
            except (http.client.IncompleteRead, TimeoutError, ConnectionError) as exc:
                raise _Retry(f"Übertragung abgebrochen ({exc!r})") from None
        if total is not None and len(data) != total:
            raise _Retry(f"unvollständig: {len(data)} von {total} Bytes")
        return data


def _client_error(url: str, status: int, reason: str) -> str:
    hint = {
        401: " Zugangsdaten prüfen.",
        403: " Zugriff verweigert; Zugangsdaten oder Berechtigung prüfen.",
        404: " Adresse prüfen (Jahr, Land, Tabellencode).",
        429: " Zu viele Anfragen; später erneut versuchen.",
    }.get(status, "")
    return f"{url} antwortet mit HTTP {status} ({reason}).{hint}"


def _content_length(headers: Message) -> int | None:
    value = headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _verify(transfer: _Transfer, url: str, *, sha256: str | None, md5: str | None) -> None:
    for kind, expected, got in (("SHA-256", sha256, transfer.sha256), ("MD5", md5, transfer.md5)):
        if expected and expected.lower() != got:
            raise DownloadError(
                f"{url}: Prüfsumme ({kind}) stimmt nicht: erwartet {expected.lower()}, erhalten "
                f"{got}. Die Datei wurde verworfen; später erneut versuchen.",
                url=url,
            )


def _cache_key(url: str, form: Mapping[str, str] | None) -> str:
    if not form:
        return url
    return url + "?" + urllib.parse.urlencode(sorted(form.items()))


def _file_name(url: str, name: str | None, key: str) -> str:
    base = name or Path(urllib.parse.urlparse(url).path).name or "download"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", base)
    return f"{hashlib.sha256(key.encode()).hexdigest()[:10]}_{safe}"


# ---- GENESIS web service -------------------------------------------------------------------


@dataclass(frozen=True)
class GenesisDatabase:
    """A database with the GENESIS REST API: name, base URL, prefix of its variables."""

    title: str
    base_url: str
    env_prefix: str


DATABASES = {
    "genesis": GenesisDatabase("GENESIS-Online (Destatis)", GENESIS_URL, "GENESIS"),
    "regionalstatistik": GenesisDatabase(
        "Regionaldatenbank Deutschland", REGIONALSTATISTIK_URL, "REGIONALSTATISTIK"
    ),
    "zensus": GenesisDatabase("Zensusdatenbank 2022", ZENSUS_DB_URL, "ZENSUS"),
}


def genesis_credentials(
    database: GenesisDatabase, environ: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """User name and password for ``database`` from ``<PREFIX>_TOKEN`` or ``_USER``/``_PASSWORD``.

    A token is sent as user name with an empty password.
    """
    env = os.environ if environ is None else environ
    prefix = database.env_prefix
    token = env.get(f"{prefix}_TOKEN", "").strip()
    if token:
        return token, ""
    user = env.get(f"{prefix}_USER", "").strip()
    password = env.get(f"{prefix}_PASSWORD", "")
    if user and password:
        return user, password
    raise DownloadError(
        f"Zugangsdaten für {database.title} fehlen: die Umgebungsvariable {prefix}_TOKEN (API-"
        f"Token aus dem Benutzerkonto) oder {prefix}_USER und {prefix}_PASSWORD setzen."
    )


def genesis_table(
    name: str,
    *,
    database: str = "genesis",
    parameters: Mapping[str, str] | None = None,
    base_url: str | None = None,
    downloader: Downloader | None = None,
    refresh: bool = False,
) -> Path:
    """Download table ``name`` (e.g. ``12411-0001``, ``1000A-0000``) as flat CSV (``ffcsv``).

    ``database`` is ``genesis``, ``regionalstatistik`` or ``zensus``; ``parameters`` add or
    override form fields of ``data/tablefile`` (``startyear``, ``endyear``,
    ``regionalvariable``, ``regionalkey``, ``classifyingvariable1`` …).
    """
    if database not in DATABASES:
        raise DownloadError(
            f"Datenbank {database!r} unbekannt; bekannt: {', '.join(sorted(DATABASES))}."
        )
    if not re.fullmatch(r"[0-9A-Za-z*_-]{3,30}", name):
        raise DownloadError(f"Tabellencode {name!r} ist ungültig (z. B. '12411-0001').")
    db = DATABASES[database]
    user, password = genesis_credentials(db)
    form = {
        "name": name,
        "area": "all",
        "format": "ffcsv",
        "compress": "false",
        "transpose": "false",
        "language": "de",
        **(parameters or {}),
    }
    url = urllib.parse.urljoin(base_url or db.base_url, "data/tablefile")
    return (downloader or Downloader()).fetch(
        url,
        name=f"{database}_{name}_flat.csv",
        form=form,
        headers={"username": user, "password": password},
        refresh=refresh,
        check=_genesis_status(db),
    )


def _genesis_status(database: GenesisDatabase) -> Check:
    def check(path: Path, headers: Message) -> None:
        with path.open("rb") as handle:
            start = handle.read(1).lstrip()
        if "json" not in headers.get("Content-Type", "") and start != b"{":
            return
        try:
            status = json.loads(path.read_text(encoding="utf-8")).get("Status", {})
        except (ValueError, AttributeError, UnicodeDecodeError):
            return
        code = status.get("Code", 0) if isinstance(status, dict) else 0
        if code in (0, 22):  # 22: "erfolgreich mit Parameteranpassung"
            return
        text = status.get("Content", "ohne Text") if isinstance(status, dict) else status
        hint = (
            " Die Tabelle ist für den direkten Abruf zu groß; weniger Jahre oder Regionen wählen."
            if code == 98
            else ""
        )
        raise DownloadError(f"{database.title} meldet Fehler {code}: {text}.{hint}")

    return check


def zensus_table(
    name: str = "1000A-0000",
    *,
    parameters: Mapping[str, str] | None = None,
    base_url: str | None = None,
    downloader: Downloader | None = None,
) -> Path:
    """A table of the Zensus-2022 database (GENESIS API) as flat CSV, e.g. ``1000A-0000``."""
    return genesis_table(
        name, database="zensus", parameters=parameters, base_url=base_url, downloader=downloader
    )


def zensus_grid(
    dataset: str = "Zensus2022_Bevoelkerungszahl",
    *,
    base_url: str = ZENSUS_GRID_URL,
    downloader: Downloader | None = None,
) -> Path:
    """The zip of a Zensus 2022 grid dataset (CSV per 100 m, 1 km and 10 km cell)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", dataset):
        raise DownloadError(f"Datensatzname {dataset!r} ist ungültig.")
    return (downloader or Downloader()).fetch(f"{base_url}{dataset}.zip")


def vg250(
    year: int | str = "aktuell",
    *,
    stand: str = "0101",
    crs: str = "utm32s",
    fmt: str = "gpkg",
    base_url: str = BKG_URL,
    downloader: Downloader | None = None,
) -> Path:
    """BKG VG250 (Verwaltungsgebiete 1:250 000, layers per level) as zip.

    ``stand`` is ``0101`` (status of 1 January) or ``1231`` (31 December), ``fmt`` ``gpkg`` or
    ``shape``, ``crs`` e.g. ``utm32s`` (EPSG:25832), ``gk3`` or ``geo84``.
    """
    if stand not in ("0101", "1231"):
        raise DownloadError(f"Stand {stand!r} unbekannt: '0101' (1. Januar) oder '1231'.")
    if fmt not in ("gpkg", "shape"):
        raise DownloadError(f"Format {fmt!r} unbekannt: 'gpkg' oder 'shape'.")
    if not re.fullmatch(r"[a-z0-9]+", crs) or not re.fullmatch(r"(19|20)\d\d|aktuell", str(year)):
        raise DownloadError(f"Jahr {year!r} oder Koordinatensystem {crs!r} ist ungültig.")
    path = f"vg250_ebenen_{stand}/{year}/vg250_{stand[:2]}-{stand[2:]}.{crs}.{fmt}.ebenen.zip"
    return (downloader or Downloader()).fetch(base_url + path)


def geofabrik_slug(land: str) -> str:
    """Geofabrik's name of a Land from its key (``"09"``) or name (``"Thüringen"``)."""
    by_name = {entry.name.casefold(): entry for entry in LAENDER.values()}
    entry = by_name.get(land.strip().casefold())
    if entry is None:
        try:
            entry = LAENDER[land_of(land)]
        except AgsError:
            names = ", ".join(e.name for e in LAENDER.values())
            raise DownloadError(f"Land {land!r} unbekannt; bekannt: {names}.") from None
    slug = entry.name.casefold()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), (" ", "-")):
        slug = slug.replace(umlaut, plain)
    return slug


def geofabrik_land(
    land: str, *, base_url: str = GEOFABRIK_URL, downloader: Downloader | None = None
) -> Path:
    """The latest OSM extract of a Land, checked against Geofabrik's ``.md5`` file."""
    loader = downloader or Downloader()
    url = f"{base_url}{geofabrik_slug(land)}-latest.osm.pbf"
    listed = loader.read_text(url + ".md5").split()
    if not listed or not re.fullmatch(r"[0-9a-fA-F]{32}", listed[0]):
        raise DownloadError(f"{url}.md5 enthält keine MD5-Prüfsumme.", url=url + ".md5")
    return loader.fetch(url, md5=listed[0])
