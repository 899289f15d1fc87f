"""The release configuration file: every setting of every step of a monthly release.

Why a file: next month's release should be "the same, with this month's extract". The file
records the inputs (with a ``{month}`` placeholder), the mapping profile, the map points, the
rules, the salt file (a *path*: the salt itself never enters the file or any output), the
maximum distance, the hotspot and publish settings and the output folder. The dock saves and
opens it; ``crime_mapper:monthly_release`` and ``python3 -m crime_mapper.cli release`` run it.

Formats: TOML (``.toml``; read with tomllib, tomli or core.monthly.toml_lite on Python 3.9)
or JSON (``.json``, the same keys). Relative paths are relative to the file's own folder, so a
configuration kept beside the force's data moves with it; for a configuration opened through
a symbolic link, the link's folder (`config_folder`), never the target's. Unknown keys and
wrong types are errors naming the key: a typo must never silently fall back to a default.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from ..common.input_files import holding_message, input_holding_output
from ..common.json_file import WrittenFloat, strict_json
from ..common.layer_source import gpkg_layer_problem, join_layer_source, split_layer_source
from ..common.text_file import (
    SHOWN_KEYS,
    check_file,
    force_name_problem,
    invisible_text_problem,
    not_found,
    output_problem,
    read_text_file,
    shown_key,
    shown_path,
    shown_value,
)
from ..common.vocabulary import MONTH_RE
from ..hotspots.hexgrid import HotspotInputError, metres, refuse_below_smallest
from ..publish.summaries_suppress import SUPPRESS_BELOW_MAX
from ..release.release_limits import (
    check_max_distance,
    inside_folder,
    shown_number,
    written_number,
    written_positive,
)
from . import toml_lite

PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "MAX_CONFIG_BYTES",
    "ConfigError",
    "ReleaseConfig",
    "config_folder",
    "example_config_text",
    "read_config",
    "validate_month",
    "write_config",
]

MAP_POINT_KINDS = ("file", "history", "hexagon")
#: What is taken off the ends of a text setting: the spaces an editor or a paste leaves.
#: The dock's form takes the same off its fields (ui.guided_release.split_paths).
ORDINARY_SPACE = " \t\r\n"


class ConfigError(ValueError):
    """The configuration cannot be used: the message names the key and what is wrong.
    ``key`` is that setting ("release.force"; "" when the error names none), so the dock
    can say which of its fields the refusal is about."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


def validate_month(month: str) -> str:
    """A release month as YYYY-MM (01-12), or ConfigError. Only ordinary spaces come off
    its ends, as off every text setting: "2022-10\x1f" is refused, not read as 2022-10."""
    text = str(month).strip(ORDINARY_SPACE)
    if not MONTH_RE.fullmatch(text):
        raise ConfigError(f"the month must be YYYY-MM (for example 2022-10), not {month!r}")
    return text


# --- typed reading of one table -------------------------------------------------------------


def _shown_value(value: Any) -> str:
    """A setting's value as a refusal shows it: a number as it is written (``-0``, which
    reads as 0, and ``0x10``, as 16: release_limits.shown_number), anything else quoted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return shown_number(written_number(value))
    return shown_value(value)  # (cut: a 10 MB text made a 10 MB message)


class _Table:
    """Typed access to one table of the file; every key read is remembered, so keys nobody
    read (typos, settings from a newer version) are reported by :meth:`finish`."""

    def __init__(self, data: Any, name: str) -> None:
        # A table left out is {} (the default of table()); JSON null is not "left out": it
        # read as every default, so `null` as the whole file ran with an empty configuration
        # and `{"hotspots": null}` ran hotspots the analyst may have meant to turn off.
        if not isinstance(data, dict):
            what = "null" if data is None else type(data).__name__
            if not name:
                raise ConfigError(f"the configuration must be a table (a JSON object), not {what}")
            raise ConfigError(f"[{name}] must be a table, not {what}")
        self.data = data
        self.name = name
        self.read: set[str] = set()

    def _get(self, key: str, default: Any) -> Any:
        self.read.add(key)
        return self.data.get(key, default)

    def where(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def _clean(self, key: str, value: str) -> str:
        """``value`` without ordinary spaces, tabs and line breaks at its ends; ConfigError
        naming the key for a NUL character, which no path or label holds. Why not
        str.strip: it also took U+001C-U+001F and U+0085 (and U+00A0, U+2028...) off the
        ends without a word (``force = "Leics\\u001f"`` read as "Leics"). Other control
        characters are kept, not refused: a text the dock saves must read back as written
        (tests/test_config_round_trip_hostile.py)."""
        if "\x00" in value:
            raise ConfigError(f"{self.where(key)} holds a NUL character", self.where(key))
        return value.strip(ORDINARY_SPACE)

    def text(self, key: str, default: str = "") -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise ConfigError(
                f"{self.where(key)} must be text, not {_shown_value(value)}", self.where(key)
            )
        return self._clean(key, value)

    def shown_text(self, key: str) -> str:
        """text(key) for a text the release shows (the force, the web map's title),
        refused when given but not readable (common.text_file.invisible_text_problem): a
        title of one zero-width space would publish a page with no title. (Control
        characters are kept, as every text of the configuration keeps them: _clean.)"""
        value = self.text(key)
        problem = invisible_text_problem(value, controls_read=True) if value else ""
        if problem:
            raise ConfigError(f"{self.where(key)} {value!r:.80} {problem}", self.where(key))
        return value

    def texts(self, key: str) -> list[str]:
        value = self._get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"{self.where(key)} must be a list of text, not {shown_value(value)}",
                self.where(key),
            )
        cleaned = [self._clean(key, v) for v in value]
        return [v for v in cleaned if v]

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(
                f"{self.where(key)} must be true or false, not {_shown_value(value)}",
                self.where(key),
            )
        return value

    def number(self, key: str, default: float, *, minimum: float = 0.0, zero_ok=False) -> float:
        """The setting as a float (a WrittenFloat keeping the text it is written as, which
        a later check shows: core.release.release_limits.check_max_distance), or
        ConfigError naming the key and showing the value as written. Why: a message showed
        the float the text became ("0.0" for 1e-400, "inf" for 1e400)."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(
                f"{self.where(key)} must be a number, not {shown_value(value)}", self.where(key)
            )
        written = written_number(value)
        shown = shown_number(written)
        try:
            number = float(value)
        except OverflowError:  # (an integer too large for a float: no setting is that large)
            raise ConfigError(
                f"{self.where(key)} is too large a number: {shown}", self.where(key)
            ) from None
        if math.isinf(number) and written_positive(written):  # (1e400; not inf itself)
            raise ConfigError(f"{self.where(key)} is too large a number: {shown}", self.where(key))
        if number == 0 and written_positive(written):  # (1e-400)
            raise ConfigError(
                f"{self.where(key)} {shown} is too small a number to compute with (it reads as 0)",
                self.where(key),
            )
        if not math.isfinite(number) or number < minimum or (number == 0 and not zero_ok):
            raise ConfigError(
                f"{self.where(key)} must be a positive number, not {shown}", self.where(key)
            )
        written_float = WrittenFloat(number)
        written_float.written = written
        return written_float

    def whole(self, key: str, default: int, maximum: int) -> int:
        """The setting as a whole number from 0 to ``maximum``, or ConfigError naming the key
        and showing the value as written. Why: a count threshold of 9.5, true or "10"
        would run as something the analyst did not write, or fail after the release's
        earlier steps had run."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(
                f"{self.where(key)} must be a whole number, not {_shown_value(value)}",
                self.where(key),
            )
        if not 0 <= value <= maximum:
            raise ConfigError(
                f"{self.where(key)} must be 0 (off) to {maximum}, not {_shown_value(value)}",
                self.where(key),
            )
        return int(value)

    def hotspot_size(self, key: str, default: float, *, zero_ok: bool = False) -> float:
        """number(), refused below the hotspot methods' smallest size (core.hotspots.hexgrid.
        refuse_below_smallest) when the file is read, not when the release reaches its
        hotspots step after loading and anonymising (0, when ``zero_ok``, means automatic)."""
        value = self.number(key, default, zero_ok=zero_ok)
        if value:
            try:
                refuse_below_smallest(value, self.where(key))
            except HotspotInputError as exc:
                raise ConfigError(str(exc), self.where(key)) from None
        return value

    def table(self, key: str) -> _Table:
        return _Table(self._get(key, {}), self.where(key))

    def finish(self) -> None:
        """ConfigError naming every key nobody read. A key that is not a plain name (empty,
        spaces, control characters) is shown quoted and escaped: an empty key gave the
        message "unknown setting(s): " naming nothing, and a key's control characters
        (a terminal escape sequence) reached the terminal and the dock's message bar."""
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            names = ", ".join(self.where(shown_key(k)) for k in unknown[:SHOWN_KEYS])
            more = len(unknown) - SHOWN_KEYS
            raise ConfigError(
                f"unknown setting(s): {names}" + (f" and {more:,} more" if more > 0 else "")
            )


# --- the configuration ----------------------------------------------------------------------


@dataclass
class MapPointsConfig:
    """Where the anonymous map points come from: a map points file (.gpkg or .csv), the
    force's published police.uk history (files, folders, monthly zips) or, as a last resort,
    hexagon centres made from the release's own crimes."""

    kind: str = "history"
    paths: list[str] = field(default_factory=list)
    hexagon_m: float = 500.0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "paths": list(self.paths)}
        if self.kind == "hexagon":
            data["hexagon_m"] = self.hexagon_m
        return data


@dataclass
class QaConfig:
    """Release QA (core.qa) before anonymising: this month against the force's history."""

    enabled: bool = False
    history: list[str] = field(default_factory=list)  # earlier extracts, police.uk, *.json
    areas: str = ""  # LSOA -> neighbourhood lookup CSV, optional

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "history": list(self.history), "areas": self.areas}


@dataclass
class HotspotsConfig:
    """Hotspots on the internal exact data, for intelligence staff (never published)."""

    enabled: bool = True
    gi: bool = True
    gi_cell_m: float = 250.0
    fdr: bool = True
    kde: bool = True
    kde_cell_m: float = 50.0
    bandwidth_m: float = 0.0  # 0: the documented automatic rule

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: [publish.neighbourhoods] keys: core.publish.summaries_run.NeighbourhoodSource's fields.
NEIGHBOURHOOD_PATHS = ("boundaries", "lookup", "names", "lsoa_population")
NEIGHBOURHOOD_FIELDS = (
    "code_field",
    "name_field",
    "population_field",
    "lookup_code_field",
    "lookup_name_field",
    "lookup_lsoa_field",
    "names_code_field",
    "names_name_field",
)


#: [publish] keys naming one file the summaries read, and what each is called in a message
SUMMARIES_FILES = {"team": "Team information", "families": "Families file"}


@dataclass
class PublishConfig:
    """What is published besides the public CSV, GeoPackage and audit (always written)."""

    web_map: bool = False
    summaries: bool = False
    title: str = ""  # the web map's title ("" = "Street-level crime map, <force>, <Month YYYY>")
    # neighbourhood outlines, lookup, names and populations (paths and field names) for the
    # summaries and the web map's areas; empty = none
    neighbourhoods: dict[str, str] = field(default_factory=dict)
    # the force's earlier published police.uk months (files, folders, monthly zips) for the
    # summaries' 12-month trend and change on a year earlier, and the web map's months (with
    # or without summaries); empty = this release only
    summaries_history: list[str] = field(default_factory=list)
    # the neighbourhood policing teams' information for the summaries (police.uk API JSON
    # or CSV: core.publish.summaries_team) and the similar-neighbourhood families (CSV of
    # code,family); empty = none (each page then says no team information was published;
    # similar neighbourhoods are the nearest in density and crime mix)
    team: str = ""
    families: str = ""
    project: bool = True  # a QGIS project holding every layer of the release (needs QGIS)
    # the summaries' PDF atlas, one page per neighbourhood (needs QGIS and the summaries):
    # <out>/neighbourhoods_atlas.pdf, as crime_mapper:neighbourhood_summaries's ATLAS
    atlas: bool = False
    # small-count control on the summaries (core.publish.summaries_suppress): counts of 1 to
    # N - 1 shown as "fewer than N"; 0 = off, as police.uk. Refused with the web map, whose
    # street-level points add up to every count it would hide
    suppress_below: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "neighbourhoods"}
        data["summaries_history"] = list(self.summaries_history)
        data["neighbourhoods"] = dict(self.neighbourhoods)
        return data


@dataclass
class ReleaseConfig:
    """One force's monthly release settings; paths as written in the file."""

    inputs: list[str]
    salt_file: str
    output: str
    map_points: MapPointsConfig = field(default_factory=MapPointsConfig)
    force: str = ""
    profile: str = ""
    rules: str = ""
    max_distance_m: float = 20_000.0
    qa: QaConfig = field(default_factory=QaConfig)
    hotspots: HotspotsConfig = field(default_factory=HotspotsConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    base_dir: Path = field(default_factory=Path.cwd)  # relative paths start here
    source: Optional[Path] = None  # the file it was read from

    # --- paths for one month ----------------------------------------------------------------
    def path(self, text: str, month: str) -> Path:
        """A configured path for ``month``: ``{month}`` replaced, ``~`` expanded, relative to
        the configuration's folder. A ``~user`` whose home is not known (no such user here,
        or no home at all) is a ConfigError naming the path: ``expanduser`` raised a
        RuntimeError, a traceback from the command line and the Processing algorithm, and
        from every change of the dock's form. So is a NUL character, which no path holds:
        the file reader refuses one, but the dock's form took one from a remembered setting
        or a paste, and the checks' ``realpath`` raised a ValueError out of the form."""
        if "\x00" in text:
            raise ConfigError(f"{shown_value(text)}: a path cannot hold a NUL character")
        filled = self.filled(text, month)
        try:
            path = Path(filled).expanduser()
        except RuntimeError:
            user = filled[1:].replace("\\", "/").split("/", 1)[0]
            whose = f"the user {shown_value(user)}" if user else "this user"
            raise ConfigError(
                f"{shown_value(text)}: the home folder of {whose} is not known on this computer"
            ) from None
        return Path(os.path.normpath(path if path.is_absolute() else self.base_dir / path))

    def filled(self, text: str, month: str) -> str:
        """``text`` with ``{month}`` replaced; any other placeholder is a ConfigError. One
        rule for a path and for the layer a map points source names (``points.gpkg|
        layername=points_{month}``), whose ``{month}`` was read as it was written."""
        filled = text.replace("{month}", validate_month(month))
        if "{" in filled or "}" in filled:
            raise ConfigError(f"{shown_value(text)}: the only placeholder is {{month}}")
        return filled

    def input_paths(self, month: str) -> list[Path]:
        return [self.path(p, month) for p in self.inputs]

    def output_dir(self, month: str) -> Path:
        return self.path(self.output, month)

    def optional_path(self, text: str, month: str) -> Optional[Path]:
        return self.path(text, month) if text else None

    def neighbourhood_source(self, month: str) -> Any:
        """The summaries' NeighbourhoodSource for ``month`` (None when none is configured)."""
        from ..publish.summaries_run import NeighbourhoodSource

        hoods = self.publish.neighbourhoods
        if not hoods.get("boundaries"):
            return None
        values: dict[str, Any] = {k: v for k, v in hoods.items() if k in NEIGHBOURHOOD_FIELDS}
        values.update({k: self.path(hoods[k], month) for k in NEIGHBOURHOOD_PATHS if hoods.get(k)})
        return NeighbourhoodSource(**values)

    def map_points_sources(self, month: str) -> list[tuple[Path, Optional[str]]]:
        """(file, layer) of each map points source for ``month``: a "file" source may name a
        GeoPackage's layer as the command line's ``--points`` does (``FILE.gpkg|layername=
        LAYER``, core.common.layer_source); the file resolves as every path does, and the
        layer has its ``{month}`` filled in as the file's has (None: the file's own map
        points table)."""
        if self.map_points.kind != "file":
            return [(self.path(p, month), None) for p in self.map_points.paths]
        sources = []
        for text in self.map_points.paths:
            file, layer = split_layer_source(text)
            if layer is not None and _is_file(self.path(text, month)):
                file, layer = text, None  # (an existing file wins, as layer_source's rule)
            sources.append(
                (self.path(file, month), None if layer is None else self.filled(layer, month))
            )
        return sources

    def map_points_paths(self, month: str) -> list[Path]:
        """The files of :meth:`map_points_sources` (what exists, and what the manifest hashes)."""
        return [file for file, _ in self.map_points_sources(month)]

    def map_points_texts(self, month: str) -> list[str]:
        """:meth:`map_points_sources` as the map points reader takes them."""
        return [join_layer_source(f, layer) for f, layer in self.map_points_sources(month)]

    # --- checks before anything runs --------------------------------------------------------
    def problems(self, month: str) -> list[str]:
        """Everything wrong with this configuration for ``month``, in plain words (empty when
        it can run). The dock shows these inline; the runners refuse to start on any."""
        return [text for found in self.problems_by_step(month).values() for text in found]

    def problems_by_step(self, month: str) -> dict[str, list[str]]:
        """:meth:`problems` under the step whose inputs they are ("release" for the month
        and the output folder, which every step needs), in the release's order; the dock
        shows each under its step."""
        found: dict[str, list[str]] = {
            "release": [],
            "load": [],
            "check": [],
            "anonymise": [],
            "hotspots": [],
            "publish": [],
        }
        try:
            validate_month(month)
        except ConfigError as exc:
            found["release"].append(str(exc))
            return found
        found["release"].extend(self._output_problems(month))
        unusable = force_name_problem(self.force)
        if unusable:  # (kept as written when read, so the dock's save reads back: _clean)
            said = f"The force name {self.force!r:.80} {unusable}"
            found["release"].append(f"{said} (release.force).")
        load = found["load"]
        if not self.inputs:
            load.append("No extract is given (load.inputs).")
        for path in self.input_paths(month):
            if not _exists(path):
                load.append(not_found("Extract", path))
        holding = (
            input_holding_output(self.input_paths(month), [self.output_dir(month)])
            if self.output
            else None
        )
        if holding is not None:
            load.append(holding_message(holding) + ".")
        if self.profile and not _is_file(self.path(self.profile, month)):
            load.append(not_found("Mapping profile", self.path(self.profile, month)))
        if self.qa.enabled:
            if not self.qa.history:
                found["check"].append("Release QA needs the force's history (qa.history).")
            for text in [*self.qa.history, *([self.qa.areas] if self.qa.areas else [])]:
                if not _exists(self.path(text, month)):
                    found["check"].append(not_found("QA input", self.path(text, month)))
        anonymise = found["anonymise"]
        if self.rules and not _is_file(self.path(self.rules, month)):
            anonymise.append(not_found("Release rules", self.path(self.rules, month)))
        try:
            check_max_distance(self.max_distance_m)
        except ValueError as exc:
            anonymise.append(f"{exc} (anonymise.max_distance_m).")
        if not self.salt_file:
            anonymise.append("No salt file is given (anonymise.salt_file).")
        elif not _is_file(self.path(self.salt_file, month)):
            anonymise.append(not_found("Salt file", self.path(self.salt_file, month)))
        elif not found["release"] and inside_folder(
            self.path(self.salt_file, month), self.output_dir(month)
        ):
            anonymise.append(  # (found by the manifest only after every step had written)
                f"The salt file {shown_path(self.path(self.salt_file, month))} is inside the "
                f"output folder {shown_path(self.output_dir(month))}: it would be published with "
                "the release. Keep the salt outside every output folder."
            )
        if self.map_points.kind == "hexagon":
            anonymise.extend(self._hexagon_problems())
        if self.map_points.kind in ("file", "history"):
            if not self.map_points.paths:
                anonymise.append(f"Map points ({self.map_points.kind}) need at least one path.")
            for path, layer in self.map_points_sources(month):
                if not _exists(path):
                    anonymise.append(not_found("Map points source", path))
                elif layer is not None and path.suffix.lower() == ".gpkg" and _is_file(path):
                    problem = gpkg_layer_problem(path, layer)
                    if problem is not None:
                        anonymise.append(f"Map points layer not found: {problem}.")
        found["hotspots"].extend(self._hotspot_size_problems())
        hoods = self.publish.neighbourhoods
        if self.publish.summaries and not hoods.get("boundaries"):
            found["publish"].append(
                "Summaries need neighbourhood outlines (publish.neighbourhoods.boundaries)."
            )
        if self.publish.atlas and not self.publish.summaries:
            found["publish"].append(  # (its pages are the summaries' neighbourhoods)
                "The PDF atlas (publish.atlas) is made from the neighbourhood summaries: set "
                "publish.summaries = true, or publish.atlas = false."
            )
        if self.publish.suppress_below and not self.publish.summaries:
            found["publish"].append(
                "Small-count control (publish.suppress_below) hides small counts on the "
                "neighbourhood summaries: set publish.summaries = true, or "
                "publish.suppress_below = 0."
            )
        if self.publish.suppress_below and self.publish.web_map:
            found["publish"].append(  # (the map's points, table and shading count every crime)
                "Small-count control (publish.suppress_below) cannot be kept with the web map: "
                "its street-level points, its neighbourhood table and its shading show every "
                "count the summaries would hide. Set publish.web_map = false, or "
                "publish.suppress_below = 0."
            )
        for text in self.publish.summaries_history:
            if not _exists(self.path(text, month)):
                found["publish"].append(not_found("Summaries history", self.path(text, month)))
        for key, what in SUMMARIES_FILES.items():
            text = getattr(self.publish, key)
            if text and not _is_file(self.path(text, month)):
                missing = not_found(what, self.path(text, month))
                found["publish"].append(f"{missing} (publish.{key})")
        for key in NEIGHBOURHOOD_PATHS:
            if hoods.get(key) and not _is_file(self.path(hoods[key], month)):
                # (the path shown: written whole, a 1 MB one made a 1 MB message, and a line
                # break or an escape sequence in it reached the terminal as it was)
                found["publish"].append(
                    f"Neighbourhood file not found ({key}): "
                    f"{shown_path(self.path(hoods[key], month))}"
                )
        return found

    def unused_settings(self) -> list[str]:
        """Settings this configuration sets that no step of its release uses, in plain words:
        warnings, never problems (the release runs as it would without them). The publish
        step gives them as its warnings, so the command line prints them, the manifest keeps
        them and Processing and the dock show them. Why: a summaries history set while
        neither the web map nor the summaries are made was ignored without a word, and the
        analyst who set it believed it was used."""
        publish = self.publish
        if not publish.summaries_history or publish.web_map or publish.summaries:
            return []
        return [
            "the summaries history (publish.summaries_history) was not used: it gives the web "
            "map and the neighbourhood summaries their earlier months, and this release makes "
            "neither (publish.web_map and publish.summaries are false); set one of them to "
            "true, or leave publish.summaries_history out"
        ]

    def _output_problems(self, month: str) -> list[str]:
        """What is wrong with the output folder for ``month`` before anything is written.
        A loop of symbolic links is named by its key (core.common.text_file.output_problem):
        it crashed the salt's check below as a traceback (RuntimeError: Symlink loop), and
        the salt's place in it cannot be checked."""
        if not self.output:
            return ["No output folder is given (release.output)."]
        out = self.output_dir(month)
        if _exists(out) and not out.is_dir():
            return [f"The output folder is a file: {shown_path(out)}"]
        problem = output_problem(out, "folder")
        return (
            [f"The output folder {shown_path(out)} {problem} (release.output)."] if problem else []
        )

    def _hexagon_problems(self) -> list[str]:
        """The hexagon map points' size against what the run refuses, named by its key.
        Why here: the file reader takes any positive size, and a size the hexagon grid
        refuses (over 1,000,000 m) failed only at the anonymise step, one under 250 m only
        at the leak gate, after every step before had run (minutes at national scale)."""
        from ..hotspots.hexgrid import LARGEST_HEXAGON_M
        from ..release.disclosure import MIN_HEXAGON_M

        size = self.map_points.hexagon_m
        if MIN_HEXAGON_M <= size <= LARGEST_HEXAGON_M:
            return []
        return [
            f"The hexagon map points' size {metres(size)} is not from {MIN_HEXAGON_M:,.0f} to "
            f"{LARGEST_HEXAGON_M:,.0f} m (anonymise.map_points.hexagon_m): smaller cells "
            "publish crimes too near where they happened, and the leak gate refuses them."
        ]

    def _hotspot_size_problems(self) -> list[str]:
        """The hotspot sizes against the largest the hotspot step takes, named by their keys,
        and a density cell too fine for its set bandwidth whatever the crimes (too many
        cells, core.hotspots.cell_budget, or a bandwidth under one cell), and an ``fdr`` that
        is not true or false (core.hotspots.fdr.fdr_flag). Why here: the file reader takes
        any positive number, and such a size failed only when the hotspots step ran, after
        the load and QA, naming no key."""
        from ..hotspots.hexgrid import LARGEST_HEXAGON_M
        from ..hotspots.kde import LARGEST_M

        hot = self.hotspots
        if not hot.enabled:
            return []
        sizes = []
        if hot.gi:
            sizes.append(("gi_cell_m", "The Gi* hexagon size", hot.gi_cell_m, LARGEST_HEXAGON_M))
        if hot.kde:
            sizes.append(("kde_cell_m", "The density cell size", hot.kde_cell_m, LARGEST_M))
            sizes.append(("bandwidth_m", "The density bandwidth", hot.bandwidth_m, LARGEST_M))
        found = [
            f"{what} {metres(value)} is more than {metres(largest)} (hotspots.{key})."
            for key, what, value, largest in sizes
            if value > largest
        ]
        if hot.gi:  # (a value set from Python: the file's reader takes true or false only)
            from ..hotspots.fdr import fdr_flag

            try:
                fdr_flag(hot.fdr)
            except HotspotInputError as exc:
                found.append(f"{exc} (hotspots.fdr)")
        if hot.kde and hot.bandwidth_m and not found:
            from ..hotspots.cell_budget import refuse_too_many_cells_anywhere

            # (what depends on the crimes is asked as soon as the release has read them)
            try:
                refuse_too_many_cells_anywhere(hot.kde_cell_m, hot.bandwidth_m)
            except HotspotInputError as exc:
                found.append(
                    f"{exc} (hotspots.kde_cell_m with hotspots.bandwidth_m: the surface "
                    "reaches the bandwidth around every crime, so this holds whatever the "
                    "crimes)"
                )
        return found

    # --- (de)serialising --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The file's content (paths exactly as configured, never resolved)."""
        return {
            "release": {"force": self.force, "output": self.output},
            "load": {"inputs": list(self.inputs), "profile": self.profile},
            "anonymise": {
                "salt_file": self.salt_file,
                "rules": self.rules,
                "max_distance_m": self.max_distance_m,
                "map_points": self.map_points.to_dict(),
            },
            "qa": self.qa.to_dict(),
            "hotspots": self.hotspots.to_dict(),
            "publish": self.publish.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any, base_dir: PathLike, source: Optional[Path] = None):
        root = _Table(data, "")
        release, load, anon = root.table("release"), root.table("load"), root.table("anonymise")
        points_table = anon.table("map_points")
        kind = points_table.text("kind", "history")
        if kind not in MAP_POINT_KINDS:
            raise ConfigError(
                f"anonymise.map_points.kind must be one of {', '.join(MAP_POINT_KINDS)}, "
                f"not {shown_value(kind)}",
                "anonymise.map_points.kind",
            )
        map_points = MapPointsConfig(
            kind=kind,
            paths=points_table.texts("paths"),
            hexagon_m=points_table.number("hexagon_m", 500.0),
        )
        qa_table = root.table("qa")
        qa = QaConfig(
            enabled=qa_table.flag("enabled", False),
            history=qa_table.texts("history"),
            areas=qa_table.text("areas"),
        )
        hot = root.table("hotspots")
        hotspots = HotspotsConfig(
            enabled=hot.flag("enabled", True),
            gi=hot.flag("gi", True),
            gi_cell_m=hot.hotspot_size("gi_cell_m", 250.0),
            fdr=hot.flag("fdr", True),
            kde=hot.flag("kde", True),
            kde_cell_m=hot.hotspot_size("kde_cell_m", 50.0),
            bandwidth_m=hot.hotspot_size("bandwidth_m", 0.0, zero_ok=True),
        )
        pub = root.table("publish")
        hoods_table = pub.table("neighbourhoods")
        hoods = {
            key: hoods_table.text(key) for key in (*NEIGHBOURHOOD_PATHS, *NEIGHBOURHOOD_FIELDS)
        }
        publish = PublishConfig(
            web_map=pub.flag("web_map", False),
            summaries=pub.flag("summaries", False),
            title=pub.shown_text("title"),
            neighbourhoods={k: v for k, v in hoods.items() if v},
            summaries_history=pub.texts("summaries_history"),
            team=pub.text("team"),
            families=pub.text("families"),
            project=pub.flag("project", True),
            atlas=pub.flag("atlas", False),
            suppress_below=pub.whole("suppress_below", 0, SUPPRESS_BELOW_MAX),
        )
        config = cls(
            inputs=load.texts("inputs"),
            profile=load.text("profile"),
            salt_file=anon.text("salt_file"),
            rules=anon.text("rules"),
            max_distance_m=anon.number("max_distance_m", 20_000.0),
            map_points=map_points,
            force=release.shown_text("force"),
            output=release.text("output"),
            qa=qa,
            hotspots=hotspots,
            publish=publish,
            base_dir=Path(base_dir),
            source=source,
        )
        for table in (points_table, release, load, anon, qa_table, hot, hoods_table, pub, root):
            table.finish()
        return config


def _exists(path: Path) -> bool:
    """``path.exists()``, False where the system cannot look the path up at all.

    Why: Path.exists raises OSError for a name longer than the system allows (ENAMETOOLONG),
    and that crashed the configuration's checks, in the dock as in the command line, where
    the analyst should read "not found" and the path."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where the path cannot be looked up (see _exists)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def config_folder(path: PathLike) -> Path:
    """The folder a configuration's relative paths start from: that of the path as the user
    gave it, made absolute but with symbolic links left as they are (``os.path.abspath``, not
    ``Path.resolve``). A configuration opened through a link (``release.toml`` in the
    force's data folder, linked to a shared template) reads its inputs beside the link, as
    a shell user expects and as the dock's form has always taken them; resolving the link
    read them from the template's folder."""
    return Path(os.path.abspath(path)).parent


#: The largest release configuration read, in bytes. One is a few KB (the bundled example
#: is under 4 KB; a thousand long input paths are under 300 KB), so a larger file is another
#: file chosen by mistake (an extract, a GeoPackage) or a damaged one. Why a limit: a 10 MB
#: configuration took seconds to read, holding the dock, before any of its settings was
#: checked. Room is left for a 1 MB value, which is refused naming its setting.
MAX_CONFIG_BYTES = 2 * 1024 * 1024


def _config_text(path: Path) -> str:
    """The text of the configuration at ``path`` (a byte-order mark at the start, which
    Windows Notepad saves, left out), or ConfigError naming the file: it cannot be read,
    is larger than MAX_CONFIG_BYTES (refused before it is read) or is not UTF-8. A FIFO or
    a device is refused before it is opened (see core.common.text_file: it hung the
    release, or read until memory ran out)."""
    try:
        check_file(path)  # (first: a path holding a NUL has no size to ask for)
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{shown_path(path)}: the release configuration is {size:,} bytes, more than "
                f"any release configuration (at most {MAX_CONFIG_BYTES:,}; one is a few KB): "
                "is it the right file?"
            )
        return read_text_file(path, encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the release configuration {shown_path(path)}: {exc}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown_path(path)}: not UTF-8 text") from exc


def read_config(path: PathLike) -> ReleaseConfig:
    """Read a .toml or .json release configuration; ConfigError says what is wrong (see
    _config_text for what is refused before the text is parsed)."""
    path = Path(path)
    text = _config_text(path)
    try:
        if path.suffix.lower() == ".json":
            data = strict_json(text, floats_written=True, ints_written=True)
        else:
            data = toml_lite.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{shown_path(path)}: {exc}") from exc
    except RecursionError as exc:  # (it said "maximum recursion depth exceeded")
        raise ConfigError(f"{shown_path(path)}: nested too deeply to read") from exc
    base = config_folder(path)
    try:
        return ReleaseConfig.from_dict(data, base, source=path)
    except ConfigError as exc:
        raise ConfigError(f"{shown_path(path)}: {exc}", exc.key) from exc


TABLE_COMMENTS = {
    "release": (
        "crime_mapper monthly release configuration.\n"
        "Run it:  python3 -m crime_mapper.cli release THIS_FILE --month 2022-10\n"
        "   or:   qgis_process.bin run crime_mapper:monthly_release -- CONFIG=THIS_FILE "
        "MONTH=2022-10\n"
        "Relative paths start at this file's folder; {month} becomes the release month.\n"
        "\n"
        "force: a label for the force (optional). output: the release folder."
    ),
    "load": (
        "inputs: extract files, folders or police.uk monthly zips for the month.\n"
        'profile: the column-mapping profile of a force export ("" for police.uk files).'
    ),
    "anonymise": (
        "salt_file: the release salt, a secret kept OUTSIDE the output folder. Only its path\n"
        "is recorded here; outputs record its fingerprint, never the salt. Make one once\n"
        "with 'python -m crime_mapper.cli salt --new FILE' (or 'Create new salt...').\n"
        'rules: release rules JSON ("" = the documented default rules).\n'
        "max_distance_m: crimes farther than this from every map point are published\n"
        "without a location."
    ),
    "anonymise.map_points": (
        'kind = "history": paths are the force\'s published police.uk files (folders, zips);\n'
        'kind = "file": paths[0] is a map points .gpkg or .csv (another layer of a .gpkg\n'
        'than map_points as "FILE.gpkg|layername=LAYER", as the command line\'s --points);\n'
        'kind = "hexagon": hexagon centres every hexagon_m metres (last resort).'
    ),
    "qa": (
        "Release QA before anonymising: this month against the force's previous months\n"
        "(history: earlier extracts, police.uk files or a saved *.qa_history.json; areas: an\n"
        "optional LSOA to neighbourhood lookup CSV). Findings are reported, never fatal."
    ),
    "hotspots": (
        "Hotspots on the internal exact data, for intelligence staff; never published.\n"
        "gi: Getis-Ord Gi* on gi_cell_m hexagons (fdr: false discovery rate correction).\n"
        "kde: kernel density on kde_cell_m cells (bandwidth_m 0 = automatic)."
    ),
    "publish": (
        "The public CSV, GeoPackage, audit and manifest are always written.\n"
        "web_map: a self-contained web map in map/ (title: its title); summaries:\n"
        "neighbourhood pages in neighbourhoods/ (team: the neighbourhood policing teams'\n"
        "information, police.uk API JSON or CSV; families: a CSV of code,family naming\n"
        "each neighbourhood's similar ones);\n"
        "summaries_history: the force's earlier published police.uk months, for the\n"
        "summaries' 12-month trend and the web map's last 12 months (with summaries =\n"
        "false too: the map still shows them; with neither, not used, and the release\n"
        "warns so);\n"
        "atlas: the summaries as a PDF atlas, neighbourhoods_atlas.pdf, one page per\n"
        "neighbourhood (needs QGIS and summaries = true);\n"
        "suppress_below: counts of 1 to N - 1 on the summaries shown as 'fewer than N'\n"
        "(0 = off, as police.uk; not with web_map = true, whose points show every count);\n"
        "project: a QGIS project of every layer."
    ),
    "publish.neighbourhoods": (
        "Neighbourhoods for the summaries and the web map's areas: boundaries (GeoJSON)\n"
        "with code_field (and name_field, population_field); optionally an LSOA lookup\n"
        "(lookup, lookup_code_field, lookup_name_field, lookup_lsoa_field), names (names,\n"
        "names_code_field, names_name_field) and lsoa_population. Leave empty for none."
    ),
}


def config_text(config: ReleaseConfig) -> str:
    """The configuration as commented TOML."""
    return toml_lite.dumps(config.to_dict(), TABLE_COMMENTS)


def write_config(config: ReleaseConfig, path: PathLike) -> Path:
    """Write the configuration (TOML, or JSON for a .json path) atomically."""
    from ..common.staging import write_text_atomic

    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(config.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = config_text(config)
    write_text_atomic(path, text)
    return path


def example_config_text() -> str:
    """A commented example to start from (`crime_mapper.cli release --example`)."""
    example = ReleaseConfig(
        force="Leicestershire",
        inputs=["extracts/{month}-force-extract.csv"],
        profile="profiles/force-extract.profile.json",
        salt_file="../secrets/release.salt",
        output="releases/{month}",
        map_points=MapPointsConfig(kind="history", paths=["police-uk-history"]),
    )
    return config_text(example)
