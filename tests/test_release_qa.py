"""Release QA on real months: planted faults are found with high severity, normal months are
not (the false-alarm rate over every Leicestershire month with twelve months of history)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.sources import InputError
from crime_mapper.core.qa.profile import (
    MonthProfile,
    build_profile,
    profiles_json,
    read_profiles_json,
)
from crime_mapper.core.qa.report import (
    qa_record,
    render_report_html,
    run_release_qa,
    write_report,
)
from tests.support import qa_faults as faults

CASES = faults.cases()
IDS = [c.name for c in CASES]


@pytest.fixture(params=CASES, ids=IDS, scope="module")
def case(request) -> faults.QaCase:
    return request.param


def _no_high(report) -> None:
    highs = [(f.check, f.title) for f in report.findings if f.severity == "high"]
    assert highs == [], highs


def test_normal_month_police_uk_has_no_high_finding(case):
    report = faults.qa_police(case, case.police_csv)
    _no_high(report)
    assert report.history_months == sorted(report.history_months)
    assert len(report.history_months) == 12
    assert all(c["ran"] for c in report.checks if c["name"] != "snapped_far")


def test_normal_month_raw_extract_has_no_high_finding(case, tmp_path):
    report = faults.qa_raw(case, case.raw, tmp_path)
    _no_high(report)
    ran = {c["name"]: c["ran"] for c in report.checks}
    assert ran["day_gap"] and ran["hour_gap"] and ran["area_count"]


def test_missing_week_is_high(case, tmp_path):
    report = faults.qa_raw(case, faults.drop_week(case.raw, first_day=8), tmp_path)
    gaps = faults.high(report, "day_gap")
    assert len(gaps) == 1, report.findings
    assert gaps[0].key == f"{case.month}-08..{case.month}-14"
    assert gaps[0].measures["days"] == [0] * 7
    assert "8–14 October" in gaps[0].title


def test_missing_hours_are_high(case, tmp_path):
    report = faults.qa_raw(case, faults.drop_hours(case.raw, 0, 5), tmp_path)
    gaps = faults.high(report, "hour_gap")
    assert [g.key for g in gaps] == ["00:00–06:00"]


def test_batch_sent_twice_with_same_references_is_high(case, tmp_path):
    raw = faults.repeat_batch(case.raw, start=1000, rows=300, new_refs=False)
    report = faults.qa_raw(case, raw, tmp_path)
    refs = faults.high(report, "duplicate_reference")
    assert len(refs) == 1
    assert refs[0].rows == 300
    assert refs[0].measures["largest_block"] == 300


def test_batch_sent_twice_with_new_references_is_high(case, tmp_path):
    raw = faults.repeat_batch(case.raw, start=1000, rows=300, new_refs=True)
    report = faults.qa_raw(case, raw, tmp_path)
    batches = faults.high(report, "duplicate_batch")
    assert len(batches) == 1
    assert batches[0].rows == 300
    n = len(case.raw)
    # lines are 1-based with the header on line 1: the copy starts after the last real row
    assert batches[0].lines[0].endswith(f":{n + 2}-{n + 301}")
    assert batches[0].measures["rows"] == 300


def test_police_uk_batch_sent_twice_is_high(case, tmp_path):
    path = faults.repeat_lines(case.police_csv, tmp_path / case.police_csv.name, 500, 1000)
    report = faults.qa_police(case, path)
    assert faults.high(report, "duplicate_reference")
    # the anti-social behaviour rows (no reference) of the batch are kept by the load: their
    # repeat is found by content
    batch = faults.high(report, "duplicate_batch")
    assert len(batch) == 1 and batch[0].rows >= 20
    load = load_extracts([str(path)])
    kept = load.crimes.set_index("record_id").loc[batch[0].record_ids]
    assert set(kept["crime_type"].astype(str)) == {"Anti-social behaviour"}


def test_broken_category_mapping_police_uk_is_high(case, tmp_path):
    path = faults.remap_category(
        case.police_csv, tmp_path / case.police_csv.name, "Shoplifting", "Other theft"
    )
    report = faults.qa_police(case, path)
    keys = {f.key for f in faults.high(report, "category_count")}
    assert keys == {"Shoplifting", "Other theft"}
    shop = next(f for f in report.findings if f.key == "Shoplifting")
    assert shop.measures["observed"] == 0
    assert shop.measures["departure"] < 0
    assert "mapped to another category" in shop.explanation


def test_a_fall_is_written_with_a_minus_sign(tmp_path):
    """ "152 fewer than usual (-100%)": the QA report read on a screen reader said "hyphen
    100%" or "100%". The share of a fall is written with U+2212, in the finding's title and
    so in the report and the panel; a rise keeps its "+"."""
    case = CASES[0]
    path = faults.remap_category(
        case.police_csv, tmp_path / case.police_csv.name, "Shoplifting", "Other theft"
    )
    report = faults.qa_police(case, path)
    shop = next(f for f in report.findings if f.key == "Shoplifting")
    other = next(f for f in report.findings if f.key == "Other theft")
    assert shop.title.endswith("fewer than usual (\u2212100%)"), shop.title
    assert "more than usual (+" in other.title, other.title
    html = render_report_html(report)
    assert "(\u2212100%)" in html and "(-100%)" not in html


def test_broken_offence_mapping_raw_extract_is_high(case, tmp_path):
    profile = faults.broken_mapping_profile(case.profile, "Burglary", "Criminal damage and arson")
    report = faults.qa_raw(case, case.raw, tmp_path, profile=profile)
    assert {f.key for f in faults.high(report, "category_count")} >= {"Burglary"}
    # the receiving category is named too (its rise is smaller beside its own size: high on
    # the whole force, low on the city slice)
    receiving = [f for f in report.findings if f.key == "Criminal damage and arson"]
    assert receiving and receiving[0].measures["departure"] > 150


def test_crimes_outside_the_force_are_high(case, tmp_path):
    report = faults.qa_raw(case, faults.shift_rows(case.raw, 40, metres=150_000), tmp_path)
    outside = faults.high(report, "outside_force")
    assert len(outside) == 1 and outside[0].rows == 40


def test_lost_coordinates_are_high(case, tmp_path):
    report = faults.qa_raw(case, faults.blank_locations(case.raw, 0.15), tmp_path)
    assert faults.high(report, "no_location_share")


def test_false_alarm_rate_on_real_months():
    """Every Leicestershire month with 12 months of history (../shared/data), or the bundled
    October against its bundled history: no high-severity finding. Prints the rate."""
    files = faults.shared_months()
    checked = highs = 0
    if files:
        loads = {p.name[:7]: load_extracts([str(p)]) for p in files}
        months = sorted(loads)
        profiles = {m: build_profile(r.crimes, m, r.rejects) for m, r in loads.items()}
        for i, month in enumerate(months[12:], start=12):
            history = [profiles[m] for m in months[i - 12 : i]]
            load = loads[month]
            report = run_release_qa(load.crimes, history, rejects=load.rejects)
            checked += 1
            highs += report.counts()["high"] > 0
        assert checked == len(months) - 12 >= 23
    else:
        case = faults.bundled_case()
        report = faults.qa_police(case, case.police_csv)
        checked, highs = 1, int(report.counts()["high"] > 0)
    print(f"false alarms: {highs} of {checked} real months")
    assert highs == 0


# --- the report itself -------------------------------------------------------------------------


def test_profiles_round_trip_and_report_is_reproducible(tmp_path):
    case = faults.bundled_case()
    text = faults.BUNDLED_HISTORY.read_text(encoding="utf-8")
    again = [MonthProfile.from_dict(p.to_dict()) for p in read_profiles_json(text)]
    assert again == case.history
    load = load_extracts([str(case.police_csv)])
    one = run_release_qa(load.crimes, case.history, rejects=load.rejects)
    two = run_release_qa(load.crimes, again, rejects=load.rejects)
    assert one.to_dict() == two.to_dict()
    json_path, html_path = write_report(one, tmp_path / "qa")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["month"] == "2022-10" and data["counts"] == one.counts()
    record = qa_record(one)
    assert record["verdict"] == one.verdict
    assert len(record["report_sha256"]) == 64
    html = html_path.read_text(encoding="utf-8")
    assert "<table>" in html and 'scope="row"' in html


def test_too_little_history_is_said_and_counts_are_not_tested():
    case = faults.bundled_case()
    load = load_extracts([str(case.police_csv)])
    report = run_release_qa(load.crimes, case.history[-2:])
    ran = {c["name"]: c["ran"] for c in report.checks}
    assert not ran["category_count"] and not ran["total_count"]
    history = [f for f in report.findings if f.check == "history"]
    assert history and history[0].severity == "high"


def test_hostile_text_is_escaped_in_the_report(tmp_path):
    case = faults.bundled_case()
    frame = case.raw.copy()
    frame.loc[0, "Outcome"] = "<script>alert(1)</script>"
    csv = tmp_path / "2022-10-force-extract.csv"
    frame.to_csv(csv, index=False)
    load = load_extracts([str(csv)], profile=case.profile)
    # the loader rejects the unknown outcome: plant it straight into the table instead
    crimes = load.crimes.copy()
    crimes["lsoa_code"] = crimes["lsoa_code"].cat.add_categories(['"><img src=x onerror=1>'])
    crimes.loc[0, "lsoa_code"] = '"><img src=x onerror=1>'
    report = run_release_qa(crimes, case.history, map_points=case.points)
    html = render_report_html(report)
    assert "<img" not in html and "<script>" not in html
    assert any('"><img' in a for f in report.findings for a in f.areas)


def test_qa_history_file_is_small_and_real():
    size = faults.BUNDLED_HISTORY.stat().st_size
    assert size < 600_000
    history = read_profiles_json(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))
    assert [p.month for p in history] == [f"2021-{m}" for m in ("10", "11", "12")] + [
        f"2022-{m:02d}" for m in range(1, 10)
    ]
    assert all(3000 < p.rows < 7000 for p in history)
    assert np.all([p.by_category.get("Shoplifting", 0) > 50 for p in history])


def test_sample_history_is_what_the_cut_script_makes(tmp_path, monkeypatch):
    """The bundled profiles are what cut_qa_history.py makes from the real files (where the
    checkout has them; otherwise from the bundled history, they must read back equal)."""
    history = read_profiles_json(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))
    if not faults.shared_months():
        assert profiles_json(history) == faults.BUNDLED_HISTORY.read_text(encoding="utf-8")
        return
    monkeypatch.syspath_prepend(str(faults.SAMPLES))
    import cut_qa_history

    monkeypatch.setattr(cut_qa_history, "OUT", tmp_path / "history.json")
    cut_qa_history.main(faults.SHARED_DATA)
    made = (tmp_path / "history.json").read_text(encoding="utf-8")
    assert made == faults.BUNDLED_HISTORY.read_text(encoding="utf-8")


def test_a_whole_file_sent_twice_is_found_across_files(tmp_path):
    case = faults.bundled_case()
    first = tmp_path / "a" / case.police_csv.name
    second = tmp_path / "b" / case.police_csv.name
    data = case.police_csv.read_bytes()
    for path, text in ((first, data), (second, data)):
        path.parent.mkdir()
        path.write_bytes(text)
    with pytest.raises(InputError, match="holds the same bytes"):  # the load refuses a copy
        load_extracts([str(first), str(second)])
    # saved again with other line endings, the copy is other bytes: the QA finds it
    crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    second.write_bytes(crlf if crlf != data else data.replace(b"\r\n", b"\n"))
    load = load_extracts([str(first), str(second)])
    report = run_release_qa(load.crimes, case.history, rejects=load.rejects)
    refs = faults.high(report, "duplicate_reference")
    assert refs and refs[0].rows == len(load.rejects) > 4000
    # the anti-social behaviour rows (no reference) are kept: the second copy is found by content
    batch = faults.high(report, "duplicate_batch")
    assert batch and batch[0].measures["different_rows"] >= 20
    assert batch[0].lines[0].startswith(f"{second}:")
