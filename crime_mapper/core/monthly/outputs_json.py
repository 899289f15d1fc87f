"""A monthly release's outputs as plain JSON, and back.

Why: the dock runs the release in a child process (qgis_bridge.release_process) so that the
pandas/numpy work never holds the QGIS user interface's interpreter lock. The child reports
what it wrote as one JSON object; the dock rebuilds :class:`MonthlyOutputs` from it to show
the results and add the layers, keeps it in the project (reopening restores the results) and
hands it back to a later child that runs only one step (the steps before it are not re-run).

Only what can be read back is kept: paths, counts, notes, the audit dictionary. A plain
(QGIS-free) load's in-memory crimes table is not: a later step then reads the extracts again.
Hotspot layers are kept as dictionaries; the QGIS side turns them back into its own type.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Optional

from .release import LoadStep, MonthlyOutputs, StepRecord

#: 2: each step holds its ``warnings`` (StepRecord.warnings). Version 1 (a project saved
#: before) is still read, its steps with no warnings.
#: 3: the load holds its ``file_errors`` and ``damaged`` (LoadStep: the input files it could
#: not use, the records a quote swallowed), the facts MonthlyOutputs.inputs_not_used
#: is made of; a reopened project, and a later step the dock runs on its own, lost them.
#: Versions 1 and 2 are still read, their load with none.
#: 4: the load holds its ``warnings`` (LoadStep.warnings: what the load warned about, the
#: extract files not read and the records a quote swallowed); a reopened project,
#: and any reader of the saved results, lost them. Versions 1 to 3 are still read, their load
#: with none.
OUTPUTS_VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)
_RELEASE_PATHS = ("public_csv", "public_gpkg", "audit_json", "audit_html", "manifest", "qml")
#: ReleaseOutputs' lists of texts (its warnings and its facts of files not used)
_RELEASE_TEXTS = ("warnings", "file_errors", "damaged")
#: the paths every anonymise step writes (the others may be absent: no GeoPackage, no style)
_RELEASE_NEEDED = ("public_csv", "audit_json", "audit_html", "manifest")
_RELEASE_COUNTS = (
    "rows_in", "published_at_map_point", "published_without_location", "withheld_by_rule",
    "rejected", "published_rows",
)  # fmt: skip
_RELEASE_FLAGS = ("gate_passed", "reconciles")


def plain(value: Any) -> Any:
    """Dataclasses, paths, tuples and sets as JSON values (dictionary keys as text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return plain(value.item())
    return str(value)


def outputs_to_dict(outputs: MonthlyOutputs) -> dict[str, Any]:
    load = outputs.load
    load_data = None
    if load is not None:
        crimes = load.crimes if isinstance(load.crimes, (str, Path)) else None
        load_data = {
            "written": plain(load.written),
            "crimes": None if crimes is None else str(crimes),
            "summary": plain(load.summary),
            "reconciles": bool(load.reconciles),
            "report_text": load.report_text,
            "crimes_gpkg": None if load.crimes_gpkg is None else str(load.crimes_gpkg),
            "warnings": list(load.warnings),
            "file_errors": list(load.file_errors),
            "damaged": list(load.damaged),
        }
    return {
        "version": OUTPUTS_VERSION,
        "month": outputs.month,
        "out_dir": str(outputs.out_dir),
        "manifest": str(outputs.manifest),
        "steps": [plain(step) for step in outputs.steps],
        "release": None if outputs.release is None else plain(outputs.release),
        "load": load_data,
        "hotspots": [plain(made) for made in outputs.hotspots],
        "project": None if outputs.project is None else str(outputs.project),
        "qa_report": None if outputs.qa_report is None else str(outputs.qa_report),
    }


def _texts(value: Any, what: str) -> list[str]:
    """A list of texts as saved (none when absent: a file of a version before it); anything
    else is malformed, never read as characters or keys."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        raise ValueError(f"{what} are not a list of texts")
    return list(value)


def _text(value: Any, what: str) -> str:
    """A text as saved; anything else is malformed (``str()`` made 5 of a month and "None" of
    a step's missing status)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a text: {value!r:.60}")
    return value


def _optional_text(value: Any, what: str) -> str:
    """A text as saved, or none (null, or absent from a file of an earlier version)."""
    return "" if value is None else _text(value, what)


def _path_text(value: Any, what: str) -> str:
    """A saved path: a text that can name a file (an empty text would be the folder QGIS
    runs in, and a NUL made the results' summary raise when the dock showed it)."""
    text = _text(value, what)
    if not text or "\x00" in text:
        raise ValueError(f"{what} is not a path: {value!r:.60}")
    return text


def _path(value: Any, what: str = "a path") -> Optional[Path]:
    return None if value in (None, "") else Path(_path_text(value, what))


def _paths(value: Any, what: str) -> list[Path]:
    """A list of paths as saved (none when absent); a text is not split into its characters."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} are not a list of paths")
    return [Path(_path_text(item, what)) for item in value]


def _object(value: Any, what: str) -> dict[str, Any]:
    """A JSON object as saved (empty when absent); a list of pairs is not made one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return dict(value)


def _flag(value: Any, what: str) -> bool:
    """True or false as saved: the text "false" is not read as true."""
    if not isinstance(value, bool):
        raise ValueError(f"{what} is not true or false: {value!r:.60}")
    return value


def _count(value: Any, what: str) -> int:
    """A whole number as saved (never a flag, a fraction or a text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not a whole number: {value!r:.60}")
    return value


def _step(data: Any) -> StepRecord:
    step = _object(data, "a step")
    return StepRecord(
        name=_text(step["name"], "a step's name"),
        status=_text(step["status"], "a step's status"),
        outputs=_paths(step.get("outputs"), "a step's outputs"),
        summary=_object(step.get("summary"), "a step's summary"),
        note=_optional_text(step.get("note"), "a step's note"),
        warnings=_texts(step.get("warnings"), "a step's warnings"),
    )


def _release(data: Any) -> Any:
    from ..release.pipeline import ReleaseOutputs

    values = _object(data, "the anonymise step's outputs")
    for key in _RELEASE_PATHS:
        what = f"the anonymise step's {key}"
        path = _path(values.get(key), what)
        if path is None and key in _RELEASE_NEEDED:
            raise ValueError(f"{what} is missing")
        values[key] = path
    for key in _RELEASE_TEXTS:  # (never a text read as its characters)
        values[key] = _texts(values.get(key), f"the anonymise step's {key}")
    for key in _RELEASE_COUNTS:
        values[key] = _count(values.get(key, 0), f"the anonymise step's {key}")
    for key in _RELEASE_FLAGS:
        values[key] = _flag(values.get(key, False), f"the anonymise step's {key}")
    for key in ("audit", "timings"):
        values[key] = _object(values.get(key), f"the anonymise step's {key}")
    names = {f.name for f in dataclasses.fields(ReleaseOutputs)}
    return ReleaseOutputs(**{k: v for k, v in values.items() if k in names})


def _load(data: Any) -> LoadStep:
    load = _object(data, "the load's outputs")
    crimes = load.get("crimes")
    return LoadStep(
        written=_paths(load.get("written"), "the load's files written"),
        crimes=None if crimes is None else _path_text(crimes, "the load's crimes"),
        summary=_object(load.get("summary"), "the load's summary"),
        reconciles=_flag(load["reconciles"], "the load's reconciles"),
        report_text=_optional_text(load.get("report_text"), "the load's report"),
        crimes_gpkg=_path(load.get("crimes_gpkg"), "the load's crimes GeoPackage"),
        warnings=_texts(load.get("warnings"), "the load's warnings"),
        file_errors=_texts(load.get("file_errors"), "the load's files not used"),
        damaged=_texts(load.get("damaged"), "the load's damaged records"),
    )


#: a hotspot layer's record's values by the type written (qgis_bridge.hotspot_layers'
#: HotspotOutputs, which this QGIS-free module does not import)
_HOTSPOT_TEXTS = ("kind", "title", "legend_text", "crs", "table")
_HOTSPOT_COUNTS = ("crimes", "cells")
_HOTSPOT_PATHS = ("path", "qml", "sld")
_HOTSPOT_LISTS = ("notes", "warnings")
_HOTSPOT_OBJECTS = ("facts", "timings")


def hotspot_values(data: dict[str, Any]) -> dict[str, Any]:
    """A saved hotspot layer's record with its paths as paths, each value checked to be of
    the type written (ValueError otherwise: notes saved as a text were kept as one, and
    listed a character a line). Keys it does not know are kept, for the caller to refuse."""
    values = dict(data)
    for key in _HOTSPOT_TEXTS:
        if key in values:
            values[key] = _text(values[key], f"a hotspot layer's {key}")
    for key in _HOTSPOT_COUNTS:
        if key in values:
            values[key] = _count(values[key], f"a hotspot layer's {key}")
    for key in _HOTSPOT_PATHS:
        if key in values:
            values[key] = _path(values[key], f"a hotspot layer's {key}")
    if "path" in values and values["path"] is None:
        raise ValueError("a hotspot layer's path is missing")
    for key in _HOTSPOT_LISTS:
        if key in values:
            values[key] = _texts(values[key], f"a hotspot layer's {key}")
    for key in _HOTSPOT_OBJECTS:
        if key in values:
            values[key] = _object(values[key], f"a hotspot layer's {key}")
    return values


def outputs_from_dict(
    data: dict[str, Any], hotspot: Optional[Callable[[dict[str, Any]], Any]] = None
) -> MonthlyOutputs:
    """Rebuild the outputs; ``hotspot`` turns each hotspot dictionary into the caller's type
    (kept as dictionaries without it). Raises ValueError on anything malformed: a value of
    another type than the one written is refused, never turned into another value (a text
    where a list of paths belongs split into one path a character, "false" read as true, 5
    as the month "5")."""
    try:
        version = data.get("version")  # (true and 1.0 are equal to 1, and no version)
        if type(version) is not int or version not in READABLE_VERSIONS:
            raise ValueError(f"unknown outputs version {data.get('version')!r}")
        steps = data.get("steps")
        if steps is not None and not isinstance(steps, list):
            raise ValueError("the steps are not a list")
        outputs = MonthlyOutputs(
            month=_text(data["month"], "the month"),
            out_dir=Path(_path_text(data["out_dir"], "the output folder")),
            steps=[_step(s) for s in steps or []],
            manifest=Path(_path_text(data["manifest"], "the manifest")),
        )
        if data.get("release") is not None:
            outputs.release = _release(data["release"])
        if data.get("load") is not None:
            outputs.load = _load(data["load"])
        made = data.get("hotspots")
        if made is not None and not isinstance(made, list):
            raise ValueError("the hotspots are not a list")
        if not all(isinstance(h, dict) for h in made or []):
            raise ValueError("a hotspot layer's record is not an object")
        made = [dict(h) for h in made or []]
        outputs.hotspots = [hotspot(h) for h in made] if hotspot else made
        outputs.project = _path(data.get("project"), "the project")
        outputs.qa_report = _path(data.get("qa_report"), "the QA report")
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed release outputs: {exc}") from exc
    return outputs
