"""Map points made from another loaded month's crimes are refused from the QGIS side too
(issue 9): crime_mapper:anonymise and the Release panel's task check the map points against
the internal crimes tables of the project's other loads, as the command line's
``--other-crimes`` does. Also crime_mapper:check_release's RULES: a rules file that lowers K
changes the gate's verdict, as it does for the command line.

Real data: the bundled Leicester October 2022 (sample_data/police-uk; Contains public sector
information licensed under the Open Government Licence v3.0.) made into a raw force extract
(tests/support/raw_extract.py). "Last month" is every other located row of it, loaded on its
own; "this month" is the rest. A careless analyst's map points are last month's true
locations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

from crime_mapper.core.common.geography import BRITISH_NATIONAL_GRID, WGS84, transform
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.release.anonymise import anonymise
from crime_mapper.core.release.crimes_input import (
    CrimesSourceError,
    is_internal_crimes_table,
    raw_locations,
)
from crime_mapper.core.release.map_points import map_points_from_arrays
from crime_mapper.core.release.map_points_files import write_map_points_gpkg
from crime_mapper.core.release.public_schema import write_public_csv
from crime_mapper.core.release.release_files import create_salt_file
from crime_mapper.core.release.rules import ReleaseRules
from crime_mapper.qgis_bridge.crimes_source import internal_crimes_uris, loaded_internal_crimes
from crime_mapper.qgis_bridge.layers import crimes_layer
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.raw_extract import BUNDLED_HISTORY, POLICE_UK_LIKE_RULES, run_recovery

ANONYMISE, CHECK = "crime_mapper:anonymise", "crime_mapper:check_release"
REFUSAL = "another loaded month's crimes"
OUTPUT_KEYS = ("PUBLIC_CSV", "PUBLIC_LAYER", "AUDIT_JSON", "AUDIT_HTML", "MANIFEST")


class Errors(QgsProcessingFeedback):
    """A Processing feedback that keeps the algorithm's error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def reportError(self, error: str, *args: object, **kwargs: object) -> None:
        self.errors.append(error)


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory, provider) -> dict:
    base = tmp_path_factory.mktemp("other_months")
    _figure, pieces = run_recovery("other months", BUNDLED_HISTORY, "2022-10", base / "month")
    frame = pieces["extract"].frame
    profile_path = Path(pieces["raw_path"]).parent / "raw-force-extract-profile.json"
    profile = MappingProfile.load(profile_path)
    located = (frame["Easting"] != "").to_numpy()
    last = frame[located].iloc[::2]
    this = frame.drop(index=last.index)
    last_csv, this_csv = base / "last.csv", base / "this.csv"
    last.to_csv(last_csv, index=False)
    this.to_csv(this_csv, index=False)
    last_load = run_load([last_csv], base / "last_load", profile=profile)
    this_load = run_load([this_csv], base / "this_load", profile=profile)
    lon, lat = transform(
        last["Easting"].astype(float).to_numpy(),
        last["Northing"].astype(float).to_numpy(),
        BRITISH_NATIONAL_GRID,
        WGS84,
    )
    careless = base / "careless_points.gpkg"
    write_map_points_gpkg(map_points_from_arrays(lon, lat, None), careless)
    rules = base / "rules.json"
    ReleaseRules(**POLICE_UK_LIKE_RULES, confirm_unknown_catchments="checked").save(rules)
    honest = base / "honest_points.gpkg"
    write_map_points_gpkg(pieces["points"], honest)
    return {
        "pieces": pieces,
        "profile": profile_path,
        "last_csv": last_csv,
        "this_csv": this_csv,
        "last_lonlat": (lon, lat),
        "last_gpkg": last_load.gpkg,
        "last_uri": last_load.crimes_uri,
        "this_gpkg": this_load.gpkg,
        "this_uri": this_load.crimes_uri,
        "careless": careless,
        "honest": honest,
        "rules": rules,
        "salt": create_salt_file(base / "secret" / "force.salt"),
    }


@pytest.fixture
def project_with_last_month(qgis_new_project, months: dict):
    """A project holding last month's load (its crimes layer, as the Load tab adds it)."""
    project = QgsProject.instance()
    layer = crimes_layer(months["last_gpkg"], "Crimes — last month")
    project.addMapLayer(layer)
    yield project
    project.removeAllMapLayers()


def _anonymise_params(months: dict, out: Path, **extra) -> dict:
    params = {
        "CRIMES_FILES": str(months["this_csv"]),
        "PROFILE": str(months["profile"]),
        "MAP_POINTS": str(months["careless"]),
        "RULES": str(months["rules"]),
        "SALT_FILE": str(months["salt"]),
        **{key: str(out / f"{key.lower()}.out") for key in OUTPUT_KEYS},
    }
    params.update(
        PUBLIC_CSV=str(out / "2022-10-leicestershire-street.csv"),
        PUBLIC_LAYER=str(out / "public.gpkg"),
        AUDIT_JSON=str(out / "audit.json"),
        AUDIT_HTML=str(out / "audit.html"),
        MANIFEST=str(out / "manifest.json"),
    )
    params.update(extra)
    return params


def _run_alg(alg_id: str, params: dict, project=None) -> tuple[bool, dict, list[str]]:
    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    context = QgsProcessingContext()
    if project is not None:
        context.setProject(project)
    feedback = Errors()
    results, ok = alg.run(params, context, feedback)
    return ok, results, feedback.errors


# --- which tables count as "other loaded months" ---------------------------------------------


def test_the_loads_internal_tables_are_found_by_their_mark(months: dict):
    assert is_internal_crimes_table(months["last_gpkg"])
    assert not is_internal_crimes_table(months["careless"], "map_points")
    assert not is_internal_crimes_table(months["careless"])  # no such table
    assert not is_internal_crimes_table(Path(months["last_gpkg"]).with_name("missing.gpkg"))
    # a path the OS will not even look at is unreadable too, not an error: a name too long
    # for the file system, and one holding a NUL (a project's layer on a folder the analyst
    # may not enter raised the same PermissionError from is_file, and stopped anonymise)
    too_long = Path(months["last_gpkg"]).with_name("x" * 300 + ".gpkg")
    assert not is_internal_crimes_table(too_long)
    assert not is_internal_crimes_table(str(months["last_gpkg"]) + "\x00.gpkg")
    last = QgsVectorLayer(months["last_uri"], "any name an analyst gives it", "ogr")
    this = QgsVectorLayer(months["this_uri"], "this", "ogr")
    points = QgsVectorLayer(str(months["careless"]), "points", "ogr")
    filtered = QgsVectorLayer(months["last_uri"], "filtered", "ogr")
    filtered.setSubsetString("crime_type = 'burglary'")
    assert all(layer.isValid() for layer in (last, this, points, filtered))
    found = internal_crimes_uris([points, last, this, filtered])
    assert sorted(found) == sorted([months["last_uri"], months["this_uri"]])
    # the release's own crimes are not "another month", by URI or by path
    assert internal_crimes_uris([last, this], exclude=months["this_uri"]) == [months["last_uri"]]
    assert internal_crimes_uris([last, this], exclude=str(months["this_gpkg"])) == [
        months["last_uri"]
    ]
    assert loaded_internal_crimes(None) == []


def test_raw_locations_read_the_located_force_rows_only(months: dict, tmp_path: Path):
    ((lon, lat),) = raw_locations([months["last_uri"]])
    want_lon, want_lat = months["last_lonlat"]
    assert lon.size == want_lon.size
    assert np.allclose(np.sort(lon), np.sort(want_lon), atol=1e-6)
    assert np.allclose(np.sort(lat), np.sort(want_lat), atol=1e-6)
    # the same rows from the extract file, read with the profile
    ((elon, _elat),) = raw_locations([months["last_csv"]], MappingProfile.load(months["profile"]))
    assert np.allclose(np.sort(elon), np.sort(lon), atol=1e-6)
    # police.uk rows already sit at anonymous points: never "raw crimes"
    police_uk = run_load(list(BUNDLED_HISTORY)[-1:], tmp_path / "police_uk")
    ((plon, _plat),) = raw_locations([police_uk.crimes_uri])
    assert plon.size == 0
    with pytest.raises(CrimesSourceError):
        raw_locations([str(tmp_path / "gone.gpkg")])


# --- crime_mapper:anonymise --------------------------------------------------------------------


def test_processing_refuses_map_points_made_from_a_loaded_months_crimes(
    months: dict, project_with_last_month, tmp_path: Path
):
    out = tmp_path / "release"
    ok, _results, errors = _run_alg(
        ANONYMISE, _anonymise_params(months, out), project_with_last_month
    )
    assert not ok
    message = "\n".join(errors)
    assert "map_points_are_crimes" in message and REFUSAL in message, message
    assert not out.exists() or not any(out.iterdir())


def test_processing_takes_other_months_given_as_a_parameter(months: dict, tmp_path: Path):
    """No project (as under qgis_process): OTHER_CRIMES names last month's crimes layer."""
    ok, _results, errors = _run_alg(
        ANONYMISE,
        _anonymise_params(months, tmp_path / "release", OTHER_CRIMES=[months["last_uri"]]),
    )
    assert not ok and REFUSAL in "\n".join(errors), errors
    # a layer that is not a load's crimes table is refused by name, before any work
    ok, _results, errors = _run_alg(
        ANONYMISE,
        _anonymise_params(months, tmp_path / "other", OTHER_CRIMES=[str(months["careless"])]),
    )
    assert not ok and "is not the crimes layer of a crime_mapper load" in "\n".join(errors)


def test_processing_without_other_months_cannot_see_the_attack(
    months: dict, qgis_new_project, tmp_path: Path
):
    """The same careless release with last month not loaded passes every other check: only
    the other loads reaching the check stop it. An honest release with last month
    loaded passes: other months' tables do not make false alarms."""
    ok, _results, errors = _run_alg(
        ANONYMISE, _anonymise_params(months, tmp_path / "careless"), QgsProject.instance()
    )
    assert ok and not errors, errors  # every other check passes this careless release
    project = QgsProject.instance()
    project.addMapLayer(crimes_layer(months["last_gpkg"], "Crimes — last month"))
    try:
        out = tmp_path / "honest"
        ok, results, errors = _run_alg(
            ANONYMISE,
            _anonymise_params(months, out, MAP_POINTS=str(months["honest"])),
            project,
        )
    finally:
        project.removeAllMapLayers()
    assert ok, errors
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    figures = audit["disclosure"]["figures"]
    assert "map_points_at_other_crimes" in figures  # last month was checked
    assert audit["disclosure"]["checks"]["map_points_are_crimes"] == "passed"


# --- the Release panel's task (the dock) -------------------------------------------------------


def test_the_release_panels_task_refuses_them_too(
    months: dict, project_with_last_month, qgis_iface, tmp_path: Path, wait_until
):
    from crime_mapper.ui.release_panel import ReleasePanel

    panel = ReleasePanel(qgis_iface)
    try:
        panel.set_crimes_source(str(months["this_gpkg"]))
        panel.set_points_file(str(months["careless"]))
        panel.set_salt_path(str(months["salt"]))
        panel.rules_widget.setFilePath(str(months["rules"]))
        out = tmp_path / "release"
        panel.set_output_dir(str(out))
        outcomes: list[bool] = []
        panel.anonymiseFinished.connect(outcomes.append)
        assert panel.start_anonymise() is True
        task = panel.current_task()
        assert task.other_crimes == [months["last_uri"]]  # this month's own load excluded
        wait_until(lambda: bool(outcomes), "the panel's anonymise")
        assert outcomes == [False]
        summary = panel.summary_view.toPlainText()
        assert "map_points_are_crimes" in summary and REFUSAL in summary, summary
        assert not out.exists() or not any(out.iterdir())
    finally:
        panel.shutdown()
        panel.deleteLater()


def _careless_release(months: dict, tmp_path: Path) -> dict:
    """A monthly release configuration of this month with last month's crimes as its map
    points (load and anonymise only)."""
    return {
        "release": {"force": "Leicestershire", "output": str(tmp_path / "out" / "{month}")},
        "load": {"inputs": [str(months["this_csv"])], "profile": str(months["profile"])},
        "anonymise": {
            "salt_file": str(months["salt"]),
            "rules": str(months["rules"]),
            "max_distance_m": 20000.0,
            "map_points": {"kind": "file", "paths": [str(months["careless"])]},
        },
        "qa": {"enabled": False},
        "hotspots": {"enabled": False},
        "publish": {"web_map": False, "summaries": False, "project": False},
    }


def test_the_guided_releases_child_process_refuses_them_too(
    months: dict, project_with_last_month, tmp_path: Path, wait_until
):
    """The dock's monthly release (a child process, qgis_bridge.release_process): the task
    collects the project's other loads when it is made, the child passes them on, and the
    anonymise step refuses the careless map points naming the other month."""
    from crime_mapper.core.monthly.config import ReleaseConfig
    from crime_mapper.qgis_bridge.release_process import ChildReleaseTask

    data = _careless_release(months, tmp_path)
    config = ReleaseConfig.from_dict(data, tmp_path)
    task = ChildReleaseTask(config, "2022-10")
    assert task.request["other_crimes"] == [months["last_uri"]]
    ended: list[str] = []
    task.taskCompleted.connect(lambda: ended.append("completed"))
    task.taskTerminated.connect(lambda: ended.append("terminated"))
    QgsApplication.taskManager().addTask(task)
    wait_until(lambda: bool(ended), "the release's child process")
    assert ended == ["terminated"]
    assert task.failed_step == "anonymise", (task.error, task.details)
    assert REFUSAL in (task.error or ""), task.error
    assert not (tmp_path / "out" / "2022-10" / "public").exists() or not any(
        (tmp_path / "out" / "2022-10" / "public").iterdir()
    )


def test_the_monthly_release_algorithm_refuses_them_too(
    months: dict, project_with_last_month, tmp_path: Path
):
    config = tmp_path / "release.json"
    config.write_text(json.dumps(_careless_release(months, tmp_path)), encoding="utf-8")
    ok, _results, errors = _run_alg(
        "crime_mapper:monthly_release",
        {"CONFIG": str(config), "MONTH": "2022-10"},
        project_with_last_month,
    )
    message = "\n".join(errors)
    assert not ok and REFUSAL in message, message


# --- crime_mapper:check_release RULES ------------------------------------------------------------


def test_check_release_rules_file_lowering_k_changes_the_verdict(months: dict, tmp_path: Path):
    """As the command line's check-release --rules (tests/test_disclosure.py): a release made
    with K lowered to 3 fails the gate at the default K = 8 and passes with its rules file."""
    pieces = months["pieces"]
    base, crimes = pieces["points"], pieces["load"].crimes
    used = np.unique(pieces["release"].point_index[pieces["release"].point_index >= 0])
    addresses = np.full(len(base), 40, dtype=np.int64)
    addresses[used[:25]] = 3
    points = map_points_from_arrays(
        base.longitude, base.latitude, base.label, source="roads", addresses=addresses,
        lsoa_code=base.lsoa_code, lsoa_name=base.lsoa_name,
    )  # fmt: skip
    lowered = ReleaseRules(**POLICE_UK_LIKE_RULES, min_catchment_addresses=3)
    rules = tmp_path / "rules_k3.json"
    lowered.save(rules)
    release = anonymise(crimes, points, rules=ReleaseRules.load(rules), salt=b"x" * 32)
    points_gpkg = tmp_path / "points.gpkg"
    write_map_points_gpkg(points, points_gpkg)
    csv = tmp_path / "out" / "2022-10-leicestershire-street.csv"
    csv.parent.mkdir()
    write_public_csv(release.public, csv)
    params = {
        "RAW_FILES": str(pieces["raw_path"]),
        "PROFILE": str(months["profile"]),
        "MAP_POINTS": str(points_gpkg),
        "RELEASE_FILE": str(csv),
        "REPORT": str(tmp_path / "gate_k8.json"),
    }
    ok, _results, errors = _run_alg(CHECK, params)
    assert not ok, "K = 8 by default: the release's 3-address catchments fail"
    report = json.loads((tmp_path / "gate_k8.json").read_text(encoding="utf-8"))
    failed = {c["name"] for c in report["checks"] if not c["passed"]}
    assert failed == {"locations_are_anonymous"}, failed
    assert "catchment" in "\n".join(errors)
    ok, results, errors = _run_alg(
        CHECK, {**params, "RULES": str(rules), "REPORT": str(tmp_path / "gate_k3.json")}
    )
    assert ok and results["PASSED"] == 1, errors
    assert json.loads((tmp_path / "gate_k3.json").read_text(encoding="utf-8"))["passed"]


def test_the_attack_month_is_real_data(months: dict):
    """The split is of a real month: both halves hold over a thousand crimes, no crime in
    both."""
    last = pd.read_csv(months["last_csv"], dtype=str, keep_default_na=False)
    this = pd.read_csv(months["this_csv"], dtype=str, keep_default_na=False)
    assert len(last) > 1000 and len(this) > 1000
    assert not set(last["Crime Reference"]) & set(this["Crime Reference"])
