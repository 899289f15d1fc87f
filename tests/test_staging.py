"""Outputs appear together or not at all (crime_mapper.core.common.staging)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crime_mapper.core.common.staging import staged_outputs, write_text_atomic


def test_all_outputs_replace_the_old_ones_together(tmp_path: Path):
    a, b = tmp_path / "a.csv", tmp_path / "sub" / "b.json"
    a.write_text("old a")
    with staged_outputs() as stage:
        stage.path_for(a).write_text("new a")
        stage.path_for(b).write_text("new b")
        assert a.read_text() == "old a"  # nothing moves before the block completes
    assert a.read_text() == "new a" and b.read_text() == "new b"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.csv", "b.json", "sub"]


def test_a_failure_leaves_the_old_outputs_and_no_temporary_files(tmp_path: Path):
    a, b = tmp_path / "a.csv", tmp_path / "b.gpkg"
    a.write_text("old a")
    b.write_bytes(b"old b")
    with pytest.raises(RuntimeError):
        with staged_outputs() as stage:
            stage.path_for(a).write_text("new a")
            tmp_b = stage.path_for(b)
            tmp_b.write_bytes(b"partial")
            Path(f"{tmp_b}-journal").write_bytes(b"sqlite journal")
            raise RuntimeError("cancelled half-way")
    assert a.read_text() == "old a" and b.read_bytes() == b"old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.gpkg"]


def test_outputs_get_the_usual_file_mode(tmp_path: Path):
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "report.txt", "text")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o644


def test_canonical_xml_sorts_attributes_and_changes_nothing_else():
    from crime_mapper.core.common.reproducible import canonical_xml_text

    one = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22" b="2 &gt; 1" a="&quot;x&quot;">\n <se:Rule xmlns:se="u" '
        'z="1"/>\n <text>keep  "this" &amp; that</text>\n</qgis>\n'
    )
    two = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis a="&quot;x&quot;" version="3.22" b="2 &gt; 1">\n <se:Rule z="1" '
        'xmlns:se="u"/>\n <text>keep  "this" &amp; that</text>\n</qgis>\n'
    )
    assert canonical_xml_text(one) == canonical_xml_text(two)
    assert canonical_xml_text(one) == (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis a="&quot;x&quot;" b="2 &gt; 1" version="3.22">\n <se:Rule xmlns:se="u" '
        'z="1"/>\n <text>keep  "this" &amp; that</text>\n</qgis>\n'
    )
