"""The summaries export end to end through the command line (plain Python, no QGIS): a real
release (the synthetic force extract anonymised onto police.uk's published map points), the
leak gate against the raw extract, the staged folder replaced only when it passes; the
GeoPackage opened in real QGIS with its stored choropleth style."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.gate.output_reader import read_file, read_options
from crime_mapper.core.io.gpkg_read import read_geopackage
from crime_mapper.core.publish.summaries_export import clean_legacy_stages
from crime_mapper.core.publish.summaries_run import run_summaries
from tests.support.summaries_release import (
    FORCE_EXTRACT,
    FORCE_PROFILE,
    TEAM,
    make_release,
    msoa_source,
    summaries_cli,
)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_release(tmp_path_factory.mktemp("summaries_release"))


def test_cli_writes_gated_summaries(release: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = summaries_cli(release, release["csv"], out, "--with-map")
    assert run.returncode == 0, run.stderr
    assert "Leak gate passed" in run.stdout
    folder = out / "neighbourhoods"
    pages = sorted(p.name for p in folder.glob("*.html"))
    assert "index.html" in pages and len(pages) == 126  # 125 MSOAs + index
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no stage left behind
    public = pd.read_csv(release["csv"], dtype=str, keep_default_na=False)
    tidy = pd.read_csv(folder / "neighbourhood_summaries.csv", dtype=str, keep_default_na=False)
    force = tidy[(tidy["neighbourhood_code"] == "force") & (tidy["category"] == "All crime")]
    assert int(force.loc[force["month"] == "2022-10", "count"].iloc[0]) == len(public)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="../map/index.html"' in index
    page = (folder / "abbey-park.html").read_text(encoding="utf-8")
    assert 'href="../map/index.html#m=2022-10&amp;n=1&amp;a=rate&amp;z=' in page
    assert "Beat meeting" in page
    # the team's own texts, which the gate allows and nothing else: event day and times,
    # the e-mail and phone typed into its description
    assert "Beat meeting</strong> (meeting), Thursday 17 November 2022, 18:00 to 19:00," in page
    assert "abbey.park.beat@example.police.uk" in page and "0116 248 2222" in page
    # the team's javascript: link: left out of the page, and the analyst told
    assert "javascript:" not in page
    assert (
        "crime_mapper: warning: team_hostile.json: neighbourhood E02002834, link 'bad' has "
        "the address 'javascript:alert(2)'"
    ) in run.stderr
    # the layer's definition and feature-count triggers are the plain forms the gate does
    # not read as prose (core.gate.output_reader._schema_texts); layer_styles' is read
    gpkg = folder / "neighbourhoods.gpkg"
    tables = {t.name: t for t in read_geopackage(gpkg, **read_options()).tables}
    assert tables["neighbourhood_summaries"].definition == ""
    assert tables["layer_styles"].definition.startswith("CREATE TABLE layer_styles (")
    texts = read_file(gpkg, name=gpkg.name, in_folder=False).texts
    assert not [t for t in texts if "TRIGGER" in t]


def test_planted_leak_is_refused_and_previous_output_kept(release: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert summaries_cli(release, release["csv"], out).returncode == 0
    before = (out / "neighbourhoods" / "index.html").read_bytes()
    public = pd.read_csv(release["csv"], dtype=str, keep_default_na=False)
    # an officer's name (a raw, non-public column) typed into the Location of many crimes
    # of one LSOA: it becomes a "top location" on that neighbourhood's page
    lsoa = public.loc[public["LSOA code"] != "", "LSOA code"].value_counts().index[0]
    public.loc[public["LSOA code"] == lsoa, "Location"] = "On or near PC 1190 Nowak"
    tampered = tmp_path / "tampered.csv"
    public.to_csv(tampered, index=False)
    run = summaries_cli(release, tampered, out)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "Leak gate FAILED" in run.stderr and "no_non_public_values" in run.stderr
    assert (out / "neighbourhoods" / "index.html").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_cli_refuses_non_public_input(release: dict, tmp_path: Path) -> None:
    run = summaries_cli(release, FORCE_EXTRACT, tmp_path / "out")
    assert run.returncode == 2
    assert "not the public release table" in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


def test_families_matching_no_neighbourhood_are_refused_or_warned(
    release: dict, tmp_path: Path
) -> None:
    """Families whose codes are not the neighbourhoods' took the similar neighbourhoods off
    every page, and the command said nothing: none matching is refused before anything is
    written; some not matching is warned."""
    families = tmp_path / "families.csv"
    families.write_text("code,family\ne02002834,F0\ne02002835,F0\n", encoding="utf-8")
    run = summaries_cli(release, release["csv"], tmp_path / "out", "--families", families)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "families.csv: none of its 2 codes is a neighbourhood's" in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()
    families.write_text("code,family\nE02002834,F0\nE02002835,F0\nE0299,F0\n", "utf-8")
    run = summaries_cli(release, release["csv"], tmp_path / "out", "--families", families)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "families.csv: 1 code is no neighbourhood's and not used (e.g. E0299)" in run.stderr
    assert "families.csv: 123 neighbourhoods are in no family" in run.stderr


def test_geopackage_layer_styled_in_qgis(release: dict, tmp_path: Path, qgis_app) -> None:
    from qgis.core import QgsGraduatedSymbolRenderer, QgsVectorLayer

    from crime_mapper.core.common.palette import sequential_colours

    out = tmp_path / "out"
    assert summaries_cli(release, release["csv"], out).returncode == 0
    gpkg = out / "neighbourhoods" / "neighbourhoods.gpkg"
    layer = QgsVectorLayer(f"{gpkg}|layername=neighbourhood_summaries", "n", "ogr")
    assert layer.isValid() and layer.featureCount() == 125
    renderer = layer.renderer()
    assert isinstance(renderer, QgsGraduatedSymbolRenderer), type(renderer)
    assert renderer.classAttribute() == "rate_per_1000"
    colours = [r.symbol().color().name() for r in renderer.ranges()]
    assert colours == sequential_colours(len(colours)) and len(colours) >= 2
    feature = next(f for f in layer.getFeatures() if f["code"] == "E02002834")
    assert feature["slug"] == "abbey-park"
    assert feature.geometry().area() > 0 and feature.geometry().isGeosValid()


def test_release_edited_off_its_map_points_is_refused(release: dict, tmp_path: Path) -> None:
    """The pages show no coordinates, but the atlas map would: the release itself is gated."""
    public = pd.read_csv(release["csv"], dtype=str, keep_default_na=False)
    row = public.index[public["Longitude"] != ""][0]
    public.loc[row, "Longitude"] = f"{float(public.loc[row, 'Longitude']) + 0.0013:.6f}"
    tampered = tmp_path / "moved.csv"
    public.to_csv(tampered, index=False)
    run = summaries_cli(release, tampered, tmp_path / "out")
    assert run.returncode == 3, run.stdout + run.stderr
    assert "coordinates_are_map_points" in run.stderr
    assert not (tmp_path / "out" / "neighbourhoods").exists()


def _team_with_event(tmp_path: Path, **event: str) -> Path:
    data = json.loads(TEAM.read_text(encoding="utf-8"))
    data["E02002834"]["events"][0].update(event)
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "event, check",
    [
        # a crime's own day and time (from the raw extract) in an event's description
        ({"description": "<p>About the incident on 21/10/2022 at 15:58.</p>"}, "no_dates"),
        # a raw crime reference passed off beside the event's date
        ({"title": "Beat meeting LE/22/005223"}, "no_source_references"),
        # an officer's name (raw column) as the event's address
        ({"address": "PC 1190 Nowak"}, "no_non_public_values"),
    ],
)
def test_team_allowance_is_narrow(release: dict, tmp_path: Path, event: dict, check: str) -> None:
    out = tmp_path / "out"
    assert summaries_cli(release, release["csv"], out).returncode == 0
    before = (out / "neighbourhoods" / "abbey-park.html").read_bytes()
    run = summaries_cli(release, release["csv"], out, team=_team_with_event(tmp_path, **event))
    assert run.returncode == 3, run.stdout + run.stderr
    assert "Leak gate FAILED" in run.stderr and check in run.stderr
    assert (out / "neighbourhoods" / "abbey-park.html").read_bytes() == before


# --- staging: a cancelled or failed export keeps the previous folder; stale stages go ---------
class _CancelAt(Feedback):
    """Cancels once progress reaches ``at`` percent (as the dock's Cancel button would)."""

    def __init__(self, at: float) -> None:
        self.at, self.seen = at, 0.0

    def set_progress(self, percent: float) -> None:
        self.seen = max(self.seen, percent)

    def is_cancelled(self) -> bool:
        return self.seen >= self.at


def _run_in_process(release: dict, out: Path, feedback: Feedback):
    source = msoa_source()
    return run_summaries(
        [FORCE_EXTRACT],
        release["points"],
        release["csv"],
        out,
        source,
        team_path=TEAM,
        profile_path=FORCE_PROFILE,
        feedback=feedback,
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("at", [40.0, 60.0, 89.0])  # tables, pages, just before the gate
def test_cancelled_export_keeps_the_previous_folder(release: dict, tmp_path: Path, at: float):
    out = tmp_path / "out"
    done = _run_in_process(release, out, Feedback())
    assert done.pages == 125
    before = _tree(out / "neighbourhoods")
    with pytest.raises(Cancelled):
        _run_in_process(release, out, _CancelAt(at))
    assert _tree(out / "neighbourhoods") == before
    assert sorted(p.name for p in out.iterdir()) == ["neighbourhoods"]  # no stage left


def test_killed_runs_of_earlier_versions_are_cleaned_safely(tmp_path: Path) -> None:
    out = tmp_path / "out"
    final = out / "neighbourhoods"
    final.mkdir(parents=True)
    (final / "index.html").write_text("current")
    now = time.time()
    old, fresh = now - 7 * 3600, now - 60

    def folder(name: str, age: float) -> Path:
        path = out / name
        path.mkdir()
        (path / "page.html").write_text(name)
        os.utime(path, (age, age))
        return path

    stale_tmp = folder(".neighbourhoods.ab_cd123.tmp", old)
    stale_old = folder(".neighbourhoods.9xk2m0qz.old", old)
    running = folder(".neighbourhoods.zz9yy8xx.tmp", fresh)  # perhaps a run still writing
    keep = [
        folder(".neighbourhoods.notes.tmp", old),  # not 8 random characters: not ours
        folder(".map.ab_cd123.tmp", old),  # the web map's, not ours
        folder("neighbourhoods.ab_cd123.tmp", old),  # not hidden: someone's own folder
    ]
    (out / ".neighbourhoods.ab_cd124.tmp").write_text("a file, not a stage folder")
    removed = clean_legacy_stages(final, now=now)
    assert sorted(removed) == sorted([stale_tmp, stale_old])
    assert not stale_tmp.exists() and not stale_old.exists()
    assert running.exists() and all(p.exists() for p in keep)
    assert (final / "index.html").read_text() == "current"


def test_previous_summaries_left_aside_by_a_killed_swap_are_restored(tmp_path: Path) -> None:
    out = tmp_path / "out"
    aside = out / ".neighbourhoods.k1ll3d_x.old"  # an earlier version died between renames
    aside.mkdir(parents=True)
    (aside / "index.html").write_text("the previous summaries")
    assert clean_legacy_stages(out / "neighbourhoods") == [aside]
    assert (out / "neighbourhoods" / "index.html").read_text() == "the previous summaries"
    assert not aside.exists()
