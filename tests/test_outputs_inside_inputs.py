"""An extracts folder that holds the run's output folder is refused before anything is read.

Extracts are read from folders recursively. With the outputs inside the extracts' folder the
second run read the first run's public CSV (and the web map's copies of it) as more crimes of
the month: every crime published again under a new Crime ID, and the load's account still
reconciled. Real command line, real sample extracts, real files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from crime_mapper.core.common.input_files import input_holding_output
from crime_mapper.core.load.load_run import LoadRunError, run_core_load
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.release.pipeline import ReleaseInputError, run_anonymise
from tests.support.monthly_config import MONTH, config_file
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, MONTH_ZIP, make_salt, plain_cli


def test_an_input_folder_holding_an_output_folder_is_found(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    (extracts / "2022-10").mkdir(parents=True)
    assert input_holding_output([extracts], [extracts / "out" / "2022-10"]) == (
        extracts,
        extracts / "out" / "2022-10",
    )
    assert input_holding_output([extracts], [extracts])  # the same folder
    assert input_holding_output([extracts / "2022-10" / ".."], [extracts / "x"])  # ".."
    # a folder whose name starts the same is no parent; a file input reads no folder
    assert input_holding_output([extracts], [tmp_path / "extracts-out"]) is None
    month = extracts / "2022-10" / "street.csv"
    month.write_text("x", encoding="utf-8")
    assert input_holding_output([month], [extracts / "2022-10"]) is None
    assert input_holding_output([extracts / "2022-10"], [tmp_path]) is None
    link = tmp_path / "linked"
    os.symlink(extracts, link)
    assert input_holding_output([link], [extracts / "out"]) == (link, extracts / "out")


def _extracts(tmp_path: Path) -> Path:
    folder = tmp_path / "extracts"
    folder.mkdir()
    shutil.copy(MONTH_ZIP, folder)
    return folder


def test_the_load_refuses_an_output_folder_inside_its_extracts(tmp_path: Path) -> None:
    extracts = _extracts(tmp_path)
    with pytest.raises(LoadRunError, match="holds the output folder"):
        run_core_load([extracts], extracts / "loaded")
    assert sorted(p.name for p in extracts.iterdir()) == [MONTH_ZIP.name]  # nothing made
    run = plain_cli("load", extracts, "--out", extracts / "loaded")
    assert run.returncode == 2 and "holds the output folder" in run.stderr
    assert run_core_load([extracts], tmp_path / "loaded").reconciles  # beside it: fine


def test_anonymise_refuses_an_output_folder_inside_its_extracts(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    shutil.copy(FORCE_EXTRACT, extracts)
    salt = make_salt(tmp_path / "secret" / "force.salt")
    with pytest.raises(ReleaseInputError, match="holds the output folder"):
        run_anonymise(
            [extracts], tmp_path / "no-points.csv", None, salt, extracts / "public",
            profile_path=FORCE_PROFILE,
        )  # fmt: skip
    run = plain_cli(
        "anonymise", extracts, "--profile", FORCE_PROFILE, "--points", tmp_path / "p.csv",
        "--salt-file", salt, "--out", extracts / "public",
    )  # fmt: skip
    assert run.returncode == 2 and "holds the output folder" in run.stderr
    assert sorted(p.name for p in extracts.iterdir()) == [FORCE_EXTRACT.name]


def test_a_release_configuration_with_its_output_inside_its_extracts_names_the_problem(
    tmp_path: Path,
) -> None:
    extracts = _extracts(tmp_path)
    path = config_file(tmp_path, out=f"{extracts.name}/release/{{month}}")
    config = read_config(path)
    config.inputs = [str(extracts)]
    problems = config.problems_by_step(MONTH)["load"]
    assert len(problems) == 1 and "holds the output folder" in problems[0], problems
    config.output = str(tmp_path / "release" / "{month}")
    assert config.problems_by_step(MONTH)["load"] == []


def test_the_qgis_load_refuses_an_output_folder_inside_its_extracts(tmp_path: Path) -> None:
    from crime_mapper.core.load.sources import InputError
    from crime_mapper.qgis_bridge.run_load import run_load

    extracts = _extracts(tmp_path)
    with pytest.raises(InputError, match="holds the output folder"):
        run_load([extracts], extracts / "loaded")
    assert sorted(p.name for p in extracts.iterdir()) == [MONTH_ZIP.name]


def test_an_output_on_an_input_or_on_another_output_is_refused(tmp_path: Path) -> None:
    """The public layer written over the crimes GeoPackage it was made from, the rejects
    over the extract: the input was replaced and the run reported success. Two outputs on
    one path kept the last written (the audit lost under the manifest)."""
    from crime_mapper.core.load.sources import InputError
    from crime_mapper.qgis_bridge.run_load import run_load

    extract = tmp_path / FORCE_EXTRACT.name
    shutil.copy(FORCE_EXTRACT, extract)
    before = extract.read_bytes()
    loaded = tmp_path / "loaded"
    out = run_load([extract], loaded, profile_path=FORCE_PROFILE)
    with pytest.raises(InputError, match="rejects CSV .* is an input"):
        run_load(
            [extract], gpkg_path=tmp_path / "c.gpkg", rejects_path=extract,
            report_path=tmp_path / "r.json", profile_path=FORCE_PROFILE,
        )  # fmt: skip
    with pytest.raises(InputError, match="The report and the rejects CSV are one file"):
        run_load(
            [extract], gpkg_path=tmp_path / "c.gpkg", rejects_path=tmp_path / "same",
            report_path=tmp_path / "same", profile_path=FORCE_PROFILE,
        )  # fmt: skip
    assert extract.read_bytes() == before and not (tmp_path / "same").exists()
    salt = make_salt(tmp_path / "secret" / "force.salt")
    crimes = out.gpkg
    held = crimes.read_bytes()
    for explicit, says in (
        ({"public_gpkg_path": crimes}, "public GeoPackage .* is an input"),
        ({"audit_json_path": tmp_path / "a.json", "manifest_path": tmp_path / "a.json"},
         "The manifest and the audit JSON are one file"),
    ):  # fmt: skip
        paths = {
            "public_csv_path": tmp_path / "p.csv", "public_gpkg_path": tmp_path / "p.gpkg",
            "audit_json_path": tmp_path / "audit.json", "audit_html_path": tmp_path / "a.html",
            "manifest_path": tmp_path / "m.json", **explicit,
        }  # fmt: skip
        with pytest.raises(ReleaseInputError, match=says):
            run_anonymise(f"{crimes}|layername=crimes", tmp_path / "no-points.csv", None, salt,
                          **paths)  # fmt: skip
    assert crimes.read_bytes() == held
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "a.json").exists()


def test_a_release_configuration_with_its_salt_inside_its_output_names_the_problem(
    tmp_path: Path,
) -> None:
    """Found by the manifest only, after every step had written the release (the salt
    beside it) into that folder."""
    config = read_config(config_file(tmp_path))
    salt = config.path(config.salt_file, MONTH)
    config.output = str(salt.parent)
    problems = config.problems_by_step(MONTH)["anonymise"]
    assert len(problems) == 1 and "is inside the output folder" in problems[0], problems
    config.output = str(tmp_path / "out" / "{month}")
    assert config.problems_by_step(MONTH)["anonymise"] == []


def test_a_maximum_distance_beyond_100_km_is_refused(tmp_path: Path) -> None:
    """1e308: every Leicestershire crime was published "On or near" a Newcastle street
    (another force's map points, 265 km away), the gate passing, the displacement only in
    the audit."""
    from crime_mapper.core.release.release_limits import check_max_distance

    assert check_max_distance("100000") == 100_000.0
    for value in (100_001, 1e308):
        with pytest.raises(ReleaseInputError, match="is more than 100,000 m"):
            check_max_distance(value)
    config = read_config(config_file(tmp_path))
    config.max_distance_m = 1e308
    problems = config.problems_by_step(MONTH)["anonymise"]
    assert len(problems) == 1 and "anonymise.max_distance_m" in problems[0], problems
