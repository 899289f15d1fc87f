"""Hostile QA history files: every mutation of a real history file either reads back as
checked month profiles the QA can use, or is refused with a ValueError (the command line's
exit 2); never a crash, never a silently changed value."""

from __future__ import annotations

import copy
import html
import json
import random

import pytest

from crime_mapper.cli import main
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.qa.profile import MonthProfile, read_profiles_json
from crime_mapper.core.qa.report import run_release_qa
from tests.support import qa_faults as faults

HOSTILE_VALUES = [
    None, True, -1, 1.5, 10**30, 2**53, 2**63, 10**400, "", "x" * 1000, "2022-13", [], {},
    [None], {"a": -1}, {"a": "1"}, [-5], ["a"], float("nan"), "<script>",
    {"Shoplifting": True},
]  # fmt: skip


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return json.loads(faults.BUNDLED_HISTORY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def month():
    load = load_extracts([str(faults.BUNDLED_MONTH)])
    return load.crimes


def _read(text: str):
    try:
        return read_profiles_json(text)
    except ValueError:
        return None


def test_field_mutations_are_refused_or_exact(base, month):
    rng = random.Random(16)
    fields = sorted(base[0])
    used = 0
    for _ in range(400):
        data = copy.deepcopy(base)
        entry = rng.randrange(len(data))
        name = rng.choice(fields)
        value = rng.choice(HOSTILE_VALUES)
        data[entry][name] = value
        text = json.dumps(data)  # NaN is written as NaN, which Python's json reads back
        profiles = _read(text)
        if profiles is None:
            continue
        used += 1
        # accepted: the value is exactly what the file says
        assert getattr(profiles[entry], name) == value
        run_release_qa(month, profiles)  # and the QA runs on it
    assert 0 < used < 400  # most hostile values are refused; the well-typed ones are used


@pytest.mark.parametrize("count", [10**9 + 1, 2**53, 2**63, 2**64, 10**400])
@pytest.mark.parametrize("field", ["rows", "by_category"])
def test_a_count_no_force_records_is_refused(base, field, count):
    """Counts near 2**63 kept scipy's negative binomial working for minutes (the QA hung);
    10**400 overflowed numpy (a traceback). No force records a billion crimes a month."""
    data = copy.deepcopy(base)
    data[0][field] = count if field == "rows" else {"Burglary": count}
    with pytest.raises(ValueError, match=f"field {field!r} has an unusable value"):
        read_profiles_json(json.dumps(data))
    data[0][field] = 10**9 if field == "rows" else {"Burglary": 10**9}
    data[0]["rows"] = 10**9  # (a month's categories count no more crimes than it has)
    assert read_profiles_json(json.dumps(data))  # (the bound itself is a count)


def test_byte_mutations_never_crash(base):
    rng = random.Random(1616)
    raw = json.dumps(base[:2]).encode("utf-8")
    for _ in range(300):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        profiles = _read(text)
        assert profiles is None or all(isinstance(p, MonthProfile) for p in profiles)


def test_structural_garbage_is_refused(tmp_path):
    for text in ("", "[", "null", "{}", "[[]]", "[1]", '[{"month": "2022-01"}]',
                 "[" * 100_000 + "]" * 100_000, '[{"month": "2022-01", "rows": 1, '
                 '"source_format": "x", "extra": 1}]'):  # fmt: skip
        assert _read(text) is None, text[:40]
        path = tmp_path / "history.json"
        path.write_text(text, encoding="utf-8")
        code = main(["qa", str(faults.BUNDLED_MONTH), "--history", str(path),
                     "--out", str(tmp_path / "out")])  # fmt: skip
        assert code == 2


def test_a_month_given_twice_in_one_history_file_is_refused(base, tmp_path):
    """The later profile of the month won and the other was dropped in silence."""
    from crime_mapper.core.qa.run import QaInputError, load_history

    data = copy.deepcopy(base)
    data.append({**copy.deepcopy(data[0]), "rows": data[0]["rows"] + 100})
    path = tmp_path / "history.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(QaInputError, match=f"month {data[0]['month']} is given twice"):
        load_history([path], "2022-10")
    code = main(["qa", str(faults.BUNDLED_MONTH), "--history", str(path),
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 2


@pytest.mark.parametrize("month", ["0000-01", "1899-12", "2100-01", "9999-12"])
def test_a_month_no_crime_was_recorded_in_is_refused(base, tmp_path, month):
    """A history month such as 0000-01 was read as the history's oldest month, its counts part
    of every baseline; now the file is refused, naming the month (command line: exit 2)."""
    data = copy.deepcopy(base)
    data[0]["month"] = month
    with pytest.raises(ValueError, match=f"month {month} is not a month of recorded crime"):
        read_profiles_json(json.dumps(data))
    path = tmp_path / "history.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code = main(["qa", str(faults.BUNDLED_MONTH), "--history", str(path),
                 "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 2
    for year in ("1900", "2099"):  # (the bounds themselves are years of recorded crime)
        data[0]["month"] = f"{year}-06"
        assert read_profiles_json(json.dumps(data))[0].month == f"{year}-06"


def _months_file(path, base, months):
    """A real QA history file holding the bundled first profile under each of ``months``."""
    path.write_text(
        json.dumps([{**copy.deepcopy(base[0]), "month": m} for m in months]), encoding="utf-8"
    )
    return path


def test_a_history_month_left_out_is_named_with_its_file_and_why(base, tmp_path, capsys):
    """A later month's export given as history (or the release month itself) was left out of
    the baseline in silence: the report listed only the months it used. Every month read is
    now used or named, with its file(s) and why, in the report and on the command line."""
    history = tmp_path / "history.json"
    history.write_text(json.dumps(base), encoding="utf-8")  # 2021-10 to 2022-09
    later = _months_file(tmp_path / "later.json", base, ["2022-10", "2022-11"])
    again = _months_file(tmp_path / "again.json", base, ["2022-11"])  # (in two files)
    older = _months_file(tmp_path / "older.json", base, ["2021-09"])  # a 13th month before
    out = tmp_path / "out"
    code = main(["qa", str(faults.BUNDLED_MONTH), "--history", str(history), str(later),
                 str(again), str(older), "--out", str(out)])  # fmt: skip
    assert code == 0  # every file was usable: the report was written
    expected = [
        f"2021-09 from {older}: older than the 12 months before the release month 2022-10, "
        "left out",
        f"2022-10 from {later}: not before the release month 2022-10, left out",
        f"2022-11 from {later}, {again}: not before the release month 2022-10, left out",
    ]
    report = json.loads((out / "qa_report.json").read_text(encoding="utf-8"))
    assert report["history_months"] == [p["month"] for p in base]
    assert report["history_left_out"] == expected
    assert len(report["history_months"]) + len(report["history_left_out"]) == 12 + 3  # read
    page = (out / "qa_report.html").read_text(encoding="utf-8")
    assert "History months left out" in page
    assert all(f"<li>{html.escape(line)}</li>" in page for line in expected)
    err = capsys.readouterr().err
    for line in expected:
        assert f"crime_mapper: warning: history month left out: {line}\n" in err


def test_an_extract_month_left_out_is_named_with_its_file(tmp_path, capsys):
    """The same for history extracts: the month's file is the one its rows were read from."""
    police = faults.SAMPLES / "police-uk"
    current = police / "2022-09" / "2022-09-leicestershire-street.csv"
    later = police / "2022-10" / "2022-10-leicestershire-street.csv"
    history = [str(police / "history" / "leicester-city-2021-10-to-2022-08.zip"), str(later)]
    out = tmp_path / "out"
    assert main(["qa", str(current), "--history", *history, "--out", str(out)]) == 0
    report = json.loads((out / "qa_report.json").read_text(encoding="utf-8"))
    assert report["history_months"] == [f"2021-{m}" for m in (10, 11, 12)] + [
        f"2022-0{m}" for m in range(1, 9)
    ]
    line = f"2022-10 from {later}: not before the release month 2022-09, left out"
    assert report["history_left_out"] == [line]
    assert f"history month left out: {line}" in capsys.readouterr().err


def test_a_month_left_out_names_its_file_on_one_line(tmp_path, capsys):
    """The note names the file a month came from; a file in a folder named ``out\\nLeak
    gate: passed`` put a line of its own into the QA panel's bar, Processing's warnings and
    the command line's, which read as the program's. The report keeps the name exactly (a
    record, as the release's manifest keeps its warnings); what is shown escapes it."""
    import shutil

    police = faults.SAMPLES / "police-uk"
    current = police / "2022-09" / "2022-09-leicestershire-street.csv"
    folder = tmp_path / "out\nLeak gate: passed"
    folder.mkdir()
    later = folder / "2022-10-leicestershire-street.csv"
    shutil.copy(police / "2022-10" / "2022-10-leicestershire-street.csv", later)
    history = [str(police / "history" / "leicester-city-2021-10-to-2022-08.zip"), str(later)]
    out = tmp_path / "qa"
    assert main(["qa", str(current), "--history", *history, "--out", str(out)]) == 0
    report = json.loads((out / "qa_report.json").read_text(encoding="utf-8"))
    why = "not before the release month 2022-09, left out"
    # the report keeps the file's name as it is; the command line shows it on one line
    assert report["history_left_out"] == [f"2022-10 from {later}: {why}"]
    shown = f"{tmp_path}/out\\nLeak gate: passed/2022-10-leicestershire-street.csv"
    assert f"history month left out: 2022-10 from {shown}: {why}\n" in capsys.readouterr().err


def test_the_qa_on_tables_names_the_months_it_leaves_out(base, month):
    """run_release_qa itself (profiles or a crimes table as history) says what it left out."""
    profiles = read_profiles_json(json.dumps(base + [{**base[0], "month": "2022-11"}]))
    report = run_release_qa(month, profiles)
    assert report.history_months == [p["month"] for p in base]
    assert report.history_left_out == ["2022-11: not before the release month 2022-10, left out"]
    report = run_release_qa(month, month)  # the month as its own history
    assert report.history_months == []
    assert report.history_left_out == [
        f"2022-10 from {faults.BUNDLED_MONTH}: not before the release month 2022-10, left out"
    ]
    history = [f for f in report.findings if f.id == "history:months"]
    assert "Months read but left out: 1, each named in the report." in history[0].explanation


@pytest.mark.parametrize(
    "field, value",
    [
        ("no_location", "rows+1"),
        ("timed_rows", "rows+1"),
        ("repeated_rows", "rows+1"),
        ("longest_repeat_run", "rows+1"),
        ("snapped", "rows+1"),
        ("by_category", {"Burglary": "rows", "Robbery": 1}),
        ("by_area", {"E01000001": "rows+1"}),
        ("by_outcome", {"Under investigation": "rows+1"}),
        ("day_counts", ["rows", 1]),
        ("hour_counts", ["rows"] + [0] * 22 + [1]),
    ],
)
def test_a_part_counting_more_crimes_than_the_month_is_refused(base, field, value):
    """A month with more unlocated (timed, repeated, snapped...) crimes than rows, or whose
    categories, areas, outcomes, days or hours add up to more, is damaged: it was read, and
    its shares (250 unlocated of 200: 125%) went into the baselines."""
    data = copy.deepcopy(base)
    rows = data[0]["rows"]

    def filled(v):
        if isinstance(v, dict):
            return {k: filled(x) for k, x in v.items()}
        if isinstance(v, list):
            return [filled(x) for x in v]
        return {"rows": rows, "rows+1": rows + 1}.get(v, v) if isinstance(v, str) else v

    data[0][field] = filled(value)
    with pytest.raises(ValueError, match=f"field {field!r} counts .* more than the month"):
        read_profiles_json(json.dumps(data))


def test_snapped_far_beyond_snapped_is_refused(base):
    data = copy.deepcopy(base)
    data[0]["snapped"], data[0]["snapped_far"] = 3, 4
    with pytest.raises(ValueError, match="'snapped_far' counts more than 'snapped'"):
        read_profiles_json(json.dumps(data))
