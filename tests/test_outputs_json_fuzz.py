"""The dock's saved release results (core.monthly.outputs_json), damaged or hostile: a QGIS
project may come from someone else or be edited by hand. Every value of a real results entry
is replaced in turn by a value of another JSON type: the entry either reads, every value as
written (a missing list, object or optional path read as none), or raises ValueError; never
another exception, never a value turned into another one (a text split into one path a
character, "false" read as true, the number 5 read as the month "5"), and what reads can be
shown (summary_text).

Seeded and deterministic: the places are every place of the entry, the values drawn with
random.Random(seed)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.monthly.outputs_json import outputs_from_dict, outputs_to_dict
from crime_mapper.core.monthly.release import LoadStep, MonthlyOutputs, StepRecord
from crime_mapper.core.release.pipeline import ReleaseOutputs
from tests.support.json_edits import json_places, replaced

#: Values of every JSON type (and a few telling texts) put where the entry had another.
HOSTILE = (
    None, True, False, 0, -1, 1.5, math.nan, math.inf, 10**30, "", "\x00", "abc", "false",
    "2022-10", "\ud800", [], ["ab"], [None], [[1, 2]], [{}], {}, {"a": 1}, {"name": "load"},
)  # fmt: skip


def _outputs(out: Path) -> dict[str, Any]:
    """A results entry as the dock saves it after a whole release (every part present)."""
    release = ReleaseOutputs(
        public_csv=out / "public" / "a.csv",
        public_gpkg=out / "public" / "a.gpkg",
        audit_json=out / "public" / "audit.json",
        audit_html=out / "public" / "audit.html",
        manifest=out / "public" / "release_manifest.json",
        qml=None,
        audit={"categories": [{"category": "Drugs", "published_at_map_point": 3}]},
        rows_in=3,
        published_rows=3,
        gate_passed=True,
        reconciles=True,
        warnings=["a warning"],
        timings={"read": 0.5},
    )
    load = LoadStep(
        [out / "internal" / "crimes.gpkg"],
        str(out / "internal" / "crimes.gpkg"),
        {"rows_read": 3},
        True,
        "3 rows read",
        out / "internal" / "crimes.gpkg",
        warnings=["b.csv: not UTF-8", "a.csv line 4"],
        file_errors=["b.csv: not UTF-8"],
        damaged=["a.csv line 4"],
    )
    outputs = MonthlyOutputs(
        "2022-10",
        out,
        [StepRecord("load", "done", [out / "internal" / "crimes.gpkg"], {"rows": 3}, "n", ["w"])],
        out / "release_manifest.json",
        release=release,
        load=load,
        hotspots=[{"kind": "kde", "path": str(out / "k.tif"), "crimes": 3}],
        qa_report=out / "qa" / "qa_report.json",
    )
    return json.loads(json.dumps(outputs_to_dict(outputs)))


def _json(value: Any) -> str:
    """A value as canonical JSON text (NaN equal to itself, as the entry holds it)."""
    return json.dumps(value, sort_keys=True)


def _at(value: Any, place: tuple) -> Any:
    for key in place:
        value = value[key]
    return value


def _read_back(data: dict[str, Any]) -> dict[str, Any]:
    """The entry as read and saved again, or ValueError; what reads must also be shown."""
    outputs = outputs_from_dict(json.loads(json.dumps(data)))
    outputs.summary_text()
    if outputs.release is not None:
        outputs.release.summary_text()
    back = json.loads(json.dumps(outputs_to_dict(outputs)))
    back["version"] = data.get("version")  # (read from any readable version, saved as new)
    return back


def test_an_entry_reads_back_as_written(tmp_path):
    data = _outputs(tmp_path)
    assert _json(_read_back(data)) == _json(data)


@pytest.mark.parametrize("seed", range(3))
def test_every_value_replaced_reads_as_written_or_raises_value_error(tmp_path, seed):
    data = _outputs(tmp_path)
    rng = random.Random(seed)
    for place in json_places(data)[1:]:
        for new in rng.sample(HOSTILE, 8):
            changed = replaced(data, place, new)
            try:
                back = _read_back(changed)
            except ValueError:
                continue
            # everything else read as written, and the new value too (none: read as absent)
            assert _json(replaced(back, place, new)) == _json(changed), (place, new)
            if new not in (None, ""):
                assert _json(_at(back, place)) == _json(new), (place, new)


@pytest.mark.parametrize(
    "place, value",
    [
        (("steps", 0, "outputs"), "abc"),
        (("load", "warnings"), "abc"),
        (("load", "warnings"), [1]),
        (("load", "warnings"), [None]),
        (("load", "warnings"), {"b.csv": "not UTF-8"}),
        (("load", "written"), "crimes.gpkg"),
        (("steps", 0, "summary"), [["rows", 3]]),
        (("load", "reconciles"), "false"),
        (("release", "gate_passed"), "false"),
        (("month",), 202210),
        (("steps", 0, "status"), None),
        (("release", "rows_in"), "3"),
        (("release", "audit_html"), None),
        (("release", "audit_html"), "a\x00b"),
        (("hotspots", 0), None),
        (("version",), True),
    ],
)
def test_a_value_of_another_type_is_refused_not_changed(tmp_path, place, value):
    """Each read before as another value: the text "abc" as three paths a, b and c, a list of
    pairs as an object, "false" as true, 202210 as the month "202210", a missing status as
    "None", a count of "3" kept as a text (shown, it raised); a missing audit page read, and
    then the summary raised TypeError out of the dock's restore of the project."""
    with pytest.raises(ValueError):
        outputs_from_dict(replaced(_outputs(tmp_path), place, value))


def test_the_load_warnings_read_back_and_older_entries_read_as_none(tmp_path):
    """The load's warnings (LoadStep.warnings: extract files not read, records an unclosed
    quote swallowed) were not saved, so a reopened project lost what the load warned about.
    An entry saved before (version 3, no such key) reads as a load that warned of nothing."""
    data = _outputs(tmp_path)
    assert data["load"]["warnings"] == ["b.csv: not UTF-8", "a.csv line 4"]
    again = outputs_from_dict(data)
    assert again.load is not None
    assert again.load.warnings == ["b.csv: not UTF-8", "a.csv line 4"]
    older = {**data, "version": 3, "load": dict(data["load"])}
    del older["load"]["warnings"]
    back = outputs_from_dict(older)
    assert back.load is not None and back.load.warnings == []
    assert back.load.file_errors == ["b.csv: not UTF-8"]


#: a hotspot layer's record as the dock saves it (plain(HotspotOutputs))
HOTSPOT = {
    "kind": "grid", "path": "/out/internal/hotspots.gpkg", "title": "Grid", "legend_text": "",
    "crs": "EPSG:27700", "crimes": 3, "cells": 9, "qml": None, "sld": "/out/h.sld",
    "table": "hotspots", "notes": ["a note"], "facts": {"cells": 9}, "timings": {"grid": 0.1},
    "warnings": ["few cells"],
}  # fmt: skip


@pytest.mark.parametrize("seed", range(2))
def test_a_hotspot_record_reads_as_written_or_is_refused(seed):
    """Each value was kept whatever its type: notes saved as a text were a text, listed a
    character a line; a count of "3" stayed a text."""
    from crime_mapper.core.monthly.outputs_json import plain
    from crime_mapper.qgis_bridge.release_process import hotspot_from_dict

    assert plain(hotspot_from_dict(HOTSPOT)) == HOTSPOT  # the control
    rng = random.Random(seed)
    for key in HOTSPOT:
        for new in rng.sample(HOSTILE, 8):
            try:
                read = plain(hotspot_from_dict(dict(HOTSPOT, **{key: new})))
            except (ValueError, TypeError):
                continue
            assert {k: v for k, v in read.items() if k != key} == {
                k: v for k, v in HOTSPOT.items() if k != key
            }
            if new not in (None, ""):
                assert _json(read[key]) == _json(new), (key, new)


@pytest.mark.parametrize(
    "key, value", [("notes", "abc"), ("warnings", "few cells"), ("crimes", "3"), ("title", 5)]
)
def test_a_hotspot_value_of_another_type_is_refused(key, value):
    from crime_mapper.qgis_bridge.release_process import hotspot_from_dict

    with pytest.raises(ValueError, match=f"a hotspot layer's {key}"):
        hotspot_from_dict(dict(HOTSPOT, **{key: value}))
