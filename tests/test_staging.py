"""Outputs appear together or not at all (crime_mapper.core.common.staging)."""

from __future__ import annotations

import os
import re
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


def test_random_style_ids_are_derived_so_two_qgis_340_styles_match():
    """QGIS 3.40 writes a random id="{uuid}" on every symbol layer: two saves of one style
    differ. Each distinct uuid becomes one derived from its order, references stay paired."""
    import uuid

    from crime_mapper.core.common.reproducible import canonical_xml_text

    def style(a: str, b: str) -> str:
        return (
            f'<symbol name="0"><layer class="SimpleMarker" id="{a}" enabled="1"/>'
            f'<layer id="{b}" class="SimpleFill"/><mask ref="{a}"/></symbol>'
        )

    ids = ["{" + str(uuid.uuid4()) + "}" for _ in range(4)]
    first = canonical_xml_text(style(ids[0], ids[1]))
    second = canonical_xml_text(style(ids[2].upper(), ids[3]))
    assert first == second
    assert not any(i.lower() in first.lower() for i in ids)
    derived = re.findall(r'id="(\{[^}]+\})"', first)
    assert len(derived) == 2 and derived[0] != derived[1]
    assert f'ref="{derived[0]}"' in first  # the reference follows its symbol layer
    assert uuid.UUID(derived[0].strip("{}")).version == 5
    # a file without uuids is unchanged apart from attribute order
    assert canonical_xml_text('<a y="1" x="2"/>') == '<a x="2" y="1"/>'


def test_random_elevation_profile_colours_become_one_grey():
    """QGIS 3.26+ colours a new layer's elevation-profile symbols at random; only those."""
    from crime_mapper.core.common.reproducible import PROFILE_GREY, canonical_xml_text

    def style(colour: str) -> str:
        return (
            '<qgis><elevation zscale="1"><profileLineSymbol><symbol name="">'
            f'<Option value="{colour},255,rgb:0.1,0.2,0.3,1" type="QString" name="line_color"/>'
            "</symbol></profileLineSymbol></elevation>"
            '<renderer-v2><Option name="color" type="QString" value="1,2,3,255"/></renderer-v2>'
            "</qgis>"
        )

    first, second = canonical_xml_text(style("141,90,153")), canonical_xml_text(style("4,5,6"))
    assert first == second
    assert f'value="{PROFILE_GREY}"' in first
    assert 'value="1,2,3,255"' in first  # the renderer's own colours are never touched
