"""The monthly release lists the web map's and the summaries' files with os.walk
(core.monthly.release._files_under, issue 15: 7,300 pages nationally); the list must be
the one ``sorted(p for p in folder.rglob("*") if p.is_file())`` gives, in its order, for
any folder: linked files and folders, broken links, hidden files, awkward names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crime_mapper.core.monthly.release import _files_under


def _direct(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _awkward_tree(tmp_path: Path) -> Path:
    root = tmp_path / "map"
    outside = tmp_path / "outside"
    for folder in (
        root / "a" / "b",
        root / "a-b",
        root / "a.b" / "c",
        root / ".hidden",
        root / "empty",
        root / "ünï cødé",
        outside / "deep",
    ):
        folder.mkdir(parents=True)
    for name in (
        "a/x.html",
        "a/b/y.js",
        "a-b/x.html",
        "a.b/c/z.css",
        ".hidden/.dot",
        "ünï cødé/ä b.html",
        "A.html",
        "a.html",
        "_.html",
        "-.html",
        "index.html",
    ):
        (root / name).write_text(name, encoding="utf-8")
    (outside / "deep" / "o.txt").write_text("o")
    (outside / "f.txt").write_text("f")
    (root / "linked-folder-out").symlink_to(outside)  # listed as nothing: not entered
    (root / "a" / "linked-folder-in").symlink_to(root / "a.b")
    (root / "linked-file").symlink_to(outside / "f.txt")  # a linked file is a file
    (root / "a" / "b" / "broken").symlink_to(tmp_path / "nowhere")
    os.mkfifo(root / "a" / "fifo")  # neither file nor folder
    return root


def test_the_same_files_in_the_same_order_as_rglob(tmp_path):
    root = _awkward_tree(tmp_path)
    want = _direct(root)
    assert _files_under(root) == want
    names = [p.relative_to(root).as_posix() for p in want]
    assert "linked-file" in names and "a/b/y.js" in names and ".hidden/.dot" in names
    assert not any(n.startswith("linked-folder") for n in names)
    assert names.index("a/x.html") < names.index("a-b/x.html")  # by parts, not by text


@pytest.mark.parametrize("kind", ["missing", "a-file", "empty"])
def test_no_files_where_rglob_finds_none(kind, tmp_path):
    folder = tmp_path / "map"
    if kind == "a-file":
        folder.write_text("not a folder")
    elif kind == "empty":
        folder.mkdir()
    assert _files_under(folder) == _direct(folder) == []


def test_a_real_web_map_and_summaries_folder(tmp_path):
    """The bundled force month's monthly release folders, as the publish step lists them."""
    from crime_mapper.core.monthly.config import read_config
    from crime_mapper.core.monthly.release import run_monthly_release
    from tests.support.monthly_config import MONTH, config_file

    config = read_config(config_file(tmp_path))
    config.hotspots.enabled = False
    outputs = run_monthly_release(config, MONTH)
    out = Path(outputs.out_dir)
    for name in ("map", "neighbourhoods"):
        assert len(_direct(out / name)) > 10
        assert _files_under(out / name) == _direct(out / name)
    listed = outputs.step("publish").outputs
    assert listed == _direct(out / "neighbourhoods") + _direct(out / "map")
