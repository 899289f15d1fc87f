"""Reading many outlines at once (task: 100,000 output areas took ~7 s, mostly clean_ring
one ring at a time): the rings read_geojson finds clean all together must be exactly those
clean_ring returns, and a read must give the same neighbourhoods, the same rings bit for
bit, the same problems in the same order and the same errors as the ring-by-ring read."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crime_mapper.core.publish import neighbourhoods as nb

INF_MARK = 9.87654321e300  # written into the file as 1e999 (JSON has no Infinity)


def _vertex(rng: random.Random, x: float, y: float) -> Any:
    """A vertex, now and then a hostile one."""
    roll = rng.random()
    if roll < 0.85:
        return [x, y]
    return rng.choice(
        [
            [None, y],
            [x, "1.5"],
            ["abc", y],
            [True, y],
            [x, y, 7.0],
            [x],
            [],
            {"0": x, "1": y},
            [[x, y]],
            [INF_MARK, y],
            [int(x), int(y)],
            [-0.0, y],
            x,
            None,
        ]
    )


def _ring(rng: random.Random, x: float, y: float) -> Any:
    """A small ring near (x, y): clean, unclosed, repeated, collinear, bow-tie, short..."""
    s = rng.choice([0.004, 1e-9, 0.5, 1e-300])
    shape = rng.choice(["square", "square", "bowtie", "line", "short", "repeat", "odd"])
    if shape == "square":
        pts = [(x, y), (x + s, y), (x + s, y + s), (x, y + s)]
    elif shape == "bowtie":
        pts = [(x, y), (x + s, y + s), (x + s, y), (x, y + s)]
    elif shape == "line":
        pts = [(x, y), (x + s, y + s), (x + 2 * s, y + 2 * s)]
    elif shape == "short":
        pts = [(x, y), (x + s, y)][: rng.randint(0, 2)]
    elif shape == "repeat":
        pts = [(x, y), (x, y), (x + s, y), (x + s, y), (x + s, y + s), (x, y + s)]
    else:
        return rng.choice([5, "ring", None, [], {"a": 1}, [[[x, y]]]])
    ring = [_vertex(rng, px, py) for px, py in pts]
    if pts and rng.random() < 0.8:
        ring.append(_vertex(rng, *pts[0]) if rng.random() < 0.9 else [-0.0 if x == 0 else x, y])
    return ring


def _geometry(rng: random.Random, x: float, y: float) -> Any:
    kind = rng.choice(["Polygon"] * 4 + ["MultiPolygon"] * 2 + ["GeometryCollection", "odd"])
    polygon = [_ring(rng, x, y) for _ in range(rng.randint(0, 3))]
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": polygon}
    if kind == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [polygon, [_ring(rng, x, y)], 3]}
    if kind == "GeometryCollection":
        parts = [{"type": "Polygon", "coordinates": polygon}, {"type": "Point"}, 4]
        return {"type": "GeometryCollection", "geometries": parts}
    return rng.choice([None, 7, {"type": "Polygon", "coordinates": 5}, {"type": "Polygon"}])


def _write(folder: Path, seed: int, count: int, huge: bool = False) -> Path:
    rng = random.Random(seed)
    features = []
    for k in range(count):
        x, y = -3 + (k % 20) * 0.005, 51 + (k // 20) * 0.005
        if huge and rng.random() < 0.05:  # (vertices read, then refused as no lon/lat)
            x = rng.choice([1e300, 400_000.0, -200.0, 2**62 + 1, 10**30])
        code = rng.choice([f"E{k:08d}"] * 6 + [f"E{k // 2:08d}", "", None, ["x"], " A\x01 "])
        props = {"code": code, "name": rng.choice([f"Area {k}", None, 5, True, "B\x00"])}
        features.append({"type": "Feature", "properties": props, "geometry": _geometry(rng, x, y)})
    text = json.dumps({"type": "FeatureCollection", "features": features})
    path = folder / f"outlines_{seed}.geojson"
    path.write_text(text.replace(repr(INF_MARK), "1e999"), encoding="utf-8")
    return path


def _read(path: Path) -> Any:
    """What a read gives: every field and every ring's bytes, or the error's type and text."""
    try:
        hoods = nb.read_geojson(path, "code", "name")
    except (ValueError, TypeError, OverflowError) as exc:  # (the same refusal is the same)
        return (type(exc).__name__, str(exc))
    rings = [[(r.dtype.str, r.shape, r.tobytes()) for r in own] for own in hoods.rings]
    return hoods.codes, hoods.names, rings, hoods.problems, hoods.source


def _ring_by_ring(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(nb, "_ready_rings", lambda features: {})
        return _read(path)


@pytest.mark.parametrize("seed", range(12))
def test_hostile_outlines_read_as_ring_by_ring(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, seed, 300, huge=seed % 3 == 2)
    fast = _read(path)
    assert fast == _ring_by_ring(path, monkeypatch)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert nb._ready_rings(data["features"])  # (the fast path did take rings)


def test_ready_rings_are_what_clean_ring_returns_unchanged(tmp_path: Path) -> None:
    """Every raw ring: found ready only when clean_ring returns it unchanged and without a word (the
    same array bit for bit), and every such ring of plain vertices is found."""
    for seed in range(20, 26):
        data = json.loads(_write(tmp_path, seed, 200).read_text(encoding="utf-8"))
        ready = nb._ready_rings(data["features"])
        for ring in nb._raw_rings(data["features"]):
            problems: list[str] = []
            cleaned = nb.clean_ring(ring, "here", problems, nb.RingChecks())
            # (only the pending self-intersection check said, no vertex left out)
            clean = cleaned is not None and len(problems) == 1 and len(cleaned) == len(ring)
            if id(ring) in ready:
                assert clean and cleaned is not None, ring
                assert ready[id(ring)].tobytes() == cleaned.tobytes(), ring
            else:  # (a vertex of other than two JSON numbers, or an int past int64, is
                # left to clean_ring, which reads it as it always has)
                assert not clean or not all(map(nb._plain_vertex, ring)), ring


def test_collinear_rings_answer_as_collinear() -> None:
    rng = np.random.default_rng(5)
    rings = []
    for _ in range(400):
        m = int(rng.integers(1, 12))
        scale = rng.choice([1.0, 1e-300, 1e300, 1e307])
        if rng.random() < 0.5:  # points on one line, some with ties for the farthest
            t = rng.integers(-3, 4, size=m).astype(np.float64)
            pts = np.column_stack((t * 2.0, t * -3.0)) * scale
        else:
            pts = rng.integers(-3, 4, size=(m, 2)).astype(np.float64) * scale
        rings.append(pts)
    rings.append(np.array([[1e308, 0.0], [-1e308, 0.0], [0.0, 1e308]]))  # (inf differences)
    lengths = np.array([len(r) for r in rings])
    starts = np.cumsum(lengths) - lengths
    with np.errstate(all="ignore"):
        got = nb._collinear_rings(np.concatenate(rings), starts, lengths)
        want = [nb._collinear(r) for r in rings]
    assert got.tolist() == want


def test_many_plain_outlines_read_clean(tmp_path: Path) -> None:
    """The common case (every vertex two floats, every ring clean) through the fast path:
    rings as given, nothing reported, and the file's own lists left as they were."""
    features: list[dict[str, Any]] = []
    rings = []
    for k in range(2_000):
        x, y = -3 + (k % 40) * 0.005, 51 + (k // 40) * 0.005
        ring = [[x, y], [x + 0.004, y], [x + 0.004, y + 0.004], [x, y + 0.004], [x, y]]
        rings.append(ring)
        geometry = {"type": "Polygon", "coordinates": [ring]}
        features.append({"type": "Feature", "properties": {"code": f"E{k}"}, "geometry": geometry})
    path = tmp_path / "plain.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    hoods = nb.read_geojson(path, "code")
    assert hoods.problems == [] and len(hoods) == 2_000
    assert [own[0].tolist() for own in hoods.rings] == rings
