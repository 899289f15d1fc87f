"""``release`` exits as ``load`` and ``anonymise`` do when an input file could not be used.

Why: the load and anonymise commands exit 1 when a file among the extracts is no crime
extract, or an unclosed quote made many of its lines one rejected record (cli._exit_for);
the monthly release ran the same load and exited 0, so a scheduled job could not tell such
a month from a whole one. The facts come from the release's step outputs
(MonthlyOutputs.inputs_not_used), not from the text it prints.

Real runs of the real command line on the bundled month (sample_data/release.toml), plain
Python (no QGIS: the hotspots, release QA and publishing are off, so no step is "not run"
and a 1 can only come from the inputs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from crime_mapper.core.monthly import toml_lite
from tests.support.monthly_config import MONTH, SAMPLE, cli, config_file

EXTRACT = SAMPLE / "force" / f"{MONTH}-leicestershire-force-extract.csv"
#: the line of the second half's file whose notes open a quote that is never closed
QUOTED_LINE = 700


def _config(tmp_path: Path, inputs: list[Path]) -> Path:
    """The bundled configuration reading ``inputs``, with only load and anonymise working."""
    path = config_file(tmp_path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["load"]["inputs"] = [str(p) for p in inputs]
    data["qa"]["enabled"] = False
    data["hotspots"]["enabled"] = False
    # (no history: used by neither, the publish step would warn of it)
    data["publish"].update(web_map=False, summaries=False, project=False, summaries_history=[])
    path.write_text(toml_lite.dumps(data), encoding="utf-8")
    return path


def _halves(tmp_path: Path, unclosed: bool) -> list[Path]:
    """The month's extract as two files (header in each); with ``unclosed``, one officer
    field of the second opens a quote never closed, so the rest of that file is one record."""
    header, *rows = EXTRACT.read_text(encoding="utf-8").splitlines()
    middle = len(rows) // 2
    # (its rows with a quoted field are left out: the next quote would close the one opened)
    second = [row for row in rows[middle:] if '"' not in row]
    if unclosed:
        fields = second[QUOTED_LINE].split(",")
        fields[7] = '"PC 1 Smith'  # (Officer In Case)
        second[QUOTED_LINE] = ",".join(fields)
    paths = []
    for name, part in (("first", rows[:middle]), ("second", second)):
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join([header, *part]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _release(config: Path):
    return cli("release", config, "--month", MONTH, "--no-qgis")


def test_a_whole_month_exits_0(tmp_path):
    """The control: the same month split in two files, nothing wrong with either."""
    run = _release(_config(tmp_path, _halves(tmp_path, unclosed=False)))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "crime_mapper: warning" not in run.stderr, run.stderr


def test_a_file_that_is_no_extract_exits_1(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("officer,remark\nPC 1,nothing to add\n", encoding="utf-8")
    run = _release(_config(tmp_path, [EXTRACT, notes]))
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-3000:]
    assert f"crime_mapper: warning: load: {notes}: not a crime extract" in run.stderr
    # the release was still written, from the file that could be used
    assert (tmp_path / "out" / MONTH / "manifest.json").is_file()


def test_an_unclosed_quote_exits_1(tmp_path):
    first, second = _halves(tmp_path, unclosed=True)
    run = _release(_config(tmp_path, [first, second]))
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-3000:]
    warned = [line for line in run.stderr.splitlines() if "crime_mapper: warning: load:" in line]
    assert any(second.name in line for line in warned), run.stderr
    assert (tmp_path / "out" / MONTH / "manifest.json").is_file()


@pytest.mark.parametrize("which", ["load", "release"])
def test_counts_that_do_not_reconcile_are_a_1(tmp_path, which):
    """The rule on the recorded facts: either step's counts not reconciling (the load's stops
    the release before this, with 2; the audit's does not) gives the 1 of anonymise."""
    from crime_mapper.cli import _exit_for
    from crime_mapper.core.monthly.release import LoadStep, MonthlyOutputs
    from crime_mapper.core.release.pipeline import ReleaseOutputs

    outputs = MonthlyOutputs(MONTH, tmp_path, [], tmp_path / "manifest.json")
    outputs.load = LoadStep([], None, {}, reconciles=which != "load")
    public = tmp_path / "public"
    outputs.release = ReleaseOutputs(
        *(public / name for name in ("a.csv", "a.gpkg", "audit.json", "audit.html", "m.json")),
        qml=None,
        audit={},
        reconciles=which != "release",
    )
    files, damaged, reconciles = outputs.inputs_not_used()
    assert (files, damaged, reconciles) == ([], [], False)
    assert _exit_for(files, reconciles, damaged) == 1
