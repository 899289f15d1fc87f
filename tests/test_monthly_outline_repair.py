"""A neighbourhood outline the monthly release repairs is said once by its publish step.

Why: the summaries and the web map both read the outlines and both warn of a repair, in
different words (the summaries gave the problem as it was, the web map put "neighbourhoods: "
before it), so the release, which says a warning once only when its lines are the same
(core.monthly.release.unsaid_warnings), showed the same repair twice. Both now word it with
core.publish.neighbourhoods.problem_warnings.

A real run of the bundled month (sample_data/release.toml, plain-Python steps, the web map
made after the summaries and beside them in a forked child), its outlines the committed
Leicester city MSOAs with the first one's outline replaced by a self-intersecting "bow-tie".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crime_mapper.core.monthly.release import run_monthly_release
from crime_mapper.core.publish.neighbourhoods import PROBLEMS_WARNED, problem_warnings
from crime_mapper.core.publish.summaries_run import NeighbourhoodSource, load_neighbourhoods
from tests.support.monthly_config import MONTH, SAMPLE, publish_config, step_runners

OUTLINES = SAMPLE / "neighbourhoods" / "msoa11_leicester_city.geojson"
#: what the reader says of the bow-tie (core.publish.neighbourhoods: _self_intersection_message)
REPAIRED = "self-intersecting ring; repaired by the even-odd rule"


def bow_tie_outlines(tmp_path: Path) -> tuple[Path, str]:
    """(the outlines file, the code of its bow-tie): the first MSOA's outline replaced by
    the two triangles crossing at the centre of its bounding box."""
    data = json.loads(OUTLINES.read_text(encoding="utf-8"))
    feature = data["features"][0]
    ring = feature["geometry"]["coordinates"][0]
    if feature["geometry"]["type"] == "MultiPolygon":
        ring = ring[0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    tie = [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]
    feature["geometry"] = {"type": "Polygon", "coordinates": [tie]}
    path = tmp_path / "outlines-bow-tie.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, str(feature["properties"]["msoa11cd"])


@pytest.mark.parametrize(
    "beside",
    [
        False,
        pytest.param(
            True, marks=pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")
        ),
    ],
    ids=["map-after-summaries", "map-beside-summaries"],
)
def test_a_repaired_outline_is_said_once_by_the_publish_step(tmp_path, beside):
    outlines, code = bow_tie_outlines(tmp_path)
    config = publish_config(tmp_path)
    config.publish.neighbourhoods["boundaries"] = str(outlines)
    assert config.publish.summaries and config.publish.web_map  # (both read the outlines)
    done = run_monthly_release(config, MONTH, runners=step_runners(beside))
    warnings = {record.name: record.warnings for record in done.steps}
    repaired = [text for text in warnings["publish"] if REPAIRED in text]
    assert repaired == [f"neighbourhoods: feature 1 ({code}): {REPAIRED} (each lobe counts as "
                        "inside, overlaps as outside)"], warnings["publish"]  # fmt: skip
    every = [text for texts in warnings.values() for text in texts]
    assert [text for text in every if REPAIRED in text] == repaired
    assert (done.out_dir / "map" / "index.html").is_file()
    assert (done.out_dir / "neighbourhoods" / "index.html").is_file()


def test_many_problems_are_worded_and_counted_alike(tmp_path):
    """The one wording lists PROBLEMS_WARNED problems and counts the rest, for both."""
    source = NeighbourhoodSource(boundaries=bow_tie_outlines(tmp_path)[0], code_field="msoa11cd")
    hoods = load_neighbourhoods(source)
    hoods.problems[:] = [f"feature {i}: ring was not closed; closed it" for i in range(25)]
    said = problem_warnings(hoods)
    assert len(said) == PROBLEMS_WARNED + 1
    assert said[0] == "neighbourhoods: feature 0: ring was not closed; closed it"
    assert said[-1] == "neighbourhoods: 5 more problems of the same kinds"
