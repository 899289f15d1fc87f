"""The Processing algorithms given what a careless or hostile user gives them.

Why: a hostile-input run on every algorithm found three ways a run did something other than
what was asked, without a word, or failed only after the work, leaving debris:

- a hotspot layer (grid, Gi*, change) written to the crimes GeoPackage it was read from
  replaced the crimes: the GeoPackage then held only the hotspot grid;
- a yes/no parameter given as text, as qgis_process and models give it, was read by Qt's
  rule (every text but "", "0" and "false" is true): ``FDR=no`` ran with the correction on;
- an output named as an existing folder (the crimes GeoPackage of a load, the public CSV)
  was found only when the finished files were moved into place, as "[Errno 21] Is a
  directory", with the staged files left behind (and the anonymise step said instead that
  the salt was inside the output folder).

Each is now a QgsProcessingException naming the parameter or output before anything is
written. Real files: the bundled police.uk months, a real load, real map points.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from crime_mapper.core.common.input_files import output_clash
from crime_mapper.core.common.vocabulary import flag_word
from crime_mapper.qgis_bridge.layers import CRIMES_TABLE, gpkg_uri
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.processing_feedback import WarningsFeedback

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"


@pytest.fixture(scope="module")
def crimes_gpkg(tmp_path_factory, provider) -> Path:
    """A real load of Leicestershire, September and October 2022."""
    base = tmp_path_factory.mktemp("hostile_load")
    return Path(run_load([SAMPLE / "2022-09", SAMPLE / "2022-10.zip"], base / "load").gpkg)


def _tables(gpkg: Path) -> list[str]:
    with sqlite3.connect(gpkg) as db:
        return sorted(row[0] for row in db.execute("SELECT table_name FROM gpkg_contents"))


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --- a hotspot layer over its own input -----------------------------------------------------


@pytest.mark.parametrize("alg", ["hotspots_grid", "hotspots_gi", "hotspots_change"])
def test_a_hotspot_layer_over_its_input_is_refused(provider, crimes_gpkg, tmp_path, alg):
    import processing
    from qgis.core import QgsProcessingException

    work = tmp_path / "crimes.gpkg"
    shutil.copy(crimes_gpkg, work)
    before = work.read_bytes()
    params = {"INPUT": gpkg_uri(work, CRIMES_TABLE), "CELL_SIZE": 500, "OUTPUT": str(work)}
    if alg == "hotspots_change":
        params["CURRENT_MONTH"] = "2022-10"
    with pytest.raises(QgsProcessingException, match="hotspot layer .* is an input"):
        processing.run(f"crime_mapper:{alg}", params)
    assert work.read_bytes() == before and CRIMES_TABLE in _tables(work)


def test_a_hotspot_layer_beside_its_input_is_still_written(provider, crimes_gpkg, tmp_path):
    """The control: another file in the same folder is fine."""
    import processing

    out = crimes_gpkg.parent / "grid_beside.gpkg"
    result = processing.run(
        "crime_mapper:hotspots_grid",
        {"INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE), "CELL_SIZE": 500, "OUTPUT": str(out)},
    )
    assert result["CELLS"] > 0 and CRIMES_TABLE in _tables(crimes_gpkg)


# --- yes/no parameters as text ---------------------------------------------------------------


def test_flag_words():
    assert [flag_word(w) for w in ("true", " YES ", "1", "False", "no", "0")] == [
        True, True, True, False, False, False,
    ]  # fmt: skip
    assert flag_word("maybe") is None and flag_word("off ") is None and flag_word("") is None


@pytest.mark.parametrize("given, correction", [("no", False), ("FALSE", False), ("yes", True)])
def test_fdr_as_text_is_read_as_written(provider, crimes_gpkg, tmp_path, given, correction):
    """``FDR=no`` from qgis_process was read as true: Gi* ran with the correction on."""
    import processing

    result = processing.run(
        "crime_mapper:hotspots_gi",
        {
            "INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "CELL_SIZE": 500,
            "FDR": given,
            "OUTPUT": str(tmp_path / "gi.gpkg"),
        },
    )
    assert ("correction on" in result["LEGEND"]) is correction, result["LEGEND"]


@pytest.mark.parametrize("alg", ["hotspots_gi", "hotspots_change"])
@pytest.mark.parametrize("given", ["maybe", "off", " "])
def test_a_flag_that_is_neither_is_refused_by_name(provider, crimes_gpkg, tmp_path, alg, given):
    import processing
    from qgis.core import QgsProcessingException

    out = tmp_path / "hot.gpkg"
    params = {"INPUT": gpkg_uri(crimes_gpkg, CRIMES_TABLE), "FDR": given, "OUTPUT": str(out)}
    if alg == "hotspots_change":
        params["CURRENT_MONTH"] = "2022-10"
    with pytest.raises(QgsProcessingException, match="FDR must be true or false"):
        processing.run(f"crime_mapper:{alg}", params)
    assert not out.exists()


def test_hotspots_no_beside_a_configuration_is_named(provider, tmp_path):
    """With CONFIG the file decides every setting, and HOTSPOTS=false beside it is refused
    by name; HOTSPOTS=no was read as true, so it passed as no value of the user's and the
    release made hotspots. (The salt is missing: a run that got further stops at its check.)"""
    import processing
    from qgis.core import QgsProcessingException

    from tests.support.monthly_config import MONTH, config_file

    config = config_file(tmp_path)
    (tmp_path / "secret" / "release.salt").unlink()
    with pytest.raises(QgsProcessingException, match="HOTSPOTS would not be used"):
        processing.run(
            "crime_mapper:monthly_release",
            {"CONFIG": str(config), "MONTH": MONTH, "HOTSPOTS": "no"},
        )


# --- an output that is a folder ---------------------------------------------------------------


def test_output_clash_names_an_output_that_is_a_folder(tmp_path):
    (tmp_path / "made").mkdir()
    said = output_clash([], [("crimes GeoPackage", tmp_path / "made")])
    assert said == f"The crimes GeoPackage {tmp_path / 'made'} is a folder: name a file for it"
    assert output_clash([], [("crimes GeoPackage", tmp_path / "new.gpkg")]) is None


def test_a_load_onto_a_folder_is_refused_before_it_runs(provider, tmp_path):
    """It failed after the whole load with "[Errno 21] Is a directory", its staged files
    left beside the outputs; the folder's files stay as they were."""
    import processing
    from qgis.core import QgsProcessingException

    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "note.txt").write_text("mine")
    params = {
        "INPUT": str(SAMPLE / "2022-09"),
        "OUTPUT": str(kept),
        "REJECTS": str(tmp_path / "l" / "rejects.csv"),
        "REPORT": str(tmp_path / "l" / "report.json"),
    }
    with pytest.raises(
        QgsProcessingException,
        match=r"Crimes GeoPackage \(OUTPUT\) is a folder, not a file: .*kept",
    ):
        processing.run("crime_mapper:load_extracts", params)
    assert _files(tmp_path) == ["kept", "kept/note.txt"]
    # the next run in the same folders, as batch mode runs it, is not held up
    params["OUTPUT"] = str(tmp_path / "l" / "crimes.gpkg")
    assert processing.run("crime_mapper:load_extracts", params)["CRIMES_COUNT"] > 0


def test_a_public_csv_onto_a_folder_is_named(provider, crimes_gpkg, tmp_path):
    """The anonymise step said the salt was inside the output folder (the folder's parent)."""
    import processing
    from qgis.core import QgsProcessingException

    from crime_mapper.core.release.release_files import create_salt_file

    salt = create_salt_file(tmp_path / "secrets" / "force.salt")
    points = tmp_path / "points" / "map_points.gpkg"
    built = processing.run(
        "crime_mapper:build_map_points",
        {"MODE": 1, "HISTORY": str(SAMPLE / "2022-09"), "OUTPUT": str(points)},
    )
    out = tmp_path / "release"
    (out / "street.csv").mkdir(parents=True)
    with pytest.raises(
        QgsProcessingException,
        match=r"Public CSV \(PUBLIC_CSV\) is a folder, not a file: .*street.csv",
    ):
        processing.run(
            "crime_mapper:anonymise",
            {
                "CRIMES": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
                "MAP_POINTS": built["OUTPUT_LAYER"],
                "SALT_FILE": str(salt),
                "PUBLIC_CSV": str(out / "street.csv"),
                "PUBLIC_LAYER": str(out / "public.gpkg"),
                "AUDIT_JSON": str(out / "audit.json"),
                "AUDIT_HTML": str(out / "audit.html"),
                "MANIFEST": str(out / "manifest.json"),
            },
        )
    assert _files(out) == ["street.csv"]


def test_build_map_points_says_which_given_inputs_its_source_does_not_read(
    provider, crimes_gpkg, tmp_path
):
    """An input of another source (MODE) was passed over without a word: history files given
    with the point layer source left at its default were never read, and nothing said so."""
    import processing

    history = {"MODE": 1, "HISTORY": str(SAMPLE / "2022-09")}
    alone = WarningsFeedback()
    processing.run(
        "crime_mapper:build_map_points",
        {**history, "OUTPUT": str(tmp_path / "alone.gpkg")},
        feedback=alone,
    )
    assert not [w for w in alone.warnings if "not read" in w], alone.warnings
    both = WarningsFeedback()
    processing.run(
        "crime_mapper:build_map_points",
        {
            **history,
            "CRIMES": gpkg_uri(crimes_gpkg, CRIMES_TABLE),
            "HEX_SIZE": 500,
            "OUTPUT": str(tmp_path / "both.gpkg"),
        },
        feedback=both,
    )
    said = [w for w in both.warnings if "not read" in w]
    assert said == [
        "CRIMES is given but not read: the source (MODE) is 'Derived from police.uk history "
        "files', which reads HISTORY"
    ], both.warnings
    from crime_mapper.core.release.map_points_files import read_map_points_file

    built = [read_map_points_file(tmp_path / f"{n}.gpkg").to_frame() for n in ("both", "alone")]
    assert built[0].equals(built[1]) and len(built[0]) > 0
