"""Real months with planted faults, for the release QA tests.

Why planted faults on real data: the QA's worth is that it finds a missing week, a batch sent
twice or a broken category mapping in a real force's month without crying wolf on a normal
one. Every case starts from a real published month (the bundled Leicester city slice and its
twelve months of history as month profiles, or, where the checkout has ../shared/data, the
whole Leicestershire force and its real twelve months) and its raw force extract, and breaks
one thing the way such things break.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile
from crime_mapper.core.qa.profile import MonthProfile, history_profiles, read_profiles_json
from crime_mapper.core.qa.report import QaReport, run_release_qa
from crime_mapper.core.release.map_points import map_points_from_history

from .raw_extract import COLUMNS, offences_by_category

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_data"
BUNDLED_HISTORY = SAMPLES / "qa" / "leicester-city-2021-10-to-2022-09.qa_history.json"
BUNDLED_MONTH = SAMPLES / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
BUNDLED_RAW = SAMPLES / "force" / "2022-10-leicestershire-force-extract.csv"
BUNDLED_PROFILE = SAMPLES / "force" / "leicestershire-force-extract.profile.json"
# ../shared beside the checkout (CI), or ../../shared for a worktree one level further down
SHARED_DATA = next(
    (p for p in (REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data")
     if p.is_dir()),
    REPO.parent / "shared" / "data",
)  # fmt: skip
SHARED_LEICESTERSHIRE = SHARED_DATA / "police-uk" / "leicestershire"


@dataclass
class QaCase:
    """One real month: its police.uk file, its raw extract, the history and map points."""

    name: str
    month: str
    history: list[MonthProfile]
    police_csv: Path
    raw: pd.DataFrame  # the raw extract, every cell a string
    profile: MappingProfile
    points: Any  # MapPoints


def bundled_case() -> QaCase:
    """The bundled slice: works in any clone."""
    history = read_profiles_json(BUNDLED_HISTORY.read_text(encoding="utf-8"))
    published = load_extracts(
        [str(SAMPLES / "police-uk" / "2022-09"), str(SAMPLES / "police-uk" / "2022-10")]
    )
    raw = pd.read_csv(BUNDLED_RAW, dtype=str, keep_default_na=False)
    return QaCase(
        "Leicester city slice (bundled)",
        "2022-10",
        history,
        BUNDLED_MONTH,
        raw,
        MappingProfile.load(BUNDLED_PROFILE),
        map_points_from_history(published.crimes),
    )


def shared_months() -> list[Path]:
    return sorted(SHARED_LEICESTERSHIRE.glob("*-leicestershire-street.csv"))


def shared_case(month: str = "2022-10") -> Optional[QaCase]:
    """The whole Leicestershire force, where the checkout has ../shared/data."""
    from .raw_extract import make_raw_extract

    files = {p.name[:7]: p for p in shared_months()}
    if month not in files:
        return None
    wanted = sorted(m for m in files if m <= month)[-13:]
    load = load_extracts([str(files[m]) for m in wanted])
    points = map_points_from_history(load.crimes)
    history = history_profiles(load.crimes, before=month)
    published = load.crimes[load.crimes["month"].astype(str) == month]
    extract = make_raw_extract(published, points)
    return QaCase(
        "Leicestershire (../shared/data)",
        month,
        history,
        files[month],
        extract.frame.astype(str),
        extract.profile,
        points,
    )


def cases() -> list[QaCase]:
    """The bundled case always; the whole force too where ../shared/data is beside."""
    out = [bundled_case()]
    shared = shared_case()
    if shared is not None:
        out.append(shared)
    return out


# --- running ---------------------------------------------------------------------------------


def qa_police(case: QaCase, path: Path) -> QaReport:
    load = load_extracts([str(path)])
    return run_release_qa(load.crimes, case.history, rejects=load.rejects)


def qa_raw(
    case: QaCase, raw: pd.DataFrame, workdir: Path, profile: Optional[MappingProfile] = None
) -> QaReport:
    path = workdir / f"{case.month}-force-extract.csv"
    raw.to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    load = load_extracts([str(path)], profile=profile or case.profile)
    return run_release_qa(load.crimes, case.history, rejects=load.rejects, map_points=case.points)


def high(report: QaReport, check: str) -> list:
    return [f for f in report.findings if f.check == check and f.severity == "high"]


# --- the faults ------------------------------------------------------------------------------


def _days(raw: pd.DataFrame) -> np.ndarray:
    return pd.to_datetime(raw[COLUMNS["date"]], format="%d/%m/%Y").dt.day.to_numpy()


def drop_week(raw: pd.DataFrame, first_day: int = 8) -> pd.DataFrame:
    """The extract without a week's crimes (an export that missed seven days)."""
    day = _days(raw)
    return raw.loc[(day < first_day) | (day >= first_day + 7)].reset_index(drop=True)


def drop_hours(raw: pd.DataFrame, first: int = 0, last: int = 5) -> pd.DataFrame:
    """The extract without the crimes of some hours of every day (a shift's records lost)."""
    hour = raw[COLUMNS["time"]].str.slice(0, 2).astype(int).to_numpy()
    return raw.loc[(hour < first) | (hour > last)].reset_index(drop=True)


def repeat_batch(raw: pd.DataFrame, start: int, rows: int, new_refs: bool) -> pd.DataFrame:
    """The extract with ``rows`` consecutive rows from ``start`` sent again at the end, with
    the same references, or with new ones (a re-export that numbered them afresh)."""
    batch = raw.iloc[start : start + rows].copy()
    if new_refs:
        batch[COLUMNS["crime_ref"]] = [f"LE/RE/{n:06d}" for n in range(len(batch))]
    return pd.concat([raw, batch], ignore_index=True)


def repeat_lines(src: Path, dst: Path, start: int, rows: int) -> Path:
    """A police.uk file with ``rows`` consecutive data lines from ``start`` appended again."""
    lines = src.read_bytes().splitlines(keepends=True)
    dst.write_bytes(b"".join(lines + lines[1 + start : 1 + start + rows]))
    return dst


def remap_category(src: Path, dst: Path, old: str, new: str) -> Path:
    """A police.uk file whose ``old`` category was published as ``new``."""
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    frame.loc[frame["Crime type"] == old, "Crime type"] = new
    frame.to_csv(dst, index=False, lineterminator="\r\n", encoding="utf-8")
    return dst


def broken_mapping_profile(profile: MappingProfile, old: str, new: str) -> MappingProfile:
    """The profile with every offence of category ``old`` mapped to ``new`` (the one-line
    slip in an offence table that moves a whole category)."""
    descriptions, codes = offences_by_category()[old]
    broken = MappingProfile.from_dict(copy.deepcopy(asdict(profile)))
    broken.offence_mapping = {**profile.offence_mapping, **{o: new for o in descriptions + codes}}
    return broken


def shift_rows(raw: pd.DataFrame, rows: int, metres: float = 150_000.0) -> pd.DataFrame:
    """The extract with ``rows`` located crimes moved ``metres`` north (a wrong grid origin:
    Leicestershire's crimes land in Yorkshire)."""
    out = raw.copy()
    located = np.flatnonzero(out[COLUMNS["y"]].to_numpy() != "")[:rows]
    north = out.loc[located, COLUMNS["y"]].astype(float) + metres
    out.loc[located, COLUMNS["y"]] = north.round().astype(int).astype(str)
    return out


def blank_locations(raw: pd.DataFrame, share: float) -> pd.DataFrame:
    """The extract with ``share`` of its located crimes' coordinates lost."""
    out = raw.copy()
    located = np.flatnonzero(out[COLUMNS["x"]].to_numpy() != "")
    lose = located[:: max(1, int(round(1 / share)))]
    out.loc[lose, [COLUMNS["x"], COLUMNS["y"]]] = ""
    return out
