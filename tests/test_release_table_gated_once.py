"""The monthly release's public table is leak-gated once (issue 15): the anonymise step's gate
passes the public CSV, the summaries take the table that gate parsed
(tests/test_release_csv_parsed_once.py), and their own gate call on the release table
(core.publish.summaries_run, "the release itself first") is not repeated for that very
table when it would use the same preparation and K (summaries_run._passed_before).

Why the shortcut cannot change a verdict: a CSV's checks and the checks of the table parsed
from it see the same cells and coordinates (the gate's reader makes both artifacts with one
function); only the names in the messages differ. The first tests compare the two on real
and hostile tables, failing ones included; the others show the shortcut is taken only for
the table the passing gate parsed, from an unchanged file, with the same ReleaseGate and K.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.gate import leak_gate
from crime_mapper.core.gate.leak_gate import ReleaseGate, check_release
from crime_mapper.core.publish import summaries_run
from crime_mapper.core.publish.summaries_run import _passed_before
from crime_mapper.core.release import public_schema
from crime_mapper.core.release.public_schema import (
    file_identity,
    gate_parse_identity,
    read_public_csv,
    remembering_tables,
    write_public_csv,
)
from tests.support.leak_world import NAMES
from tests.support.written_outputs import hostile_public_table


def _variants(world: dict) -> dict[str, pd.DataFrame]:
    """The clean release and releases with leaks of every kind the gate looks for."""
    raw, public = world["raw"], world["public"]
    located = raw[np.isfinite(raw["longitude"].to_numpy(np.float64))]
    row = located.iloc[7]
    named = public.copy()
    named.loc[2, "Context"] = NAMES[0]
    named.loc[3, "Context"] = f"seen by {NAMES[1].lower()} near the shop"
    moved = public.copy()
    moved.loc[1, "Longitude"] = f"{row['longitude']:.6f}"
    moved.loc[1, "Latitude"] = f"{row['latitude']:.6f}"
    dated = public.copy()
    dated.loc[4, "Context"] = "reported 25/10/2022 at 14:35"
    referenced = public.copy()
    referenced.loc[5, "Crime ID"] = str(raw["crime_id"].iloc[3])
    noted = public.copy()
    noted.loc[6, "Location"] = str(raw["extra_mo_notes"].iloc[9])
    contact = public.copy()
    contact.loc[0, "Context"] = "call 0116 496 0123 or j.bloggs@example.org"
    return {
        "clean": public,
        "raw-name": named,
        "raw-coordinate": moved,
        "day-and-time": dated,
        "reference": referenced,
        "free-text": noted,
        "contact": contact,
        "hostile-cells": hostile_public_table(),
    }


def _plain(report, name: str) -> list[tuple]:
    """Each check's verdict, detail and examples, with the output's own names taken out."""

    def text(value: str) -> str:
        for old in (f"{name} (CSV)", "<DataFrame> (table)", name, "<DataFrame>"):
            value = value.replace(old, "OUTPUT")
        return re.sub(r"\b(?:CSV|table)\b", "WHERE", value)  # (_read_frame's ``where``)

    return [
        (c.name, c.passed, text(c.detail), [text(e) for e in c.examples]) for c in report.checks
    ]


@pytest.mark.parametrize("k", [8, 3])
def test_the_table_the_gate_parsed_gets_the_verdict_its_csv_got(world, tmp_path, k):
    """For the clean release and every leak: the gate on the CSV (the anonymise step's call)
    and on the table it parsed (the summaries' call), with one ReleaseGate and one K, give
    the same verdict, check by check, with the same details but for the output's name."""
    raw, points = world["raw"], world["points"]
    gate = ReleaseGate(raw, points, min_catchment_addresses=k)
    verdicts = {}
    for label, table in _variants(world).items():
        path = tmp_path / label / "2022-10-force-street.csv"
        path.parent.mkdir()
        write_public_csv(table, path)
        with remembering_tables():
            by_csv = check_release(raw, path, points, prepared=gate, min_catchment_addresses=k)
            parsed = read_public_csv(path)
            assert gate_parse_identity(parsed) == file_identity(path)  # the gate's parse
            by_table = check_release(raw, parsed, points, prepared=gate)
        assert _plain(by_table, path.name) == _plain(by_csv, path.name), label
        verdicts[label] = by_csv.passed
    assert verdicts.pop("clean") is True
    assert not any(verdicts.values()), verdicts  # every leak is caught both ways


def _handed_over(tmp_path: Path, table: pd.DataFrame) -> tuple[Path, pd.DataFrame, tuple]:
    """A public CSV read by the gate's reader and handed over (inside the caller's
    remembering_tables block), and the file's identity when the gate read it."""
    path = tmp_path / "public" / "2022-10-force-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_public_csv(table, path)
    identity = file_identity(path)
    from crime_mapper.core.gate.output_reader import read_file

    read_file(path, path.name, in_folder=False)
    return path, read_public_csv(path), identity


def test_the_shortcut_is_taken_only_for_the_table_the_passing_gate_parsed(world, tmp_path):
    raw, points, public = world["raw"], world["points"], world["public"]
    gate = ReleaseGate(raw, points)
    with remembering_tables():
        path, table, identity = _handed_over(tmp_path, public)
        assert _passed_before(table, (identity, 8, gate), gate)
        # another ReleaseGate, or the same gate with another K in the anonymise step's call
        assert not _passed_before(table, (identity, 8, ReleaseGate(raw, points)), gate)
        assert not _passed_before(table, (identity, 7, gate), gate)
        assert not _passed_before(table, (identity, 8, gate), ReleaseGate(raw, points, **{
            "min_catchment_addresses": 7}))  # fmt: skip
        assert not _passed_before(table, None, gate)
        assert not _passed_before(table, (identity, 8, gate), None)
        # an equal table that is not the gate's parse (a copy, or a second read)
        assert not _passed_before(table.copy(), (identity, 8, gate), gate)
        again = read_public_csv(path)
        assert again.equals(table) and not _passed_before(again, (identity, 8, gate), gate)
        # the file as it was when another gate call passed it (another identity)
        stat = path.stat()
        other = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns + 1)
        assert not _passed_before(table, (other, 8, gate), gate)
        assert not _passed_before(table, ((), 8, gate), gate)
    # nothing is known about handed-over tables once the block has ended
    assert public_schema._HANDED is None
    assert gate_parse_identity(table) == ()


def test_a_file_changed_since_its_gate_passed_is_checked_again(world, tmp_path):
    """The proof names the file as its gate passed it: a file rewritten since is parsed
    again (read_public_csv) and so checked again, and a leak in it is refused."""
    raw, points, public = world["raw"], world["points"], world["public"]
    gate = ReleaseGate(raw, points)
    leaky = public.copy()
    leaky.loc[2, "Context"] = NAMES[0]
    with remembering_tables():
        path, _table, identity = _handed_over(tmp_path, public)
        from crime_mapper.core.gate.output_reader import read_file

        read_file(path, path.name, in_folder=False)  # remembered again, then replaced:
        write_public_csv(leaky, path)
        table = read_public_csv(path)
        assert table.loc[2, "Context"] == NAMES[0]
        assert not _passed_before(table, (identity, 8, gate), gate)
        assert not check_release(raw, table, points, prepared=gate).passed


def _release_config(tmp_path: Path, k: int = 0):
    from crime_mapper.core.monthly.config import read_config
    from tests.support.monthly_config import config_file

    config = read_config(config_file(tmp_path))
    config.hotspots.enabled = False
    config.publish.web_map = False
    if k:
        from crime_mapper.core.release.rules import DEFAULT_RULES

        rules = DEFAULT_RULES.to_dict()
        rules["min_catchment_addresses"] = k
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(rules), encoding="utf-8")
        config.rules = str(path)
    return config


def _gate_calls(monkeypatch) -> list[str]:
    """Every leak-gate call of the run, by the kind of output it checked."""
    calls: list[str] = []
    real = leak_gate.check_release

    def counting(raw, output, points, **kwargs):
        calls.append("table" if isinstance(output, pd.DataFrame) else Path(output).suffix)
        return real(raw, output, points, **kwargs)

    monkeypatch.setattr(leak_gate, "check_release", counting)
    return calls


@pytest.mark.parametrize("k", [0, 5])
def test_the_monthly_release_gates_its_release_table_once(tmp_path, monkeypatch, k):
    """The bundled month with summaries: with the default K (the rules' K equals the
    release gate's 8) the summaries take the anonymise step's verdict for the table its
    gate parsed; with the rules' K at 5 the anonymise gate proved less, so the table is
    checked again. The summaries' files are the same either way."""
    from crime_mapper.core.monthly.release import run_monthly_release
    from crime_mapper.core.release.pipeline import run_anonymise  # noqa: F401 (imports gate)

    calls = _gate_calls(monkeypatch)
    seen: list[tuple] = []
    real_passed = summaries_run._passed_before

    def watched(public, passed, gate):
        seen.append(passed)
        return real_passed(public, passed, gate)

    monkeypatch.setattr(summaries_run, "_passed_before", watched)
    outputs = run_monthly_release(_release_config(tmp_path, k), "2022-10")
    assert calls.count(".csv") == 1 and calls.count(".gpkg") == 1
    assert len(seen) == 1 and seen[0] is not None and seen[0][1] == (k or 8)
    assert calls.count("table") == (1 if k else 0)
    folder = outputs.out_dir / "neighbourhoods"
    assert (folder / "index.html").is_file()


def test_the_summaries_files_are_those_of_a_checked_table(tmp_path, monkeypatch):
    """The same release with the shortcut refused: the same summaries, byte for byte."""
    from crime_mapper.core.monthly.release import run_monthly_release

    def files(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}

    quick = run_monthly_release(_release_config(tmp_path / "a"), "2022-10")
    calls = _gate_calls(monkeypatch)
    monkeypatch.setattr(summaries_run, "_passed_before", lambda *_args: False)
    checked = run_monthly_release(_release_config(tmp_path / "b"), "2022-10")
    assert calls.count("table") == 1
    a, b = files(quick.out_dir / "neighbourhoods"), files(checked.out_dir / "neighbourhoods")
    assert len(a) > 3 and a == b
