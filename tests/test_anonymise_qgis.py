"""The release through QGIS: map points from layers and files, crime_mapper:build_map_points,
crime_mapper:anonymise and crime_mapper:check_release (processing.run and qgis_process.bin),
determinism, the leak gate blocking a release, cancel, and every bad input refused before any
output is touched. Real QGIS, real GeoPackages, real police.uk files."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.geography import transform
from crime_mapper.core.gate.leak_gate import LeakError
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.release.crimes_input import (
    CrimesSourceError,
    check_profile,
    open_crimes_source,
    read_crimes_gpkg,
)
from crime_mapper.core.release.map_points import MapPointsError
from crime_mapper.core.release.map_points_files import read_map_points_gpkg
from crime_mapper.core.release.pipeline import PUBLIC_TABLE
from crime_mapper.core.release.public_schema import PUBLIC_COLUMNS, read_public_csv
from crime_mapper.core.release.release_files import (
    ReleaseInputError,
    create_salt_file,
    force_slug,
    read_salt,
)
from crime_mapper.qgis_bridge import map_points_io as io
from crime_mapper.qgis_bridge.run_anonymise import run_anonymise
from crime_mapper.qgis_bridge.run_load import run_load
from tests.support.force_extract import force_profile, make_force_extract
from tests.support.qgis_process import child_env, plugin_folder

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "police-uk"
LEICS_SEP = SAMPLE / "2022-09"
LEICS_OCT_ZIP = SAMPLE / "2022-10.zip"
BUILD, ANONYMISE, CHECK = (
    "crime_mapper:build_map_points",
    "crime_mapper:anonymise",
    "crime_mapper:check_release",
)
OUTPUT_KEYS = ("PUBLIC_CSV", "PUBLIC_LAYER", "AUDIT_JSON", "AUDIT_HTML", "MANIFEST")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, provider) -> dict:
    """A Leicestershire load (Sep + Oct 2022), map points derived from the same published
    months, a force extract with its profile, and a salt outside every output folder."""
    import processing

    base = tmp_path_factory.mktemp("release_inputs")
    load = run_load([LEICS_SEP, LEICS_OCT_ZIP], base / "load")
    points_gpkg = base / "points" / "map_points.gpkg"
    result = processing.run(
        BUILD, {"MODE": 1, "HISTORY": f"{LEICS_SEP};{LEICS_OCT_ZIP}", "OUTPUT": str(points_gpkg)}
    )
    extract = base / "force" / "2022-10-force-extract.csv"
    extract.parent.mkdir()
    frame = make_force_extract(extract)
    profile = force_profile(falls_within="Leicestershire Police")
    profile.save(base / "force" / "profile.json")
    salt = create_salt_file(base / "secrets" / "force.salt")
    return {
        "base": base,
        "crimes_gpkg": load.gpkg,
        "crimes_uri": load.crimes_uri,
        "points_gpkg": points_gpkg,
        "points_uri": result["OUTPUT_LAYER"],
        "points_count": result["COUNT"],
        "extract": extract,
        "frame": frame,
        "profile": base / "force" / "profile.json",
        "salt": salt,
    }


def _params(inputs: dict, out: Path, **extra) -> dict:
    params = {
        "CRIMES": inputs["crimes_uri"],
        "MAP_POINTS": inputs["points_uri"],
        "SALT_FILE": str(inputs["salt"]),
        "PUBLIC_CSV": str(out / "2022-09_2022-10-leicestershire-street.csv"),
        "PUBLIC_LAYER": str(out / "public.gpkg"),
        "AUDIT_JSON": str(out / "audit.json"),
        "AUDIT_HTML": str(out / "audit.html"),
        "MANIFEST": str(out / "manifest.json"),
    }
    params.update(extra)
    return params


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _memory_layer(uri: str, features: list[tuple[QgsGeometry, list]]) -> QgsVectorLayer:
    layer = QgsVectorLayer(uri, "test layer", "memory")
    assert layer.isValid()
    provider = layer.dataProvider()
    out = []
    for geometry, attributes in features:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(geometry)
        feature.setAttributes(attributes)
        out.append(feature)
    provider.addFeatures(out)
    layer.updateExtents()
    return layer


def _bng_points(lon, lat):
    return transform(np.asarray(lon, float), np.asarray(lat, float), "EPSG:4326", "EPSG:27700")


# --- algorithms and help ----------------------------------------------------------------------


def test_algorithms_are_registered_with_full_help(provider):
    registry = QgsApplication.processingRegistry()
    for alg_id in (BUILD, ANONYMISE, CHECK):
        alg = registry.algorithmById(alg_id)
        assert alg is not None, alg_id
        assert alg.group() == "3. Release"
        text = alg.shortHelpString()
        assert "police.uk" in text
        for parameter in alg.parameterDefinitions():
            assert parameter.name() in text, (alg_id, parameter.name())
    anonymise = registry.algorithmById(ANONYMISE)
    assert anonymise.parameterDefinition("MAX_DISTANCE").defaultValue() == 20000
    salt = anonymise.parameterDefinition("SALT_FILE")
    assert salt.type() == "file"  # a file path, never the secret, lands in the history log
    assert "history log" in anonymise.shortHelpString()


# --- map points -------------------------------------------------------------------------------


def test_map_points_from_history_match_the_published_points(inputs):
    points = read_map_points_gpkg(inputs["points_gpkg"])
    assert len(points) == inputs["points_count"] > 1000
    published = pd.concat(
        [read_public_csv(p) for p in sorted(LEICS_SEP.glob("*.csv"))]
        + [read_public_csv(SAMPLE / "2022-10" / "2022-10-leicestershire-street.csv")]
    )
    published = published[published["Longitude"] != ""]
    distinct = published[["Longitude", "Latitude"]].drop_duplicates()
    assert len(points) == len(distinct)
    assert set(points.source) == {"police.uk history"}
    assert (points.addresses == -1).all()
    layer = QgsVectorLayer(inputs["points_uri"], "mp", "ogr")
    assert layer.isValid() and layer.featureCount() == len(points)
    assert [f.name() for f in layer.fields()] == [
        "fid",
        "label",
        "source",
        "addresses",
        "lsoa_code",
        "lsoa_name",
    ]
    assert layer.crs().authid() == "EPSG:4326"


def test_build_map_points_from_a_point_layer_in_bng(provider, tmp_path):
    import processing

    lon, lat = np.array([-1.1300, -1.1350, -1.1400]), np.array([52.6300, 52.6350, 52.6400])
    x, y = _bng_points(lon, lat)
    layer = _memory_layer(
        "Point?crs=EPSG:27700&field=name:string",
        [
            (QgsGeometry.fromPointXY(QgsPointXY(x[i], y[i])), [label])
            for i, label in enumerate(["On or near High Street", "Market Place", None])
        ],
    )
    result = processing.run(
        BUILD,
        {"MODE": 0, "POINTS": layer, "LABEL_FIELD": "name", "OUTPUT": str(tmp_path / "mp.gpkg")},
    )
    assert result["COUNT"] == 3
    points = read_map_points_gpkg(tmp_path / "mp.gpkg")
    assert points.label.tolist() == ["High Street", "Market Place", ""]
    np.testing.assert_allclose(points.longitude, lon, atol=2e-6)
    np.testing.assert_allclose(points.latitude, lat, atol=2e-6)


def test_build_map_points_from_roads_and_addresses(provider, tmp_path):
    import processing

    x0, y0 = 458000.0, 304000.0  # Leicester, British National Grid
    roads = _memory_layer(
        "LineString?crs=EPSG:27700&field=road:string",
        [
            (
                QgsGeometry.fromPolylineXY([QgsPointXY(x0, y0), QgsPointXY(x0 + 200, y0)]),
                ["East Street"],
            ),
            (
                QgsGeometry.fromPolylineXY(
                    [QgsPointXY(x0 + 200, y0), QgsPointXY(x0 + 200, y0 + 200)]
                ),
                ["North Road"],
            ),
            (
                QgsGeometry.fromPolylineXY([QgsPointXY(x0, y0), QgsPointXY(x0, y0 - 150)]),
                ["Short Lane"],
            ),
        ],
    )
    rng = np.random.default_rng(3)
    houses = [(x0 + 100 + rng.normal(0, 10), y0 + 20) for _ in range(12)]
    houses += [(x0 + 220, y0 + 100 + rng.normal(0, 10)) for _ in range(9)]
    houses += [(x0 + 10, y0 - 75)] * 3  # too few for Short Lane: its addresses move on
    addresses = _memory_layer(
        "Point?crs=EPSG:27700",
        [(QgsGeometry.fromPointXY(QgsPointXY(hx, hy)), []) for hx, hy in houses],
    )
    result = processing.run(
        BUILD,
        {
            "MODE": 2,
            "ROADS": roads,
            "ROAD_NAME_FIELD": "road",
            "ADDRESSES": addresses,
            "MIN_ADDRESSES": 8,
            "OUTPUT": str(tmp_path / "roads.gpkg"),
        },
    )
    points = read_map_points_gpkg(tmp_path / "roads.gpkg")
    assert result["COUNT"] == len(points) == 2
    assert sorted(points.label.tolist()) == ["East Street", "North Road"]
    assert int(points.addresses.sum()) == len(houses)
    assert (points.addresses >= 8).all()
    assert set(points.source) == {"roads"}


def test_build_map_points_hexagon_fallback_from_the_crimes_layer(provider, inputs, tmp_path):
    import processing

    result = processing.run(
        BUILD,
        {
            "MODE": 3,
            "CRIMES": inputs["crimes_uri"],
            "HEX_SIZE": 750,
            "OUTPUT": str(tmp_path / "hex.gpkg"),
        },
    )
    assert result["COUNT"] > 10
    assert "not street-level" in result["WARNINGS"]
    points = read_map_points_gpkg(tmp_path / "hex.gpkg")
    assert set(points.source) == {"hexagon fallback"}
    assert any("not street-level" in w for w in points.warnings)


@pytest.mark.parametrize("case", ["empty", "lines", "feet", "no_label_field", "no_crs"])
def test_bad_map_point_layers_are_refused_clearly(case):
    x, y = _bng_points([-1.13], [52.63])
    point = QgsGeometry.fromPointXY(QgsPointXY(x[0], y[0]))
    if case == "empty":
        layer, message = _memory_layer("Point?crs=EPSG:27700&field=label:string", []), "empty"
    elif case == "lines":
        layer = _memory_layer(
            "LineString?crs=EPSG:27700&field=label:string",
            [
                (
                    QgsGeometry.fromPolylineXY(
                        [QgsPointXY(x[0], y[0]), QgsPointXY(x[0] + 5, y[0])]
                    ),
                    ["A road"],
                )
            ],
        )
        message = "holds lines, but points are needed"
    elif case == "feet":  # California state plane, US survey feet
        layer = _memory_layer("Point?crs=EPSG:2227&field=label:string", [(point, ["X"])])
        message = "not metres"
    elif case == "no_label_field":
        layer = _memory_layer("Point?crs=EPSG:27700&field=name:string", [(point, ["X"])])
        message = "has no field 'label'"
    else:
        layer = _memory_layer("Point?field=label:string", [(point, ["X"])])
        layer.setCrs(QgsCoordinateReferenceSystem())
        message = "CRS unknown"
    with pytest.raises(MapPointsError, match=message):
        io.points_from_source(layer, "label")
    with pytest.raises(MapPointsError, match=message):
        io.spec_from_layer(layer, "label", thread_safe=True)


def test_roads_in_feet_and_points_as_roads_are_refused():
    roads_ft = _memory_layer(
        "LineString?crs=EPSG:2227&field=road:string",
        [(QgsGeometry.fromPolylineXY([QgsPointXY(0, 0), QgsPointXY(10, 0)]), ["A"])],
    )
    with pytest.raises(MapPointsError, match="not metres"):
        io.roads_from_source(roads_ft, "road")
    points = _memory_layer(
        "Point?crs=EPSG:27700&field=road:string",
        [(QgsGeometry.fromPointXY(QgsPointXY(458000, 304000)), ["A"])],
    )
    with pytest.raises(MapPointsError, match="holds points, but lines are needed"):
        io.roads_from_source(points, "road")


# --- crimes source ----------------------------------------------------------------------------


def test_crimes_gpkg_reads_back_the_loaded_table(inputs):
    from crime_mapper.core.load.loader import load_extracts

    loaded = load_extracts([LEICS_SEP, LEICS_OCT_ZIP]).crimes
    read = read_crimes_gpkg(inputs["crimes_gpkg"])
    assert list(read.columns) == list(loaded.columns)
    for column in loaded.columns:
        assert str(read[column].dtype) == str(loaded[column].dtype), column
        pd.testing.assert_series_equal(
            read[column], loaded[column], check_names=False, check_categorical=False
        )
    source = open_crimes_source(inputs["crimes_uri"])
    assert source.rejects is not None and len(source.rejects) == 0  # the load's rejects.csv
    with pytest.raises(CrimesSourceError, match="no crime_mapper 'crimes' table"):
        read_crimes_gpkg(inputs["points_gpkg"])


def test_a_profile_that_maps_no_category_is_refused():
    with pytest.raises(CrimesSourceError, match="maps no column to a crime category"):
        check_profile(
            MappingProfile(
                name="bad", columns={"crime_ref": "Ref", "x": "E", "y": "N", "date": "Date"}
            )
        )


# --- salt -------------------------------------------------------------------------------------


def test_salt_file_is_private_and_never_overwritten(tmp_path):
    path = create_salt_file(tmp_path / "s" / "force.salt")
    text = path.read_text().strip()
    assert len(text) == 64 and int(text, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ReleaseInputError, match="never overwritten"):
        create_salt_file(path)
    assert read_salt(path) == text.encode()
    (tmp_path / "short.salt").write_text("tooshort\n")
    with pytest.raises(ReleaseInputError, match="at least 16"):
        read_salt(tmp_path / "short.salt")
    (tmp_path / "empty.salt").write_text("  \n")
    with pytest.raises(ReleaseInputError, match="empty"):
        read_salt(tmp_path / "empty.salt")
    with pytest.raises(ReleaseInputError, match="inside the output folder"):
        read_salt(path, [tmp_path])


def test_force_slugs_follow_police_uk():
    assert force_slug("Leicestershire Police") == "leicestershire"
    assert force_slug("Metropolitan Police Service") == "metropolitan"
    assert force_slug("Avon and Somerset Constabulary") == "avon-and-somerset"
    assert force_slug("Police Service of Northern Ireland") == "northern-ireland"
    assert force_slug("West Midlands Police") == "west-midlands"


# --- anonymise --------------------------------------------------------------------------------


def test_anonymise_writes_a_police_uk_release_and_is_deterministic(provider, inputs, tmp_path):
    import processing

    first = processing.run(ANONYMISE, _params(inputs, tmp_path / "a"))
    second = processing.run(ANONYMISE, _params(inputs, tmp_path / "b"))
    for key in OUTPUT_KEYS:
        a, b = Path(first[key]), Path(second[key])
        assert a.read_bytes() == b.read_bytes(), key
    public = read_public_csv(first["PUBLIC_CSV"])
    assert tuple(public.columns) == PUBLIC_COLUMNS
    assert first["ROWS_IN"] == 4685 + 4836
    assert len(public) == first["PUBLISHED"] + first["NO_LOCATION"]
    assert first["ROWS_IN"] == (
        first["PUBLISHED"] + first["NO_LOCATION"] + first["WITHHELD"] + first["REJECTED"]
    )
    # Anonymising police.uk's own months onto their own points gives police.uk's points back.
    assert first["NO_LOCATION"] == 348 + 402
    ids = public["Crime ID"]
    asb = public["Crime type"] == "Anti-social behaviour"
    assert (ids[asb] == "").all() and ids[~asb].str.fullmatch(r"[0-9a-f]{64}").all()

    layer = QgsVectorLayer(f"{first['PUBLIC_LAYER']}|layername={PUBLIC_TABLE}", "p", "ogr")
    assert layer.isValid() and layer.featureCount() == len(public)
    assert [f.name() for f in layer.fields()][1:] == list(PUBLIC_COLUMNS)
    no_geometry = sum(1 for f in layer.getFeatures() if f.geometry().isNull())
    assert no_geometry == first["NO_LOCATION"]
    qml = Path(first["PUBLIC_LAYER"]).with_suffix(".qml")
    message, ok = layer.loadNamedStyle(str(qml))
    assert ok, message
    assert layer.renderer().classAttribute() == "Crime type"
    assert len(layer.renderer().categories()) >= 14

    audit = json.loads(Path(first["AUDIT_JSON"]).read_text())
    assert audit["reconciles"] is True
    assert audit["leak_gate"]["passed"] is True
    assert {c["name"] for c in audit["leak_gate"]["checks"]} >= {
        "public_schema",
        "coordinates_are_map_points",
        "no_raw_coordinates",
    }
    assert "leak" in Path(first["AUDIT_HTML"]).read_text().lower()
    manifest = json.loads(Path(first["MANIFEST"]).read_text())
    salt = inputs["salt"].read_text().strip()
    assert salt not in Path(first["MANIFEST"]).read_text()
    assert manifest["settings"]["max_distance_m"] == 20000.0
    assert len(manifest["settings"]["salt_fingerprint"]) >= 8
    crimes_files = manifest["inputs"]["crimes"]["files"]
    assert crimes_files[0]["name"] == "crimes.gpkg" and len(crimes_files[0]["sha256"]) == 64
    assert manifest["inputs"]["map_points"]["count"] == inputs["points_count"]
    outputs = {o["name"]: o["sha256"] for o in manifest["outputs"]}
    from crime_mapper.core.release.release_files import sha256_file

    assert outputs[Path(first["PUBLIC_CSV"]).name] == sha256_file(first["PUBLIC_CSV"])
    assert outputs["audit.json"] == sha256_file(first["AUDIT_JSON"])


def test_run_anonymise_names_outputs_like_police_uk(inputs, tmp_path):
    out = run_anonymise(
        inputs["crimes_gpkg"], inputs["points_gpkg"], None, inputs["salt"], tmp_path
    )
    assert out.public_csv.name == "2022-09_2022-10-leicestershire-street.csv"
    assert out.public_gpkg.name == "2022-09_2022-10-leicestershire-street.gpkg"
    assert {p.name for p in tmp_path.iterdir()} == {
        out.public_csv.name,
        out.public_gpkg.name,
        out.qml.name,
        "audit.json",
        "audit.html",
        "release_manifest.json",
    }
    with sqlite3.connect(out.public_gpkg) as conn:
        stamps = {r[0] for r in conn.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {"2022-10-01T00:00:00.000Z"}  # no wall-clock time in the file


def test_a_crimes_gpkg_path_is_accepted_as_the_crimes_layer(provider, inputs, tmp_path):
    """A path to a single-table crimes GeoPackage (what qgis_process passes) opens as a layer
    whose source has no layername: it must still be read as a crimes table."""
    import processing

    layer = QgsVectorLayer(str(inputs["crimes_gpkg"]), "crimes", "ogr")
    assert layer.isValid() and "layername=" not in layer.source()
    out = tmp_path / "out"
    result = processing.run(ANONYMISE, _params(inputs, out, CRIMES=str(inputs["crimes_gpkg"])))
    reference = run_anonymise(
        inputs["crimes_gpkg"], inputs["points_gpkg"], None, inputs["salt"], tmp_path / "reference"
    )
    assert result["ROWS_IN"] == reference.rows_in
    assert Path(result["PUBLIC_CSV"]).read_bytes() == reference.public_csv.read_bytes()


def test_force_extract_release_from_files_with_a_profile(provider, inputs, tmp_path):
    import processing

    result = processing.run(
        ANONYMISE,
        _params(
            inputs,
            tmp_path,
            CRIMES=None,
            CRIMES_FILES=str(inputs["extract"]),
            PROFILE=str(inputs["profile"]),
        ),
    )
    frame = inputs["frame"]
    assert result["ROWS_IN"] == len(frame)
    assert result["WITHHELD"] == 1  # the one row flagged sensitive, by the default rules
    text = Path(result["PUBLIC_CSV"]).read_text()
    for ref in frame["CrimeRef"]:
        assert ref not in text
    assert "neighbour" not in text and "Beat 4" not in text
    check = processing.run(
        CHECK,
        {
            "RAW_FILES": str(inputs["extract"]),
            "PROFILE": str(inputs["profile"]),
            "MAP_POINTS": inputs["points_uri"],
            "RELEASE_FILE": result["PUBLIC_CSV"],
            "REPORT": str(tmp_path / "gate.json"),
        },
    )
    assert check["PASSED"] == 1
    assert json.loads((tmp_path / "gate.json").read_text())["passed"] is True


def test_check_release_fails_on_a_planted_leak(provider, inputs, tmp_path):
    import processing

    result = processing.run(
        ANONYMISE,
        _params(
            inputs,
            tmp_path / "release",
            CRIMES=None,
            CRIMES_FILES=str(inputs["extract"]),
            PROFILE=str(inputs["profile"]),
        ),
    )
    leaked = tmp_path / "leaked" / "2022-10-leicestershire-street.csv"
    leaked.parent.mkdir()
    public = read_public_csv(result["PUBLIC_CSV"])
    raw = open_crimes_source(
        [inputs["extract"]], profile=MappingProfile.load(inputs["profile"])
    ).crimes
    located = public.index[public["Longitude"] != ""]
    # a location between map points (as an exact address would be) and a crime reference
    public.loc[located[0], "Longitude"] = f"{raw['longitude'].iloc[0] + 0.0004:.6f}"
    public.loc[located[1], "Context"] = raw["crime_id"].iloc[5]
    public.to_csv(leaked, index=False)
    params = {
        "RAW_FILES": str(inputs["extract"]),
        "PROFILE": str(inputs["profile"]),
        "MAP_POINTS": inputs["points_uri"],
        "RELEASE_FILE": str(leaked),
        "REPORT": str(tmp_path / "gate.json"),
    }
    with pytest.raises(QgsProcessingException) as refused:
        processing.run(CHECK, params)
    # the gate's message once (it names the release), then where the report is
    said = str(refused.value)
    assert said.count("FAILED") == 1 and said.count(str(leaked)) == 1, said
    assert said.rstrip().endswith(f"The full report: {tmp_path / 'gate.json'}"), said
    report = json.loads((tmp_path / "gate.json").read_text())
    assert report["passed"] is False
    failed = {c["name"] for c in report["checks"] if not c["passed"]}
    assert {"coordinates_are_map_points", "no_source_references"} <= failed
    # the alg's own message carries the gate's words
    alg = QgsApplication.processingRegistry().createAlgorithmById(CHECK)
    _, ok = alg.run(params, QgsProcessingContext(), QgsProcessingFeedback())
    assert not ok


def test_a_failed_gate_leaves_the_previous_release_byte_identical(inputs, tmp_path, monkeypatch):
    """A faulty CSV writer (simulated: it appends the source reference to a row's Context)
    is what the gate is for: it stops the release and nothing is replaced."""
    from crime_mapper.core.release import public_schema

    profile = MappingProfile.load(inputs["profile"])
    source = open_crimes_source([inputs["extract"]], profile=profile)
    good = run_anonymise(source, inputs["points_gpkg"], None, inputs["salt"], tmp_path)
    before = _snapshot(tmp_path)
    real_writer = public_schema.write_public_csv
    reference = inputs["frame"]["CrimeRef"].iloc[3]

    def faulty_writer(public, path):
        public = public.copy()
        public.loc[0, "Context"] = f"ref {reference}"
        real_writer(public, path)

    monkeypatch.setattr(public_schema, "write_public_csv", faulty_writer)
    with pytest.raises(LeakError, match="nothing was written") as caught:
        run_anonymise(
            source, inputs["points_gpkg"], None, inputs["salt"], tmp_path, max_distance_m=15000
        )
    assert "no_source_references" in str(caught.value)
    assert _snapshot(tmp_path) == before
    assert good.public_csv.is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


class _CancelAfter(Feedback):
    def __init__(self, calls: int) -> None:
        self.calls = calls

    def is_cancelled(self) -> bool:
        self.calls -= 1
        return self.calls < 0


@pytest.mark.parametrize("calls", [0, 3, 6, 9, 12])  # 12: the last check, before commit
def test_cancel_leaves_the_previous_release_intact(inputs, tmp_path, calls):
    run_anonymise(inputs["crimes_gpkg"], inputs["points_gpkg"], None, inputs["salt"], tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(Cancelled):
        run_anonymise(
            inputs["crimes_gpkg"],
            inputs["points_gpkg"],
            None,
            inputs["salt"],
            tmp_path,
            feedback=_CancelAfter(calls),
        )
    assert _snapshot(tmp_path) == before


def test_cancelled_processing_run_leaves_outputs(provider, inputs, tmp_path):
    import processing

    processing.run(ANONYMISE, _params(inputs, tmp_path))
    before = _snapshot(tmp_path)
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    alg = QgsApplication.processingRegistry().createAlgorithmById(ANONYMISE)
    _, ok = alg.run(_params(inputs, tmp_path, MAX_DISTANCE=5000), QgsProcessingContext(), feedback)
    assert not ok
    assert _snapshot(tmp_path) == before


class _Collect(QgsProcessingFeedback):
    """Keeps the errors an algorithm reports (its exception text arrives here)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N803 - Qt API
        self.errors.append(error)


def _empty_month_load(tmp: Path):
    """What a load of a month with no crime writes (a street file with its header alone):
    a crimes GeoPackage whose crimes table has the right fields and no row."""
    street = tmp / "2022-11-leicestershire-street.csv"
    header = (LEICS_SEP / "2022-09-leicestershire-street.csv").read_text().splitlines()[0]
    street.write_text(header + "\n", encoding="utf-8")
    return run_load([street], tmp / "empty_load")


def _bad_input(case: str, inputs: dict, out: Path, tmp: Path) -> tuple[dict, str]:
    if case == "empty_crimes_layer":
        layer = QgsVectorLayer(_empty_month_load(tmp).crimes_uri, "Crimes 2022-11", "ogr")
        assert layer.isValid() and layer.featureCount() == 0
        return {"CRIMES": layer}, "the crimes layer 'Crimes 2022-11' has no features"
    if case == "empty_crimes_memory_layer":
        crimes = QgsVectorLayer(inputs["crimes_uri"], "crimes", "ogr")
        layer = QgsVectorLayer("Point?crs=EPSG:4326", "Crimes kept in memory", "memory")
        layer.dataProvider().addAttributes(crimes.fields().toList())
        layer.updateFields()
        assert layer.fields().names() == crimes.fields().names() and layer.featureCount() == 0
        return {"CRIMES": layer}, "the crimes layer 'Crimes kept in memory' has no features"
    if case == "crimes_layer_with_other_fields":  # features, but no crimes table's fields
        layer = QgsVectorLayer(inputs["points_uri"], "Map points as crimes", "ogr")
        assert layer.featureCount() > 0
        return {"CRIMES": layer}, "has no crime_mapper 'map_points' table (missing crime_id"
    x, y = _bng_points([-1.13], [52.63])
    point = QgsGeometry.fromPointXY(QgsPointXY(x[0], y[0]))
    if case == "empty_points":
        layer = _memory_layer("Point?crs=EPSG:27700&field=label:string", [])
        return {"MAP_POINTS": layer}, "empty"
    if case == "lines_as_points":
        layer = _memory_layer(
            "LineString?crs=EPSG:27700&field=label:string",
            [
                (
                    QgsGeometry.fromPolylineXY(
                        [QgsPointXY(x[0], y[0]), QgsPointXY(x[0] + 9, y[0])]
                    ),
                    ["Road"],
                )
            ],
        )
        return {"MAP_POINTS": layer}, "lines"
    if case == "crs_in_feet":
        layer = _memory_layer("Point?crs=EPSG:2227&field=label:string", [(point, ["X"])])
        return {"MAP_POINTS": layer}, "not metres"
    if case == "missing_salt":
        return {"SALT_FILE": str(tmp / "nowhere.salt")}, "Salt file (SALT_FILE) not found"
    if case == "salt_in_output":
        salt = out / "force.salt"
        shutil.copy(inputs["salt"], salt)
        return {"SALT_FILE": str(salt)}, "inside the output folder"
    if case == "short_salt":
        (tmp / "short.salt").write_text("abc\n")
        return {"SALT_FILE": str(tmp / "short.salt")}, "at least 16"
    if case == "profile_maps_no_category":
        data = json.loads(inputs["profile"].read_text())
        data["columns"].pop("offence")
        (tmp / "bad_profile.json").write_text(json.dumps(data))
        return {
            "CRIMES": None,
            "CRIMES_FILES": str(inputs["extract"]),
            "PROFILE": str(tmp / "bad_profile.json"),
        }, "maps no column to a crime category"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "empty_points",
        "lines_as_points",
        "crs_in_feet",
        "missing_salt",
        "salt_in_output",
        "short_salt",
        "profile_maps_no_category",
        "empty_crimes_layer",
        "empty_crimes_memory_layer",
        "crimes_layer_with_other_fields",
    ],
)
def test_bad_inputs_fail_before_any_output_is_touched(provider, inputs, tmp_path, case):
    out = tmp_path / "release"
    run_anonymise(inputs["crimes_gpkg"], inputs["points_gpkg"], None, inputs["salt"], out)
    extra, message = _bad_input(case, inputs, out, tmp_path)
    before = _snapshot(out)
    params = _params(inputs, out, **extra)
    for key in OUTPUT_KEYS:  # the release's own file names: the ones a run would replace
        params[key] = str(out / Path(params[key]).name)
    alg = QgsApplication.processingRegistry().createAlgorithmById(ANONYMISE)
    feedback = _Collect()
    _, ok = alg.run(params, QgsProcessingContext(), feedback)
    assert not ok
    assert any(message in m for m in feedback.errors), feedback.errors
    assert _snapshot(out) == before


def test_an_empty_crimes_geopackage_is_refused_as_empty_not_as_a_profile_fault(inputs, tmp_path):
    """The release panel anonymises the last load's GeoPackage (run_anonymise, as its task
    does): a load of a month with no crime was refused with "check that the mapping profile
    maps the category or offence column", though no profile was involved."""
    empty = _empty_month_load(tmp_path)
    out = tmp_path / "release"
    with pytest.raises(ValueError, match="The crimes table has no rows") as refused:
        run_anonymise(empty.gpkg, inputs["points_gpkg"], None, inputs["salt"], out)
    assert "profile" not in str(refused.value)
    assert not out.exists()


# --- qgis_process -----------------------------------------------------------------------------


def test_qgis_process_run_gives_the_same_bytes(inputs, tmp_path):
    exe = shutil.which("qgis_process.bin") or "/usr/bin/qgis_process.bin"
    env = child_env(
        drop_checkout=True,
        QGIS_PLUGINPATH=str(plugin_folder(tmp_path)),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
    )
    enable = subprocess.run(
        [exe, "plugins", "enable", "crime_mapper"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert enable.returncode == 0, enable.stderr
    out = tmp_path / "out"
    params = _params(inputs, out)
    args = [f"{key}={value}" for key, value in params.items()]
    run = subprocess.run(
        [exe, "--json", "run", ANONYMISE, "--", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads(run.stdout)["results"]
    assert results["ROWS_IN"] == 4685 + 4836
    # the same release made in this process, under the same file names elsewhere
    here = {key: tmp_path / "here" / Path(params[key]).name for key in OUTPUT_KEYS}
    run_anonymise(
        inputs["crimes_gpkg"],
        inputs["points_gpkg"],
        None,
        inputs["salt"],
        public_csv_path=here["PUBLIC_CSV"],
        public_gpkg_path=here["PUBLIC_LAYER"],
        audit_json_path=here["AUDIT_JSON"],
        audit_html_path=here["AUDIT_HTML"],
        manifest_path=here["MANIFEST"],
    )
    for key in OUTPUT_KEYS:
        assert Path(results[key]).read_bytes() == here[key].read_bytes(), key


def test_public_layer_is_added_styled(provider, inputs, qgis_new_project, tmp_path):
    import processing

    processing.runAndLoadResults(ANONYMISE, _params(inputs, tmp_path))
    layers = [
        lyr
        for lyr in QgsProject.instance().mapLayers().values()
        if lyr.name().startswith("Public release")
    ]
    assert len(layers) == 1
    renderer = layers[0].renderer()
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "Crime type"


def test_a_profile_that_maps_x_and_y_to_one_column_is_refused():
    """Each row's one number was read as both its easting and its northing: the rows fell
    outside the UK and were published without a location, and nothing said the profile
    was wrong."""
    for y in ("Easting", " easting "):
        with pytest.raises(ProfileError, match="maps both x and y to the column 'Easting'"):
            MappingProfile.from_dict(
                {"name": "bad", "columns": {"crime_ref": "Ref", "x": "Easting", "y": y}}
            )
    assert MappingProfile.from_dict({"name": "ok", "columns": {"x": "Easting", "y": "Northing"}})
