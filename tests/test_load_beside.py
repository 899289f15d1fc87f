"""The monthly release writes the load's crimes GeoPackage beside its next steps (issue 15).

Why: the anonymise step takes the loaded table in memory and never reads the GeoPackage, so
writing it (and its style) while the anonymise step runs saves most of its seconds on a
national month. Nothing a user sees may change: the same files, bytes and manifest entries,
still all or nothing (every load output moves into place together, only once the
GeoPackage is written), and a failure of that write is the load step's failure, reported
before any later step's. Real QGIS, real files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import stage_folders
from crime_mapper.core.gate.leak_gate import same_table
from crime_mapper.core.monthly import release as monthly
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from crime_mapper.core.release.crimes_input import crimes_from_gpkg, crimes_from_load_in_progress
from crime_mapper.qgis_bridge import run_load as loading
from tests.support.monthly_config import MONTH, SAMPLE, break_anonymise, folder_files, quick_config

FORCE = [SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"]
FORCE_PROFILE = SAMPLE / "force" / "leicestershire-force-extract.profile.json"
DAMAGED = [SAMPLE / "../tests/data/malformed", SAMPLE / "../tests/data/police-uk-strays"]
OTHER = [SAMPLE / "police-uk" / "2022-09"]


def _visible(folder: Path) -> dict[str, bytes]:
    """The folder's files as a reader sees them (not the stage folders' work in progress)."""
    return {
        k: v for k, v in folder_files(folder).items() if not k.startswith(".crime_mapper-stage-")
    }


def _rejects(out) -> Path:
    return out.waiting[Path(out.rejects_csv).absolute()]


@pytest.mark.parametrize(
    "paths, profile", [(FORCE, FORCE_PROFILE), (DAMAGED, None)], ids=["force", "rejects"]
)
def test_a_load_settled_later_gives_the_same_files_and_entries(paths, profile, tmp_path):
    direct = loading.run_load(paths, tmp_path / "direct", profile_path=profile, keep_table=True)
    folder = tmp_path / "beside"
    loading.run_load(OTHER, folder)  # a previous load, which must stay whole until settled
    previous = folder_files(folder)
    out = loading.run_load(paths, folder, profile_path=profile, keep_table=True, gpkg_beside=True)
    assert out.settle is not None and direct.settle is None and not direct.waiting
    in_progress = crimes_from_load_in_progress(out.gpkg, out.table, _rejects(out), out.settle)
    assert _visible(folder) == previous  # nothing moved yet (reports included)
    entry = out.settle()
    assert out.settle() == entry  # settled once; asking again gives the same
    assert folder_files(folder) == folder_files(tmp_path / "direct")
    assert stage_folders(folder) == []
    done = crimes_from_gpkg(direct.gpkg, loaded=direct.table)
    assert same_table(in_progress.crimes, done.crimes)
    assert same_table(in_progress.rejects, done.rejects)
    assert len(in_progress.input_entries) == len(done.input_entries)
    assert list(in_progress.input_entries) == done.input_entries
    assert entry == done.input_entries[0]
    assert [p.name for p in in_progress.input_files] == [p.name for p in done.input_files]
    assert in_progress.description == done.description


def test_a_failed_write_beside_leaves_the_previous_load_whole(tmp_path, monkeypatch):
    folder = tmp_path / "load"
    loading.run_load(OTHER, folder)
    previous = folder_files(folder)
    broke = RuntimeError("the style could not be stored")

    def store_styles(*args, **kwargs):
        raise broke

    monkeypatch.setattr(loading, "_store_styles", store_styles)
    out = loading.run_load(
        FORCE, folder, profile_path=FORCE_PROFILE, keep_table=True, gpkg_beside=True
    )
    for _ in range(2):
        with pytest.raises(RuntimeError) as raised:
            out.settle()
        assert raised.value is broke
    assert folder_files(folder) == previous
    assert stage_folders(folder) == []


def _run(config, states):
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    return run_monthly_release(
        config, MONTH, runners=QgisStepRunners(), on_step=lambda s, t: states.append((s, t))
    )


def test_the_anonymise_manifest_describes_the_geopackage_written_beside(tmp_path):
    from crime_mapper.core.release.release_files import file_entry

    config = quick_config(tmp_path)
    settled = []
    real = monthly._settle_load

    def spy(outputs, notify):
        if outputs.load is not None and outputs.load.settle is not None:
            settled.append([r.name for r in outputs.steps])
        return real(outputs, notify)

    states: list = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(monthly, "_settle_load", spy)
        outputs = _run(config, states)
    # nothing waited for the GeoPackage before the anonymise step (its manifest did)
    assert settled and settled[0] == ["load", "check", "anonymise"]
    gpkg = outputs.load.crimes_gpkg
    manifest = (outputs.release.manifest).read_text(encoding="utf-8")
    import json

    crimes = json.loads(manifest)["inputs"]["crimes"]
    assert crimes["files"][0] == file_entry(gpkg)
    assert crimes["description"] == f"crimes GeoPackage {gpkg.name}"
    assert outputs.load.settle is None and stage_folders(gpkg.parent) == []


def _break_load_write(monkeypatch) -> RuntimeError:
    broke = RuntimeError("the crimes GeoPackage could not be styled")

    def store_styles(*args, **kwargs):
        raise broke

    monkeypatch.setattr(loading, "_store_styles", store_styles)
    return broke


def test_a_failed_write_beside_is_the_load_steps_failure(tmp_path, monkeypatch):
    config = quick_config(tmp_path)
    out = config.output_dir(MONTH)
    states: list = []
    _run(config, states)
    before = folder_files(out)
    broke = _break_load_write(monkeypatch)
    states.clear()
    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config, states)
    assert raised.value.step == "load" and str(broke) in raised.value.reason
    assert raised.value.__cause__ is broke
    assert ("load", "failed") in states
    partial = getattr(raised.value, monthly.PARTIAL_OUTPUTS)
    assert partial.load is None and "load" not in [r.name for r in partial.steps]
    assert folder_files(out) == before  # neither the load's files nor the anonymise step's moved
    assert stage_folders(out / "internal") == [] and stage_folders(out / "public") == []


def test_the_load_failure_wins_over_the_anonymise_steps(tmp_path, monkeypatch):
    config = quick_config(tmp_path)
    _break_load_write(monkeypatch)
    break_anonymise(monkeypatch)
    states: list = []
    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config, states)
    assert raised.value.step == "load", raised.value
    assert not config.output_dir(MONTH).joinpath("internal", "crimes.gpkg").exists()


def test_an_anonymise_failure_leaves_the_load_done_and_in_place(tmp_path, monkeypatch):
    """As when the load finished before the anonymise step started: its files are in place
    and its record kept (the dock continues from it)."""
    config = quick_config(tmp_path)
    broke = break_anonymise(monkeypatch)
    states: list = []
    with pytest.raises(MonthlyReleaseError) as raised:
        _run(config, states)
    assert raised.value.step == "anonymise" and raised.value.__cause__ is broke
    partial = getattr(raised.value, monthly.PARTIAL_OUTPUTS)
    assert [r.name for r in partial.steps] == ["load", "check"]
    load = partial.load
    assert load.settle is None and all(p.is_file() for p in load.written)
    reference = tmp_path / "reference"
    loading.run_load(
        config.input_paths(MONTH),
        reference,
        profile_path=config.optional_path(config.profile, MONTH),
    )
    internal = config.output_dir(MONTH) / "internal"
    assert folder_files(internal) == folder_files(reference)
    shutil.rmtree(reference)


def test_the_switch_off_gives_the_same_release(tmp_path, monkeypatch):
    """LOAD_GPKG_BESIDE (for a machine without a core to spare) changes no byte."""
    from crime_mapper.qgis_bridge import monthly_release as qgis_monthly

    together = quick_config(tmp_path / "beside")
    _run(together, [])
    monkeypatch.setattr(qgis_monthly, "LOAD_GPKG_BESIDE", False)
    salt = tmp_path / "apart" / "secret" / "release.salt"  # the same salt: the same IDs
    salt.parent.mkdir(parents=True)
    salt.write_bytes((tmp_path / "beside" / "secret" / "release.salt").read_bytes())
    apart = quick_config(tmp_path / "apart")
    states: list = []
    outputs = _run(apart, states)
    assert outputs.load.settle is None
    assert ("load", "failed") not in states
    one, two = folder_files(together.output_dir(MONTH)), folder_files(apart.output_dir(MONTH))
    assert sorted(one) == sorted(two)
    # the manifest records the configuration (its output folder); nothing else may differ
    assert [name for name in one if one[name] != two[name]] == ["manifest.json"]
