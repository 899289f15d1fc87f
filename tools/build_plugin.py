"""Assemble the installable QGIS plugin folder and, optionally, its zip.

Why a script and not `cp -r`: the repository keeps metadata.txt at the top level (one source
of truth) while QGIS wants it inside the plugin folder, and the folder must not carry tests,
caches or editor debris. The zip is written deterministically (sorted entries, fixed
timestamps and permissions) so that the same tree always gives a byte-identical package: the
product promises reproducible releases, and that starts with the plugin itself.

Usage:
    python3 tools/build_plugin.py --out build                 # -> build/crime_mapper/
    python3 tools/build_plugin.py --out build --zip dist/crime_mapper-0.3.0.zip

Translations: every crime_mapper/i18n/crime_mapper_<locale>.ts is compiled to a .qm inside the
plugin folder with Qt's lrelease (Debian: qttools5-dev-tools; $LRELEASE names another), which
the plugin loads for QGIS's locale. The .ts sources and the template (crime_mapper.ts) are not
shipped and no .qm is ever committed. Without lrelease the build says so and ships English only.

With --zip the package is then checked the way the QGIS plugin repository's uploader checks it
(tools/check_plugin_package.py); a package it would refuse makes the build fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "crime_mapper"
# Top-level files copied into the plugin folder when present.
TOP_LEVEL_FILES = ("metadata.txt", "LICENSE")
# Names never shipped, wherever they appear in the package tree.
EXCLUDED_DIRS = {"__pycache__", "tests", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", "~", ".qm")
# Translation sources: compiled to .qm in the plugin folder (compile_translations), not shipped.
TRANSLATION_SUFFIX = ".ts"
TEMPLATE_NAME = "crime_mapper.ts"  # tools/translation_template.py: nothing to compile
# 1980-01-01, the earliest time a zip entry can hold; SOURCE_DATE_EPOCH overrides.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _shipped_files(package_dir: Path) -> list[Path]:
    """Files of the package that belong in the plugin, relative to package_dir, sorted."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS)
        for name in sorted(filenames):
            if name.endswith(EXCLUDED_SUFFIXES + (TRANSLATION_SUFFIX,)) or name.startswith(".#"):
                continue
            files.append((Path(dirpath) / name).relative_to(package_dir))
    return files


def assemble(out_dir: Path, root: Path = ROOT) -> Path:
    """(Re)create out_dir/crime_mapper from the source tree; return the plugin folder."""
    metadata = root / "metadata.txt"
    if not metadata.is_file():
        raise SystemExit(f"build_plugin: {metadata} is missing")
    source = root / PACKAGE
    target = out_dir / PACKAGE
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for rel in _shipped_files(source):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, dest)
    for name in TOP_LEVEL_FILES:
        if (root / name).is_file():
            shutil.copyfile(root / name, target / name)
    compile_translations(source / "i18n", target / "i18n")
    return target


def lrelease() -> str | None:
    """Qt's translation compiler: $LRELEASE, else lrelease (or the Qt 5 name) on PATH."""
    named = os.environ.get("LRELEASE")
    if named:
        return named
    for name in ("lrelease", "lrelease-qt5", "/usr/lib/qt5/bin/lrelease"):
        found = shutil.which(name)
        if found:
            return found
    return None


def compile_translations(source_dir: Path, target_dir: Path) -> list[Path]:
    """Compile each translation (crime_mapper_<locale>.ts, not the template) into target_dir;
    return the .qm files written. A .ts lrelease refuses fails the build: a package must not
    ship half a translation silently."""
    sources = sorted(
        p
        for p in source_dir.glob(f"*{TRANSLATION_SUFFIX}")
        if p.name != TEMPLATE_NAME and p.name.startswith("crime_mapper_")
    )
    if not sources:
        return []
    tool = lrelease()
    if tool is None:
        print(
            "build_plugin: lrelease not found (Debian: apt install qttools5-dev-tools): "
            f"{len(sources)} translation(s) not compiled, the package is English only",
            file=sys.stderr,
        )
        return []
    written = []
    target_dir.mkdir(parents=True, exist_ok=True)
    for ts in sources:
        qm = target_dir / (ts.stem + ".qm")
        try:
            run = subprocess.run(
                [tool, "-silent", str(ts), "-qm", str(qm)], capture_output=True, text=True
            )
        except OSError as exc:  # $LRELEASE names something that cannot run
            raise SystemExit(f"build_plugin: cannot run lrelease {tool!r}: {exc}") from exc
        if run.returncode != 0 or not qm.is_file():
            raise SystemExit(f"build_plugin: lrelease failed on {ts}: {run.stderr or run.stdout}")
        written.append(qm)
    return written


def _zip_date() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    import time

    t = time.gmtime(max(int(epoch), 315532800))  # not before 1980
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def write_zip(plugin_dir: Path, zip_path: Path) -> Path:
    """Zip plugin_dir so that the archive root holds crime_mapper/ (what QGIS expects)."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_suffix(zip_path.suffix + ".tmp")
    date = _zip_date()
    entries: list[tuple[str, Path | None]] = []
    for dirpath, dirnames, filenames in os.walk(plugin_dir):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(plugin_dir.parent)
        entries.append((rel_dir.as_posix() + "/", None))
        for name in sorted(filenames):
            entries.append(((rel_dir / name).as_posix(), Path(dirpath) / name))
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in sorted(entries, key=lambda e: e[0]):
            info = zipfile.ZipInfo(arcname, date_time=date)
            if path is None:
                info.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    os.replace(tmp, zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build", help="folder that receives crime_mapper/")
    parser.add_argument("--zip", help="also write this installable zip")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not out.is_absolute():
        out = ROOT / out
    plugin_dir = assemble(out)
    print(f"plugin folder: {plugin_dir}")
    if args.zip:
        zip_path = Path(args.zip)
        if not zip_path.is_absolute():
            zip_path = ROOT / zip_path
        write_zip(plugin_dir, zip_path)
        print(f"plugin zip: {zip_path}")
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from check_plugin_package import main as check_package

        if check_package([str(zip_path)]) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
