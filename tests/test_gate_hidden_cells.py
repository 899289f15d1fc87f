"""Cells of a public output that a reader of the file sees but the leak gate did not read
(found by a hostile-input run): each must fail the gate, never pass it.

A CSV whose first data row has more fields than its header: pandas took the extra leading
cells as the table's index, which no check looked at, so a raw crime reference, its exact
date and time and its raw coordinates under a two-column header passed. Real raw extract,
map points and release (tests/support/leak_world).
"""

from __future__ import annotations

import shutil

import pytest

from crime_mapper.core.gate.leak_gate import check_release
from tests.support.leak_world import copy_folder, raw_row


def _raw_cells(world: dict) -> list[str]:
    row = raw_row(world)
    return [
        str(row["crime_id"]),
        f"{row['longitude']:.5f}",
        f"{row['latitude']:.5f}",
        str(row["occurred_at"]),
    ]


@pytest.mark.parametrize("header", ["area,count", "notes"])
def test_a_first_row_longer_than_the_header_fails_the_gate(world, clean_outputs, tmp_path, header):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    path = site / "summary.csv"
    path.write_text(f"{header}\n{','.join(_raw_cells(world))},E01,3\nE02,4\n", "utf-8")
    report = check_release(world["raw"], site, world["points"])
    assert not report.passed
    assert "summary.csv" in report.message()
    assert "more fields than the header" in report.message()
    shutil.rmtree(site)


def test_a_table_of_whole_rows_beside_the_pages_still_passes(world, clean_outputs, tmp_path):
    site = copy_folder(clean_outputs["folder"], tmp_path)
    (site / "summary.csv").write_text("area,count\nE01,3\nE02,4\n", "utf-8")
    assert check_release(world["raw"], site, world["points"]).passed
    shutil.rmtree(site)
