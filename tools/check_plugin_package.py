"""Check a plugin zip the way the QGIS plugin repository's uploader does, and a little more.

Why: plugins.qgis.org refuses a package for reasons that are cheap to check before anyone
uploads it (a missing `email`, a `__pycache__` folder, no LICENSE, a `%` that breaks its
ConfigParser). `make package` runs this on the zip it has just written and fails on any
problem, so a release candidate is never discovered broken at upload time.

The repository's checks (qgis/QGIS-Django, plugins/validator.py), re-implemented:
  size at most 25 MB; the archive opens and every CRC is right; no entry with "..", an
  absolute path, a .pyc file or a __MACOSX/.git/__pycache__ folder; one top-level folder
  named [A-Za-z][A-Za-z0-9_-]+ holding __init__.py, metadata.txt with a [general] section
  (read with ConfigParser's default interpolation, as the uploader does) and LICENSE; the
  required fields name, description, version, qgisMinimumVersion, author, email, about,
  tracker, repository; tracker/repository/homepage absolute http(s) URLs, not the template
  placeholders; an author without slashes.
Not re-implemented: the uploader also fetches each URL (HEAD request); this check runs
offline, so it checks their form only.
Ours, on top: the icon named in metadata is in the zip; version is dotted numbers and the
changelog has an entry for it; experimental is True while the version is below 1.0.

Usage: python3 tools/check_plugin_package.py dist/crime_mapper-0.3.0.zip
"""

from __future__ import annotations

import argparse
import configparser
import io
import re
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlparse

MAX_UPLOAD_BYTES = 25_000_000
REQUIRED_FIELDS = (
    "name",
    "description",
    "version",
    "qgisMinimumVersion",
    "author",
    "email",
    "about",
    "tracker",
    "repository",
)
URL_FIELDS = {"tracker": "http://bugs", "repository": "http://repo", "homepage": "http://homepage"}
FORBIDDEN_DIRS = ("__MACOSX", ".git", "__pycache__")
PACKAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]+$")
VERSION = re.compile(r"^\d+(\.\d+){1,3}$")
BOOLEAN_VALUES = {"true", "false", "1", "0", "yes", "no"}


def _entry_problems(names: list[str]) -> list[str]:
    problems = []
    for name in names:
        if ".." in name or name.startswith("/") or name.startswith("\\"):
            problems.append(f"entry with path information: {name!r}")
        if ".pyc" in name:
            problems.append(f"compiled Python file: {name!r}")
        parts = name.split("/")
        for forbidden in FORBIDDEN_DIRS:
            if forbidden in parts:
                problems.append(f"forbidden folder {forbidden!r} in {name!r}")
    return problems


def _read_metadata(raw: bytes) -> tuple[dict[str, str], list[str]]:
    """metadata.txt as the uploader reads it (default interpolation, case-sensitive keys)."""
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    try:
        parser.read_file(io.StringIO(raw.decode("utf-8")))
        if not parser.has_section("general"):
            return {}, ["metadata.txt has no [general] section"]
        return dict(parser.items("general")), []
    except (configparser.Error, UnicodeDecodeError) as exc:
        return {}, [f"metadata.txt cannot be read by the uploader's ConfigParser: {exc}"]


def _metadata_problems(meta: dict[str, str], names: set[str], top: str) -> list[str]:
    problems = [
        f"required metadata missing or empty: {field}"
        for field in REQUIRED_FIELDS
        if not meta.get(field, "").strip()
    ]
    for field, placeholder in URL_FIELDS.items():
        url = meta.get(field, "").strip()
        if not url:
            continue
        parsed = urlparse(url)
        if url == placeholder or parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(f"{field} is not an absolute http(s) URL: {url!r}")
    if "/" in meta.get("author", ""):
        problems.append("author contains a slash")
    for flag in ("experimental", "deprecated", "server"):
        if flag in meta and meta[flag].strip().lower() not in BOOLEAN_VALUES:
            problems.append(f"{flag} is not a boolean: {meta[flag]!r}")
    icon = meta.get("icon", "").strip()
    if not icon:
        problems.append("no icon in metadata.txt")
    elif f"{top}/{icon.removeprefix('./')}" not in names:
        problems.append(f"icon {icon!r} is not in the zip")
    version = meta.get("version", "").strip()
    if version and not VERSION.match(version):
        problems.append(f"version is not dotted numbers: {version!r}")
    if version and not re.search(rf"(^|\s){re.escape(version)}(\s|:|$)", meta.get("changelog", "")):
        problems.append(f"changelog has no entry for version {version}")
    if VERSION.match(version) and int(version.split(".")[0]) < 1:
        if meta.get("experimental", "").strip().lower() not in ("true", "1", "yes"):
            problems.append(f"version {version} is below 1.0: experimental must be True")
    return problems


def check_zip(path: Path) -> list[str]:
    """Every problem found in the plugin zip at ``path`` (empty when it would upload)."""
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        return [f"{path.name} is {path.stat().st_size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}"]
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"cannot open {path}: {exc}"]
    with archive:
        names = archive.namelist()
        problems = _entry_problems(names)
        bad = archive.testzip()
        if bad:
            problems.append(f"bad zip entry (CRC): {bad}")
        if not names:
            return [*problems, "the zip is empty"]
        tops = sorted({name.split("/")[0] for name in names})
        if len(tops) != 1 or "/" not in names[0]:
            return [*problems, f"the zip must hold exactly one top-level folder, not {tops}"]
        top = tops[0]
        if not PACKAGE_NAME.match(top):
            problems.append(f"top-level folder name {top!r} is not [A-Za-z][A-Za-z0-9_-]+")
        name_set = set(names)
        for required in ("__init__.py", "metadata.txt", "LICENSE"):
            if f"{top}/{required}" not in name_set:
                problems.append(f"{top}/{required} is missing")
        if f"{top}/metadata.txt" in name_set:
            meta, read_problems = _read_metadata(archive.read(f"{top}/metadata.txt"))
            problems += read_problems
            if meta:
                problems += _metadata_problems(meta, name_set, top)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path)
    args = parser.parse_args(argv)
    problems = check_zip(args.zip)
    if problems:
        print(f"{args.zip}: the plugin repository would refuse this package:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{args.zip}: passes the plugin repository's upload checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
