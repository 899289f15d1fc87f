"""Every JSON file a user hands the tool (mapping profile, release rules, neighbourhood
outlines, team information, QA report, QA history), damaged or hostile: each reader raises
its own error, naming the file, never a UnicodeDecodeError or RecursionError traceback, and
the command line turns that into exit code 2 with one line.

The damage is real bytes in real files: not UTF-8, nested past Python's recursion limit, cut
short, a NUL, a directory where a file belongs; then random mutations of the real files the
product ships or its tests use."""

from __future__ import annotations

import json
import random
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from crime_mapper.core.common.json_file import parse_json_text, read_json_file
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.publish.neighbourhoods import NeighbourhoodError, read_geojson
from crime_mapper.core.publish.summaries_team import TeamError, read_team
from crime_mapper.core.qa.report import qa_record_from_file
from crime_mapper.core.qa.run import QaInputError, load_history
from crime_mapper.core.release.rules import ReleaseRules, ReleaseRulesError
from tests.support.json_edits import json_places, replaced

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
DEEP = b"[" * 200_000 + b"]" * 200_000

#: reader name -> (a real file it reads, the call, the error it must raise)
READERS: dict[str, tuple[Path, Callable[[Path], Any], type]] = {
    "profile": (
        SAMPLE / "force" / "leicestershire-force-extract.profile.json",
        MappingProfile.load,
        ProfileError,
    ),
    "rules": (
        REPO / "crime_mapper" / "resources" / "release_rules_default.json",
        ReleaseRules.load,
        ReleaseRulesError,
    ),
    "neighbourhoods": (
        SAMPLE / "neighbourhoods" / "msoa11_leicester_city.geojson",
        lambda path: read_geojson(path, "msoa11cd", "msoa11nm"),
        NeighbourhoodError,
    ),
    "team": (REPO / "tests" / "data" / "summaries" / "team_hostile.json", read_team, TeamError),
    "qa_history": (
        SAMPLE / "qa" / "leicester-city-2021-10-to-2022-09.qa_history.json",
        lambda path: load_history([path], "2022-10"),
        QaInputError,
    ),
}
DAMAGE = {
    "not-utf8": b'{"a": "\xff\xfe"}',
    "nested-deep": DEEP,
    "cut-short": b'{"columns": {"crime_type": "Off',
    "nul": b'{"a": 1}\x00',
    "empty": b"",
    "bom-only": b"\xef\xbb\xbf",
    "latin-1": '{"name": "Caf\xe9"}'.encode("latin-1"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_damaged_json_file_raises_the_readers_own_error(tmp_path, reader, damage):
    _source, read, error = READERS[reader]
    path = tmp_path / f"{reader}.json"
    path.write_bytes(DAMAGE[damage])
    with pytest.raises(error) as caught:
        read(path)
    assert path.name in str(caught.value)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_folder_where_the_json_file_belongs_raises_the_readers_own_error(tmp_path, reader):
    _source, read, error = READERS[reader]
    folder = tmp_path / "a-folder.json"
    folder.mkdir()
    with pytest.raises(error):
        read(folder)


def _mutated(rng: random.Random, data: bytes) -> bytes:
    pieces = (b'"', b"\\", b"\x00", b"\xff", b"\xc3", b"[", b"{", b"]", b"}", b",", b":",
              b"1e999", b"-", b"null", b"\\ud800", b"\xef\xbb\xbf", b"[" * 5000)  # fmt: skip
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        if rng.random() < 0.6:
            out[at:at] = rng.choice(pieces)
        else:
            del out[at : at + rng.randint(1, 40)]
    return bytes(out)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_mutated_real_files_raise_only_the_readers_own_error(tmp_path, reader):
    source, read, error = READERS[reader]
    data = source.read_bytes()
    read(source)  # the control: the real file reads
    rng = random.Random(reader)
    for number in range(60):
        path = tmp_path / f"{number}.json"
        path.write_bytes(_mutated(rng, data))
        try:
            read(path)
        except error:
            pass


#: Values of every JSON type (and a few telling texts) put where the real file had another.
HOSTILE_VALUES = (
    None, True, 0, -1, 1.5, 1e308, float("nan"), 10**30, "", "\x00", "<script>", "../..",
    [], [None], [[[]]], {}, {"a": 1}, [1, "a", None], "E02002834", "2022-10",
)  # fmt: skip


@pytest.mark.parametrize("reader", sorted(READERS))
def test_values_of_another_type_raise_only_the_readers_own_error(tmp_path, reader):
    """Valid JSON of the wrong shape: a number where a list of rings belongs, a list where a
    profile's columns belong, a dictionary inside a coordinate pair."""
    source, read, error = READERS[reader]
    real = json.loads(source.read_text(encoding="utf-8-sig"))
    places = json_places(real, first_items=50)
    rng = random.Random(reader)
    path = tmp_path / f"{reader}.json"
    for _ in range(150):
        changed = real
        for _ in range(rng.randint(1, 3)):
            try:
                changed = replaced(changed, rng.choice(places), rng.choice(HOSTILE_VALUES))
            except (KeyError, IndexError, TypeError):
                pass  # (an earlier change took that place away)
        path.write_text(json.dumps(changed), encoding="utf-8")
        try:
            read(path)
        except error as exc:
            assert path.name in str(exc), str(exc)


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("crs", 5, "crs must be text, not 5"),
        ("columns", {"date": "Offence Date", "x": 1.5}, "columns: 'x' must map to text, not 1.5"),
        ("columns", ["date"], "columns must map text to text, not ['date']"),
        ("colour", "red", "unknown profile keys: colour"),
    ],
)
def test_a_profile_value_refused_names_the_file_and_the_entry(tmp_path, key, value, says):
    """Refused without a word of the file ("crs must be text, not 5"), and a map with one
    wrong entry was shown whole, cut at 80 characters, not the entry."""
    source = json.loads(READERS["profile"][0].read_text(encoding="utf-8-sig"))
    path = tmp_path / "force.profile.json"
    path.write_text(json.dumps(dict(source, **{key: value})), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        MappingProfile.load(path)
    assert str(caught.value) == f"{path}: {says}"


def test_a_qa_report_that_is_no_json_is_a_value_error_naming_it(tmp_path):
    for name, damage in DAMAGE.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(damage)
        with pytest.raises(ValueError, match="cannot use this QA report"):
            qa_record_from_file(path)


def test_the_helper_turns_every_failure_into_the_callers_error(tmp_path):
    class Refused(ValueError):
        pass

    for damage in DAMAGE.values():
        path = tmp_path / "x.json"
        path.write_bytes(damage)
        with pytest.raises(Refused, match="x.json"):
            read_json_file(path, Refused)
    with pytest.raises(Refused, match="cannot be read"):
        read_json_file(tmp_path / "absent.json", Refused)
    with pytest.raises(Refused, match="nested too deeply"):
        parse_json_text(DEEP.decode(), Refused, "text")
    (tmp_path / "ok.json").write_bytes(b'\xef\xbb\xbf{"a": [1, 2.5, "\\u00e9"]}')
    assert read_json_file(tmp_path / "ok.json", Refused) == {"a": [1, 2.5, "é"]}


@pytest.mark.parametrize("damage", ["not-utf8", "nested-deep"])
def test_the_command_line_reports_a_damaged_profile_in_one_line(tmp_path, damage):
    profile = tmp_path / "profile.json"
    profile.write_bytes(DAMAGE[damage])
    extract = SAMPLE / "force" / "2022-10-leicestershire-force-extract.csv"
    run = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", "load", str(extract), "--out",
         str(tmp_path / "out"), "--profile", str(profile)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "cannot read mapping profile" in run.stderr
    assert "Traceback" not in run.stderr


#: JSON that json.loads reads, but that means something other than it says or fails later
#: where the message cannot name the file (core.common.json_file.strict_json): a member
#: planted at the start of the file's first object, and what the refusal must say
MISLEADING = {
    "duplicate-key": ('"zz_planted": 1, "zz_planted": 2, ', "given twice"),
    "long-integer": ('"zz_planted": 1' + "0" * 5000 + ", ", "too long"),
    "lone-surrogate": ('"zz_planted": "x\\ud800y", ', "surrogate"),
    # (not JSON, but json.loads reads them: a team's name NaN was published as "nan")
    "nan": ('"zz_planted": NaN, ', "NaN is not a JSON number"),
    "infinity": ('"zz_planted": -Infinity, ', "-Infinity is not a JSON number"),
}


#: (the QA history is a cache this tool writes itself with json.dumps, which writes NaN for
#: a figure it does not have: read as written, as before)
OWN_FILES_WITH_NAN = {("qa_history", "nan"), ("qa_history", "infinity")}


@pytest.mark.parametrize(
    "reader, kind",
    [
        (reader, kind)
        for reader in sorted(READERS)
        for kind in sorted(MISLEADING)
        if (reader, kind) not in OWN_FILES_WITH_NAN
    ],
)
def test_json_that_reads_but_misleads_raises_the_readers_own_error(tmp_path, reader, kind):
    source, read, error = READERS[reader]
    member, says = MISLEADING[kind]
    text = source.read_text(encoding="utf-8-sig")
    path = tmp_path / f"{reader}.json"
    path.write_text(text.replace("{", "{" + member, 1), encoding="utf-8")
    with pytest.raises(error) as caught:
        read(path)
    assert path.name in str(caught.value) and says in str(caught.value)


def test_a_rules_file_that_gives_the_sensitive_action_twice_is_refused(tmp_path):
    """The case that made duplicate keys an error: the last one won, silently, and a second
    "sensitive_action": "map" published the rows the first withheld."""
    source = READERS["rules"][0].read_text(encoding="utf-8")
    assert '"sensitive_action": "withhold",' in source
    path = tmp_path / "rules.json"
    path.write_text(
        source.replace(
            '"sensitive_action": "withhold",',
            '"sensitive_action": "withhold",\n  "sensitive_action": "map",',
        ),
        encoding="utf-8",
    )
    with pytest.raises(ReleaseRulesError, match="'sensitive_action' is given twice"):
        ReleaseRules.load(path)


def test_what_only_looks_misleading_is_read():
    """A surrogate pair is one character; an escaped backslash before "ud800" is text; the
    same key in two objects is no repeat."""
    text = '{"a": "\\ud83d\\ude00", "b": "\\\\ud800", "c": [{"k": 1}, {"k": 2}], "d": 1' + "0" * 300
    assert parse_json_text(text + "}", ValueError, "x") == {
        "a": "\U0001f600",
        "b": "\\ud800",
        "c": [{"k": 1}, {"k": 2}],
        "d": 10**300,
    }


@pytest.mark.parametrize("command", ["anonymise", "check-release"])
def test_the_command_line_reports_a_rules_file_with_a_huge_number_in_one_line(tmp_path, command):
    source = READERS["rules"][0].read_text(encoding="utf-8")
    rules = tmp_path / "rules.json"
    rules.write_text(source.replace("{", '{"zz": 1' + "0" * 5000 + ", ", 1), encoding="utf-8")
    street = SAMPLE / "police-uk" / "2022-10"
    (tmp_path / "none.salt").write_text(secrets.token_hex(32), encoding="ascii")
    args = {
        "anonymise": [str(street), "--points", str(tmp_path / "none.csv"), "--salt-file",
                      str(tmp_path / "none.salt"), "--out", str(tmp_path / "out")],
        "check-release": [str(street), "--release", str(street), "--points",
                          str(tmp_path / "none.csv")],
    }[command]  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", command, *args, "--rules", str(rules)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in run.stderr
    assert run.returncode == 2 and "rules.json" in run.stderr and "too long" in run.stderr
