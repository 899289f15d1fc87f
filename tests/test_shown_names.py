"""Hostile names and values in messages: what the command line, the load's report and
Processing say of a file named, or a cell holding, an ESC sequence, a bare CR, a newline or
a bidi override.

Why: the messages quote the analyst's file names and values read from files. A file named
``a\\rFAKE OK`` wrote over the line its error was on, ``\\x1b[31m`` or ``\\x1b]0;...\\x07``
rewrote the terminal, ``\\u202e`` reordered the rest of the line, and a newline in a name
started a line of its own in the load's report ("Leak gate: passed"). Each is now shown
escaped (core.common.text_file: shown_text at the command line's and Processing's output,
shown_path and shown_line where a message names a file). Real files, the real command line,
the real Processing framework.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper import cli
from crime_mapper.core.common.text_file import shown_line, shown_path, shown_text

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"

#: What a hostile name or cell holds, by case.
HOSTILE = {
    "esc": "red\x1b[31mX\x1b[0m",
    "osc": "t\x1b]0;title\x07\x1b[2J",
    "cr": "a\rFAKE OK",
    "newline": "n\ncrime_mapper: Leak gate: passed",
    "bidi": "b\u202evsc.exe",
}

#: Characters that must never reach a terminal or a log raw from a name or a value.
RAW = ("\x1b", "\r", "\x07", "\u202e")


def _raw(text: str) -> list[str]:
    return [c for c in RAW if c in text]


def test_shown_text_escapes_all_but_a_message_s_layout():
    assert shown_text("a\x1b[2J\rb\u202ec\x00\n\td") == "a\\x1b[2J\\rb\\u202ec\\x00\n\td"
    assert shown_line("a\nb\tc\x1b") == "a\\nb\\tc\\x1b"
    plain = "Leak gate FAILED: 1 of 9 checks failed; été “x” … 1,234\n  - check\tx"
    assert shown_text(plain) == plain  # (what every ordinary message holds: unchanged)
    assert shown_text(shown_text("\x1b\r")) == shown_text("\x1b\r")  # (escaped once only)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_missing_input_named_hostile_is_one_escaped_line(tmp_path, capsys, case):
    path = tmp_path / f"missing-{HOSTILE[case]}.csv"
    code = cli.main(["load", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err == f"crime_mapper: error: Extract not found: {shown_path(path)}\n", err
    assert not _raw(err)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_salt_file_named_hostile_is_shown_escaped(tmp_path, capsys, case):
    salt = tmp_path / f"salt-{HOSTILE[case]}"
    salt.write_text("too short\n")
    code = cli.main(["salt", "--check", str(salt)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert err.startswith(f"crime_mapper: error: The salt in {shown_path(salt)} is 9 bytes"), err
    assert err.count("\n") == 1 and not _raw(err)


def _lookup(folder: Path, value: str) -> Path:
    """An area lookup whose second LSOA code (a cell) is ``value``, with no area."""
    path = folder / "lookup.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(f'lsoa,area\nE01000001,North\n"E01{value}",\n')
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_cell_value_quoted_in_an_error_is_escaped(tmp_path, capsys, case):
    lookup = _lookup(tmp_path, HOSTILE[case])
    argv = ["qa", str(SAMPLE / "2022-10"), "--history", str(SAMPLE / "2022-09")]
    code = cli.main([*argv, "--out", str(tmp_path / "qa"), "--areas", str(lookup)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert f"LSOA E01{shown_line(HOSTILE[case])} has no area" in err, err
    assert err.count("\n") == 1 and not _raw(err)


def test_the_load_report_names_a_hostile_file_on_its_own_line(tmp_path, capsys):
    bad = tmp_path / f"bad{HOSTILE['newline']}{HOSTILE['esc']}.csv"
    bad.write_text("a,b\n1,2\n")
    out = tmp_path / "out"
    code = cli.main(["load", str(SAMPLE / "2022-09"), str(bad), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_FILE_ERROR
    for text in (captured.out, (out / "validation_report.txt").read_text(encoding="utf-8")):
        assert not _raw(text)
        assert not any(line.startswith("crime_mapper: Leak gate") for line in text.splitlines())
        assert f"  {shown_line(bad)}: not loaded (see above)" in text.splitlines()


@pytest.mark.parametrize("case", ["esc", "cr", "newline", "bidi"])
def test_processing_shows_a_cell_value_escaped(provider, tmp_path, case):
    """The message of the release QA's refusal, as the toolbox and qgis_process show it."""
    import processing
    from qgis.core import QgsProcessingException

    params = {
        "CRIMES_FILES": [str(SAMPLE / "2022-10")],
        "HISTORY": [str(SAMPLE / "2022-09")],
        "AREAS": str(_lookup(tmp_path, HOSTILE[case])),
        "OUTPUT_FOLDER": str(tmp_path / "qa"),
    }
    with pytest.raises(QgsProcessingException) as caught:
        processing.run("crime_mapper:release_qa", params)
    message = str(caught.value)
    assert f"LSOA E01{shown_line(HOSTILE[case])} has no area" in message, message
    assert not _raw(message)


def test_processing_feedback_shows_a_hostile_file_name_escaped(provider, tmp_path):
    """What an algorithm pushes to the log (the load's unusable file, its report)."""
    import processing
    from qgis.core import QgsProcessingFeedback

    class Kept(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.texts: list[str] = []

        def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API
            self.texts.append(info)

        def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803
            self.texts.append(error)

    # (in a folder: a multiple-file parameter splits its text at newlines and semicolons)
    (tmp_path / "inputs").mkdir()
    bad = tmp_path / "inputs" / f"bad{HOSTILE['newline']}{HOSTILE['osc']}.csv"
    bad.write_text("a,b\n1,2\n")
    feedback = Kept()
    params = {
        "INPUT": [str(SAMPLE / "2022-09"), str(bad.parent)],
        "OUTPUT": str(tmp_path / "crimes.gpkg"),
        "REJECTS": str(tmp_path / "rejects.csv"),
        "REPORT": str(tmp_path / "report.json"),
    }
    processing.run("crime_mapper:load_extracts", params, feedback=feedback)
    said = "\n".join(feedback.texts)
    assert shown_line(bad) in said, said
    assert not _raw(said)
    assert not any(line.startswith("crime_mapper: Leak gate") for line in said.splitlines())


@pytest.mark.parametrize("case", ["esc", "osc", "cr", "bidi"])
def test_processing_shows_a_message_the_core_left_raw_escaped(provider, tmp_path, case):
    """Processing's one gate (processing/base.py), whatever the core's message: a mapping
    profile that is not a JSON object is refused naming the file as given."""
    import processing
    from qgis.core import QgsProcessingException

    profile = tmp_path / f"profile-{HOSTILE[case]}.json"
    profile.write_text("[]\n")
    params = {
        "INPUT": [str(SAMPLE / "2022-09")],
        "PROFILE": str(profile),
        "OUTPUT": str(tmp_path / "crimes.gpkg"),
        "REJECTS": str(tmp_path / "rejects.csv"),
        "REPORT": str(tmp_path / "report.json"),
    }
    with pytest.raises(QgsProcessingException) as caught:
        processing.run("crime_mapper:load_extracts", params)
    message = str(caught.value)
    assert f"{shown_line(profile)}: a mapping profile is a JSON object" in message, message
    assert not _raw(message)


def test_the_dock_s_messages_are_shown_escaped(qgis_iface):
    """The panels' one gate (ui/task_runner.notify): the message bar and the message log."""
    from qgis.core import Qgis, QgsApplication

    from crime_mapper.ui.task_runner import notify

    logged: list[str] = []

    def keep(message: str, tag: str, level) -> None:
        if tag == "crime_mapper":
            logged.append(message)

    log = QgsApplication.messageLog()
    log.messageReceived.connect(keep)
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    text = "Extract not found: /data/" + "".join(HOSTILE.values())
    try:
        notify(qgis_iface, text, Qgis.MessageLevel.Critical)
    finally:
        log.messageReceived.disconnect(keep)
    shown = bar.get_messages(Qgis.MessageLevel.Critical)
    assert any(shown_text(text) in m for m in shown), shown
    assert not any(_raw(m) for m in shown)
    assert logged == [shown_text(text)]


def test_the_leak_gate_s_verdict_names_its_output_on_one_line():
    """A release folder named with a newline and a verdict cannot add a verdict of its own."""
    from crime_mapper.core.gate.leak_gate import GateReport

    output = "/releases/2022-10\nLeak gate passed for /releases/2022-10: all 30 checks passed."
    message = GateReport(passed=True, checks=[], output=output).message()
    assert message == f"Leak gate passed for {shown_line(output)}: all 0 checks passed."
    assert message.count("\n") == 0


def test_processing_names_a_profile_with_a_newline_on_one_line(provider, tmp_path):
    """Processing keeps a message's own newlines: the profile's name is shown on one line
    by the core (core.load.mapping_profile), or it would start a line of its own."""
    import processing
    from qgis.core import QgsProcessingException

    profile = tmp_path / "p\nLoad complete: 0 problems.json"
    profile.write_text("[]\n")
    params = {
        "INPUT": [str(SAMPLE / "2022-09")],
        "PROFILE": str(profile),
        "OUTPUT": str(tmp_path / "crimes.gpkg"),
        "REJECTS": str(tmp_path / "rejects.csv"),
        "REPORT": str(tmp_path / "report.json"),
    }
    with pytest.raises(QgsProcessingException) as caught:
        processing.run("crime_mapper:load_extracts", params)
    message = str(caught.value)
    assert f"{shown_line(profile)}: a mapping profile is a JSON object" in message, message
    assert not any(line.startswith("Load complete") for line in message.splitlines())


def test_an_offence_table_with_a_newline_is_named_on_one_line(tmp_path):
    from crime_mapper.core.load.mapping_profile import ProfileError, read_offence_table

    table = tmp_path / "offences\nLoad complete.csv"
    table.write_text("offence,crime\nTheft,Shoplifting\n")
    with pytest.raises(ProfileError) as caught:
        read_offence_table(table)
    assert str(caught.value).startswith(f"{shown_line(table)}: the offence mapping table's")
    assert "\n" not in str(caught.value)
