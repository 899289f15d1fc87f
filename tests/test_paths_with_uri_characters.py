"""Folders and files whose names hold characters that mean something in a URI ("Release #3",
"Q3? draft", "100% done"): every GeoPackage the tool reads back is read from there, and
nothing is created beside them.

Why: SQLite opens files read-only through a URI, where ``#`` starts a fragment and ``?`` the
parameters. Built as ``f"file:{path}?mode=ro"``, such a path opened another file, which
SQLite created empty because ``mode=ro`` was cut off with the rest. The gate then found no
tables in the release's own GeoPackage, so a release into "Release #3" was refused, and
map points or crimes GeoPackages there "had no layer". Real files, the real pipeline and
gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper.core.io.gpkg_read import read_only_uri, sqlite_file_uri
from crime_mapper.core.publish.webmap_inputs import read_release_inputs
from crime_mapper.core.release.map_points_files import (
    history_points,
    read_map_points_file,
    write_map_points_gpkg,
)
from tests.support.plain_cli import HISTORY
from tests.support.written_outputs import release_files

NAMES = ["Release #3", "Q3? draft", "100% done", "a#b?c%d"]


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", NAMES)
def test_a_map_points_geopackage_there_is_read_and_nothing_is_created(tmp_path, name):
    points = history_points(list(HISTORY))
    folder = tmp_path / name
    folder.mkdir()
    path = folder / f"{name}.gpkg"
    write_map_points_gpkg(points, path)
    before = _tree(tmp_path)
    read = read_map_points_file(path)
    assert read.label.tolist() == points.label.tolist()
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("name", NAMES)
def test_a_release_into_such_a_folder_passes_its_gate_and_the_web_map_reads_it(
    tmp_path, release_inputs, name
):
    out = tmp_path / name
    files = release_files(release_inputs, out)
    gpkg = next(n for n in files if n.endswith(".gpkg"))
    assert files and (out / gpkg).is_file()
    assert not [p.name for p in tmp_path.iterdir() if p.is_file()]  # nothing beside it
    inputs = read_release_inputs([out / gpkg])
    assert inputs


def test_the_uri_encodes_what_a_uri_would_read_otherwise(tmp_path):
    uri = read_only_uri(tmp_path / "Release #3" / "Q3? 100%.gpkg")
    assert uri.startswith("file:///") and uri.endswith("?mode=ro")
    assert "%23" in uri and "%3F" in uri and "%25" in uri and uri.count("?") == 1


def test_the_release_summary_gives_browser_addresses_that_lead_back_to_the_pages(tmp_path):
    from urllib.parse import unquote, urlsplit

    from crime_mapper.core.monthly.release import MonthlyOutputs

    out = tmp_path / "Release #3" / "2022-10"
    for page in ("map/index.html", "neighbourhoods/index.html"):
        (out / page).parent.mkdir(parents=True)
        (out / page).write_text("<!doctype html>", encoding="utf-8")
    summary = MonthlyOutputs("2022-10", out, [], out / "manifest.json").summary_text()
    addresses = [line.split(": ", 1)[1] for line in summary.splitlines() if "browser" in line]
    assert len(addresses) == 2
    for address in addresses:
        parts = urlsplit(address)
        assert parts.scheme == "file" and not parts.fragment and not parts.query
        assert Path(unquote(parts.path)).is_file()


@pytest.mark.parametrize(
    "posix, uri",
    [
        ("/srv/Release #3/x.gpkg", "file:///srv/Release%20%233/x.gpkg"),
        ("C:/Data/Q3? 100%/x.gpkg", "file:///C:/Data/Q3%3F%20100%25/x.gpkg"),
        ("//server/share/crime data/x.gpkg", "file:////server/share/crime%20data/x.gpkg"),
    ],
    ids=["posix", "windows-drive", "windows-share"],
)
def test_file_uris_for_every_kind_of_path(posix, uri):
    """A Windows share keeps its server in the path after an empty authority: SQLite refuses
    a URI whose authority is a server (as ``Path.as_uri`` would write it)."""
    assert sqlite_file_uri(posix) == uri


def test_sqlite_reads_a_path_after_an_empty_authority_and_refuses_a_server(tmp_path):
    import sqlite3

    path = tmp_path / "t.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    doubled = sqlite_file_uri("/" + path.as_posix()) + "?mode=ro"  # (//tmp/... is /tmp/...)
    assert doubled.startswith("file:////")
    sqlite3.connect(doubled, uri=True).execute("SELECT x FROM t").close()
    with pytest.raises(sqlite3.OperationalError, match="authority"):
        sqlite3.connect(f"file://server{path.as_posix()}?mode=ro", uri=True)
