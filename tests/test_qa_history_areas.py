"""A saved release-QA history says what areas it counts (version 2 of ``*.qa_history.json``):
LSOAs, or the neighbourhoods of one area lookup (its fingerprint and file name). The reader
uses what the file says and guesses from the codes only for a version-1 file (the bundled
sample history is one, and reads as it always did).

Every run is real: the bundled police.uk month, the bundled history and the bundled city
LSOA-to-MSOA lookup.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.cli import main
from crime_mapper.core.qa.profile import history_in_lookup_areas, read_profiles_json
from crime_mapper.core.qa.run import QaInputError, load_history, read_area_lookup, run_qa_files
from tests.support import qa_faults as faults

CITY_LOOKUP = faults.SAMPLES / "neighbourhoods" / "lsoa11_to_msoa11_leicester_city.csv"
MONTH = str(faults.BUNDLED_MONTH)


def _lookup_csv(folder: Path, moved: int = 0, name: str = "areas.csv") -> Path:
    """The bundled city lookup as the QA reads one (LSOA code, MSOA), with the first
    ``moved`` LSOAs of the first MSOA given to the second MSOA instead: a revised lookup
    with exactly the same neighbourhood codes."""
    with open(CITY_LOOKUP, newline="", encoding="utf-8") as src:
        rows = [[r["lsoa11cd"], r["msoa11cd"]] for r in csv.DictReader(src)]
    msoas = sorted({area for _, area in rows})
    for row in [r for r in rows if r[1] == msoas[0]][:moved]:
        row[1] = msoas[1]
    path = folder / name
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([("lsoa", "area"), *rows])
    return path


def _v2(profiles, areas: dict) -> str:
    """A version-2 history file as the format says (written here, not by the code tested)."""
    months = [p.to_dict() for p in profiles]
    data = {"kind": "crime_mapper QA history", "version": 2, "areas": areas, "months": months}
    return json.dumps(data, indent=1)


def _by_lookup(path: Path) -> dict:
    from crime_mapper.core.qa.history_file import lookup_fingerprint

    sha = lookup_fingerprint(read_area_lookup(path))
    return {"kind": "neighbourhood", "lookup_sha256": sha, "lookup_name": path.name}


def _bundled():
    return read_profiles_json(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))


def _areas_finding(report):
    return [f for f in report.findings if f.id == "history:areas"]


def _area_check_ran(report) -> bool:
    return next(c for c in report.checks if c["name"] == "area_count")["ran"]


def test_a_history_saved_with_areas_says_so_and_counts_every_month_by_them(tmp_path, capsys):
    """Saved with --areas on the bundled LSOA history, the file said nothing of its areas
    and held 12 months by LSOA beside this month by neighbourhood."""
    areas = _lookup_csv(tmp_path)
    saved = tmp_path / "history.json"
    code = main(["qa", MONTH, "--history", str(faults.BUNDLED_HISTORY), "--areas", str(areas),
                 "--out", str(tmp_path / "qa"), "--save-history", str(saved)])  # fmt: skip
    assert code == 0, capsys.readouterr()
    data = json.loads(saved.read_text(encoding="utf-8"))
    lookup = read_area_lookup(areas)
    assert isinstance(data, dict) and data["version"] == 2, type(data)
    assert data["areas"] == _by_lookup(areas)
    from crime_mapper.core.qa.history_file import read_history_json

    history = read_history_json(saved.read_text(encoding="utf-8"))
    assert [p.month for p in history.profiles][-1] == "2022-10" and len(history.profiles) == 12
    for profile in history.profiles:  # every month by the lookup's neighbourhoods
        assert profile.by_area and set(profile.by_area) <= set(lookup.values()), profile.month
    # the months from the LSOA history are summed exactly, nothing else of them changed
    summed, _ = history_in_lookup_areas(_bundled()[1:], lookup)
    assert history.profiles[:-1] == summed


def test_an_old_history_without_areas_reads_as_before_and_is_saved_with_them(tmp_path):
    from crime_mapper.core.qa.history_file import LSOA, HistoryAreas, read_history_json

    old = read_history_json(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))
    assert old.version == 1 and old.areas is None and old.profiles == _bundled()
    profiles, _, _, areas = load_history([faults.BUNDLED_HISTORY], "2022-10")
    assert profiles == _bundled() and set(areas.values()) == {None}  # (guessed, as ever)
    saved = tmp_path / "history.json"
    run = run_qa_files(MONTH, [faults.BUNDLED_HISTORY], save_history=saved)
    assert not _areas_finding(run.report) and _area_check_ran(run.report)
    again = read_history_json(saved.read_text(encoding="utf-8"))
    assert again.version == 2 and again.areas == HistoryAreas(LSOA)
    assert again.profiles[:-1] == _bundled()[1:]  # LSOA counts kept as they were
    # and the new file is compared as the old one was
    rerun = run_qa_files(MONTH, [saved])
    assert rerun.report.history_months == run.report.history_months[1:]  # (2022-10: itself)
    assert not _areas_finding(rerun.report)


def test_a_history_by_another_lookup_with_the_same_codes_is_named_not_compared(tmp_path):
    """The case no guess can see: a history saved with one lookup, checked with a revised
    lookup of the same neighbourhood codes (2 LSOAs moved from one MSOA to another). Its
    codes are all the lookup's, so it was compared as if counted by it: the two MSOAs'
    counts moved by the moved LSOAs' crimes, and nobody told."""
    first = _lookup_csv(tmp_path, name="areas-2021.csv")
    revised = _lookup_csv(tmp_path, moved=2, name="areas-2022.csv")
    lookup = read_area_lookup(first)
    assert set(read_area_lookup(revised).values()) == set(lookup.values())
    by_first, _ = history_in_lookup_areas(_bundled(), lookup)
    saved = tmp_path / "history.json"
    saved.write_text(_v2(by_first, _by_lookup(first)), encoding="utf-8")
    run = run_qa_files(MONTH, [saved], areas_path=revised)
    note = _areas_finding(run.report)
    assert len(note) == 1 and note[0].severity == "medium", [f.title for f in run.report.findings]
    assert note[0].title == "12 history months are counted by other areas than 2022-10"
    assert "the history file says 2021-10, " in note[0].explanation
    assert "areas-2021.csv (fingerprint " in note[0].explanation
    assert f"areas-2022.csv (fingerprint {_by_lookup(revised)['lookup_sha256'][:12]})" in (
        note[0].explanation
    )
    assert not _area_check_ran(run.report)
    # with the lookup it was saved with, it is compared as it is
    same = run_qa_files(MONTH, [saved], areas_path=_lookup_csv(tmp_path, name="copy.csv"))
    assert not _areas_finding(same.report) and _area_check_ran(same.report)
    assert same.report.counts()["high"] == 0, [f.title for f in same.report.findings]


def test_a_history_by_neighbourhood_checked_by_lsoa_is_named_from_its_file(tmp_path):
    lookup = read_area_lookup(_lookup_csv(tmp_path))
    by_msoa, _ = history_in_lookup_areas(_bundled(), lookup)
    saved = tmp_path / "history.json"
    saved.write_text(_v2(by_msoa, _by_lookup(_lookup_csv(tmp_path))), encoding="utf-8")
    run = run_qa_files(MONTH, [saved])
    note = _areas_finding(run.report)
    assert len(note) == 1 and "2022-10 is counted by LSOA, but the history file says" in (
        note[0].explanation
    )
    assert "(--areas) (areas.csv)" in note[0].explanation
    assert run.report.counts()["high"] == 0, [f.title for f in run.report.findings]


def test_an_lsoa_history_file_is_summed_into_the_lookups_neighbourhoods(tmp_path):
    saved = tmp_path / "history.json"
    saved.write_text(_v2(_bundled(), {"kind": "LSOA"}), encoding="utf-8")
    run = run_qa_files(MONTH, [saved], areas_path=_lookup_csv(tmp_path))
    assert not _areas_finding(run.report) and _area_check_ran(run.report)
    assert run.report.counts()["high"] == 0, [f.title for f in run.report.findings]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": 3}, "version 3 is not one this crime_mapper reads (1 or 2)"),
        ({"version": True}, "version True is not one"),
        ({"version": 2.0}, "version 2.0 is not one"),
        ({"areas": {"kind": "ward"}}, "'areas' kind must be 'LSOA' or 'neighbourhood'"),
        ({"areas": {"kind": "neighbourhood"}}, "needs the lookup's SHA-256"),
        ({"areas": {"kind": "LSOA", "lookup_sha256": "0" * 64}}, "holds nothing but its kind"),
        ({"extra": 1}, "unknown QA history fields: extra"),
        ({"months": {}}, "'months' must be a list"),
    ],
)
def test_a_damaged_version_2_history_is_refused_naming_what(tmp_path, change, message):
    data = json.loads(_v2(_bundled(), {"kind": "LSOA"}))
    data.update(change)
    path = tmp_path / "history.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(QaInputError) as caught:
        load_history([path], "2022-10")
    assert f"{path}: not a QA history file (" in str(caught.value)
    assert message in str(caught.value)
