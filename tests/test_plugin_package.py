"""`make package` checks the zip the way the QGIS plugin repository's uploader does.

The real package built from this checkout must pass; each way a package can be refused is made
by changing one thing in a copy of that real zip, and must be reported.
"""

from __future__ import annotations

import configparser
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _tool("check_plugin_package")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package")
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "build_plugin.py"),
            "--out",
            str(out / "build"),
            "--zip",
            str(out / "crime_mapper.zip"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passes the plugin repository's upload checks" in run.stdout
    return out / "crime_mapper.zip"


def test_the_real_package_passes(package):
    assert check.check_zip(package) == []
    with zipfile.ZipFile(package) as zf:
        meta = configparser.ConfigParser()
        meta.read_string(zf.read("crime_mapper/metadata.txt").decode("utf-8"))
    general = meta["general"]
    assert general["experimental"] == "True"
    for package_name in ("pandas", "numpy", "scipy", "jinja2"):
        assert package_name in general["about"], package_name
    # every feature (README, "What it does") is named, so the plugin manager describes it all
    for feature in (
        "Load",
        "force's records-system export",
        "Release QA",
        "Anonymise",
        "leak gate",
        "Hotspots",
        "kernel density",
        "web map",
        "neighbourhood summaries",
        "PDF atlas",
        "guided panel",
        "release configuration",
        "Processing",
        "qgis_process",
        "command line",
    ):
        assert feature in general["about"], feature
    assert "web map" in general["description"] and "check" in general["description"]


def _rewrite(src: Path, dst: Path, change: Callable[[str, bytes], object]) -> Path:
    """Copy src to dst entry by entry; change(name, data) returns new bytes, a (name, bytes)
    pair, None to drop the entry, or the data unchanged."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            result = change(info.filename, zin.read(info.filename))
            if result is None:
                continue
            name, data = result if isinstance(result, tuple) else (info.filename, result)
            zout.writestr(name, data)
    return dst


def _edit_metadata(edit: Callable[[str], str]) -> Callable[[str, bytes], object]:
    def change(name: str, data: bytes) -> object:
        if name == "crime_mapper/metadata.txt":
            return edit(data.decode("utf-8")).encode("utf-8")
        return data

    return change


def _drop_line(key: str) -> Callable[[str], str]:
    return lambda text: "\n".join(
        line for line in text.splitlines() if not line.startswith(f"{key}=")
    )


CASES = {
    "no email": (_edit_metadata(_drop_line("email")), "required metadata missing or empty: email"),
    "no tracker": (
        _edit_metadata(_drop_line("tracker")),
        "required metadata missing or empty: tracker",
    ),
    "placeholder repository": (
        _edit_metadata(lambda t: _drop_line("repository")(t) + "\nrepository=http://repo\n"),
        "repository is not an absolute http(s) URL",
    ),
    "percent in about": (
        _edit_metadata(lambda t: t.replace("about=", "about=100% ")),
        "cannot be read by the uploader's ConfigParser",
    ),
    "not experimental": (
        _edit_metadata(lambda t: t.replace("experimental=True", "experimental=False")),
        "experimental must be True",
    ),
    "changelog lacks the version": (
        _edit_metadata(lambda t: t.replace("version=0.3.0", "version=0.3.7")),
        "changelog has no entry for version 0.3.7",
    ),
    "slash in author": (
        _edit_metadata(lambda t: t.replace("author=", "author=a/b ")),
        "author contains a slash",
    ),
    "pyc file": (
        lambda n, d: (n.replace("plugin.py", "plugin.pyc"), d) if n.endswith("plugin.py") else d,
        "compiled Python file",
    ),
    "pycache folder": (
        lambda n, d: (n.replace("/ui/", "/ui/__pycache__/"), d) if n.endswith("ui/dock.py") else d,
        "forbidden folder '__pycache__'",
    ),
    "no LICENSE": (lambda n, d: None if n.endswith("/LICENSE") else d, "LICENSE is missing"),
    "no icon": (lambda n, d: None if n.endswith("crime_mapper.svg") else d, "is not in the zip"),
    "two top folders": (
        lambda n, d: ("other/x.txt", d) if n.endswith("/LICENSE") else d,
        "exactly one top-level folder",
    ),
    "path traversal": (
        lambda n, d: ("crime_mapper/../evil.py", d) if n.endswith("plugin.py") else d,
        "entry with path information",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_package_the_repository_refuses_is_refused(package, tmp_path, case):
    change, expected = CASES[case]
    broken = _rewrite(package, tmp_path / "broken.zip", change)
    problems = check.check_zip(broken)
    assert any(expected in problem for problem in problems), problems
    run = subprocess.run(
        [sys.executable, str(REPO / "tools" / "check_plugin_package.py"), str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1 and expected in run.stderr


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    bogus = tmp_path / "x.zip"
    bogus.write_bytes(b"not a zip")
    assert any("cannot open" in p for p in check.check_zip(bogus))
