"""The leak gate: prove a public output holds nothing from the raw crimes table that must not
be published, or refuse it (fail closed).

Every exporter (public CSV and GeoPackage, web map folder, summaries, hotspot grids) runs this
on what it wrote, before the file is moved into place. The public release table is the first
line of defence (it can only hold police.uk street columns); this gate is the second, and it
does not trust the exporter: it reads the output as a member of the public would (every cell,
JSON string, HTML text node and attribute, script literal, geometry vertex) and compares it
with the raw input.

Eight checks, each reported with the file and up to 5 examples:
  public_schema               crime-row tables have exactly the police.uk street columns
  coordinates_are_map_points  every coordinate is a map point (or explicitly allowed)
  no_raw_coordinates          no raw crime coordinate (WGS84 at 5 dp; projected to the metre
                              or rounded to 10 m as a pair in text, runs of lone eastings or
                              northings, OS grid references with letters)
  no_dates_finer_than_month   no day-precise date, no time, no raw timestamp in any format
                              (1257hrs, 9.30pm, 25th Oct...)
  no_source_references        no force crime reference (in any case, with or without its
                              punctuation), nor its unsalted md5/sha1/sha256
  no_non_public_values        no value of a non-public raw column (offence, location text
                              that is not a map point's, every extra_* source column), in any
                              case, nor a run of 6 words of raw free text
  no_contact_details          no phone number or e-mail address
  locations_are_anonymous     published points do not coincide with true locations, no
                              hexagon fallback under the minimum size, no map point used with
                              a catchment below K, no "On or near" label with a house number
                              (core/release/disclosure.py)
Any exception inside a check fails that check with the exception text; a file the reader
cannot read, or of an unknown type, fails every check (nothing about it is proven).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd

from .checks import CHECKS
from .context import (
    CHECK_NAMES,
    MAX_EXAMPLES,
    GateCheck,
    GateContext,
    PreparedGate,
    prepare_gate,
)
from .output_reader import read_output

__all__ = [
    "CHECK_NAMES",
    "GateCheck",
    "GateReport",
    "LeakError",
    "PreparedGate",
    "assert_release_safe",
    "check_release",
    "prepare_gate",
]

OutputLike = Union[pd.DataFrame, str, Path]


class LeakError(RuntimeError):
    """A public output failed the leak gate; the message says which checks, files, examples."""


@dataclass
class GateReport:
    """All the checks on one output; ``passed`` only when every check passed."""

    passed: bool
    checks: list[GateCheck]
    output: str = ""

    def failed(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def message(self) -> str:
        """Readable verdict for the analyst: each failed check, its detail and examples."""
        where = f" for {self.output}" if self.output else ""
        if self.passed:
            return f"Leak gate passed{where}: all {len(self.checks)} checks passed."
        failed = self.failed()
        lines = [
            f"Leak gate FAILED{where}: {len(failed)} of {len(self.checks)} checks failed; "
            "nothing may be published until this is fixed."
        ]
        for check in failed:
            lines.append(f"- {check.name}: {check.detail}")
            lines.extend(f"    e.g. {e}" for e in check.examples[:MAX_EXAMPLES])
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain data for the audit: {passed, output, checks: [{name, passed, detail,
        examples}]}."""
        return {
            "passed": bool(self.passed),
            "output": self.output,
            "checks": [asdict(c) for c in self.checks],
        }


# ---------------------------------------------------------------------------------------------
def check_release(
    raw: pd.DataFrame,
    output: OutputLike,
    points: Any,
    *,
    extra_allowed_coordinates: Optional[tuple[np.ndarray, np.ndarray]] = None,
    extra_public_values: Iterable[str] = (),
    prepared: Optional[PreparedGate] = None,
    min_catchment_addresses: Optional[int] = None,
    team_texts: Iterable[str] = (),
) -> GateReport:
    """Run all the checks of ``output`` against the raw crimes table ``raw``.

    ``points`` is the MapPoints set the release was snapped to (longitude, latitude, label,
    lsoa_code, lsoa_name are used). ``extra_allowed_coordinates`` are WGS84 (lon, lat) arrays
    derived from settings, not data (e.g. hexagon vertices of a published grid).
    ``extra_public_values`` (an addition to the contract) names values that are public even
    though a raw non-public column holds them, e.g. neighbourhood names from a public layer.
    ``prepared`` (an addition to the contract): a ``prepare_gate(raw, points, ...)`` made
    from these same inputs, so that several outputs of one release share the raw-side work
    (raw values, reference digests, coordinate keys); a preparation made from other inputs
    raises ValueError. ``min_catchment_addresses``: K of the release rules (a map point
    used with a known catchment of 1 to K-1 addresses fails the gate); None: 8, or the
    prepared gate's. ``team_texts``: exact texts a neighbourhood team supplied for
    publication (event dates as rendered, the team's e-mail addresses and phone numbers);
    whole occurrences of them are exempt from the date/time and contact checks only, never
    from the reference, coordinate, raw-value or free-text checks.
    """
    if prepared is None:
        k = 8 if min_catchment_addresses is None else int(min_catchment_addresses)
        prepared = PreparedGate(raw, points, extra_allowed_coordinates, extra_public_values, k)
    elif not prepared.serves(
        raw,
        points,
        extra_allowed_coordinates,
        extra_public_values,
        prepared.min_addresses if min_catchment_addresses is None else min_catchment_addresses,
    ):
        raise ValueError(
            "the prepared gate was built for a different raw table, map points or settings"
        )
    try:
        name, artifacts = read_output(output)
    except Exception as exc:  # noqa: BLE001 - fail closed
        failure = f"the output could not be read: {type(exc).__name__}: {exc}"
        return GateReport(
            False,
            [GateCheck(n, False, failure, []) for n in CHECK_NAMES],
            output=str(output) if not isinstance(output, pd.DataFrame) else "",
        )
    ctx = GateContext(prepared, artifacts, team_texts)
    checks = []
    for check_name, fn in CHECKS:
        try:
            checks.append(fn(ctx))
        except Exception as exc:  # noqa: BLE001 - any failure inside a check fails it
            checks.append(
                GateCheck(
                    check_name,
                    False,
                    f"the check could not run ({type(exc).__name__}: {exc}); failing closed",
                    [],
                )
            )
    return GateReport(all(c.passed for c in checks), checks, output=name)


def assert_release_safe(
    raw: pd.DataFrame, output: OutputLike, points: Any, **kw: Any
) -> GateReport:
    """check_release, raising LeakError(report.message()) unless every check passed."""
    report = check_release(raw, output, points, **kw)
    if not report.passed:
        raise LeakError(report.message())
    return report
