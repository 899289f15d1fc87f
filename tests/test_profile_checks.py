"""core.load.profile_checks: what the profile dialog shows, asked of the core directly.

On the bundled synthetic force extract (sample_data/force) and its profile: a complete profile
has no problems, each missing piece is named, and the category preview maps the first rows'
offences exactly as the loader does (checked against the loaded crimes of the same rows).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from crime_mapper.core.load.extract_head import read_extract_head
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
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
