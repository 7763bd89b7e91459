"""Downloader and source download functions against a local HTTP server on 127.0.0.1.

The server runs in a thread for the duration of one test and answers from a table of
hand-made replies; no test reaches the internet.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from regiowerk.errors import RegiowerkError
from regiowerk.sources.download import (
    DATABASES,
    Downloader,
    DownloadError,
    default_cache_dir,
    genesis_credentials,
    genesis_table,
    geofabrik_land,
    geofabrik_slug,
    vg250,
    zensus_grid,
    zensus_table,
)

PAYLOAD = b"Gemeinde;Einwohner\n01001000;91113\n" * 200


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared: int | None = None
    """Content-Length to announce (default: the real length)."""
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)


class Handler(BaseHTTPRequestHandler):
    server: LocalServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size) if size else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(Seen(self.command, self.path, headers, body))
        queue = self.server.routes.get(self.path)
        reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else Reply(404, b"nix")
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            declared = reply.declared if reply.declared is not None else len(reply.body)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the request log."""


@pytest.fixture
def server() -> Iterator[LocalServer]:
    httpd = LocalServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def offline_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxies, no real credentials, and a cache that is not the user's."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for database in DATABASES.values():
        for suffix in ("TOKEN", "USER", "PASSWORD"):
            monkeypatch.delenv(f"{database.env_prefix}_{suffix}", raising=False)
    monkeypatch.setenv("REGIOWERK_CACHE", str(tmp_path / "default-cache"))


def loader(tmp_path: Path, **options: object) -> Downloader:
    settings: dict[str, object] = {"retries": 2, "backoff": 0.01, "timeout": 2.0}
    settings.update(options)
    return Downloader(tmp_path / "cache", **settings)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*")) if folder.exists() else []


def test_download_cache_index_and_progress(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/data/gv.csv"] = [Reply(body=PAYLOAD, headers={"Content-Type": "text/csv"})]
    progress: list[tuple[int, int | None]] = []
    downloader = loader(tmp_path, progress=lambda done, total: progress.append((done, total)))
    path = downloader.fetch(f"{server.url}/data/gv.csv")
    assert path.read_bytes() == PAYLOAD
    assert path.name.endswith("_gv.csv")
    assert progress[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert all(total == len(PAYLOAD) for _, total in progress)
    index = json.loads((downloader.cache_dir / "index.json").read_text(encoding="utf-8"))
    entry = index["files"][f"{server.url}/data/gv.csv"]
    assert entry["sha256"] == hashlib.sha256(PAYLOAD).hexdigest()
    assert entry["bytes"] == len(PAYLOAD)
    assert entry["file"] == path.name
    again = downloader.fetch(f"{server.url}/data/gv.csv")  # from the cache
    assert again == path
    assert server.hits("/data/gv.csv") == 1
    downloader.fetch(f"{server.url}/data/gv.csv", refresh=True)
    assert server.hits("/data/gv.csv") == 2
    assert leftovers(downloader.cache_dir) == []


def test_server_error_is_retried(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/flaky.zip"] = [Reply(503, b"busy"), Reply(body=b"zip-content")]
    path = loader(tmp_path).fetch(f"{server.url}/flaky.zip")
    assert path.read_bytes() == b"zip-content"
    assert server.hits("/flaky.zip") == 2


def test_server_error_every_time(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/down.zip"] = [Reply(500, b"error")]
    with pytest.raises(DownloadError, match=r"down\.zip konnte nach 3 Versuchen.*HTTP 500"):
        loader(tmp_path).fetch(f"{server.url}/down.zip")
    assert server.hits("/down.zip") == 3


def test_not_found_is_not_retried(server: LocalServer, tmp_path: Path) -> None:
    url = f"{server.url}/vg250_2099.zip"
    with pytest.raises(DownloadError) as info:
        loader(tmp_path).fetch(url)
    assert url in str(info.value)
    assert "HTTP 404" in str(info.value)
    assert "Adresse prüfen" in str(info.value)
    assert info.value.status == 404
    assert isinstance(info.value, RegiowerkError)
    assert server.hits("/vg250_2099.zip") == 1


def test_expected_checksum_mismatch_is_rejected(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/file.bin"] = [Reply(body=b"tampered")]
    downloader = loader(tmp_path)
    wrong = hashlib.sha256(b"original").hexdigest()
    with pytest.raises(DownloadError, match=r"Prüfsumme \(SHA-256\) stimmt nicht"):
        downloader.fetch(f"{server.url}/file.bin", sha256=wrong)
    assert not any(downloader.cache_dir.glob("*file.bin"))
    assert leftovers(downloader.cache_dir) == []
    right = hashlib.sha256(b"tampered").hexdigest()
    assert downloader.fetch(f"{server.url}/file.bin", sha256=right).read_bytes() == b"tampered"


def test_damaged_cache_file_is_downloaded_again(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/file.csv"] = [Reply(body=PAYLOAD)]
    downloader = loader(tmp_path)
    path = downloader.fetch(f"{server.url}/file.csv")
    path.write_bytes(b"damaged on disk")
    again = downloader.fetch(f"{server.url}/file.csv")
    assert again.read_bytes() == PAYLOAD
    assert server.hits("/file.csv") == 2
    assert any("Prüfsumme der Datei im Zwischenspeicher" in m for m in downloader.messages)


def test_truncated_body_is_retried_then_reported(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/short.csv"] = [Reply(body=PAYLOAD[:500], declared=1000), Reply(body=PAYLOAD)]
    assert loader(tmp_path).fetch(f"{server.url}/short.csv").read_bytes() == PAYLOAD
    assert server.hits("/short.csv") == 2
    server.routes["/always-short.csv"] = [Reply(body=PAYLOAD[:500], declared=1000)]
    downloader = loader(tmp_path)
    with pytest.raises(DownloadError, match=r"unvollständig: 500 von 1000 Bytes"):
        downloader.fetch(f"{server.url}/always-short.csv")
    assert server.hits("/always-short.csv") == 3
    assert leftovers(downloader.cache_dir) == []


def test_timeout_is_retried(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/slow.csv"] = [Reply(body=b"late", delay=1.0), Reply(body=b"fast")]
    path = loader(tmp_path, timeout=0.3).fetch(f"{server.url}/slow.csv")
    assert path.read_bytes() == b"fast"


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Downloader().cache_dir == tmp_path / "default-cache"
    monkeypatch.delenv("REGIOWERK_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "regiowerk"
    assert not (tmp_path / "default-cache").exists()  # nothing created before a download


# --- GENESIS web service ---------------------------------------------------------------------

TABLEFILE = "/genesisWS/rest/2020/data/tablefile"


def test_missing_token_names_the_variables(server: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        genesis_table(
            "12411-0001",
            base_url=f"{server.url}/genesisWS/rest/2020/",
            downloader=loader(tmp_path),
        )
    message = str(info.value)
    assert "GENESIS_TOKEN" in message
    assert "GENESIS_USER" in message
    assert "GENESIS_PASSWORD" in message
    assert server.seen == []
    with pytest.raises(DownloadError, match="REGIONALSTATISTIK_TOKEN"):
        genesis_credentials(DATABASES["regionalstatistik"], {"GENESIS_TOKEN": "x"})


def test_genesis_tablefile_post_with_token(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESIS_TOKEN", "geheimes-token")
    server.routes[TABLEFILE] = [Reply(body=PAYLOAD, headers={"Content-Type": "text/csv"})]
    downloader = loader(tmp_path)
    path = genesis_table(
        "12411-0001",
        parameters={"startyear": "2020"},
        base_url=f"{server.url}/genesisWS/rest/2020/",
        downloader=downloader,
    )
    assert path.read_bytes() == PAYLOAD
    request = server.seen[0]
    assert request.method == "POST"
    assert request.headers["username"] == "geheimes-token"
    assert request.headers["password"] == ""
    form = dict(pair.split("=") for pair in request.body.decode().split("&"))
    assert form["name"] == "12411-0001"
    assert form["format"] == "ffcsv"
    assert form["startyear"] == "2020"
    index = (downloader.cache_dir / "index.json").read_text(encoding="utf-8")
    assert "geheimes-token" not in index  # access data are never stored
    monkeypatch.setenv("GENESIS_TOKEN", "anderes-token")
    genesis_table(
        "12411-0001",
        parameters={"startyear": "2020"},
        base_url=f"{server.url}/genesisWS/rest/2020/",
        downloader=downloader,
    )
    assert server.hits(TABLEFILE) == 1  # same table and parameters: cached


def test_genesis_user_and_password_and_error_answer(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZENSUS_USER", "nutzer")
    monkeypatch.setenv("ZENSUS_PASSWORD", "kennwort")
    status = {
        "Status": {"Code": 104, "Content": "Kein passendes Objekt zu Suche", "Type": "Fehler"}
    }
    server.routes["/api/rest/2020/data/tablefile"] = [
        Reply(body=json.dumps(status).encode(), headers={"Content-Type": "application/json"})
    ]
    downloader = loader(tmp_path)
    with pytest.raises(
        DownloadError, match="Zensusdatenbank 2022 meldet Fehler 104: Kein passendes"
    ):
        zensus_table("1000A-9999", base_url=f"{server.url}/api/rest/2020/", downloader=downloader)
    assert server.seen[0].headers["username"] == "nutzer"
    assert server.seen[0].headers["password"] == "kennwort"
    assert not any(downloader.cache_dir.glob("*1000A*"))


def test_genesis_wrong_credentials(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIONALSTATISTIK_TOKEN", "falsch")
    server.routes["/genesisws/rest/2020/data/tablefile"] = [Reply(401, b"")]
    with pytest.raises(DownloadError, match=r"HTTP 401.*Zugangsdaten prüfen"):
        genesis_table(
            "12411-02-03-4",
            database="regionalstatistik",
            base_url=f"{server.url}/genesisws/rest/2020/",
            downloader=loader(tmp_path),
        )


def test_genesis_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="Datenbank 'inkar' unbekannt"):
        genesis_table("12411-0001", database="inkar", downloader=loader(tmp_path))
    with pytest.raises(DownloadError, match="Tabellencode"):
        genesis_table("../etc", downloader=loader(tmp_path))


# --- Zensus grid, VG250, Geofabrik -------------------------------------------------------------


def test_zensus_grid_and_vg250_urls(server: LocalServer, tmp_path: Path) -> None:
    server.routes["/static/Zensus2022_Bevoelkerungszahl.zip"] = [Reply(body=b"grid")]
    path = zensus_grid(base_url=f"{server.url}/static/", downloader=loader(tmp_path))
    assert path.read_bytes() == b"grid"
    vg_path = "/vg/vg250_ebenen_0101/2023/vg250_01-01.utm32s.gpkg.ebenen.zip"
    server.routes[vg_path] = [Reply(body=b"gpkg")]
    assert vg250(2023, base_url=f"{server.url}/vg/", downloader=loader(tmp_path)).exists()
    shape = "/vg/vg250_ebenen_1231/aktuell/vg250_12-31.gk3.shape.ebenen.zip"
    server.routes[shape] = [Reply(body=b"shp")]
    got = vg250(
        stand="1231",
        crs="gk3",
        fmt="shape",
        base_url=f"{server.url}/vg/",
        downloader=loader(tmp_path),
    )
    assert got.read_bytes() == b"shp"
    with pytest.raises(DownloadError, match="Stand '0630'"):
        vg250(2023, stand="0630", downloader=loader(tmp_path))
    with pytest.raises(DownloadError, match="Format 'shp'"):
        vg250(2023, fmt="shp", downloader=loader(tmp_path))


def test_geofabrik_slugs() -> None:
    assert geofabrik_slug("09") == "bayern"
    assert geofabrik_slug("Baden-Württemberg") == "baden-wuerttemberg"
    assert geofabrik_slug("16") == "thueringen"
    assert geofabrik_slug("nordrhein-westfalen") == "nordrhein-westfalen"
    assert geofabrik_slug("13") == "mecklenburg-vorpommern"
    with pytest.raises(DownloadError, match="Land 'Elsass' unbekannt"):
        geofabrik_slug("Elsass")


def test_geofabrik_md5(server: LocalServer, tmp_path: Path) -> None:
    pbf = b"\x00\x00\x00\x0dOSMHeader" * 100
    digest = hashlib.md5(pbf, usedforsecurity=False).hexdigest()
    server.routes["/germany/bremen-latest.osm.pbf"] = [Reply(body=pbf)]
    server.routes["/germany/bremen-latest.osm.pbf.md5"] = [
        Reply(body=f"{digest}  bremen-latest.osm.pbf\n".encode())
    ]
    downloader = loader(tmp_path)
    path = geofabrik_land("04", base_url=f"{server.url}/germany/", downloader=downloader)
    assert path.read_bytes() == pbf
    assert (
        geofabrik_land("Bremen", base_url=f"{server.url}/germany/", downloader=downloader) == path
    )
    assert server.hits("/germany/bremen-latest.osm.pbf") == 1  # same MD5: cached copy
    server.routes["/germany/bremen-latest.osm.pbf.md5"] = [
        Reply(body=b"0123456789abcdef0123456789abcdef  bremen-latest.osm.pbf\n")
    ]
    with pytest.raises(DownloadError, match=r"Prüfsumme \(MD5\) stimmt nicht"):
        geofabrik_land("04", base_url=f"{server.url}/germany/", downloader=downloader)
    server.routes["/germany/bremen-latest.osm.pbf.md5"] = [Reply(body=b"<html>Fehler</html>")]
    with pytest.raises(DownloadError, match="keine MD5-Prüfsumme"):
        geofabrik_land("04", base_url=f"{server.url}/germany/", downloader=downloader)
