"""The monthly manifest names each output from the release folder as Path.resolve() sees it
(core.monthly.release._relative). The folders' real paths are resolved once per manifest
(issue 15: 7,300 outputs in a handful of folders); every name must be the one resolving
each whole path gives, symbolic links included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crime_mapper.core.monthly.release import _relative


def _direct(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _tree(tmp_path: Path) -> tuple[Path, list[Path]]:
    real = tmp_path / "real"
    root = real / "release" / "2022-10"
    outside = tmp_path / "elsewhere"
    for folder in (root / "map" / "data", root / "neighbourhoods", root / "public", outside):
        folder.mkdir(parents=True)
    (tmp_path / "via").symlink_to(real)  # the release reached through a linked folder
    (root / "public" / "a.csv").write_text("a")
    (root / "neighbourhoods" / "E02000001.html").write_text("b")
    (root / "map" / "data" / "d.js").write_text("c")
    (outside / "x.csv").write_text("x")
    sibling = real / "release" / "2022-10-old"  # (its path begins with the release folder's)
    sibling.mkdir()
    (sibling / "a.csv").write_text("old")
    (root / "linked-out").symlink_to(outside)  # a folder inside that points outside
    (root / "map" / "linked-in").symlink_to(root / "public")  # and one that points inside
    (root / "public" / "to-outside.csv").symlink_to(outside / "x.csv")  # linked files
    (root / "public" / "to-inside.csv").symlink_to(root / "neighbourhoods" / "E02000001.html")
    (outside / "into-release.csv").symlink_to(root / "public" / "a.csv")
    files = [p for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    files += [
        root / "linked-out" / "x.csv",
        root / "map" / "linked-in" / "a.csv",
        root / "map" / ".." / "public" / "a.csv",
        tmp_path / "via" / "release" / "2022-10" / "public" / "a.csv",
    ]
    return root, files


@pytest.mark.parametrize("root_kind", ["real", "through-a-link", "relative", "root-is-a-link"])
def test_each_name_is_the_one_resolving_the_whole_path_gives(root_kind, tmp_path, monkeypatch):
    root, files = _tree(tmp_path)
    if root_kind == "through-a-link":
        root = tmp_path / "via" / "release" / "2022-10"
    elif root_kind == "root-is-a-link":
        (tmp_path / "month").symlink_to(root)
        root = tmp_path / "month"
        files = files + [root / "public" / "a.csv", root / "linked-out" / "x.csv"]
    elif root_kind == "relative":
        monkeypatch.chdir(tmp_path)
        root = Path(os.path.relpath(root, tmp_path))
        files = [Path(os.path.relpath(p, tmp_path)) for p in files]
    folders: dict[str, str] = {}
    got = [_relative(p, root, folders) for p in files]
    want = [_direct(p, root) for p in files]
    assert got == want
    assert [_relative(p, root) for p in files] == want  # without the shared folders too
    # the shortcut was taken: folders were remembered, fewer than the files named
    assert 0 < len(folders) < len(files)
    assert "public/a.csv" in got and "x.csv" in got  # inside and outside both occur


def test_each_folder_is_resolved_once(tmp_path, monkeypatch):
    root = tmp_path / "release"
    pages = root / "neighbourhoods"
    pages.mkdir(parents=True)
    files = []
    for i in range(50):
        (pages / f"E0{i:07d}.html").write_text("page")
        files.append(pages / f"E0{i:07d}.html")
    calls: list[Path] = []
    real_resolve = Path.resolve

    def counting(self, *args, **kwargs):
        calls.append(self)
        return real_resolve(self, *args, **kwargs)

    monkeypatch.setattr(Path, "resolve", counting)
    folders: dict[str, str] = {}
    names = [_relative(p, root, folders) for p in files]
    assert names == [f"neighbourhoods/E0{i:07d}.html" for i in range(50)]
    assert len(calls) == 2  # the pages' folder and the release folder's parent
