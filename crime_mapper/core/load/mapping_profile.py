"""Column-mapping profiles for force records-system extracts.

Every force names its columns differently ("CrimeRef", "URN", "Occurrence No"...), so a
profile says which source column plays which role, in which CRS the coordinates are, how
dates are written and how offences map to police.uk categories. Profiles are JSON files an
analyst saves once and reuses every month; where a header matches known variants the
profile can be detected automatically.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Optional, Union

from ..common.json_file import read_json_file
from ..common.text_file import (
    force_name_problem,
    invisible_text_problem,
    name_length_problem,
    not_found,
    os_error_text,
    shown_keys,
    shown_line,
    shown_path,
    shown_value,
)
from ..common.vocabulary import (
    all_category_names,
    ambiguous_category,
    fold_text,
    normalise_category,
    offence_key,
)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
DEFAULT_OFFENCE_TABLE = RESOURCES / "offence_mapping.csv"

# role -> meaning. A profile maps roles to source column names.
ROLES: dict[str, str] = {
    "crime_ref": "The force's crime reference (required)",
    "x": "Easting or longitude (required unless the crime has no location)",
    "y": "Northing or latitude",
    "date": "Date the offence occurred, or date and time together (required)",
    "time": "Time of day, when held in its own column (a date's own time, unless midnight, "
    "must be the same)",
    "recorded": "Date the crime was recorded (reported), if the extract has one: the month "
    "published, as police.uk places a crime in the month it was recorded; the offence's own "
    "date is then checked but never published",
    "offence": "Offence code or description, mapped to a police.uk category by the table",
    "category": "A police.uk category, when the extract already has one",
    "outcome": "Outcome, in police.uk outcome vocabulary",
    "location": "Location text (internal only: never published)",
    "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name",
    "sensitive": "A flag column: yes/true/1/y marks a crime the force treats as sensitive, "
    "no/false/0/n or blank one it does not (any other value rejects the row)",
    "reported_by": "Force that reported the crime",
    "falls_within": "Force area",
}

# Header spellings seen in force exports, folded with vocabulary.fold_text.
KNOWN_VARIANTS: dict[str, tuple[str, ...]] = {
    "crime_ref": (
        "crime ref",
        "crime reference",
        "crimeref",
        "crime number",
        "crime no",
        "crime id",
        "urn",
        "occurrence no",
        "occurrence number",
        "reference",
        "incident ref",
        "crime reference number",
    ),
    "x": (
        "easting",
        "eastings",
        "x",
        "x coord",
        "x coordinate",
        "grid easting",
        "longitude",
        "lon",
        "long",
    ),
    "y": (
        "northing",
        "northings",
        "y",
        "y coord",
        "y coordinate",
        "grid northing",
        "latitude",
        "lat",
    ),
    "date": (
        "date",
        "offence date",
        "committed date",
        "date committed",
        "occurred date",
        "date from",
        "start date",
        "offence date from",
        "incident date",
        "datetime",
        "offence datetime",
        "committed from",
    ),
    "time": (
        "time",
        "offence time",
        "committed time",
        "time committed",
        "time from",
        "start time",
        "occurred time",
    ),
    "offence": (
        "offence",
        "offence code",
        "ho code",
        "home office code",
        "offence description",
        "offence type",
        "classification",
        "crime classification",
        "ho offence code",
    ),
    "category": ("crime type", "category", "police uk category"),
    "outcome": ("outcome", "last outcome", "outcome type", "disposal", "last outcome category"),
    "location": ("location", "address", "street", "location text", "locus"),
    "lsoa_code": ("lsoa", "lsoa code", "lsoa11cd", "lsoa21cd"),
    "lsoa_name": ("lsoa name", "lsoa11nm", "lsoa21nm"),
    "sensitive": ("sensitive", "sensitive flag", "restricted", "protective marking flag"),
    "reported_by": ("reported by", "force"),
    "falls_within": ("falls within",),
}


class ProfileError(ValueError):
    """A profile is unusable (bad JSON, unknown role, no category mapping at all)."""


@dataclass
class MappingProfile:
    """How to read one force's extract. Saved and loaded as JSON."""

    name: str = "Force extract"
    columns: dict[str, str] = field(default_factory=dict)  # role -> source column
    crs: str = "auto"  # "EPSG:27700", "EPSG:4326", "EPSG:2157" or "auto"
    date_format: str = "auto"  # strftime format, or "auto" (ISO or day-first UK dates)
    encoding: str = "auto"
    delimiter: str = ","
    reported_by: str = ""  # constant values when the extract has no such column
    falls_within: str = ""
    offence_table: Optional[str] = None  # CSV (offence,category); None = bundled table
    offence_mapping: dict[str, str] = field(default_factory=dict)  # overrides, offence -> cat

    # --- persistence ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict) -> MappingProfile:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ProfileError(f"unknown profile keys: {shown_keys(sorted(unknown))}")
        for key, value in data.items():
            _check_field(key, value)
        profile = cls(**data)
        bad_roles = set(profile.columns) - set(ROLES)
        if bad_roles:
            raise ProfileError(
                f"unknown column roles: {shown_keys(sorted(bad_roles))}; "
                f"expected some of {', '.join(ROLES)}"
            )
        x, y = profile.columns.get("x"), profile.columns.get("y")
        if x and y and _spelling(x) == _spelling(y):
            raise ProfileError(
                f"the profile maps both x and y to the column {shown_value(x)}: a crime's "
                "easting (or longitude) and northing (or latitude) are two columns"
            )
        for column, roles in shared_columns(profile.columns).items():
            raise ProfileError(
                f"the profile maps {' and '.join(roles)} to the one column {column!r:.80}: "
                "each of these is a column of its own"
            )
        return profile

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]]) -> MappingProfile:
        data = read_json_file(path, lambda why: ProfileError(f"cannot read mapping profile {why}"))
        if not isinstance(data, dict):
            raise ProfileError(f"{shown_line(path)}: a mapping profile is a JSON object")
        try:
            return cls.from_dict(data)
        except ProfileError as exc:  # (said of the file: "crs must be text" did not say which)
            raise ProfileError(f"{shown_line(path)}: {exc}") from exc

    def save(self, path: Union[str, Path]) -> None:
        """Write the profile as JSON; ProfileError (nothing written) when a text in it could
        not be read back (:func:`unsavable_text`)."""
        problem = unsavable_text(self)
        if problem:
            raise ProfileError(problem)
        Path(path).write_text(
            json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

    # --- matching ------------------------------------------------------------------------------
    def matches(self, header: list[str]) -> bool:
        """True when every column this profile names is in the header, as named or spelt
        with another case or spacing (:func:`header_name`)."""
        return bool(self.columns) and all(
            header_name(col, header) is not None for col in self.columns.values()
        )

    def resolved_for(self, header: list[str], sample: Any = None) -> MappingProfile:
        """The columns to read: the profile's own when it names any (an analyst's "(none)"
        must stay none), each as the header spells it (a month's export that wrote
        "easting" where the profile says "Easting"), else those detected from known header
        variants and, given a ``sample`` of rows, from the values (see detect_columns)."""
        if self.columns:
            spelt = {role: header_name(col, header) or col for role, col in self.columns.items()}
            if spelt == self.columns:
                return self
            return replace(self, columns=spelt)  # (the same roles: validated when read)
        columns = detect_columns(header, sample)
        return MappingProfile.from_dict({**asdict(self), "columns": columns})

    # --- offences ------------------------------------------------------------------------------
    def offence_lookup(self) -> dict[str, str]:
        """Folded offence code/description -> police.uk category (bundled table + overrides)."""
        table_path = Path(self.offence_table) if self.offence_table else DEFAULT_OFFENCE_TABLE
        lookup = read_offence_table(table_path)
        # every police.uk category name maps to itself, whatever table a profile names: an
        # extract whose offence column already holds category names must not be rejected
        for name in all_category_names():
            lookup.setdefault(offence_key(name), name)
        overridden: dict[str, str] = {}  # key -> the override that set it
        for offence, category in self.offence_mapping.items():
            canonical = normalise_category(category)
            if canonical is None:
                # (each cut: a 1 MB category made a 1 MB message; shown_value)
                raise ProfileError(
                    f"offence mapping {shown_value(offence)} -> {shown_value(category)}: not a "
                    "police.uk category" + _which_category(category)
                )
            key = offence_key(offence)
            if not key:
                raise ProfileError(
                    f"offence mapping {offence!r:.80}: {NO_OFFENCE_KEY} (it would match no cell)"
                )
            if key in overridden and lookup[key] != canonical:
                # ("01" and "1", "Fly tipping" and "fly-tipping": one offence, two
                # categories; which was published would be the entries' order's choice)
                raise ProfileError(
                    f"offence mapping {offence!r:.80} -> {canonical!r} and "
                    f"{overridden[key]!r:.80} -> {lookup[key]!r} name one offence; give it "
                    "one category"
                )
            overridden.setdefault(key, offence)
            lookup[key] = canonical
        if not lookup:
            raise ProfileError("the offence mapping maps no offence to any category")
        return lookup


def unsavable_text(profile: MappingProfile) -> str:
    """Why ``profile`` cannot be saved, or "" when it can. A text holding a lone UTF-16
    surrogate ("\\ud800": a pasted name, an undecodable file name) is no character: it was
    saved as a \\u escape that every reader of a profile refuses (core.common.json_file), so
    the profile saved could not be opened again. Said naming the setting, the text escaped."""
    for key, value in asdict(profile).items():
        texts = [value] if isinstance(value, str) else []
        if isinstance(value, dict):
            texts = [text for pair in value.items() for text in pair if isinstance(text, str)]
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return (
                    f"the profile's {key} {text!r:.80} holds a lone UTF-16 surrogate, "
                    "which is not a character: a profile saved with it could not be read "
                    "back; type that text again"
                )
    return ""


#: The profile keys whose value is a mapping of text to text; every other key is text (and
#: offence_table may be null: the bundled table).
_TEXT_MAPS = ("columns", "offence_mapping")


def _check_field(key: str, value: Any) -> None:
    """ProfileError unless ``value`` has the type ``key`` holds: a profile is edited by hand,
    and a number or a list where text belongs would otherwise fail later, far from the
    file, or be read as something else."""
    if key in _TEXT_MAPS:
        if not isinstance(value, dict):
            raise ProfileError(f"{key} must map text to text, not {value!r:.80}")
        for k, v in value.items():  # (the entry that is wrong, not the whole map, is shown)
            if not isinstance(k, str) or not isinstance(v, str):
                raise ProfileError(f"{key}: {k!r:.80} must map to text, not {v!r:.80}")
    elif not isinstance(value, str) and not (key == "offence_table" and value is None):
        raise ProfileError(f"{key} must be text, not {value!r:.80}")
    elif isinstance(value, str):
        _check_text_setting(key, value)


def _check_text_setting(key: str, value: str) -> None:
    """ProfileError unless the read can use this delimiter, encoding or crs."""
    if key == "delimiter" and value and (len(value) != 1 or value in '"\r\n'):
        raise ProfileError(
            f"delimiter must be one character (not a quote or line end), not {value!r:.40}"
        )
    if key == "encoding" and value.lower() not in ("", "auto"):
        try:  # (a NUL in the name: ValueError, "embedded null character", not LookupError)
            name = codecs.lookup(value).name
        except (LookupError, ValueError):
            raise ProfileError(
                f"encoding {value!r:.40} is not a text encoding Python knows"
            ) from None
        if not _PLAIN_CODEC.fullmatch(name):
            raise ProfileError(
                f"encoding {value!r:.40} is not a character set a records system writes (such "
                "as utf-8, cp1252 or latin-1): it would rewrite cells as it reads them"
            )
    if key == "crs" and value.lower() not in ("", "auto"):
        _check_crs(value)
    if key == "date_format":
        problem = date_format_problem(value)
        if problem:
            raise ProfileError(problem)
    if key in _SHOWN_TEXTS and value.strip():
        # (published as "Reported by"/"Falls within", naming the release's files: the one
        # rule of every force name, its characters and its length)
        problem = force_name_problem(value) if key in _FORCE_NAMES else _profile_name_problem(value)
        if problem:
            raise ProfileError(f"{key} {value!r:.80} {problem}")
        problem = invisible_text_problem(value)
        if problem:  # (published, or named in the audit)
            raise ProfileError(f"{key} {value!r:.80} {problem}; write it in visible text")


#: The codecs a profile may name (by codecs.lookup's name): character sets, one byte or
#: code unit to a character and back. Why: Python also knows codecs that transform the
#: text they read: "unicode_escape" read a backslash and "n" in a cell as a line break,
#: "utf-7" read "+AGE-" as "a", "idna" and "punycode" rewrote or refused ordinary cells,
#: "undefined" failed every read with "an unexpected error" (a hostile-input sweep).
_PLAIN_CODEC = re.compile(
    r"utf-(8|16|32)(-sig|-le|-be)?|ascii|iso8859-\d+|cp\d+|mac-[a-z]+|koi8-[a-z]+"
)
#: The profile's texts a release shows: the force names it publishes, the profile's name.
_SHOWN_TEXTS = ("name", "reported_by", "falls_within")
#: The force names (their characters and length: common.text_file.force_name_problem).
_FORCE_NAMES = ("reported_by", "falls_within")


def shown_text_problems(profile: MappingProfile) -> list[str]:
    """Why the texts ``profile`` shows (its name, its force names) would be refused when it
    is read back (:func:`_check_text_setting`), one message each; empty when none would.
    Why: the profile dialog saved a name or a force name every load then refused."""
    problems = []
    for key in _SHOWN_TEXTS:
        try:
            _check_text_setting(key, str(getattr(profile, key)))
        except ProfileError as exc:
            problems.append(str(exc))
    return problems


def _profile_name_problem(name: str) -> str:
    """Why ``name`` is too long for a profile's name, or "": the limit of a force's name
    (common.text_file.name_length_problem). Why: a 10 MB name was taken and printed whole
    in the load's report."""
    return name_length_problem(name, "a profile's name", "it is shown in the load's report")


#: The day a date format must write and read back whole (a day past the 12th, a time).
_PROBE_DAY = datetime(2022, 10, 31, 23, 59)


def date_format_problem(fmt: str) -> str:
    """Why the read cannot use ``fmt`` as a profile's date_format, or "" when it can: "auto"
    ("" is read as it), or a strftime format the read gives back the year, month and day
    it writes. Why: a format that reads no year ("%d/%m %H:%M") gave every crime the year
    1900 and the release published them under October 1900; one with no date at all
    ("%H:%M", "AUTO", a typo) rejected every row as bad_date, the profile never named.
    The one rule of the command line, the toolbox and the profile dialog."""
    if fmt in ("", "auto"):
        return ""
    shown = f"date_format {fmt!r:.80}"
    try:
        written = _PROBE_DAY.strftime(fmt)
    except ValueError:
        written = fmt
    if "%" not in fmt or written == fmt:
        return f"{shown} is not a strftime format (e.g. %d/%m/%Y %H:%M) or 'auto'"
    import pandas as pd

    from .readers import _parse_with_format  # (pandas: not at the plugin's start-up)

    read = _parse_with_format(pd.Series([written], dtype=object), fmt).iloc[0]
    if pd.isna(read) or read.date() != _PROBE_DAY.date():
        got = "nothing" if pd.isna(read) else str(read.date())
        return (
            f"{shown} does not read a day, month and year back ({written!r:.80} is read as "
            f"{got}, not {_PROBE_DAY.date()}): give one such as %d/%m/%Y %H:%M, or 'auto'"
        )
    return ""


def _check_crs(value: str) -> None:
    """ProfileError unless the extract's coordinates could be transformed from ``value``
    to WGS84 (asked of the same transform the read uses: an id PROJ does not know, or
    "+proj=longlat", which the read upper-cases, failed there as an "unexpected error")."""
    import numpy as np

    from ..common.geography import WGS84, TransformUnavailable, transform

    try:
        transform(np.zeros(1), np.zeros(1), value, WGS84)
    except TransformUnavailable:
        return  # (no transform here at all: the read says so, whatever the profile)
    except Exception:  # noqa: BLE001 - whatever PROJ (or QGIS) says of a CRS it cannot use
        raise ProfileError(
            f"crs {value!r:.60} is not a coordinate reference system this can read (use an "
            "authority id such as EPSG:27700, or auto)"
        ) from None


def check_profile(profile: MappingProfile) -> None:
    """Refuse a mapping profile that cannot give any row a category, before work starts.

    The loader would otherwise reject every row of the extract one by one ("unknown
    category") and the analyst would find out only from the report.
    """
    roles = set(profile.columns)
    if profile.columns and not roles & {"offence", "category"}:
        raise ProfileError(
            f"mapping profile {profile.name!r} maps no column to a crime category: give it "
            "an 'offence' column (mapped through the offence table) or a 'category' column"
        )
    try:
        lookup = profile.offence_lookup()
    except ProfileError as exc:
        raise ProfileError(f"mapping profile {profile.name!r}: {exc}") from exc
    if "category" not in roles and not lookup:
        raise ProfileError(
            f"mapping profile {profile.name!r} maps no offence to any crime category"
        )


def load_profile(path: Optional[Union[str, os.PathLike[str]]]) -> Optional[MappingProfile]:
    """The profile at ``path`` checked with :func:`check_profile`, or None for no path.

    Every release writer (the QGIS side and the command line) loads its profile through
    here, so both refuse the same profiles with the same words before any work starts.
    """
    if not path:
        return None
    if not Path(path).is_file():
        raise ProfileError(not_found("mapping profile", path))
    profile = MappingProfile.load(path)
    try:
        check_profile(profile)
    except ProfileError as exc:  # (said of the file, as MappingProfile.load's errors are)
        raise ProfileError(f"{shown_line(path)}: {exc}") from exc
    return profile


def _which_category(category: str) -> str:
    """For a category refused as one spelling of two ("Violent-Crime"), the two it could
    be, to end its refusal with; "" for any other."""
    both = ambiguous_category(category)
    return f" (it could be {both[0]!r} or {both[1]!r}: write one exactly)" if both else ""


#: Why an offence of a table or a profile's override is refused: offence_key reads no
#: letter or digit in it ("-", "１"), so its key would be "", every cell's without one.
NO_OFFENCE_KEY = "has no ASCII letter or digit to match an offence cell on"

#: an offence mapping table lists some hundreds of offences: one this large is not one
#: (and a device such as /dev/zero would be read for ever)
OFFENCE_TABLE_MAX_BYTES = 64 * 1024 * 1024


def read_offence_table(path: Path) -> dict[str, str]:
    """Read an editable offence mapping CSV with columns offence,category (named in any
    case). Refused, naming the file: anything but a regular file of at most
    OFFENCE_TABLE_MAX_BYTES, a header without both columns (or with either twice), a
    category police.uk does not publish, and an offence given two different categories
    (which one a crime was published under would be the row order's choice)."""
    path = Path(path)
    # (on one line, escaped, and cut: a 10 MB offence_table made a 20 MB message)
    name = shown_path(path)
    try:
        if not path.is_file():
            raise ProfileError(f"{name}: the offence mapping table is not a file")
        size = path.stat().st_size
        if size > OFFENCE_TABLE_MAX_BYTES:
            raise ProfileError(
                f"{name}: the offence mapping table is {size:,} bytes, more than any offence "
                f"list (at most {OFFENCE_TABLE_MAX_BYTES:,}); is it the right file?"
            )
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        why = os_error_text(exc) if isinstance(exc, OSError) else exc  # (not the path again)
        raise ProfileError(f"{name}: cannot read offence mapping table ({why})") from exc
    names = [h.strip().lower() for h in header]
    for wanted in ("offence", "category"):
        if names.count(wanted) != 1:
            raise ProfileError(
                f"{name}: the offence mapping table's header must name one 'offence' and one "
                f"'category' column; it has {', '.join(map(repr, header)) or 'none'}"
            )
    at_offence, at_category = names.index("offence"), names.index("category")
    lookup: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        offence = row[at_offence].strip() if at_offence < len(row) else ""
        category = row[at_category] if at_category < len(row) else ""
        if not offence:
            continue
        canonical = normalise_category(category.strip())
        if canonical is None:
            raise ProfileError(
                f"{name}:{number}: {category!r} is not a police.uk category"
                + _which_category(category)
            )
        key = offence_key(offence)
        if not key:
            raise ProfileError(
                f"{name}:{number}: the offence {offence!r:.80} {NO_OFFENCE_KEY} (it would match "
                "no cell)"
            )
        if key in lookup and lookup[key] != canonical:
            raise ProfileError(
                f"{name}:{number}: {offence!r} is mapped to {canonical!r} here and to "
                f"{lookup[key]!r} on line {first_line[key]}; give each offence one category"
            )
        first_line.setdefault(key, number)
        lookup[key] = canonical
    return lookup


CATEGORY_VALUE_SHARE = 0.9  # a column whose values are this often police.uk categories...
MIN_SAMPLE_VALUES = 3  # ...among at least this many non-blank values is the category column


def _sample_values(header: list[str], sample: Any) -> dict[str, list[str]]:
    """Column -> its non-blank sample values, from a DataFrame, a list of dict rows or a
    mapping of column -> values."""
    if sample is None:
        return {}
    if hasattr(sample, "columns") and hasattr(sample, "__getitem__"):  # a DataFrame
        columns = {str(c): [str(v) for v in sample[c].tolist()] for c in sample.columns}
    elif isinstance(sample, dict):
        columns = {str(c): [str(v) for v in values] for c, values in sample.items()}
    else:
        columns = {h: [str(row.get(h, "") or "") for row in sample] for h in header}
    return {c: [v.strip() for v in values if v and v.strip()] for c, values in columns.items()}


def _category_share(values: list[str]) -> float:
    if not values:
        return 0.0
    distinct = set(values)
    known = {v for v in distinct if normalise_category(v) is not None}
    return sum(v in known for v in values) / len(values)


def detect_columns(header: list[str], sample: Any = None) -> dict[str, str]:
    """Roles found in a header by known spelling variants (first match wins per role), then
    corrected by the values when a ``sample`` of rows is given: a column whose values are
    police.uk category names plays the category role whatever its header says (an
    ``OFFENCE`` column of category names is not an offence code), and a "crime type"
    column that holds no category names is read as the offence.
    """
    found = _detect_by_header(header)
    values = _sample_values(header, sample)
    if not values:
        return found
    categories = [
        h
        for h in header
        if len(values.get(h, [])) >= MIN_SAMPLE_VALUES
        and _category_share(values[h]) >= CATEGORY_VALUE_SHARE
    ]
    if categories:
        named = found.get("category")
        best = named if named is not None and named in categories else categories[0]
        found = {role: col for role, col in found.items() if col != best}
        found["category"] = best
    elif "category" in found:
        held = values.get(found["category"], [])
        if len(held) >= MIN_SAMPLE_VALUES and _category_share(held) < 0.5:
            column = found.pop("category")
            found.setdefault("offence", column)
    return found


def _detect_by_header(header: list[str]) -> dict[str, str]:
    """Roles found in a header by known spelling variants (first match wins per role)."""

    def key(text: str) -> str:  # "OffenceDate", "Offence Date" and "OFFENCE_DATE" meet
        return fold_text(text).replace(" ", "")

    folded = {key(h): h for h in header}
    found: dict[str, str] = {}
    used: set[str] = set()
    for role, variants in KNOWN_VARIANTS.items():
        for variant in variants:
            column = folded.get(key(variant))
            if column is not None and column not in used:
                found[role] = column
                used.add(column)
                break
    return found


def detect_profile(header: list[str], sample: Any = None) -> Optional[MappingProfile]:
    """A profile for a force extract whose header uses known variants, or None.

    Needs a reference, a date, coordinates and an offence or category: anything less is too
    ambiguous to guess, and the analyst is asked for a profile instead.
    """
    columns = detect_columns(header, sample)
    required = {"crime_ref", "date", "x", "y"}
    if not required <= set(columns) or not ({"offence", "category"} & set(columns)):
        return None
    return MappingProfile(name="Auto-detected force extract", columns=columns)


#: Roles one column may play together: a force column naming both the force that reported
#: a crime and the one whose area it falls within.
SHARED_ROLES = frozenset({"reported_by", "falls_within"})


def shared_columns(columns: dict[str, str]) -> dict[str, list[str]]:
    """Each column (as first named) that ``columns`` gives two roles, with those roles, but
    :data:`SHARED_ROLES`. Why: a column given two roles was read as both, each silently
    wrong: a date as the crime reference (every row but one a day a duplicate crime), the
    offence as the category (the offence table never used), the easting as the LSOA code
    (the read failed with "an unexpected error": the easting is read as a number in place).
    The one rule of the loader (MappingProfile.from_dict) and the profile dialog."""
    by_column: dict[str, list[str]] = {}
    first_name: dict[str, str] = {}
    for role, column in columns.items():
        if column:
            key = _spelling(column)
            first_name.setdefault(key, column)
            by_column.setdefault(key, []).append(role)
    return {
        first_name[key]: roles
        for key, roles in by_column.items()
        if len(roles) > 1 and not set(roles) <= SHARED_ROLES
    }


def _spelling(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def header_name(column: str, header: list[str]) -> Optional[str]:
    """The header's name for a profile's ``column``: itself when the header has it, else
    the one header name that differs from it only in case or spacing ("easting",
    "Offence  Date"); None when there is none, or more than one (which is meant cannot be
    told)."""
    if column in header:
        return column
    wanted = _spelling(column)
    found = [h for h in header if _spelling(h) == wanted]
    return found[0] if len(found) == 1 else None
