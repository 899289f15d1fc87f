"""The web map's page data grouped by the neighbourhood assignment's integers
(core.publish.webmap_areas.RowAreas) is exactly the page data grouped by each row's name:
on the committed Leicestershire month and MSOAs, and on assignments made to break it (two
neighbourhoods of one name, rows in none, one point in several areas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.publish.neighbourhoods import OUTSIDE, OUTSIDE_LABEL, assign_crimes
from crime_mapper.core.publish.summaries_run import load_neighbourhoods
from crime_mapper.core.publish.webmap_areas import RowAreas, row_area_names
from crime_mapper.core.publish.webmap_data import aggregate
from crime_mapper.core.publish.webmap_inputs import read_release_inputs
from tests.support.forking import files_in
from tests.support.neighbourhood_data import assert_same_assignment
from tests.support.summaries_release import msoa_source

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"


@pytest.fixture(scope="module")
def street() -> pd.DataFrame:
    return read_release_inputs([OCT]).street


def test_the_committed_month_groups_as_by_name(street: pd.DataFrame) -> None:
    hoods = load_neighbourhoods(msoa_source())
    rows = row_area_names(street, hoods)
    assert isinstance(rows, RowAreas)
    assert np.array_equal(rows.index, assign_crimes(street, hoods).index)
    by_index = aggregate(street, pd.DataFrame(), row_areas=rows, area_names=hoods.names).data
    by_name = aggregate(
        street, pd.DataFrame(), row_areas=rows.name_list(), area_names=hoods.names
    ).data
    assert by_index == by_name
    assert len(set(rows.index.tolist())) > 20  # (many neighbourhoods, not one)


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_assignments_group_as_by_name(street: pd.DataFrame, seed: int) -> None:
    """Random indexes over names that repeat (two areas called "Same"), OUTSIDE and other
    negative indexes, some rows sharing one position under several areas."""
    rng = np.random.default_rng(seed)
    names = ["Same", "Alpha", "Same", "Beta", OUTSIDE_LABEL, "Zeta"]
    index = rng.integers(-2, len(names), size=len(street))
    index[rng.random(len(street)) < 0.1] = OUTSIDE
    mixed = street.copy()
    mixed.iloc[:30, mixed.columns.get_loc("Longitude")] = "-1.144333"
    mixed.iloc[:30, mixed.columns.get_loc("Latitude")] = "52.680018"
    rows = RowAreas(index.astype(np.int64), names)
    by_index = aggregate(mixed, pd.DataFrame(), row_areas=rows, area_names=names).data
    by_name = aggregate(mixed, pd.DataFrame(), row_areas=rows.name_list(), area_names=names).data
    assert by_index == by_name


def test_an_assignment_of_another_length_is_refused(street: pd.DataFrame) -> None:
    hoods = load_neighbourhoods(msoa_source())
    with pytest.raises(ValueError, match="one per street row"):
        row_area_names(street, hoods, np.zeros(len(street) - 1, dtype=np.int64))


# --- the coordinates factorized once: by the reader, taken by the assignment ------------------
def test_one_street_file_read_as_text_keeps_its_coordinates_codes() -> None:
    """The reader's parse of each coordinate column keeps its factorization, exactly
    pd.factorize of the column it returns, for the assignment of those rows; the
    assignment from it is the one that factorizes again."""
    inputs = read_release_inputs([OCT])
    assert inputs.coordinate_codes is not None
    for column, (codes, uniques) in zip(("Longitude", "Latitude"), inputs.coordinate_codes):
        want_codes, want_uniques = pd.factorize(inputs.street[column], sort=False)
        assert np.array_equal(codes, want_codes)
        assert list(uniques) == list(want_uniques)
    hoods = load_neighbourhoods(msoa_source())
    given = row_area_names(inputs.street, hoods, coordinates=inputs.coordinate_codes)
    assert np.array_equal(given.index, assign_crimes(inputs.street, hoods).index)


def test_no_codes_for_several_files_or_typed_coordinates() -> None:
    """Several street files make one table of their rows (their own codes are not its
    codes) and coordinates read as numbers were never factorized: no codes, and the
    assignment factorizes the table's columns itself (or assigns by the numbers)."""
    sep = OCT.parent.parent / "2022-09" / "2022-09-leicestershire-street.csv"
    assert read_release_inputs([OCT, sep]).coordinate_codes is None
    assert read_release_inputs([OCT], typed_coordinates=True).coordinate_codes is None


def test_the_web_maps_export_hands_its_codes_to_the_assignment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A map with neighbourhoods from one release CSV assigns its rows from the codes its
    reader made (the 0.15 s of a national month's second factorization is not spent)."""
    from crime_mapper.core.publish import webmap_areas
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    given: list = []
    assign = webmap_areas.assign_crimes

    def spy(
        public: pd.DataFrame, hoods: object, coordinates: object = None, parsed: object = None
    ) -> object:
        given.append((coordinates, parsed))
        return assign(public, hoods, coordinates, parsed)

    monkeypatch.setattr(webmap_areas, "assign_crimes", spy)
    hoods = load_neighbourhoods(msoa_source())
    export_webmap(
        WebmapOptions(
            inputs=[str(OCT)], out_dir=tmp_path / "map", tiles="none", neighbourhoods=hoods
        )
    )
    assert len(given) == 1 and given[0][0] is not None
    parsed = given[0][1]  # (and the numbers its reader parsed the texts to, one per row)
    rows = len(read_release_inputs([OCT]).street)
    assert parsed is not None and len(parsed[0]) == len(parsed[1]) == rows


# --- coordinates read as numbers (a map that links its CSVs), assigned as their texts -------
def _outlines_only() -> object:
    """The committed MSOAs without the LSOA lookup: every located row by point in polygon."""
    import dataclasses

    return load_neighbourhoods(
        dataclasses.replace(msoa_source(), lookup=None, lsoa_population=None)
    )


@pytest.mark.parametrize("lookup", [True, False], ids=["with-lookup", "outlines-only"])
def test_the_committed_month_read_as_numbers_assigns_as_its_texts(lookup: bool) -> None:
    """The typed read's coordinates (NaN for a blank cell) assign every row to the
    neighbourhood the text read's codes assign it to, by lookup and by polygon alike."""
    hoods = load_neighbourhoods(msoa_source()) if lookup else _outlines_only()
    text = read_release_inputs([OCT])
    typed = read_release_inputs([OCT], typed_coordinates=True)
    assert typed.street["Longitude"].dtype == np.float64
    want = assign_crimes(text.street, hoods, text.coordinate_codes, (text.lon, text.lat))
    assert_same_assignment(assign_crimes(typed.street, hoods), want)
    assert want.no_location > 0
    assert (want.by_lookup if lookup else want.by_polygon) > 1000


# numbers as a CSV may write them: the typed reader parses each as pd.to_numeric does
NUMBER_FORMS = ("{:.6f}", "{:.2f}", "{:+.6f}", " {:.6f}", "{:.6f} ", "{:.6e}", "{:.0f}")


@pytest.mark.parametrize("seed", range(12))
def test_fuzzed_coordinates_read_as_numbers_assign_as_their_texts(
    seed: int, tmp_path: Path
) -> None:
    """A release CSV of random rows over and around the outlines (the outlines' own
    vertices, a point written several ways, blank cells, -0, LSOA codes in the lookup or
    not) read both ways: each row in the same neighbourhood, or none, as by its texts."""
    rng = np.random.default_rng(seed)
    hoods = load_neighbourhoods(msoa_source()) if seed % 2 else _outlines_only()
    b = hoods.bounds()
    n = int(rng.integers(50, 400))
    lon = rng.uniform(np.nanmin(b[:, 0]) - 0.02, np.nanmax(b[:, 2]) + 0.02, n)
    lat = rng.uniform(np.nanmin(b[:, 1]) - 0.02, np.nanmax(b[:, 3]) + 0.02, n)
    vertices = np.concatenate([np.asarray(r) for rings in hoods.rings for r in rings])
    on = rng.choice(n, size=n // 5, replace=False)  # (points on the outlines themselves)
    lon[on], lat[on] = vertices[rng.choice(len(vertices), size=on.size)].T
    forms = [NUMBER_FORMS[int(rng.integers(len(NUMBER_FORMS)))] for _ in range(n)]
    lon_text = [f.format(v) for f, v in zip(forms, lon)]
    lat_text = [f.format(v) for f, v in zip(forms, lat)]
    blank = rng.choice(n, size=n // 10, replace=False)
    for i in blank:
        lon_text[i] = lat_text[i] = ""
    # (-0 and 0 are one place, outside every outline, that the texts count as two)
    lon_text[:2], lat_text[:2] = ["-0", "0.0"], ["52.600000", "52.6"]
    codes = list(hoods.lookup)[:5] + ["E01999999", ""]
    street = pd.read_csv(OCT, dtype=str, keep_default_na=False).head(1)
    table = pd.DataFrame({c: [street[c].iloc[0]] * n for c in street.columns})
    table["Longitude"], table["Latitude"] = lon_text, lat_text
    table["LSOA code"] = [codes[int(rng.integers(len(codes)))] for _ in range(n)]
    path = tmp_path / "2022-10-leicestershire-street.csv"
    table.to_csv(path, index=False)
    text = read_release_inputs([path])
    typed = read_release_inputs([path], typed_coordinates=True)
    assert typed.street["Longitude"].dtype == np.float64  # (every cell a number or blank)
    want = assign_crimes(text.street, hoods, text.coordinate_codes, (text.lon, text.lat))
    assert_same_assignment(assign_crimes(typed.street, hoods), want)
    assert_same_assignment(assign_crimes(text.street, hoods), want)
    assert want.by_polygon > 0 and want.outside >= 2
    if not hoods.lookup:  # (a row with a blank location and a known LSOA goes by its LSOA)
        assert want.no_location == len(set(blank.tolist()) - {0, 1})


def test_a_map_that_links_its_csv_assigns_by_the_numbers_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A map with neighbourhoods that links its release CSV (a national month's is too large
    to copy) reads the coordinates as numbers, with no Python string per cell (some 0.3 s of
    the national export's critical path); its folder is byte for byte the one made from
    the coordinates read as text (the reader's fallback for a cell that is not a number)."""
    from crime_mapper.core.publish import webmap_inputs
    from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

    hoods = _outlines_only()
    typed_reads: list[bool] = []
    read_typed = webmap_inputs._read_csv_typed

    def spy(*args: object, **kwargs: object) -> object:
        frame = read_typed(*args, **kwargs)  # type: ignore[arg-type]
        typed_reads.append(frame is not None)
        return frame

    def options(out: Path) -> WebmapOptions:
        return WebmapOptions(
            inputs=[str(OCT)],
            out_dir=out,
            tiles="none",
            neighbourhoods=hoods,
            copy_csv=False,
            csv_url="https://data.example.org/releases/",
        )

    monkeypatch.setattr(webmap_inputs, "_read_csv_typed", spy)
    export_webmap(options(tmp_path / "numbers"))
    assert typed_reads == [True]
    monkeypatch.setattr(webmap_inputs, "_read_csv_typed", lambda *a, **k: None)
    export_webmap(options(tmp_path / "texts"))
    made = files_in(tmp_path / "numbers")
    assert made == files_in(tmp_path / "texts")
    assert "data/areas.js" in made  # (the outlines and their counts are in the folder)
