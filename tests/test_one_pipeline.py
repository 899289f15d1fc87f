"""One release pipeline: the command line, Processing and the dock give the same release.

Why: a force runs the monthly release from whichever is at hand (a scheduled command line job,
a Processing model, the Release panel); the public files must not depend on which. All three
call core.release.pipeline.run_anonymise, and this proves it on real runs: the command line in
plain Python with QGIS unimportable, crime_mapper:anonymise through a real `qgis_process.bin`
(and processing.run), and the Release panel's QgsTask through the task manager. The public CSV,
the public GeoPackage and the audit are byte-identical; the QGIS runs add the .qml style (the
same bytes from Processing and the dock) and their manifest records the QGIS version and the
style file, which is all that separates it from the command line's.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from crime_mapper.core.release.map_points_files import history_points, write_map_points_gpkg
from crime_mapper.core.release.release_files import create_salt_file
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, HISTORY, PUBLIC_NAME, plain_cli
from tests.support.qgis_process import child_env, plugin_folder, qgis_process_exe

STEM = Path(PUBLIC_NAME).stem
DATA_FILES = (PUBLIC_NAME, f"{STEM}.gpkg", "audit.json", "audit.html")
MANIFEST = "release_manifest.json"
QML = f"{STEM}.qml"


@pytest.fixture(scope="module")
def release_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The bundled force extract loaded into a crimes GeoPackage (as the dock loads it), map
    points from the bundled police.uk history, and a salt outside every output folder."""
    base = tmp_path_factory.mktemp("one_pipeline")
    load = run_load([FORCE_EXTRACT], base / "load", profile_path=FORCE_PROFILE)
    points = base / "points" / "map_points.gpkg"
    write_map_points_gpkg(history_points(list(HISTORY)), points)
    salt = create_salt_file(base / "secret" / "force.salt")
    return {"base": base, "crimes_gpkg": load.gpkg, "points": points, "salt": salt}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _manifest(files: dict[str, bytes]) -> dict:
    return json.loads(files[MANIFEST].decode("utf-8"))


def assert_one_release(cli: dict[str, bytes], *qgis_runs: dict[str, bytes]) -> None:
    """The command line's release and each QGIS-side release hold the same bytes but for what
    only QGIS adds (the style, and the QGIS version and style entry in the manifest)."""
    assert sorted(cli) == sorted([*DATA_FILES, MANIFEST])  # no temporaries left
    first = qgis_runs[0]
    for files in qgis_runs:
        assert sorted(files) == sorted([*DATA_FILES, QML, MANIFEST])
        for name in DATA_FILES:
            assert files[name] == cli[name], name
        assert files[QML] == first[QML]
        assert files[MANIFEST] == first[MANIFEST]  # the QGIS runs agree byte for byte
    cli_manifest, qgis_manifest = _manifest(cli), _manifest(first)
    assert cli_manifest["qgis_version"] == "none (command line)"
    assert qgis_manifest["qgis_version"] not in ("", "none (command line)", "unknown")
    qgis_manifest["qgis_version"] = cli_manifest["qgis_version"]
    qgis_manifest["outputs"] = [o for o in qgis_manifest["outputs"] if o["name"] != QML]
    assert qgis_manifest == cli_manifest


def _cli_release(out: Path, *crimes_args: object, points: Path, salt: Path) -> dict:
    run = plain_cli(
        "anonymise", *crimes_args, "--points", points, "--salt-file", salt, "--out", out
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    return _files(out)


def _qgis_process(tmp_path: Path, params: dict) -> subprocess.CompletedProcess:
    exe = qgis_process_exe()
    env = child_env(
        drop_checkout=True,  # the plugin must come from QGIS_PLUGINPATH
        QGIS_PLUGINPATH=str(plugin_folder(tmp_path)),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
    )
    enable = subprocess.run(
        [exe, "plugins", "enable", "crime_mapper"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert enable.returncode == 0, enable.stderr
    args = [f"{key}={value}" for key, value in params.items()]
    return subprocess.run(
        [exe, "--json", "run", "crime_mapper:anonymise", "--", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _output_params(out: Path) -> dict:
    """Processing output paths named as the command line and the dock name them."""
    return {
        "PUBLIC_CSV": str(out / PUBLIC_NAME),
        "PUBLIC_LAYER": str(out / f"{STEM}.gpkg"),
        "AUDIT_JSON": str(out / "audit.json"),
        "AUDIT_HTML": str(out / "audit.html"),
        "MANIFEST": str(out / MANIFEST),
    }


def test_cli_qgis_process_and_the_release_panel_write_one_release(
    release_inputs: dict, qgis_iface, qgis_new_project, tmp_path: Path, wait_until
) -> None:
    """From the crimes GeoPackage of a load: the command line, `qgis_process.bin run
    crime_mapper:anonymise` and the Release panel (its QgsTask, through the task manager)."""
    from crime_mapper.ui.release_panel import SOURCE_GPKG, ReleasePanel

    crimes, points, salt = (release_inputs[k] for k in ("crimes_gpkg", "points", "salt"))
    cli = _cli_release(tmp_path / "cli", crimes, points=points, salt=salt)

    proc_out = tmp_path / "qgis_process"
    run = _qgis_process(
        tmp_path,
        {
            "CRIMES": str(crimes),
            "MAP_POINTS": str(points),
            "SALT_FILE": str(salt),
            **_output_params(proc_out),
        },
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert json.loads(run.stdout)["results"]["ROWS_IN"] == _manifest(cli)["release"]["rows_in"]

    panel = ReleasePanel(qgis_iface)
    try:
        panel.set_crimes_source(str(crimes))
        panel.set_points_file(str(points))
        assert panel.source_combo.currentIndex() == SOURCE_GPKG
        panel.set_salt_path(str(salt))
        panel.set_output_dir(str(tmp_path / "dock"))
        outcomes: list[bool] = []
        panel.anonymiseFinished.connect(outcomes.append)
        assert panel.start_anonymise() is True
        wait_until(lambda: bool(outcomes), "the Release panel's anonymise to finish")
        assert outcomes == [True], panel.summary_view.toPlainText()
    finally:
        panel.shutdown()
        panel.deleteLater()

    assert_one_release(cli, _files(proc_out), _files(tmp_path / "dock"))


def test_cli_processing_and_the_task_agree_from_extract_files(
    release_inputs: dict, provider, tmp_path: Path, wait_until
) -> None:
    """From the force extract and its mapping profile, loaded afresh by each: the command line,
    processing.run and the dock's AnonymiseTask."""
    import processing
    from qgis.core import QgsApplication

    from crime_mapper.qgis_bridge.anonymise_task import AnonymiseTask

    points, salt = release_inputs["points"], release_inputs["salt"]
    cli = _cli_release(
        tmp_path / "cli", FORCE_EXTRACT, "--profile", FORCE_PROFILE, points=points, salt=salt
    )

    proc_out = tmp_path / "processing"
    processing.run(
        "crime_mapper:anonymise",
        {
            "CRIMES_FILES": [str(FORCE_EXTRACT)],
            "PROFILE": str(FORCE_PROFILE),
            "MAP_POINTS": str(points),
            "SALT_FILE": str(salt),
            **_output_params(proc_out),
        },
    )

    task = AnonymiseTask(
        [str(FORCE_EXTRACT)],
        str(points),
        str(salt),
        str(tmp_path / "task"),
        profile_path=str(FORCE_PROFILE),
    )
    done: list[bool] = []
    task.taskCompleted.connect(lambda: done.append(True))
    task.taskTerminated.connect(lambda: done.append(False))
    QgsApplication.taskManager().addTask(task)
    wait_until(lambda: bool(done), "the anonymise task to finish")
    assert done == [True], task.summary

    assert_one_release(cli, _files(proc_out), _files(tmp_path / "task"))
