"""Checking a column-mapping profile before it is saved, and previewing its categories.

Why in the core and not in the profile dialog: whether a profile can load an extract is a
loading rule (which roles are required, what a date format must look like, whether the offence
table reads), and the category preview must map offences exactly as the loader will. Here the
dialog, the command line and tests ask the same questions of the same code; the dialog only
shows the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from ..common.text_file import shown_path
from ..common.vocabulary import normalise_category, offence_key
from .extract_head import ExtractHead
from .mapping_profile import (
    MappingProfile,
    ProfileError,
    date_format_problem,
    read_offence_table,
    shared_columns,
    shown_text_problems,
    unsavable_text,
)

#: Roles a force extract must map for a load to place and date its crimes.
REQUIRED_ROLES = ("crime_ref", "date", "x", "y")

#: Each role in words, for messages and the dialog's labels.
ROLE_TITLES: dict[str, str] = {
    "crime_ref": "Crime reference",
    "x": "X (easting / longitude)",
    "y": "Y (northing / latitude)",
    "date": "Date",
    "time": "Time",
    "recorded": "Recorded date",
    "offence": "Offence",
    "category": "police.uk category",
    "outcome": "Outcome",
    "location": "Location text",
    "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name",
    "sensitive": "Sensitive flag",
    "reported_by": "Reported by",
    "falls_within": "Falls within",
}


@dataclass
class PreviewRow:
    """One preview line: the extract's value and the police.uk category it maps to (or None)."""

    line: int  # 1-based data row number in the extract
    value: str
    category: Optional[str]


def profile_problems(profile: MappingProfile) -> list[str]:
    """Why ``profile`` cannot be saved yet, in words an analyst can act on; empty when it can."""
    columns = profile.columns
    errors: list[str] = []
    missing = [ROLE_TITLES[r] for r in REQUIRED_ROLES if r not in columns]
    if missing:
        errors.append(f"Choose the column holding: {', '.join(missing)}.")
    if "offence" not in columns and "category" not in columns:
        errors.append("Choose an Offence column or a police.uk category column.")
    if columns.get("x") and columns.get("x") == columns.get("y"):
        errors.append("X and Y cannot be the same column.")
    else:
        for column, roles in shared_columns(columns).items():
            titles = [ROLE_TITLES.get(role, role) for role in roles]
            errors.append(f"The column {column!r} is chosen for {' and '.join(titles)}.")
    unsavable = unsavable_text(profile)
    if unsavable:
        errors.append(unsavable[0].upper() + unsavable[1:] + ".")
    else:  # (the name and force names a load would refuse: too long, a control character)
        errors.extend(f"The profile's {problem}." for problem in shown_text_problems(profile))
    fmt = profile.date_format
    if fmt != "auto" and not is_strftime_format(fmt):
        errors.append(
            f"Date format {fmt!r} is not a strftime format (e.g. %d/%m/%Y %H:%M) or 'auto'."
        )
    elif date_format_problem(fmt):  # (the loader's rule: a profile saved here loads)
        errors.append("Date format" + date_format_problem(fmt)[len("date_format") :] + ".")
    if profile.offence_table:
        table = Path(profile.offence_table)
        if not table.is_file():
            errors.append(f"Offence table not found: {shown_path(table)}")
        else:
            try:
                read_offence_table(table)
            except ProfileError as exc:
                errors.append(str(exc))
    return errors


def is_strftime_format(fmt: str) -> bool:
    """True when ``fmt`` has at least one directive that formats a date-time."""
    try:
        shown = datetime(2022, 10, 31, 23, 59).strftime(fmt)
    except ValueError:
        return False
    return "%" in fmt and shown != fmt


def category_preview(profile: MappingProfile, head: Optional[ExtractHead]) -> list[PreviewRow]:
    """How the first rows' offences map with ``profile``, as a load would do it.

    Mirrors the loader: roles left unmapped are filled from known header variants, and a
    police.uk category column, when there is one, wins over the offence column. Raises
    ProfileError when the profile's offence mapping cannot be read.
    """
    if head is None:
        return []
    try:
        resolved = profile.resolved_for(head.header, head.rows)
    except ProfileError:
        resolved = profile
    columns = resolved.columns
    categorise: Callable[[str], Optional[str]]
    if "category" in columns:
        column = columns["category"]

        def categorise(value: str) -> Optional[str]:
            return normalise_category(value.strip())
    elif "offence" in columns:
        column = columns["offence"]
        lookup = profile.offence_lookup()

        def categorise(value: str) -> Optional[str]:
            return lookup.get(offence_key(value))
    else:
        return []
    return [
        PreviewRow(
            line=line, value=record.get(column, ""), category=categorise(record.get(column, ""))
        )
        for line, record in enumerate(head.rows, start=1)
    ]


def unmapped_values(rows: Sequence[PreviewRow]) -> list[str]:
    """Distinct preview values that map to no police.uk category, in order of appearance."""
    return list(dict.fromkeys(r.value for r in rows if r.category is None))
