"""Numbers on the command line: written in ASCII digits, or refused with exit code 2.

Why: the options were read with Python's int() and float(), which also take "1_2" as 12
and other scripts' digits ("١٠" as 10): a typo became another value in silence, one that
the same option refuses in Processing (QGIS reads neither). The real parser, no QGIS.
"""

from __future__ import annotations

import pytest

from crime_mapper import cli

SUMMARIES = ["summaries", "r.csv", "--points", "p.csv", "--release", "r.csv", "--out", "o"]


@pytest.mark.parametrize("option", ["--period", "--suppress-below"])
@pytest.mark.parametrize("text", ["1_2", "١٠", "12.0", "1e1", "", " ", "0x10", "nan", "twelve"])
def test_a_whole_number_option_refuses_other_spellings(capsys, option, text):
    with pytest.raises(SystemExit) as stopped:
        cli.build_parser().parse_args([*SUMMARIES, option, text])
    assert stopped.value.code == 2
    assert f"must be a whole number, not {text!r}" in capsys.readouterr().err


@pytest.mark.parametrize("text, value", [("12", 12), ("+3", 3), (" 7 ", 7), ("0", 0), ("-1", -1)])
def test_a_whole_number_option_reads_digits(text, value):
    """The controls (a negative is read here and refused by the summaries' own range)."""
    assert cli.build_parser().parse_args([*SUMMARIES, "--period", text]).period == value


@pytest.mark.parametrize("text", ["1_000", "٢٠٠٠٠", "inf", "nan", "0", "-5", "", "20 km", "1e999"])
def test_metres_refuse_other_spellings(text):
    with pytest.raises(Exception, match="must be a positive number of metres"):
        cli.positive_metres(text)


@pytest.mark.parametrize(
    "text, value", [("20000", 20000.0), ("1e3", 1000.0), ("2.5", 2.5), (".5", 0.5), ("5.", 5.0)]
)
def test_metres_read_decimal_numbers(text, value):
    assert cli.positive_metres(text) == value
