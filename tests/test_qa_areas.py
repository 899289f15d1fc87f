"""Release QA by neighbourhood (``--areas``) against a history counted by LSOA: the bundled
history (saved without a lookup) is compared area by area with this month, never LSOA
against neighbourhood."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crime_mapper.cli import main
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.qa.profile import (
    history_in_lookup_areas,
    profiles_json,
    read_profiles_json,
)
from crime_mapper.core.qa.report import run_release_qa
from crime_mapper.core.qa.run import QaInputError, read_area_lookup
from tests.support import qa_faults as faults

CITY_LOOKUP = faults.SAMPLES / "neighbourhoods" / "lsoa11_to_msoa11_leicester_city.csv"


def _lookup_csv(folder: Path, area_column: str = "msoa11cd") -> Path:
    """The bundled city lookup as the QA reads one: LSOA code, then its area."""
    path = folder / f"areas-{area_column}.csv"
    with open(CITY_LOOKUP, newline="", encoding="utf-8") as src:
        rows = [(r["lsoa11cd"], r[area_column]) for r in csv.DictReader(src)]
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([("lsoa", "area"), *rows])
    return path


def _history():
    return read_profiles_json(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))


def test_cli_qa_with_areas_on_bundled_lsoa_history_has_no_false_alarm(tmp_path, capsys):
    """The fuzz's repro: the raw extract with map points, the bundled (LSOA) history and the
    city's LSOA-to-MSOA lookup gave 33 high findings (every LSOA "emptied", every MSOA
    "never seen")."""
    points = tmp_path / "points.csv"
    police = faults.SAMPLES / "police-uk"
    assert main(["map-points", "history", str(police / "2022-09"),
                 str(police / "2022-10.zip"), "--out", str(points)]) == 0  # fmt: skip
    out = tmp_path / "qa"
    code = main(["qa", str(faults.BUNDLED_RAW), "--profile", str(faults.BUNDLED_PROFILE),
                 "--history", str(faults.BUNDLED_HISTORY), "--points", str(points),
                 "--areas", str(_lookup_csv(tmp_path)), "--out", str(out)])  # fmt: skip
    assert code == 0
    report = json.loads((out / "qa_report.json").read_text(encoding="utf-8"))
    assert report["counts"]["high"] == 0, [f["title"] for f in report["findings"]]
    assert report["settings"]["areas"] == "neighbourhood"
    assert {c["name"]: c["ran"] for c in report["checks"]}["area_count"]
    area_findings = [f for f in report["findings"] if f["check"] in ("area_count", "new_values")]
    assert not any(a.startswith("E01") for f in area_findings for a in f["areas"])
    assert "Verdict: no high-severity findings" in capsys.readouterr().out


def test_lsoa_history_is_summed_exactly_into_the_lookups_neighbourhoods(tmp_path):
    lookup = read_area_lookup(_lookup_csv(tmp_path))
    history = _history()
    summed, unmatched = history_in_lookup_areas(history, lookup)
    assert unmatched == []
    for before, after in zip(history, summed):
        expected: dict[str, int] = {}
        for lsoa, count in before.by_area.items():
            if lsoa in lookup:
                expected[lookup[lsoa]] = expected.get(lookup[lsoa], 0) + count
        assert after.by_area == expected and set(after.by_area) <= set(lookup.values())
        assert after.by_category == before.by_category and after.rows == before.rows
    # a history already by the lookup's neighbourhoods is kept as it is (saved with --areas)
    again, unmatched = history_in_lookup_areas(summed, lookup)
    assert again == summed and unmatched == []


def test_police_uk_month_by_areas_matches_the_history_summed_from_lsoas(tmp_path):
    load = load_extracts([str(faults.BUNDLED_MONTH)])
    lookup = read_area_lookup(_lookup_csv(tmp_path))
    report = run_release_qa(load.crimes, _history(), rejects=load.rejects, area_lookup=lookup)
    assert report.counts()["high"] == 0, [f.title for f in report.findings]
    assert not [f for f in report.findings if f.id == "history:areas"]


def test_history_by_another_lookups_areas_is_named_not_compared(tmp_path):
    """A history saved with the MSOA lookup, checked with a lookup to local authorities: its
    MSOA counts can neither be summed nor kept, so they are left out and the report says so
    (a medium finding naming the months, the area check not run), never a false alarm."""
    msoa = read_area_lookup(_lookup_csv(tmp_path))
    by_msoa, _ = history_in_lookup_areas(_history(), msoa)
    by_district = read_area_lookup(_lookup_csv(tmp_path, "ladcd"))
    load = load_extracts([str(faults.BUNDLED_MONTH)])
    report = run_release_qa(load.crimes, by_msoa, rejects=load.rejects, area_lookup=by_district)
    assert report.counts()["high"] == 0, [f.title for f in report.findings]
    note = [f for f in report.findings if f.id == "history:areas"]
    assert len(note) == 1 and note[0].severity == "medium"
    assert "2021-10" in note[0].explanation and "2022-09" in note[0].explanation
    area = [c for c in report.checks if c["name"] == "area_count"][0]
    assert not area["ran"] and "counted by other areas" in area["note"]


@pytest.mark.parametrize(
    "text, message",
    [
        (  # the last area won: the LSOA's crimes moved to it in silence
            "lsoa,area\nE01013600,E02002829\nE01013601,E02002829\nE01013600,E02002830\n",
            "line 4: LSOA E01013600 is given the area 'E02002830' here and 'E02002829' on line 2",
        ),
        (  # read the other way round: no LSOA had an area, the area checks did not run
            "area,lsoa\nE02002829,E01013600\nE02002829,E01013601\n",
            "the second column is headed 'lsoa'",
        ),
        (  # the LSOA counted in no area, the check's note blaming the map points
            "lsoa,area\nE01013600,E02002829\nE01013601, \n",
            "line 3: LSOA E01013601 has no area",
        ),
        (  # the first LSOA taken for the header and lost
            "E01013600,E02002829\nE01013601,E02002829\n",
            "line 1 is a row of codes, not a header",
        ),
        (  # the rest of the file read as one area's name
            'lsoa,area\nE01013600,"E02002829\nE01013601,E02002829\n',
            "the record from line 2 on (unexpected end of data): a quote opened in a cell",
        ),
    ],
)
def test_a_damaged_area_lookup_is_refused_naming_its_line(tmp_path, text, message):
    path = tmp_path / "areas.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QaInputError) as caught:
        read_area_lookup(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_an_area_lookup_row_repeated_exactly_is_read(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text(
        "lsoa11cd,msoa11cd,name\nE01013600,E02002829,x\n\nE01013600,E02002829,y\n", "utf-8"
    )
    assert read_area_lookup(path) == {"E01013600": "E02002829"}


def test_history_by_neighbourhood_checked_by_lsoa_is_named_not_compared(tmp_path):
    """The other way round: a history saved with --areas (neighbourhoods), checked without
    a lookup, made every neighbourhood look emptied and every LSOA new (33 high findings)."""
    lookup = read_area_lookup(_lookup_csv(tmp_path))
    by_msoa, _ = history_in_lookup_areas(_history(), lookup)
    saved = tmp_path / "history.json"
    saved.write_text(profiles_json(by_msoa), encoding="utf-8")
    load = load_extracts([str(faults.BUNDLED_MONTH)])
    history = read_profiles_json(saved.read_text(encoding="utf-8"))
    report = run_release_qa(load.crimes, history, rejects=load.rejects)
    assert report.counts()["high"] == 0, [f.title for f in report.findings]
    note = [f for f in report.findings if f.id == "history:areas"]
    assert len(note) == 1 and note[0].severity == "medium"
    assert note[0].title == "12 history months are counted by other areas than 2022-10"
    area = [c for c in report.checks if c["name"] == "area_count"][0]
    assert not area["ran"]
    # one month saved by neighbourhood among LSOA months (--save-history with --areas once):
    # that month is left out, the other 11 compared
    mixed = _history()[:-1] + by_msoa[-1:]
    report = run_release_qa(load.crimes, mixed, rejects=load.rejects)
    note = [f for f in report.findings if f.id == "history:areas"]
    assert note and note[0].title == "1 history month is counted by other areas than 2022-10"
    assert [c for c in report.checks if c["name"] == "area_count"][0]["ran"]
    # a history by LSOA, as the bundled one, is compared as ever
    plain = run_release_qa(load.crimes, _history(), rejects=load.rejects)
    assert not [f for f in plain.findings if f.id == "history:areas"]
