"""Small-count control in the one-command monthly release (``[publish] suppress_below``).

`cli summaries --suppress-below N` hid small counts on the neighbourhood summaries, but the
monthly release had no such setting: a force that hides small counts ran its summaries a
second time by hand. The release now takes it (0, the default, is off, as police.uk), and
refuses it beside the web map before any step runs: the map's street-level points add up
to every count the summaries hide, and its neighbourhood table and shading show them.
Real runs on the bundled month (sample_data/), real files in tmp_path.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from crime_mapper.core.monthly.config import ConfigError, read_config, write_config
from crime_mapper.core.monthly.release import (
    MonthlyReleaseError,
    check_config,
    run_monthly_release,
)
from crime_mapper.core.publish.summaries_export import CSV_NAME
from tests.support.monthly_config import MONTH, config_file, publish_config, step_runners


def _with_setting(tmp_path, written: str):
    """The bundled configuration file with ``suppress_below = <written>`` in [publish]."""
    path = config_file(tmp_path)
    text, found = re.subn(
        r"^\[publish\]$", f"[publish]\nsuppress_below = {written}", path.read_text("utf-8"),
        count=1, flags=re.M,
    )  # fmt: skip
    assert found == 1
    path.write_text(text, encoding="utf-8")
    return path


def test_the_setting_round_trips_and_defaults_to_off(tmp_path):
    config = read_config(config_file(tmp_path))
    assert config.publish.suppress_below == 0  # (the bundled release hides nothing)
    config.publish.suppress_below = 10
    for name in ("again.toml", "again.json"):
        again = read_config(write_config(config, tmp_path / name))
        assert again.publish.suppress_below == 10
        assert again.to_dict() == config.to_dict()
    text = (tmp_path / "again.toml").read_text(encoding="utf-8")
    assert re.search(r"^suppress_below = 10$", text, re.M)
    assert "suppress_below: counts of 1 to N - 1" in text  # (the table's comment)


@pytest.mark.parametrize("written", ["0", "1", "10", "100", "0x0A"])
def test_whole_numbers_from_0_to_100_are_read(tmp_path, written):
    config = read_config(_with_setting(tmp_path, written))
    assert config.publish.suppress_below == int(written, 0)


@pytest.mark.parametrize(
    "written, said",
    [
        ("-1", "must be 0 (off) to 100, not -1"),
        ("101", "must be 0 (off) to 100, not 101"),
        ("99999999999999999999999", "must be 0 (off) to 100, not 99999999999999999999999"),
        ('"10"', "must be a whole number, not '10'"),
        ("10.0", "must be a whole number, not 10.0"),
        ("9.5", "must be a whole number, not 9.5"),
        ("true", "must be a whole number, not True"),
        ("nan", "must be a whole number, not nan"),
        ("[10]", "must be a whole number, not [10]"),
    ],
)
def test_other_values_are_refused_naming_the_key(tmp_path, written, said):
    with pytest.raises(ConfigError, match=re.escape(f"publish.suppress_below {said}")):
        read_config(_with_setting(tmp_path, written))


def test_with_the_web_map_it_is_refused_before_anything_runs(tmp_path):
    config = publish_config(tmp_path)
    assert config.publish.web_map and config.publish.summaries
    config.publish.suppress_below = 10
    with pytest.raises(MonthlyReleaseError) as caught:
        check_config(config, MONTH)
    said = str(caught.value)
    assert "publish.suppress_below" in said and "publish.web_map = false" in said
    assert "street-level points" in said
    with pytest.raises(MonthlyReleaseError):
        run_monthly_release(config, MONTH, runners=step_runners(False))
    assert not config.output_dir(MONTH).exists()  # (no step ran)


def test_without_summaries_it_is_refused_before_anything_runs(tmp_path):
    config = publish_config(tmp_path)
    config.publish.web_map = config.publish.summaries = False
    config.publish.suppress_below = 10
    with pytest.raises(MonthlyReleaseError) as caught:
        check_config(config, MONTH)
    assert "publish.suppress_below" in str(caught.value)
    assert "publish.summaries = true" in str(caught.value)
    assert not config.output_dir(MONTH).exists()


def _published(outputs) -> pd.DataFrame:
    table = pd.read_csv(
        outputs.out_dir / "neighbourhoods" / CSV_NAME, dtype=str, keep_default_na=False
    )
    return table[table["month"] == MONTH]


def test_a_release_with_it_hides_the_small_counts_on_its_summaries(tmp_path):
    config = publish_config(tmp_path)
    config.publish.web_map = config.publish.project = False
    plain = run_monthly_release(config, MONTH, runners=step_runners(False))
    exact = _published(plain)
    counts = pd.to_numeric(exact["count"])
    assert ((counts >= 1) & (counts <= 9)).sum() > 50  # (the bundled month has many)
    assert set(exact["status"]) == {"published"}

    (tmp_path / "hidden").mkdir()
    config = publish_config(tmp_path / "hidden")
    config.publish.web_map = config.publish.project = False
    config.publish.suppress_below = 10
    outputs = run_monthly_release(config, MONTH, runners=step_runners(False))
    hidden = _published(outputs)
    assert len(hidden) == len(exact)  # (every area, month and category still has its row)
    shown = hidden[hidden["count"] != ""]
    assert not ((pd.to_numeric(shown["count"]) >= 1) & (pd.to_numeric(shown["count"]) <= 9)).any()
    small = hidden["status"] == "fewer than 10"
    assert (counts[small.to_numpy()] <= 9).all()
    assert small[((counts >= 1) & (counts <= 9)).to_numpy()].all()  # (each one hidden)
    page = (outputs.out_dir / "neighbourhoods" / "index.html").read_text(encoding="utf-8")
    assert "fewer than 10" in page or "Small-count control" in page
