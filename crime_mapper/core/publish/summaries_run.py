"""The inputs of a summaries run, read and checked in one place for the command line, the
Processing algorithm and the dock: where the neighbourhoods come from, and the public release
CSV. Imports nothing from QGIS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import pandas as pd

from ..common.csv_records import read_text_csv, record_lines
from ..common.feedback import Feedback, ScaledFeedback
from ..common.text_file import force_name_problem, not_found, shown_line
from ..common.vocabulary import MONTH_RE
from ..release.public_schema import PUBLIC_COLUMNS, read_public_csv
from .neighbourhoods import (
    NeighbourhoodError,
    Neighbourhoods,
    build_neighbourhoods,
    read_geojson,
    read_lookup,
    read_lsoa_population,
    read_names,
    uncountable_neighbourhoods,
    unusable_neighbourhoods,
)
from .summaries import SummaryError, SummaryOptions
from .summaries_history import read_history

PathLike = Union[str, Path]
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class NeighbourhoodSource:
    """Where the neighbourhoods, their names and populations come from (any of the files
    may be absent, but outlines or a lookup must be given)."""

    boundaries: Optional[PathLike] = None
    code_field: str = ""
    name_field: Optional[str] = None
    population_field: Optional[str] = None
    lookup: Optional[PathLike] = None
    lookup_code_field: str = ""
    lookup_name_field: Optional[str] = None
    lookup_lsoa_field: Optional[str] = None
    names: Optional[PathLike] = None
    names_code_field: str = ""
    names_name_field: str = ""
    lsoa_population: Optional[PathLike] = None


def _exists(path: Optional[PathLike], what: str) -> None:
    if path and not Path(path).is_file():
        raise NeighbourhoodError(not_found(what, path))


def load_neighbourhoods(
    source: NeighbourhoodSource, outlines: Optional[Neighbourhoods] = None
) -> Neighbourhoods:
    """The neighbourhood set from files (``outlines`` given: from a QGIS layer instead)."""
    _exists(source.boundaries, "neighbourhood boundaries")
    _exists(source.lookup, "LSOA lookup")
    _exists(source.names, "names file")
    _exists(source.lsoa_population, "LSOA population file")
    if outlines is None and source.boundaries:
        if not source.code_field:
            raise NeighbourhoodError("say which property of the boundaries holds the code")
        outlines = read_geojson(
            source.boundaries, source.code_field, source.name_field, source.population_field
        )
    lookup = None
    if source.lookup:
        if not source.lookup_code_field:
            raise NeighbourhoodError("say which lookup column holds the neighbourhood code")
        lookup = read_lookup(
            source.lookup,
            source.lookup_code_field,
            source.lookup_name_field,
            source.lookup_lsoa_field,
        )
    names = None
    if source.names:
        if not (source.names_code_field and source.names_name_field):
            raise NeighbourhoodError("say which columns of the names file hold code and name")
        names = read_names(source.names, source.names_code_field, source.names_name_field)
    unreadable: list[str] = []  # (the population file's values that are no residents)
    population = (
        read_lsoa_population(source.lsoa_population, problems=unreadable)
        if source.lsoa_population
        else None
    )
    hoods = build_neighbourhoods(outlines, lookup, names, population)
    hoods.problems.extend(unreadable)
    return hoods


def _columns_apart(columns: Sequence[Any]) -> str:
    """How a table's columns differ from police.uk's street columns, for a message. Why:
    the message listed the first eight columns, so a public CSV with a column added at the
    end ("Officer In Case") was refused naming only public columns and "..."."""
    names = [str(c) for c in columns]

    def listed(values: list[str]) -> str:
        return ", ".join(values[:8]) + (", ..." if len(values) > 8 else "")

    extra = [c for c in names if c not in PUBLIC_COLUMNS]
    missing = [c for c in PUBLIC_COLUMNS if c not in names]
    parts = [f"columns outside the police.uk street schema: {listed(extra)}"] if extra else []
    parts += [f"missing: {listed(missing)}"] if missing else []
    return "; ".join(parts) or f"the columns in another order: {listed(names)}"


def read_release(path: PathLike) -> pd.DataFrame:
    """The public release table from its CSV, or a SummaryError saying why it is not one (a
    GeoPackage, i.e. possibly the internal crimes table, or a CSV with other columns)."""
    path = Path(path)
    wanted = "the public release CSV written by anonymise (police.uk street columns)"
    if not path.is_file():
        raise SummaryError(f"{not_found('release', path)}. Give {wanted}.")
    with open(path, "rb") as handle:
        if handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
            raise SummaryError(
                f"{shown_line(path.name)} is a GeoPackage/SQLite file, not the public release: "
                f"summaries are made only from {wanted}."
            )
    try:
        public = read_public_csv(path)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SummaryError(
            f"{shown_line(path.name)} cannot be read as a CSV ({exc}); give {wanted}."
        ) from exc
    if tuple(public.columns) != PUBLIC_COLUMNS:
        raise SummaryError(
            f"{shown_line(path.name)} is not the public release table "
            f"({_columns_apart(public.columns)}); "
            f"summaries are made only from {wanted}."
        )
    # (said here, naming the file: the figures only knew the month's text; each distinct
    # month tested once, a national month's 500,000 cells in some 25 ms, not 0.4 s)
    months = public["Month"].tolist()
    bad = {m for m in set(months) if not MONTH_RE.fullmatch(str(m).strip())}
    if bad:
        rows = sum(map(bad.__contains__, months))
        example = next(m for m in months if m in bad)
        raise SummaryError(
            f"{shown_line(path.name)}: {rows:,} rows have no month as YYYY-MM (e.g. "
            f"{str(example)[:20]!r}); "
            f"give {wanted}."
        )
    return public


def read_release_with_history(
    release_csv: PathLike, history: Sequence[PathLike]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(the release's public table, the same with the history's earlier months before its
    rows, the history's notes): the table the summaries are made from, and the monthly
    release's web map shows (core.monthly.release). Raises SummaryError naming a history
    file that is not a published street-level table."""
    public = read_release(release_csv)
    earlier, notes = read_history(history, public["Month"].unique().tolist())
    table = pd.concat([earlier, public], ignore_index=True) if len(earlier) else public
    return public, table, notes


def run_summaries(
    raw: Any,
    points: Any,
    release_csv: PathLike,
    out_dir: PathLike,
    source: NeighbourhoodSource,
    *,
    options: Optional[SummaryOptions] = None,
    team_path: Optional[PathLike] = None,
    force_name: str = "",
    with_map: bool = False,
    profile_path: Optional[PathLike] = None,
    outlines: Optional[Neighbourhoods] = None,
    feedback: Optional[Feedback] = None,
    history: Sequence[PathLike] = (),
    release_gate: Any = None,
    release_passed: Optional[tuple] = None,
    on_assigned: Any = None,
    hash_beside: bool = False,
    read_beside: bool = False,
    render_beside: Optional[bool] = None,
    neighbourhoods: Optional[Neighbourhoods] = None,
    staging: Any = None,
) -> Any:
    """The one summaries run behind the command line, Processing and the dock.

    ``raw``: the raw crimes the gate checks against (extract paths, a crimes GeoPackage or a
    CrimesInput, as for check-release); ``points``: the map points the release was snapped to
    (file, MapPoints or MapPointsSpec). Every input is read and checked before anything is
    written; then core.publish.summaries_export.export_summaries writes, gates and moves
    ``<out_dir>/neighbourhoods`` into place; the release table itself is gated first.
    ``history``: the force's earlier published police.uk months (CSV files, folders, monthly
    zips; core.publish.summaries_history) for the trend, change on a year earlier and the
    usual range; months the release holds come from the release.
    ``release_gate``: the release's core.gate.leak_gate.ReleaseGate (the monthly release
    passes the one its anonymise step used), shared by both gate calls here; one is made
    when it is not given or serves other crimes or map points.
    ``release_passed``: (the identity of the release CSV file when a leak gate passed it,
    that call's K, its ReleaseGate), from the monthly release's anonymise step: the table
    gate below is not repeated for the very table that gate parsed (see _passed_before).
    ``on_assigned``: export_summaries' hook (the crimes assigned to neighbourhoods).
    ``hash_beside``: the tidy CSV's and the GeoPackage's SHA-256 taken just before the gate
    reads the pages, for a manifest made next (the monthly release's): remembered for those
    very files (core.release.release_files.file_entry), which keep their identity when the
    folder moves into place, so the manifest does not read them again.
    ``read_beside``: this is a process of its own (the command line, a release's process;
    never a QGIS session), so the gate may read the pages with a forked child beside it
    (core.gate.folder_beside; the same verdict) and, unless ``render_beside`` is False, the
    last pages may be rendered by one (export_summaries' ``render_beside``: the same files).
    A monthly release making its web map in a child beside the summaries says False: that
    child has the second core already, and a third process only took turns with both.
    ``neighbourhoods``: :func:`load_neighbourhoods` of ``source`` read already (the monthly
    release reads it while its anonymise step waits for a child), used instead of reading.
    ``staging``: export_summaries' (a core.common.staging.Staging that commits the gated
    folder with the caller's other outputs; None: moved into place here).
    Raises NeighbourhoodError, SummaryError, TeamError or ReleaseInputError (bad input),
    SummaryGateError (gate refused) or Cancelled, in every case before the previous
    summaries are touched.
    """
    from ..release.pipeline import (
        check_crimes_paths,
        check_output_folder,
        open_release_inputs,
        release_profile,
    )
    from .summaries_export import export_summaries, leak_gate_for
    from .summaries_team import published_team_texts, read_team, team_vocabulary, team_warnings

    feedback = feedback or Feedback()
    options = options or SummaryOptions()
    options.check()
    problem = force_name_problem(force_name or "")
    if problem:  # (--force-name, the dock's field, a release's force: one rule)
        raise SummaryError(f"the force name {force_name[:40]!r} {problem}")
    check_crimes_paths(raw)
    check_output_folder(out_dir)
    hoods = neighbourhoods if neighbourhoods is not None else load_neighbourhoods(source, outlines)
    unusable = unusable_neighbourhoods(hoods)
    if unusable is not None:  # (an empty layer wrote summaries of no neighbourhood)
        raise NeighbourhoodError(unusable)
    uncountable = uncountable_neighbourhoods(hoods)
    if uncountable is not None:  # (published with a page of 0 crimes)
        raise NeighbourhoodError(uncountable)
    family_notes = family_problems(options.families, hoods)
    public, table, history_notes = read_release_with_history(release_csv, history)
    teams = read_team(team_path)
    team_notes = team_problems(teams, hoods, team_path)
    profile = release_profile(profile_path)
    crimes, point_set = opened_inputs(raw, points, profile, feedback, open_release_inputs)
    feedback.check()
    # The release itself first (as publish_hotspots does): a CSV edited since anonymising,
    # e.g. a coordinate moved off its map point, must not reach the atlas's map.
    from ..gate.leak_gate import ReleaseGate, check_release
    from .summaries_export import SummaryGateError

    if not isinstance(release_gate, ReleaseGate) or not release_gate.serves(
        crimes.crimes, point_set
    ):
        release_gate = ReleaseGate(crimes.crimes, point_set)
    if not _passed_before(public, release_passed, release_gate):
        release_report = check_release(crimes.crimes, public, point_set, prepared=release_gate)
        if not release_report.passed:
            raise SummaryGateError(
                "the release CSV the summaries would be made from fails the leak gate:\n"
                + release_report.message()
            )
    feedback.check()
    gate = leak_gate_for(
        crimes.crimes,
        point_set,
        published_team_texts(teams),
        prepared=release_gate,
        read_beside=read_beside,
        team_words=team_vocabulary(teams),
    )
    done = export_summaries(
        table,
        hoods,
        out_dir,
        gate=_hashed_first(gate) if hash_beside else gate,
        options=options,
        teams=teams,
        force_name=force_name,
        with_map=with_map,
        feedback=ScaledFeedback(feedback, 30.0, 100.0),
        on_assigned=on_assigned,
        render_beside=read_beside and render_beside is not False,
        staging=staging,
    )
    done.problems.extend(crimes.file_errors)
    done.problems.extend(family_notes)
    done.problems.extend(team_notes)
    done.problems.extend(team_warnings(teams))  # (links left out: no safe address)
    done.summaries.notes[:0] = history_notes
    return done


def _passed_before(public: pd.DataFrame, passed: Optional[tuple], gate: Any) -> bool:
    """Whether the leak gate already passed this very table, so that checking it again
    can only give the same verdict: ``public`` is the table the gate parsed from the
    release CSV (core.release.public_schema.gate_parse_identity) while the file had the
    identity ``passed`` names, and that call used the same ReleaseGate and the same K as
    the call here would. The checks then see the same cells and coordinates with the same
    preparation and no team texts (a CSV and a DataFrame differ only in the names their
    messages give; tests/test_release_table_gated_once.py). Anything else: checked."""
    from ..release.public_schema import gate_parse_identity

    if passed is None or gate is None:
        return False
    identity, k, passed_gate = passed
    return bool(
        passed_gate is gate
        and k == getattr(gate, "min_addresses", None)
        and identity
        and gate_parse_identity(public) == identity
    )


def _hashed_first(gate: Any) -> Any:
    """``gate``, called once the staged tidy CSV and GeoPackage are hashed, on this thread.
    Not on a thread beside the gate call: with SHA instructions the two files (some 100 MB
    nationally) cost about 0.1 s, and a thread alive when the gate starts would keep it from
    forking its folder read (core.gate.folder_beside needs this process alone)."""
    from ..release.release_files import file_entry
    from .summaries_export import CSV_NAME, GPKG_NAME

    class HashedFirst:
        # (start_views: the gate's own, so export_summaries warms its views as without)
        start_views = getattr(gate, "start_views", None)

        def __call__(self, folder: Path, hoods: Any) -> Any:
            for name in (CSV_NAME, GPKG_NAME):
                try:
                    file_entry(Path(folder) / name)
                except Exception:  # noqa: BLE001, S112 - the manifest's own reading reports it
                    continue
            return gate(folder, hoods)

    return HashedFirst()


def opened_inputs(raw: Any, points: Any, profile: Any, feedback: Feedback, opener: Any) -> tuple:
    """(CrimesInput, MapPoints): as given when both are already open (the monthly release
    hands over what its anonymise step read; opening them again would only fingerprint
    750,000 map points for a manifest entry nobody reads), else through ``opener``
    (core.release.pipeline.open_release_inputs), with its errors."""
    from ..release.crimes_input import CrimesInput
    from ..release.map_points import MapPoints

    if isinstance(raw, CrimesInput) and isinstance(points, MapPoints):
        feedback.set_progress(30.0)
        return raw, points
    crimes, point_set, _ = opener(raw, points, profile, feedback, 5.0, 30.0)
    return crimes, point_set


class Families(dict):
    """Neighbourhood code -> family, as read from a families file; ``source`` is the file's
    name, so that what :func:`family_problems` finds in it later can name the file."""

    source: str = ""


def read_families(path: Optional[PathLike]) -> Optional[Families]:
    """Neighbourhood code -> family from a CSV with columns ``code`` and ``family`` (a
    user-supplied most-similar-family lookup), or None. A code given two different families
    is refused naming its lines: one of them would be used by the file's row order alone
    (the last row's was, silently), and the page would compare the neighbourhood with the
    wrong areas. A row repeated exactly is harmless, as in a names file."""
    if not path:
        return None
    frame = read_text_csv(path, "families file", SummaryError)
    if not {"code", "family"} <= set(frame.columns):
        raise SummaryError(
            f"{shown_line(Path(path).name)}: a families file needs the columns code and family"
        )
    frame = frame.assign(_c=frame["code"].str.strip(), _f=frame["family"].str.strip())
    frame = frame[(frame["_c"] != "") & (frame["_f"] != "")]
    if frame.empty:  # (else every page would lose its similar neighbourhoods, unsaid)
        raise SummaryError(
            f"the families file {shown_line(Path(path).name)} holds no row with both a code and a "
            "family"
        )
    pairs = frame.drop_duplicates(["_c", "_f"])
    twice = pairs["_c"].duplicated(keep=False)
    if twice.any():
        code = pairs.loc[twice, "_c"].iloc[0]
        rows = frame[frame["_c"] == code]
        lines = record_lines(path)
        where = [str(lines[i]) if i < len(lines) else "?" for i in rows.index[:5]]
        raise SummaryError(
            f"the families file {shown_line(Path(path).name)} gives "
            f"{int(pairs.loc[twice, '_c'].nunique())} "
            f"code(s) more than one family, e.g. {shown_line(code)} on lines {', '.join(where)} ("
            + " and ".join(repr(f) for f in rows["_f"].drop_duplicates().tolist()[:3])
            + "): give each neighbourhood one family"
        )
    out = Families(zip(pairs["_c"], pairs["_f"]))
    out.source = Path(path).name
    return out


def _codes(codes: Sequence[Any]) -> str:
    """Codes as a message lists them, each escaped (shown_line). Why: the codes are a
    families file's cells and a boundary file's values; a code holding a newline started a
    line of its own in the warning ("Leak gate: passed"), and a bidi override reordered it."""
    return ", ".join(shown_line(str(code)) for code in codes)


def family_problems(families: Optional[dict], hoods: Neighbourhoods) -> list[str]:
    """What the families leave out, as warnings, or a SummaryError when none of their codes
    is a neighbourhood's. A code matching no neighbourhood (a typo, another geography, other
    capitals) and a neighbourhood in no family both end in a page without its similar
    neighbourhoods' rate, which looked like a feature of the data rather than of the file;
    a file matching nothing would remove the comparison from every page. As with the lookup,
    codes are matched exactly (spaces around them aside)."""
    if families is None:
        return []
    name = getattr(families, "source", "") or "the families file"
    known = set(hoods.codes)
    unknown = sorted(code for code in families if code not in known)
    if families and len(unknown) == len(families):
        hint = _capitals_hint(unknown, known)
        raise SummaryError(
            f"{shown_line(name)}: none of its {len(families):,} codes is a neighbourhood's, so no "
            f"page would have similar neighbourhoods (e.g. {_codes(unknown[:3])}; the "
            f"neighbourhoods' are e.g. {_codes(sorted(known)[:3])}){hint}"
        )
    problems = []
    if unknown:
        problems.append(
            f"{shown_line(name)}: {_count(len(unknown), 'code')} no neighbourhood's and not used "
            f"(e.g. {_codes(unknown[:5])})"
        )
    missing = sorted(code for code in known if code not in families)
    if missing:
        problems.append(
            f"{shown_line(name)}: {_count(len(missing), 'neighbourhood')} in no family, so "
            f"{'its page has' if len(missing) == 1 else 'their pages have'} no similar "
            f"neighbourhoods (e.g. {_codes(missing[:5])})"
        )
    return problems


def _capitals_hint(unknown: list[str], known: set[str]) -> str:
    """The end of a "none of its codes is a neighbourhood's" refusal: a hint when the codes
    match the neighbourhoods' in other capitals (codes are matched exactly)."""
    folded = {str(code).strip().casefold() for code in known}
    if any(code.casefold() in folded for code in unknown):
        return (
            "; they match in other capitals: give the codes exactly as the neighbourhoods have them"
        )
    return ""


def team_problems(teams: dict, hoods: Neighbourhoods, path: Optional[PathLike]) -> list[str]:
    """A warning naming the team file's codes that are no neighbourhood's, or a SummaryError
    when none of its codes is one. Why: a team whose code matched no neighbourhood (a typo,
    an LSOA code, a police.uk neighbourhood id where the outlines have MSOA codes) was left
    off every page in silence, and a file matching none published the summaries with no
    team at all and exit 0, as an empty team file did before it was refused. Codes are
    matched as the pages match them: exactly (spaces around them aside)."""
    if not teams or path is None:
        return []
    name = Path(path).name
    known = set(hoods.codes)
    unknown = sorted(code for code in teams if code not in known)
    if len(unknown) == len(teams):
        hint = _capitals_hint(unknown, known)
        raise SummaryError(
            f"{shown_line(name)}: none of its {len(teams):,} neighbourhood codes is a "
            f"neighbourhood's, so no page would show its team (e.g. {_codes(unknown[:3])}; "
            f"the neighbourhoods' are e.g. {_codes(sorted(known)[:3])}){hint}"
        )
    if not unknown:
        return []
    return [
        f"{shown_line(name)}: {_count(len(unknown), 'code')} no neighbourhood's, so "
        f"{'its team is' if len(unknown) == 1 else 'their teams are'} on no page "
        f"(e.g. {_codes(unknown[:5])})"
    ]


def _count(n: int, noun: str) -> str:
    """``1 code is`` or ``3 codes are``: the start of a warning about ``n`` of them."""
    return f"{n:,} {noun} is" if n == 1 else f"{n:,} {noun}s are"
