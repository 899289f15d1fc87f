"""The one implementation of "anonymise a load and write the public release".

The Release panel (through AnonymiseTask), the Processing algorithm crime_mapper:anonymise and
scripts all call :func:`run_anonymise`, so a release gives the same files however it was made:

- the public CSV in police.uk's format, named like police.uk's own files
  (``<YYYY-MM>-<force>-street.csv``, or ``<first>_<last>-<force>-street.csv`` for several
  months);
- the public GeoPackage (table ``public_crimes``: exactly the police.uk street columns as
  fields, WGS84 points at the map points; rows published without a location are kept with a
  NULL geometry, so the layer's count equals the CSV's), with a QML style beside it;
- the audit (JSON and a readable HTML page) and a release manifest (inputs with SHA-256,
  settings, salt fingerprint, output checksums, crime_mapper version; no wall-clock time, so
  the same release gives the same manifest bytes).

Every check that can fail on the inputs (salt file, rules, profile, map points, crimes) runs
before anything is written. All outputs are staged (core.common.staging) and the leak gate
(core.gate.leak_gate) checks the staged public CSV and GeoPackage *before* they replace anything:
a failed gate, an error or a cancel leaves the previous release byte-identical.

The salt comes from a file, never from a typed-in string: Processing records every parameter
value in its history log, and a salt in that log would let anyone recompute Crime IDs from
guessed references. The salt file must not lie inside the output folder (it would be
published with the release). The salt and naming rules, the gate's audit entry and error
message and the manifest builder live in core.release.release_files, so the command line (plain
Python, no QGIS) applies the same ones and writes the same manifest sections.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from ..core.common.feedback import Feedback, ScaledFeedback
from ..core.common.reproducible import canonical_xml, fixed_timestamp, freeze_geopackage
from ..core.common.staging import staged_outputs
from ..core.io import gpkg_write
from ..core.release.release_files import (  # noqa: F401 - re-exported for existing callers
    MANIFEST_VERSION,
    RELEASE_NAMES,
    SALT_BYTES,
    ReleaseInputError,
    build_manifest,
    combined_gate_entry,
    create_salt_file,
    file_entry,
    force_slug,
    gate_error_message,
    map_points_entry,
    map_points_file_entry,
    points_fingerprint,
    public_csv_name,
    read_salt,
    sha256_file,
    write_manifest,
)
from .crimes_source import CrimesInput, load_profile, open_crimes_source
from .map_points_io import MapPointsSpec, read_map_points_file

PathLike = Union[str, "os.PathLike[str]"]

PUBLIC_TABLE = "public_crimes"

# Shares of the progress bar.
_POINTS_END, _CRIMES_END, _ANON_END, _WRITE_END, _GATE_END = 10.0, 40.0, 75.0, 88.0, 96.0


# --- outputs --------------------------------------------------------------------------------


@dataclass
class AnonymiseOutputs:
    """What one release wrote, for the caller to show."""

    public_csv: Path
    public_gpkg: Path
    audit_json: Path
    audit_html: Path
    manifest: Path
    qml: Optional[Path]
    audit: dict
    rows_in: int = 0
    published_at_map_point: int = 0
    published_without_location: int = 0
    withheld_by_rule: int = 0
    rejected: int = 0
    published_rows: int = 0
    gate_passed: bool = False
    reconciles: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def public_uri(self) -> str:
        return f"{self.public_gpkg}|layername={PUBLIC_TABLE}"

    def summary_text(self) -> str:
        """A short readable summary for the panel, the log and Processing."""
        lines = [
            f"Rows in: {self.rows_in:,}",
            f"Published at a map point: {self.published_at_map_point:,}",
            f"Published without a location: {self.published_without_location:,}",
            f"Withheld by rule: {self.withheld_by_rule:,}",
            f"Rejected: {self.rejected:,}",
            f"Counts reconcile: {'yes' if self.reconciles else 'NO'}",
            f"Leak gate: {'passed' if self.gate_passed else 'FAILED'}",
            f"Public CSV: {self.public_csv}",
        ]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def public_point_table(public: pd.DataFrame) -> gpkg_write.PointTable:
    """The public table as a GeoPackage point layer: PUBLIC_COLUMNS as text fields (the same
    text as the CSV), geometry from Longitude/Latitude, NULL geometry where blank."""
    from ..core.release.public_schema import PUBLIC_COLUMNS

    frame = public.copy()
    frame["__x"] = pd.to_numeric(frame["Longitude"].replace("", np.nan), errors="coerce")
    frame["__y"] = pd.to_numeric(frame["Latitude"].replace("", np.nan), errors="coerce")
    return gpkg_write.PointTable(
        PUBLIC_TABLE,
        frame,
        {c: "string" for c in PUBLIC_COLUMNS},
        x="__x",
        y="__y",
        description="crime_mapper public release (police.uk street-level format)",
    )


def write_public_qml(path: PathLike) -> None:
    """The public layer's style (categorized by "Crime type", palette colours and shapes),
    saved from a memory layer with the public fields so the GeoPackage itself is untouched."""
    from qgis.core import QgsVectorLayer

    from ..core.release.public_schema import PUBLIC_COLUMNS

    fields = "&".join(f"field={name.replace(' ', '%20')}:string" for name in PUBLIC_COLUMNS)
    layer = QgsVectorLayer(f"Point?crs=EPSG:4326&{fields}", "public_crimes", "memory")
    style_public_layer(layer)
    message, ok = layer.saveNamedStyle(str(path))
    if not ok:
        raise RuntimeError(f"could not write the style {path}: {message}")
    del layer
    canonical_xml(path)


def style_public_layer(layer: Any) -> None:
    """Categorized renderer by "Crime type" and a readable display expression."""
    from .renderers import crime_type_renderer

    layer.setRenderer(crime_type_renderer(field="Crime type"))
    layer.setDisplayExpression("\"Crime type\" || ' — ' || coalesce(\"Location\", '')")


def qgis_version() -> str:
    """The running QGIS version for the manifest ("unknown" only outside QGIS)."""
    try:
        from qgis.core import Qgis
    except ImportError:  # pragma: no cover - always present inside QGIS
        return "unknown"
    return Qgis.QGIS_VERSION


# --- the step -------------------------------------------------------------------------------


def _resolve_points(
    points: Any, crimes: Optional[pd.DataFrame], feedback: Feedback
) -> tuple[Any, dict]:
    """(MapPoints, manifest entry) from MapPoints, a MapPointsSpec or a file path."""
    from ..core.release.map_points import MapPoints

    if isinstance(points, MapPoints):
        return points, map_points_entry(points)
    if isinstance(points, MapPointsSpec):
        resolved = points.resolve(crimes, feedback)
        return resolved, map_points_entry(
            resolved, points.description or f"map points ({points.kind})", points.input_files()
        )
    if isinstance(points, (str, os.PathLike)):
        resolved = read_map_points_file(points)
        return resolved, map_points_file_entry(resolved, points)
    raise ReleaseInputError(
        f"map points must be MapPoints, a MapPointsSpec or a file, not {type(points).__name__}"
    )


def _load_rules(rules: Any) -> tuple[Any, Optional[Path]]:
    from ..core.release.rules import DEFAULT_RULES, ReleaseRules, ReleaseRulesError

    if rules is None or rules == "":
        return DEFAULT_RULES, None
    if isinstance(rules, ReleaseRules):
        return rules, None
    path = Path(rules)
    if not path.is_file():
        raise ReleaseInputError(f"The release rules file does not exist: {path}")
    try:
        return ReleaseRules.load(path), path
    except (ReleaseRulesError, OSError) as exc:
        raise ReleaseInputError(str(exc)) from exc


def run_anonymise(
    crimes: Union[CrimesInput, PathLike, Sequence[PathLike]],
    points: Any,
    rules: Any = None,
    salt_file: Optional[PathLike] = None,
    output_dir: Optional[PathLike] = None,
    *,
    max_distance_m: float = 20_000.0,
    profile_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
    public_csv_path: Optional[PathLike] = None,
    public_gpkg_path: Optional[PathLike] = None,
    audit_json_path: Optional[PathLike] = None,
    audit_html_path: Optional[PathLike] = None,
    manifest_path: Optional[PathLike] = None,
    write_qml: bool = True,
) -> AnonymiseOutputs:
    """Anonymise the crimes onto the map points and write the whole release, or nothing.

    ``crimes``: a CrimesInput, a crimes GeoPackage path, or extract paths (with an optional
    ``profile_path``). ``points``: MapPoints, a MapPointsSpec or a map points .gpkg/.csv.
    ``rules``: a ReleaseRules, a rules JSON path, or None for the documented defaults.
    Output paths default to police.uk-style names inside ``output_dir``; explicit paths (as
    the Processing algorithm passes) win. Raises ReleaseInputError (bad inputs, before any
    output is touched), core.gate.leak_gate.LeakError (gate failed; nothing replaced) or
    core.common.feedback.Cancelled.
    """
    from ..core.gate.leak_gate import LeakError, check_release, prepare_gate
    from ..core.release.anonymise import AnonymiseError, anonymise
    from ..core.release.audit import attach_gate_report, write_audit
    from ..core.release.map_points import MapPointsError
    from ..core.release.public_schema import salt_fingerprint, write_public_csv

    feedback = feedback or Feedback()
    explicit = [public_csv_path, public_gpkg_path, audit_json_path, audit_html_path, manifest_path]
    if output_dir is None and not all(explicit):
        raise ReleaseInputError("give an output folder, or every output path")
    base = Path(output_dir) if output_dir is not None else None
    out_dirs = ([base] if base is not None else []) + [Path(p).parent for p in explicit if p]

    # 1. every cheap check first: nothing has been read or written yet
    salt = read_salt(salt_file, out_dirs)
    try:
        distance = float(max_distance_m)
    except (TypeError, ValueError):
        distance = float("nan")
    if not (np.isfinite(distance) and distance > 0):
        raise ReleaseInputError(
            f"The maximum distance must be a positive number of metres, not {max_distance_m!r}"
        )
    rules_obj, rules_path = _load_rules(rules)
    try:
        profile = load_profile(profile_path)
    except ValueError as exc:
        raise ReleaseInputError(str(exc)) from exc
    if base is not None and base.exists() and not base.is_dir():
        raise ReleaseInputError(f"The output folder is a file: {base}")

    # 2. map points (before the crimes, unless they are derived from them)
    try:
        needs_crimes = isinstance(points, MapPointsSpec) and points.kind == "hexagon"
        point_set, points_entry = (
            (None, {})
            if needs_crimes
            else _resolve_points(points, None, ScaledFeedback(feedback, 0.0, _POINTS_END))
        )
        feedback.set_progress(_POINTS_END)
        feedback.check()

        # 3. the crimes
        source = (
            crimes
            if isinstance(crimes, CrimesInput)
            else open_crimes_source(
                crimes, profile=profile, feedback=ScaledFeedback(feedback, _POINTS_END, _CRIMES_END)
            )
        )
        feedback.check()
        if needs_crimes:
            point_set, points_entry = _resolve_points(points, source.crimes, feedback)
    except MapPointsError as exc:
        raise ReleaseInputError(f"Map points: {exc}") from exc
    except ValueError as exc:
        if isinstance(exc, ReleaseInputError):
            raise
        raise ReleaseInputError(str(exc)) from exc
    feedback.set_progress(_CRIMES_END)

    # 4. the public table and its audit (in memory)
    try:
        release = anonymise(
            source.crimes,
            point_set,
            rules_obj,
            salt=salt,
            max_distance_m=distance,
            rejects=source.rejects,
            feedback=ScaledFeedback(feedback, _CRIMES_END, _ANON_END),
        )
    except AnonymiseError as exc:
        raise ReleaseInputError(str(exc)) from exc
    feedback.check()
    public = release.public
    audit = release.audit

    name = public_csv_name(public)
    csv_path = Path(public_csv_path) if public_csv_path else base / name
    gpkg_path = Path(public_gpkg_path) if public_gpkg_path else base / (Path(name).stem + ".gpkg")
    audit_json = Path(audit_json_path) if audit_json_path else base / RELEASE_NAMES["audit_json"]
    audit_html = Path(audit_html_path) if audit_html_path else base / RELEASE_NAMES["audit_html"]
    manifest = Path(manifest_path) if manifest_path else base / RELEASE_NAMES["manifest"]
    qml = gpkg_path.with_suffix(".qml") if write_qml else None

    with staged_outputs() as stage:
        # 5. the public files, staged
        tmp_csv = stage.path_for(csv_path)
        write_public_csv(public, tmp_csv)
        feedback.check()
        tmp_gpkg = stage.path_for(gpkg_path)
        gpkg_write.write_geopackage(
            tmp_gpkg,
            [public_point_table(public)],
            feedback=ScaledFeedback(feedback, _ANON_END + 3, _WRITE_END),
        )
        freeze_geopackage(tmp_gpkg, fixed_timestamp(public["Month"].unique().tolist()))
        tmp_qml = stage.path_for(qml) if qml is not None else None
        if tmp_qml is not None:
            write_public_qml(tmp_qml)
        feedback.set_progress(_WRITE_END)
        feedback.check()

        # 6. the leak gate on the staged public files, before anything is replaced
        # (one raw-side preparation serves both files: raw values, digests, keys)
        gate = prepare_gate(source.crimes, point_set)
        reports = {
            csv_path.name: check_release(source.crimes, tmp_csv, point_set, prepared=gate),
            gpkg_path.name: check_release(source.crimes, tmp_gpkg, point_set, prepared=gate),
        }
        failures = {label: r for label, r in reports.items() if not r.passed}
        if failures:
            error = LeakError(gate_error_message(failures))
            error.reports = reports  # type: ignore[attr-defined]
            raise error
        attach_gate_report(audit, combined_gate_entry(reports))
        feedback.set_progress(_GATE_END)
        feedback.check()

        # 7. audit and manifest
        tmp_json, tmp_html = stage.path_for(audit_json), stage.path_for(audit_html)
        write_audit(audit, tmp_json, tmp_html)
        staged = [(csv_path, tmp_csv), (gpkg_path, tmp_gpkg)]
        if qml is not None and tmp_qml is not None:
            staged.append((qml, tmp_qml))
        staged += [(audit_json, tmp_json), (audit_html, tmp_html)]
        manifest_data = build_manifest(
            crimes_description=source.description,
            crimes_files=source.input_files,
            points_entry=points_entry,
            rules=rules_obj,
            rules_path=rules_path,
            profile_path=profile_path,
            max_distance_m=distance,
            salt_fingerprint=salt_fingerprint(salt),
            audit=audit,
            staged=staged,
            qgis_version=qgis_version(),
        )
        write_manifest(manifest_data, stage.path_for(manifest))
        feedback.check()
        # 8. leaving the block moves everything into place together
    feedback.set_progress(100.0)

    totals = audit.get("totals", {})
    return AnonymiseOutputs(
        public_csv=csv_path,
        public_gpkg=gpkg_path,
        audit_json=audit_json,
        audit_html=audit_html,
        manifest=manifest,
        qml=qml,
        audit=audit,
        rows_in=int(totals.get("rows_in", 0)),
        published_at_map_point=int(totals.get("published_at_map_point", 0)),
        published_without_location=int(totals.get("published_without_location", 0)),
        withheld_by_rule=int(totals.get("withheld_by_rule", 0)),
        rejected=int(totals.get("rejected", 0)),
        published_rows=len(public),
        gate_passed=True,
        reconciles=bool(audit.get("reconciles", False)),
        warnings=[str(w) for w in audit.get("warnings", [])],
    )


# --- the gate on its own --------------------------------------------------------------------


def run_check_release(
    raw: Union[CrimesInput, PathLike, Sequence[PathLike]],
    points: Any,
    output: PathLike,
    report_path: Optional[PathLike] = None,
    *,
    profile_path: Optional[PathLike] = None,
    feedback: Optional[Feedback] = None,
) -> Any:
    """Run the leak gate on a published file or folder against the raw crimes; write the
    report JSON (atomically) when ``report_path`` is given, whatever the result. Returns the
    core GateReport; the caller decides how to fail."""
    from ..core.gate.leak_gate import check_release
    from ..core.release.map_points import MapPointsError

    feedback = feedback or Feedback()
    output = Path(output)
    if not output.exists():
        raise ReleaseInputError(f"The output to check does not exist: {output}")
    try:
        profile = load_profile(profile_path)
        point_set, _ = _resolve_points(points, None, ScaledFeedback(feedback, 0.0, 20.0))
        source = (
            raw
            if isinstance(raw, CrimesInput)
            else open_crimes_source(
                raw, profile=profile, feedback=ScaledFeedback(feedback, 20.0, 60.0)
            )
        )
    except MapPointsError as exc:
        raise ReleaseInputError(f"Map points: {exc}") from exc
    except ValueError as exc:
        if isinstance(exc, ReleaseInputError):
            raise
        raise ReleaseInputError(str(exc)) from exc
    feedback.check()
    report = check_release(source.crimes, output, point_set)
    feedback.set_progress(95.0)
    if report_path:
        data = {"output": output.name, **report.to_dict()}
        with staged_outputs() as stage:
            stage.path_for(report_path).write_text(
                json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    feedback.set_progress(100.0)
    return report
