"""tools/vendor_js.py (run by every `make setup`) copies the web map's libraries from the
real node_modules into the plugin package whole or not at all, and leaves identical files
alone: an export copying them at that moment never gets a half-written leaflet.js."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "node_modules"


def _tool():
    spec = importlib.util.spec_from_file_location("vendor_js", REPO / "tools" / "vendor_js.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def vendor_js():
    if not (NODE_MODULES / "leaflet" / "package.json").is_file():
        pytest.fail("node_modules is missing: `make setup` runs npm ci")
    return _tool()


def test_the_copies_are_the_libraries_and_a_second_run_leaves_them(vendor_js, tmp_path):
    written = vendor_js.vendor(NODE_MODULES, tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {
        item.target for item in vendor_js.RUNTIME_FILES
    }
    for item in vendor_js.RUNTIME_FILES:
        src = NODE_MODULES / item.package / item.source
        assert (tmp_path / item.target).read_bytes() == src.read_bytes()
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in written}
    vendor_js.vendor(NODE_MODULES, tmp_path)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in written} == before
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no temporary file left


def test_a_changed_copy_is_replaced_whole_under_a_reader(vendor_js, tmp_path):
    """A reader that opened the old file (an export copying it) reads it whole to the end;
    the new content arrives as a new file. (A copy made in place truncated under it.)"""
    vendor_js.vendor(NODE_MODULES, tmp_path)
    target = tmp_path / "leaflet" / "leaflet.js"
    old = b"/* an older leaflet */\n" * 20_000
    target.write_bytes(old)
    with target.open("rb") as reader:
        head = reader.read(100)
        vendor_js.vendor(NODE_MODULES, tmp_path)
        assert head + reader.read() == old
    assert target.read_bytes() == (NODE_MODULES / "leaflet" / "dist" / "leaflet.js").read_bytes()
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []
