"""A force name holding a control character or a bidirectional control is refused wherever
it is set, naming the setting: the mapping profile's ``reported_by`` and ``falls_within``,
the release configuration's ``release.force`` and the summaries' ``--force-name``.

Why: the name is published (the public CSV's "Reported by" and "Falls within", page titles
and headings, the audit) and names files. The profile refused C0, DEL and C1 but took a
tab, a line break and a right-to-left override; the release configuration keeps every
text as written (its save must read back) and took an ESC sequence ("\\x1b[31m") into the
release; the summaries refused C0 and C1 but took the bidi controls. One rule now
(core.common.text_file.force_name_problem). Real files and the real command line.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from crime_mapper import cli as cli_module
from crime_mapper.core.common.text_file import MAX_FORCE_NAME, force_name_problem
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.load.profile_checks import profile_problems
from crime_mapper.core.monthly.config import read_config
from tests.support.monthly_config import MONTH, cli, config_file
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE

#: name -> the character the refusal shows (escaped as Python writes it)
HOSTILE = {
    "\x1b[31mLeicestershire Police": "'\\x1b'",
    "Leicestershire\tPolice": "'\\t'",
    "Leicestershire\nPolice": "'\\n'",
    "Leicestershire\rPolice": "'\\r'",
    "Leicestershire Police\x7f": "'\\x7f'",
    "Leicestershire \x85Police": "'\\x85'",
    "Leicestershire\u2028Police": "'\\u2028'",
    "Leicestershire\u2029Police": "'\\u2029'",
    "Leicestershire \u202eeciloP": "'\\u202e'",
    "Leicestershire \u202aPolice\u202c": "'\\u202a'",
    "Leicestershire \u2066Police\u2069": "'\\u2066'",
    "Leicestershire \u2068Police": "'\\u2068'",
}
FINE = ["Leicestershire Police", "Heddlu Dyfed-Powys", "Police Scotland – Ÿ", "القوة"]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_one_rule_names_the_character(name: str) -> None:
    assert force_name_problem(name).endswith(f"({HOSTILE[name]})")


@pytest.mark.parametrize("name", FINE)
def test_a_visible_name_in_any_script_is_a_name(name: str) -> None:
    assert force_name_problem(name) == ""


def _profile(tmp_path: Path, key: str, name: str) -> Path:
    data = json.loads(FORCE_PROFILE.read_text(encoding="utf-8"))
    data[key] = name
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["reported_by", "falls_within"])
@pytest.mark.parametrize("name", HOSTILE)
def test_a_profile_force_name_is_refused_naming_the_setting(tmp_path, capsys, key, name):
    path = _profile(tmp_path, key, name)
    with pytest.raises(ProfileError, match=f"{key} .* holds a"):
        MappingProfile.load(path)
    out = tmp_path / "out"
    code = cli_module.main(["load", str(FORCE_EXTRACT), "--profile", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and f"{key} " in err and HOSTILE[name] in err, err
    assert not out.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_a_release_force_is_a_problem_of_the_release(tmp_path, name):
    config = read_config(config_file(tmp_path, release__force=name))
    assert config.force == name  # (read as written: the dock's save reads back)
    found = config.problems_by_step(MONTH)["release"]
    assert any("(release.force)" in p and HOSTILE[name] in p for p in found), found


def test_the_release_command_refuses_it_before_the_load(tmp_path):
    path = config_file(tmp_path, release__force="\x1b[31mLeicestershire Police")
    done = cli("release", path, "--month", MONTH, "--no-qgis")
    assert done.returncode == 2, done.stderr[-3000:]
    assert "The check step failed" in done.stderr and "Traceback" not in done.stderr
    assert "holds a control character ('\\x1b') (release.force)" in done.stderr
    assert "\x1b" not in done.stderr
    assert not (tmp_path / "out" / MONTH).exists()


# A force name longer than MAX_FORCE_NAME: the profile refused it, the release configuration
# and the summaries took any length (into page titles and headings). One limit now.
LONG = ("Leicestershire Police " * 6).strip()  # 131 characters
LONGEST = LONG[:MAX_FORCE_NAME]  # (ends in a letter: a text is read stripped)


def test_the_one_rule_names_the_length_and_the_limit() -> None:
    assert force_name_problem(LONG) == (
        f"is 131 characters long: a force's name is at most {MAX_FORCE_NAME} characters "
        "(it names the release's files, and is published)"
    )
    assert force_name_problem(LONGEST) == ""
    assert force_name_problem("Ÿ" * MAX_FORCE_NAME) == ""  # (characters, not bytes)


@pytest.mark.parametrize("key", ["reported_by", "falls_within"])
def test_the_profile_uses_the_one_limit(tmp_path, key):
    with pytest.raises(ProfileError, match=f"{key} .* is 131 characters long: .* at most 120"):
        MappingProfile.load(_profile(tmp_path, key, LONG))
    assert getattr(MappingProfile.load(_profile(tmp_path, key, LONGEST)), key) == LONGEST


def test_an_overlong_profile_name_is_refused_naming_the_profile(tmp_path, capsys):
    """A profile's name took any length: a 10 MB one was printed whole in the load's
    report. The force names' limit now, refused naming the profile's file and its name
    (cut), on the command line and in the dialog's checks; nothing is written."""
    path = _profile(tmp_path, "name", "Leics RMS " * 1_000_000)
    with pytest.raises(ProfileError) as refused:
        MappingProfile.load(path)
    said = str(refused.value)
    assert said.startswith(f"{path}: name 'Leics RMS Leics RMS ")
    assert said.endswith(
        "is 10,000,000 characters long: a profile's name is at most 120 characters (it is "
        "shown in the load's report)"
    )
    assert len(said) < 400
    out = tmp_path / "out"
    code = cli_module.main(["load", str(FORCE_EXTRACT), "--profile", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "is 10,000,000 characters long" in err and len(err) < 2000, err[:500]
    assert not out.exists()
    problems = profile_problems(replace(MappingProfile.load(FORCE_PROFILE), name=LONG))
    assert problems == [
        f"The profile's name {LONG!r:.80} is 131 characters long: a profile's name is at most "
        "120 characters (it is shown in the load's report)."
    ]
    assert MappingProfile.load(_profile(tmp_path, "name", LONGEST)).name == LONGEST


def test_the_profile_dialog_checks_refuse_a_force_name_a_load_refuses():
    profile = replace(MappingProfile.load(FORCE_PROFILE), reported_by=LONG)
    assert any(
        "reported_by" in p and "is 131 characters long" in p for p in profile_problems(profile)
    )


def test_an_overlong_release_force_is_a_problem_of_the_release(tmp_path):
    config = read_config(config_file(tmp_path, release__force=LONG))
    assert config.force == LONG  # (read as written: the dock's save reads back)
    found = config.problems_by_step(MONTH)["release"]
    assert any(
        "is 131 characters long" in p and "at most 120" in p and "(release.force)" in p
        for p in found
    ), found
    config = read_config(config_file(tmp_path, release__force=LONGEST))
    assert config.problems_by_step(MONTH)["release"] == []


def test_the_release_command_refuses_an_overlong_force_before_the_load(tmp_path):
    path = config_file(tmp_path, release__force=LONG)
    done = cli("release", path, "--month", MONTH, "--no-qgis")
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "is 131 characters long: a force's name is at most 120" in done.stderr
    assert "(release.force)" in done.stderr
    assert not (tmp_path / "out" / MONTH).exists()
