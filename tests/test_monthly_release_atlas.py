"""The summaries' PDF atlas in the one-command monthly release (``[publish] atlas``).

The product promises neighbourhood summaries as "CSV, HTML, PDF atlas", and Processing and
the dock's Summaries tab made the atlas, but the monthly release had no way to: its analyst
ran the summaries a second time to get one. Real runs on the bundled month (sample_data/),
real QGIS, real files in tmp_path.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from crime_mapper.core.monthly.config import ConfigError, read_config, write_config
from crime_mapper.core.monthly.release import (
    MonthlyReleaseError,
    check_config,
    run_monthly_release,
)
from crime_mapper.core.publish.summaries_export import ATLAS_NAME, GPKG_NAME, LAYER
from tests.support.monthly_config import MONTH, config_file, publish_config, step_runners


def _atlas_config(tmp_path):
    """The bundled release with the atlas, without QA, hotspots, web map or project (the
    atlas needs only the public release and the summaries)."""
    config = publish_config(tmp_path)
    config.publish.web_map = config.publish.project = False
    config.publish.atlas = True
    return config


def test_the_atlas_flag_round_trips_and_defaults_to_off(tmp_path):
    config = read_config(config_file(tmp_path))
    assert config.publish.atlas is False  # (the bundled release, `make demo`, makes none)
    config.publish.atlas = True
    for name in ("again.toml", "again.json"):
        again = read_config(write_config(config, tmp_path / name))
        assert again.publish.atlas is True
        assert again.to_dict() == config.to_dict()
    text = (tmp_path / "again.toml").read_text(encoding="utf-8")
    assert re.search(r"^atlas = true$", text, re.M)
    assert "atlas: the summaries as a" in text  # (the table's comment says what it is)


def test_an_atlas_flag_that_is_not_true_or_false_names_the_key(tmp_path):
    path = config_file(tmp_path)
    text, found = re.subn(r"^atlas = false$", 'atlas = "yes"', path.read_text("utf-8"), flags=re.M)
    assert found == 1
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"publish\.atlas must be true or false, not 'yes'"):
        read_config(path)


def test_the_atlas_without_summaries_is_refused_before_anything_runs(tmp_path):
    config = _atlas_config(tmp_path)
    config.publish.summaries = False
    with pytest.raises(MonthlyReleaseError) as caught:
        check_config(config, MONTH)
    assert "publish.atlas" in str(caught.value) and "publish.summaries" in str(caught.value)
    assert not config.output_dir(MONTH).exists()


def test_without_qgis_the_release_says_no_atlas_was_made_and_why(tmp_path):
    config = _atlas_config(tmp_path)
    outputs = run_monthly_release(config, MONTH, runners=step_runners(False))
    publish = next(r for r in outputs.steps if r.name == "publish")
    said = [w for w in publish.warnings if "publish.atlas" in w]
    assert len(said) == 1 and "no PDF atlas was made" in said[0] and "QGIS" in said[0], said
    assert any("no PDF atlas was made" in line for line in outputs.warning_lines())
    assert not (outputs.out_dir / ATLAS_NAME).exists()
    assert (outputs.out_dir / "neighbourhoods" / "index.html").is_file()  # (the rest is made)
    manifest = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    assert "no PDF atlas was made" in json.dumps(manifest)


def test_with_qgis_the_release_writes_the_atlas_one_page_per_neighbourhood(tmp_path):
    from qgis.core import QgsVectorLayer

    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    config = _atlas_config(tmp_path)
    config.publish.web_map = True  # (made beside the summaries and the atlas, as the CLI's)
    runners = QgisStepRunners()
    runners.publish_beside = True  # (the command line's and the dock's release process's)
    outputs = run_monthly_release(config, MONTH, runners=runners)
    pdf = outputs.out_dir / ATLAS_NAME
    assert pdf.is_file()
    hoods = QgsVectorLayer(
        f"{outputs.out_dir / 'neighbourhoods' / GPKG_NAME}|layername={LAYER}", "n", "ogr"
    )
    assert hoods.isValid() and hoods.featureCount() == 37  # (the Leicester city MSOAs)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M).group(1))
    assert pages == hoods.featureCount()  # (export_atlas: one page each, nothing more)
    publish = next(r for r in outputs.steps if r.name == "publish")
    assert pdf in publish.outputs
    assert not [w for w in publish.warnings if "atlas" in w]
    manifest = json.loads(outputs.manifest.read_text(encoding="utf-8"))
    assert ATLAS_NAME in json.dumps(manifest)  # (listed with its SHA-256 like every output)
    assert not [p for p in outputs.out_dir.iterdir() if ".staging-" in p.name]
    assert (outputs.out_dir / "map" / "index.html").is_file()
    assert str(pdf) in outputs.summary_text()
