"""A maximum snapping distance is refused showing the value as it was written, and every
spelling that is no usable distance gets a message saying which it is.

Why: the limit's message showed the float the value became, "123,456,789,012,345,683,968 m"
for 123456789012345678901 and a 300-digit number for 1e308; 100000.00000000000000001
(more than the limit as written) was taken as 100,000 m; a positive 1e-400 was called
"not positive" on the command line, and the release configuration said "not 0.0" of it
and "not inf" of 1.0e400. Real files: the command line's anonymise, the release
configuration read by its reader (tomllib, the Python 3.9 reader and JSON alike).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.common.json_file import WrittenFloat, WrittenInt
from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import ConfigError, read_config
from crime_mapper.core.release.release_limits import ReleaseInputError, check_max_distance
from tests.support.monthly_config import MONTH, config_file
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE, make_salt, plain_cli

OVER = ["123456789012345678901", "1e308", "100000.00000000000000001", "1" + "0" * 60]
#: text -> what the refusal says of it
NOT_A_DISTANCE = {
    "inf": "must be a positive number of metres",
    "nan": "must be a positive number of metres",
    "-0": "must be a positive number of metres",
    "0.000": "must be a positive number of metres",
    "-5": "must be a positive number of metres",
    "1_000": "must be a positive number of metres",
    "1e-400": "1e-400 is too small a number of metres to compute with (it reads as 0)",
}


def _anonymise(tmp_path: Path, distance: str):
    points = tmp_path / "points.csv"
    points.write_text("longitude,latitude\n", encoding="utf-8")
    return plain_cli(
        "anonymise", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--points", points,
        "--salt-file", make_salt(tmp_path / "secret" / "force.salt"), "--out", tmp_path / "out",
        f"--max-distance={distance}",
    )  # fmt: skip


@pytest.mark.parametrize("distance", OVER)
def test_the_command_line_shows_a_distance_over_the_limit_as_typed(tmp_path, distance):
    run = _anonymise(tmp_path, distance)
    assert run.returncode == 2, run.stderr
    shown = (
        distance if len(distance) <= 40 else "10000000000000000000...000000000000 (61 characters)"
    )
    assert f"error: The maximum distance {shown} m is more than 100,000 m" in run.stderr
    assert "e+" not in run.stderr and ",000,0" not in run.stderr  # (no float's spelling)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("distance", NOT_A_DISTANCE)
def test_the_command_line_says_why_a_text_is_no_distance(tmp_path, distance):
    run = _anonymise(tmp_path, distance)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert f"argument --max-distance: {NOT_A_DISTANCE[distance]}" in run.stderr
    if "positive" in NOT_A_DISTANCE[distance]:
        assert f"not {distance!r}" in run.stderr


@pytest.mark.parametrize(
    "value, shown",
    [
        ("123456789012345678901", "123456789012345678901"),
        (123456789012345678901, "123456789012345678901"),
        (10**5000, "10000000000000000000...000000000000 (5,001 characters)"),
        (1e308, "1e+308"),
        (WrittenFloat("1e308"), "1e308"),
        ("1e9999999999999999999999", "1e9999999999999999999999"),
        ("100000.00000000000000001", "100000.00000000000000001"),
    ],
    ids=["text", "int", "int-5001-digits", "float", "written", "exponent", "digits"],
)
def test_the_release_check_shows_the_value_as_written(value, shown):
    with pytest.raises(ReleaseInputError) as caught:
        check_max_distance(value)
    assert str(caught.value).startswith(f"The maximum distance {shown} m is more than 100,000 m")


@pytest.mark.parametrize("value", ["1e-400", "1e-9999999999999999999999", WrittenFloat("1e-400")])
def test_a_positive_distance_a_float_reads_as_0_is_too_small(value):
    with pytest.raises(ReleaseInputError, match="is too small a number to compute with"):
        check_max_distance(value)


@pytest.mark.parametrize(
    "value",
    ["100000", "100000.000", 100_000, " 20000 ", np.float64(20000.0), "1", "1.000", 1, "1e0"],
)
def test_a_distance_from_1_m_up_to_the_limit_is_taken(value):
    assert check_max_distance(value) == float(str(value).strip())


#: Positive distances under a metre, as written (1e-300 was taken: every crime not exactly
#: on a map point was then withheld as too far from one)
UNDER_A_METRE = ["1e-300", "0.999", "0.5", "5e-324", "0.99999999999999999999", ".1"]


@pytest.mark.parametrize("value", [*UNDER_A_METRE, 5e-324, WrittenFloat("1e-300")])
def test_a_distance_under_a_metre_is_refused_as_written(value):
    with pytest.raises(ReleaseInputError) as caught:
        check_max_distance(value)
    shown = value.written if isinstance(value, WrittenFloat) else str(value)
    assert str(caught.value).startswith(f"The maximum distance {shown} m is less than 1 m: ")


@pytest.mark.parametrize("distance", ["1e-300", "0.999"])
def test_the_command_line_refuses_a_distance_under_a_metre(tmp_path, distance):
    run = _anonymise(tmp_path, distance)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert f"error: The maximum distance {distance} m is less than 1 m: " in run.stderr
    assert not (tmp_path / "out").exists()


def _config(tmp_path: Path, written: str, suffix: str = ".toml") -> Path:
    """The bundled configuration with max_distance_m written as ``written``."""
    path = config_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "max_distance_m = 20000.0\n" in text
    if suffix == ".toml":
        path.write_text(text.replace("max_distance_m = 20000.0", f"max_distance_m = {written}"))
        return path
    data = json.dumps(toml_lite.loads(text)).replace(
        '"max_distance_m": 20000.0', f'"max_distance_m": {written}'
    )
    json_path = path.with_suffix(".json")
    json_path.write_text(data, encoding="utf-8")
    return json_path


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("written", OVER)
def test_the_configuration_shows_a_distance_over_the_limit_as_written(tmp_path, suffix, written):
    config = read_config(_config(tmp_path, written, suffix))
    found = config.problems_by_step(MONTH)["anonymise"]
    shown = written if len(written) <= 40 else "10000000000000000000...000000000000 (61 characters)"
    assert found == [
        f"The maximum distance {shown} m is more than 100,000 m: a map point that far from a "
        "crime is no street near it (map points of another area?). police.uk uses 20,000 m "
        "(anonymise.max_distance_m)."
    ]


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("written", ["1e-300", "0.999", "0.99999999999999999999"])
def test_the_configuration_refuses_a_distance_under_a_metre(tmp_path, suffix, written):
    config = read_config(_config(tmp_path, written, suffix))
    found = config.problems_by_step(MONTH)["anonymise"]
    assert len(found) == 1 and found[0].startswith(
        f"The maximum distance {written} m is less than 1 m: nearly every crime would be "
        "published without a location"
    ), found
    assert found[0].endswith("(anonymise.max_distance_m).")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("written", ["1", "1.0", "1e0"])
def test_the_configuration_takes_a_metre(tmp_path, suffix, written):
    config = read_config(_config(tmp_path, written, suffix))
    assert config.problems_by_step(MONTH)["anonymise"] == []
    assert config.max_distance_m == 1.0


@pytest.mark.parametrize(
    "written, said",
    [
        ("1e-400", "anonymise.max_distance_m 1e-400 is too small a number to compute with"),
        ("1.0e400", "anonymise.max_distance_m is too large a number: 1.0e400"),
        ("-1e-400", "anonymise.max_distance_m must be a positive number, not -1e-400"),
        ("-0.0", "anonymise.max_distance_m must be a positive number, not -0.0"),
        ("inf", "anonymise.max_distance_m must be a positive number, not inf"),
        ("nan", "anonymise.max_distance_m must be a positive number, not nan"),
    ],
)
def test_the_configuration_says_the_value_as_written(tmp_path, written, said):
    with pytest.raises(ConfigError, match="max_distance_m") as caught:
        read_config(_config(tmp_path, written))
    assert said in str(caught.value)


def test_the_python_39_reader_keeps_the_text_too():
    """(QGIS 3.22 on Windows: no tomllib; toml_lite's own reader.)"""
    value = toml_lite.loads_lite("a = 1_000.50\n", parse_float=WrittenFloat)["a"]
    assert value == 1000.5 and value.written == "1000.50"
    assert type(toml_lite.loads_lite("a = 1.5\n")["a"]) is float  # (as tomllib.loads)
    again = pickle.loads(pickle.dumps(value))  # (a configuration goes to a child process)
    assert again == 1000.5 and again.written == "1000.50"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_an_integer_zero_with_a_sign_is_refused_as_written(tmp_path, suffix):
    """``-0`` reads as the integer 0 (tomllib and json alike): it was refused as "not 0",
    a value the analyst never wrote."""
    with pytest.raises(ConfigError) as caught:
        read_config(_config(tmp_path, "-0", suffix))
    assert str(caught.value).endswith("anonymise.max_distance_m must be a positive number, not -0")


@pytest.mark.parametrize("written", ["+0", "0x0", "0o0", "0b0", "-0"])
def test_every_toml_spelling_of_an_integer_is_shown_as_written(tmp_path, written):
    with pytest.raises(ConfigError) as caught:
        read_config(_config(tmp_path, written))
    assert str(caught.value).endswith(f"must be a positive number, not {written}")


def test_a_setting_of_another_kind_shows_a_number_as_written(tmp_path):
    """A flag or a text given a number: the refusal quotes the number as written too."""
    path = config_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.count("web_map = true\n") == 1
    path.write_text(text.replace("web_map = true\n", "web_map = -0\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert str(caught.value).endswith("publish.web_map must be true or false, not -0")


def test_both_toml_readers_keep_an_integer_s_text():
    """tomllib (no hook for integers: its value is kept only where the lite reader gives
    the same) and the lite reader alone (QGIS 3.22 on Windows); the value is the int."""
    text = "a = -0\nb = 0x1F\nc = 1_000\nd = [+5, 7]\n"
    for read in (toml_lite.loads(text), toml_lite.loads_lite(text, parse_int=WrittenInt)):
        assert read == {"a": 0, "b": 31, "c": 1000, "d": [5, 7]}
        assert [read["a"].written, read["b"].written, read["c"].written] == ["-0", "0x1F", "1000"]
        assert read["d"][0].written == "+5"
    again = pickle.loads(pickle.dumps(toml_lite.loads(text)["b"]))
    assert again == 31 and again.written == "0x1F" and str(again) == "31"
    assert type(toml_lite.loads_lite("a = -0\n")["a"]) is int  # (as tomllib.loads)
    # a text the lite reader refuses (an inline table) is tomllib's, its integers plain
    assert type(toml_lite.loads("a = -0\nt = {x = 1}\n")["a"]) is int
