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
#: not use, the records an unclosed quote swallowed), the facts MonthlyOutputs.inputs_not_used
#: is made of; a reopened project, and a later step the dock runs on its own, lost them.
#: Versions 1 and 2 are still read, their load with none.
OUTPUTS_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
_RELEASE_PATHS = ("public_csv", "public_gpkg", "audit_json", "audit_html", "manifest", "qml")
#: ReleaseOutputs' lists of texts (its warnings and its facts of files not used)
_RELEASE_TEXTS = ("warnings", "file_errors", "damaged")


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


def _path(value: Any) -> Optional[Path]:
    return None if value in (None, "") else Path(value)


def outputs_from_dict(
    data: dict[str, Any], hotspot: Optional[Callable[[dict[str, Any]], Any]] = None
) -> MonthlyOutputs:
    """Rebuild the outputs; ``hotspot`` turns each hotspot dictionary into the caller's type
    (kept as dictionaries without it). Raises ValueError on anything malformed."""
    try:
        if data.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"unknown outputs version {data.get('version')!r}")
        outputs = MonthlyOutputs(
            month=str(data["month"]),
            out_dir=Path(data["out_dir"]),
            steps=[
                StepRecord(
                    name=str(s["name"]),
                    status=str(s["status"]),
                    outputs=[Path(p) for p in s.get("outputs", [])],
                    summary=dict(s.get("summary") or {}),
                    note=str(s.get("note") or ""),
                    warnings=_texts(s.get("warnings"), "a step's warnings"),
                )
                for s in data.get("steps", [])
            ],
            manifest=Path(data["manifest"]),
        )
        if data.get("release"):
            from ..release.pipeline import ReleaseOutputs

            values = dict(data["release"])
            for key in _RELEASE_PATHS:
                values[key] = _path(values.get(key))
            for key in _RELEASE_TEXTS:  # (never a text read as its characters)
                values[key] = _texts(values.get(key), f"the anonymise step's {key}")
            names = {f.name for f in dataclasses.fields(ReleaseOutputs)}
            outputs.release = ReleaseOutputs(**{k: v for k, v in values.items() if k in names})
        if data.get("load"):
            load = data["load"]
            outputs.load = LoadStep(
                written=[Path(p) for p in load.get("written", [])],
                crimes=load.get("crimes"),
                summary=dict(load.get("summary") or {}),
                reconciles=bool(load.get("reconciles")),
                report_text=str(load.get("report_text") or ""),
                crimes_gpkg=_path(load.get("crimes_gpkg")),
                file_errors=_texts(load.get("file_errors"), "the load's files not used"),
                damaged=_texts(load.get("damaged"), "the load's damaged records"),
            )
        made = [dict(h) for h in data.get("hotspots", [])]
        outputs.hotspots = [hotspot(h) for h in made] if hotspot else made
        outputs.project = _path(data.get("project"))
        outputs.qa_report = _path(data.get("qa_report"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed release outputs: {exc}") from exc
    return outputs
