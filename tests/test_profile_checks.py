"""core.load.profile_checks: what the profile dialog shows, asked of the core directly.

On the bundled synthetic force extract (sample_data/force) and its profile: a complete profile
has no problems, each missing piece is named, and the category preview maps the first rows'
offences exactly as the loader does (checked against the loaded crimes of the same rows).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from crime_mapper.core.load.extract_head import read_extract_head
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.load.profile_checks import (
    category_preview,
    is_strftime_format,
    profile_problems,
    unmapped_values,
)

FORCE = Path(__file__).resolve().parent.parent / "sample_data" / "force"
EXTRACT = FORCE / "2022-10-leicestershire-force-extract.csv"
PROFILE = FORCE / "leicestershire-force-extract.profile.json"


def test_the_bundled_profile_has_no_problems():
    assert profile_problems(MappingProfile.load(PROFILE)) == []


def test_each_missing_piece_is_named(tmp_path):
    profile = MappingProfile.load(PROFILE)
    columns = {k: v for k, v in profile.columns.items() if k not in ("date", "offence")}
    columns["y"] = columns["x"]
    broken = replace(
        profile,
        columns=columns,
        date_format="day/month",
        offence_table=str(tmp_path / "missing.csv"),
    )
    problems = "\n".join(profile_problems(broken))
    assert "Choose the column holding: Date." in problems
    assert "Offence column or a police.uk category column" in problems
    assert "X and Y cannot be the same column" in problems
    assert "'day/month' is not a strftime format" in problems
    assert "Offence table not found" in problems
    assert is_strftime_format("%d/%m/%Y") and not is_strftime_format("%Q")


def test_preview_maps_offences_as_the_loader_does():
    profile = MappingProfile.load(PROFILE)
    head = read_extract_head(EXTRACT)
    rows = category_preview(profile, head)
    assert [r.line for r in rows] == list(range(1, len(head.rows) + 1))
    loaded = load_extracts([EXTRACT], profile=profile).crimes
    by_line = dict(zip(loaded["source_line"].tolist(), loaded["crime_type"].astype(object)))
    for row in rows:
        # source_line counts the header as line 1; a row the loader rejected is unmapped
        assert by_line.get(row.line + 1) == row.category, row
    assert sum(r.category is not None for r in rows) >= len(rows) // 2
    unmapped = unmapped_values(rows)
    assert unmapped == list(dict.fromkeys(r.value for r in rows if r.category is None))
    assert category_preview(profile, None) == []


@pytest.mark.parametrize(
    "change, says",
    [
        ({"name": "Leics \ud800"}, "name 'Leics \\ud800'"),
        ({"reported_by": "\udcff"}, "reported_by '\\udcff'"),
        ({"offence_table": "/data/tables/\udcffoffences.csv"}, "offence_table"),
    ],
)
def test_a_text_that_could_not_be_read_back_is_refused_at_save(tmp_path, change, says):
    """A lone UTF-16 surrogate (a pasted name, a file name that is not UTF-8) was saved as a
    \\u escape the profile reader refuses: the profile saved could never be opened again.
    Refused when saved, naming the setting, nothing written; the dialog says it too."""
    profile = replace(MappingProfile.load(PROFILE), **change)
    path = tmp_path / "profile.json"
    with pytest.raises(ProfileError, match="lone UTF-16 surrogate") as refused:
        profile.save(path)
    assert says in str(refused.value)
    assert not path.exists()
    assert any("lone UTF-16 surrogate" in problem for problem in profile_problems(profile))


def test_a_text_in_a_column_or_offence_mapping_is_checked_too(tmp_path):
    profile = MappingProfile.load(PROFILE)
    for change in (
        {"columns": {**profile.columns, "offence": "Offence \udc00"}},
        {"offence_mapping": {"Theft \ud83d": "Shoplifting"}},
    ):
        with pytest.raises(ProfileError, match="lone UTF-16 surrogate"):
            replace(profile, **change).save(tmp_path / "profile.json")


def test_a_name_of_any_real_characters_reads_back_identical(tmp_path):
    """Characters outside the basic plane and of other scripts are characters: kept."""
    profile = replace(
        MappingProfile.load(PROFILE), name="Heddlu \U0001f46e Dyfed-Powys \u2013 \u0661"
    )
    path = tmp_path / "profile.json"
    profile.save(path)
    assert MappingProfile.load(path) == profile
