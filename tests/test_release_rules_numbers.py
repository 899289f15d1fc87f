"""A release rules file's numbers shown in its refusals as the file writes them.

Why: a rules file is JSON, whose reader made 1e400 the float infinity and 1e-400 the float
0.0, so ``"min_catchment_addresses": 1e400`` was refused as "not inf", a value the analyst
never wrote and cannot find in the file. The refusal now quotes the number's text, as the
release configuration's refusals do (core.common.json_file.WrittenFloat). Real files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crime_mapper.core.release.rules import ReleaseRules, ReleaseRulesError

HEAD = '{"format": "crime_mapper release rules", "version": 1, '

#: the number as written -> how the refusal shows it
WRITTEN = {
    "1e400": "1e400",
    "-1E+400": "-1E+400",
    "1e-400": "1e-400",
    "8.0": "8.0",
    "8.50": "8.50",
    "1.0e1": "1.0e1",
    "0.1234567890123456789012": "0.1234567890123456789012",
}


def _rules(tmp_path: Path, text: str) -> Path:
    return _write(tmp_path, HEAD + text + "}")


@pytest.mark.parametrize("written", WRITTEN)
def test_a_k_that_is_no_whole_number_is_shown_as_written(tmp_path, written):
    path = _rules(tmp_path, f'"min_catchment_addresses": {written}')
    with pytest.raises(ReleaseRulesError) as refused:
        ReleaseRules.load(path)
    assert str(refused.value) == (
        f"{path}: release rules: min_catchment_addresses must be a whole number of at least 1, "
        f"not {WRITTEN[written]}"
    )
    assert "inf" not in str(refused.value).lower()


def test_a_version_is_shown_as_written(tmp_path):
    path = _write(tmp_path, '{"format": "crime_mapper release rules", "version": 1e400}')
    with pytest.raises(ReleaseRulesError, match=r"version 1e400 is not supported"):
        ReleaseRules.load(path)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_other_values_are_refused_as_before(tmp_path):
    for text, says in (
        ('"min_catchment_addresses": "8"', "not '8'"),
        ('"min_catchment_addresses": true', "not True"),
        ('"min_catchment_addresses": 0', "not 0"),
        ('"min_catchment_addresses": "' + "9" * 1000 + '"', "not '" + "9" * 79),
    ):
        with pytest.raises(ReleaseRulesError) as refused:
            ReleaseRules.load(_rules(tmp_path, text))
        assert str(refused.value).endswith(says), str(refused.value)[-200:]
    assert ReleaseRules.load(_rules(tmp_path, '"min_catchment_addresses": 8')) == ReleaseRules()


@pytest.mark.parametrize(
    "text, says",
    [
        ('"min_catchment_addresses": -0', "at least 1, not -0"),
        ('"min_catchment_addresses": -5', "at least 1, not -5"),
        ('"min_catchment_addresses": 10000000000000000000000000000000000000000', "10,000,000"),
        ('"version": -0', "version -0 is not supported"),
        ('"version": 2', "version 2 is not supported"),
    ],
)
def test_a_whole_number_refused_is_shown_as_written(tmp_path, text, says):
    """``-0`` was refused as "not 0", a value the analyst never wrote (the release
    configuration's refusals keep an integer's text too: WrittenInt)."""
    path = _write(tmp_path, '{"format": "crime_mapper release rules", ' + text + "}")
    with pytest.raises(ReleaseRulesError) as refused:
        ReleaseRules.load(path)
    assert says in str(refused.value), str(refused.value)


def test_a_whole_number_read_is_a_plain_int(tmp_path):
    """The K read from a file is an int as DEFAULT_RULES' is (its text is for refusals)."""
    rules = ReleaseRules.load(_rules(tmp_path, '"min_catchment_addresses": 5'))
    assert type(rules.min_catchment_addresses) is int and rules.min_catchment_addresses == 5
    path = _write(tmp_path, '{"format": "crime_mapper release rules", "version": 1}')
    assert ReleaseRules.load(path) == ReleaseRules()
