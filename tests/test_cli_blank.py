"""A value given as spaces only, or empty, is refused by the command line, naming the
argument.

Why: ``--profile "   "`` was read as a file named three spaces and refused as "cannot read
mapping profile : ..." with nothing where the name goes; each reader took a blank its own
way. Real commands on the bundled sample data, through cli.main.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "police-uk" / "2022-09"


@pytest.mark.parametrize(
    "argv, name",
    [
        (["load", str(SAMPLE), "--out", "OUT", "--profile", "   "], "--profile"),
        (["load", "  ", "--out", "OUT"], "INPUT"),
        (["load", str(SAMPLE), "--out", "\t"], "--out"),
        (["webmap", str(SAMPLE), "--out", "OUT", "--title", " "], "--title"),
    ],
)
def test_a_blank_argument_is_refused_naming_it(
    argv: list[str], name: str, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # (an --out of spaces, were it taken, is made here)
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"crime_mapper: error: {name} is blank (spaces only)" in err
    assert list(tmp_path.iterdir()) == []  # nothing made


def test_a_given_path_is_read_as_before(tmp_path: Path) -> None:
    """Only spaces alone are refused."""
    assert cli.main(["load", str(SAMPLE), "--out", str(tmp_path / "out")]) == cli.EXIT_OK


@pytest.mark.parametrize(
    "argv, name",
    [
        (["load", "", "--out", "OUT"], "INPUT"),
        (["load", str(SAMPLE), "", "--out", "OUT"], "INPUT"),
        (["load", str(SAMPLE), "--out", ""], "--out"),
        (["load", str(SAMPLE), "--out", "OUT", "--profile", ""], "--profile"),
        (["qa", str(SAMPLE), "--history", "", "--out", "OUT"], "--history"),
    ],
)
def test_an_empty_argument_is_refused_naming_it(
    argv: list[str], name: str, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    """An empty INPUT was read as the current folder (Path("") is "."): a script's unset
    variable loaded or checked whatever extracts lay where it ran; an empty --out wrote there."""
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")  # (what an empty path would have been)
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"crime_mapper: error: {name} is empty: give a value, or leave it out" in err
    assert list((tmp_path / "here").iterdir()) == [] and not (tmp_path / "out").exists()


def test_an_option_whose_default_is_empty_may_be_given_empty() -> None:
    """--tiles-attribution "" is its default (no attribution text): not a blank to refuse."""
    parser = cli.build_parser()
    argv = ["webmap", str(SAMPLE), "--out", "o", "--tiles-attribution", ""]
    cli._refuse_blank(parser, parser.parse_args(argv))  # (no UsageError)
    with pytest.raises(cli.UsageError, match="--title is empty"):
        cli._refuse_blank(parser, parser.parse_args(argv + ["--title", ""]))
