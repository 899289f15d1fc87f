"""The canonical internal crimes table, the rejects table and the reason codes.

Every reader produces these shapes and every later stage (layers, anonymiser, hotspots)
consumes them, so that a police.uk month and a force's records-system export look the same
once loaded. The internal table may hold anything the source had (exact dates, source
references, free text): it is never public. Imports nothing from QGIS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pandas as pd

from .months import POLICE_UK_FIRST_MONTH
from .vocabulary import OUTCOME_NAMES, all_category_names

# --- the crimes table -------------------------------------------------------------------------
# column -> (dtype, friendly alias shown in QGIS, meaning). "str" columns hold Python strings
# (object dtype, "" for blank): pandas' StringDtype costs a conversion pass at national scale.
CRIME_COLUMNS: dict[str, tuple[str, str, str]] = {
    "record_id": ("int64", "Record", "Unique row number within one load (stable across runs)."),
    "source_file": ("category", "Source file", "File (or zip member) the row came from."),
    "source_line": ("int64", "Source line", "1-based physical line of the row in its file."),
    "source_format": ("category", "Source format", "'police.uk' or 'force'."),
    "crime_id": (
        "str",
        "Crime ID",
        "police.uk Crime ID, or the force's crime reference; "
        "blank for anti-social behaviour in police.uk files.",
    ),
    "month": ("category", "Month", "YYYY-MM."),
    "occurred_at": (
        "datetime64[ns]",
        "Date and time",
        "Exact date/time where the source has it (force extracts); NaT otherwise.",
    ),
    "reported_by": ("category", "Reported by", "Force that reported the crime."),
    "falls_within": ("category", "Falls within", "Force area the crime falls within."),
    "longitude": ("float64", "Longitude", "WGS84 longitude; NaN when the crime has no location."),
    "latitude": ("float64", "Latitude", "WGS84 latitude; NaN when the crime has no location."),
    "source_x": ("float64", "Source X", "X as given in the source CRS (easting or longitude)."),
    "source_y": ("float64", "Source Y", "Y as given in the source CRS (northing or latitude)."),
    "source_crs": ("category", "Source CRS", "Authority id of the source coordinates."),
    "has_location": ("bool", "Has location", "False for crimes published without a location."),
    "location": (
        "category",
        "Location",
        "police.uk 'On or near ...' text or the source's location text.",
    ),
    "lsoa_code": ("category", "LSOA code", "Lower layer super output area code."),
    "lsoa_name": ("category", "LSOA name", "Lower layer super output area name."),
    "crime_type": ("category", "Crime type", "police.uk category (vocabulary.CATEGORIES)."),
    "offence": ("str", "Offence", "Source offence code or description (force extracts)."),
    "last_outcome": ("category", "Last outcome", "Canonical police.uk outcome, or blank."),
    "last_outcome_month": (
        "category",
        "Outcome month",
        "Month of the outcome, from an outcomes file where one was joined.",
    ),
    "context": ("str", "Context", "police.uk Context column (normally blank)."),
    "sensitive": ("bool", "Sensitive", "The force flagged the crime as sensitive."),
}
# Source columns a reader does not recognise are carried through as "extra_<name>" columns
# ("str") so that the leak gate can later prove none of them reaches a public output.
EXTRA_PREFIX = "extra_"

CRIME_TYPE_DTYPE = pd.CategoricalDtype(list(all_category_names()))
OUTCOME_DTYPE = pd.CategoricalDtype(list(OUTCOME_NAMES))

# --- stop and search ----------------------------------------------------------------------------
STOP_SEARCH_COLUMNS: dict[str, tuple[str, str]] = {
    "record_id": ("int64", "Record"),
    "source_file": ("category", "Source file"),
    "source_line": ("int64", "Source line"),
    "search_type": ("category", "Type"),
    "occurred_at": ("datetime64[ns]", "Date and time"),  # UTC, tz-naive
    "month": ("category", "Month"),
    "part_of_operation": ("str", "Part of a policing operation"),
    "operation": ("str", "Policing operation"),
    "longitude": ("float64", "Longitude"),
    "latitude": ("float64", "Latitude"),
    "has_location": ("bool", "Has location"),
    "gender": ("category", "Gender"),
    "age_range": ("category", "Age range"),
    "self_defined_ethnicity": ("category", "Self-defined ethnicity"),
    "officer_defined_ethnicity": ("category", "Officer-defined ethnicity"),
    "legislation": ("category", "Legislation"),
    "object_of_search": ("category", "Object of search"),
    "outcome": ("category", "Outcome"),
    "outcome_linked": ("str", "Outcome linked to object of search"),
    "outer_clothing_removed": ("str", "Removal of more than just outer clothing"),
}

# --- rejects ------------------------------------------------------------------------------------
# Machine-readable reasons a row is rejected. The value is the plain-words explanation used in
# the readable report.
REASONS: dict[str, str] = {
    "missing_coordinates": "Claims a location (location text or LSOA) but has no coordinates",
    "zero_coordinates": "Coordinates are zero (0, 0)",
    "outside_uk": "Coordinates fall outside the United Kingdom",
    "lat_lon_swapped": "Latitude and longitude (or easting and northing) appear swapped",
    "bad_coordinates": "Coordinates are not numbers",
    "bad_month": "Month is missing or not YYYY-MM",
    "bad_date": "Date/time is missing or cannot be read",
    "future_date": "Date or month is after today: the crime cannot have happened yet",
    "early_date": f"Date or month is before {POLICE_UK_FIRST_MONTH}, when police.uk's "
    "street-level data begins",
    "month_mismatch": "Month disagrees with the month in the file name or the release's month",
    "committed_after_recorded": "The date the crime was committed is after the date it was "
    "recorded: a crime cannot be recorded before it happened",
    "unknown_category": "Crime type or offence does not map to a police.uk category",
    "unknown_outcome": "Outcome is not a police.uk outcome category",
    "bad_sensitive_flag": "Sensitive flag says neither yes nor no (yes/no, y/n, true/false, "
    "1/0; blank is no)",
    "duplicate_crime_id": "Crime ID already seen earlier in this load",
    "missing_crime_id": "Crime ID is required for this category but is blank",
    "wrong_field_count": "Row has a different number of fields from the header",
    "undecodable_bytes": "Row contains bytes that cannot be decoded in the file's encoding",
    "control_characters": "Row contains a NUL or other control character (not a tab or line "
    "break), so a cell would be read changed",
    "malformed_quotes": "Text follows a closing quote, so the csv reading would drop the quotes "
    "and change the cell",
    "unclosed_quote": "A quote opens a field and is never closed: the rest of the file is this "
    "one record",
    "bare_carriage_return": "A carriage return without a line feed cuts the row in two",
}

REJECT_COLUMNS = ("source_file", "source_line", "file_kind", "reason", "detail", "raw")

# Kinds of file a load recognises by header.
FILE_KINDS = ("street", "outcomes", "stop_and_search", "force")


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    kind: Optional[str]  # one of FILE_KINDS, or None when the file was not recognised
    encoding: Optional[str] = None
    rows_read: int = 0
    accepted: int = 0
    no_location: int = 0  # accepted rows that carry no location (counted, not mapped)
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    error: Optional[str] = None  # a file-level error (not a crime extract, unreadable, ...)
    blank_lines: int = 0  # empty lines are not rows; counted so the line numbers add up
    outcomes_joined: int = 0  # outcomes files: rows that updated a loaded street crime
    notes: list[str] = field(default_factory=list)  # profile used, CRS chosen, ...
    # SHA-256 and size of the bytes the load read (None if unreadable): a release manifest
    # records these, so a file replaced during the run cannot be described in its place.
    sha256: Optional[str] = None
    bytes: Optional[int] = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def reconciles(self) -> bool:
        return self.rows_read == self.accepted + self.rejected_total


@dataclass
class LoadResult:
    """Everything one load produced. `report` reconciles: rows read = accepted + rejected."""

    crimes: pd.DataFrame  # canonical crimes table (CRIME_COLUMNS + extra_* columns)
    rejects: pd.DataFrame  # REJECT_COLUMNS, one row per rejected input row
    stop_search: pd.DataFrame  # STOP_SEARCH_COLUMNS (empty when no such files)
    files: list[FileReport]
    profile_name: Optional[str] = None
