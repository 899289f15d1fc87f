"""The package layout's rules, checked statically (the source is parsed, nothing is imported).

Why a test: the rules are what keeps crime_mapper easy to change, and a reviewer misses an
import added deep inside a function. The rules:

- ``crime_mapper/core`` is QGIS-free: it never imports qgis, PyQt, osgeo or Processing, and
  nothing outside the core (so the command line and worker threads can use all of it).
- ``crime_mapper/ui`` never imports ``crime_mapper.processing``: panels and algorithms both
  call the same core / qgis_bridge functions, never each other.
- No package imports another package's private (``_name``) helper, nor reaches into it as
  ``module._name``: what another package needs is public and documented.
- Qt only through ``qgis.PyQt`` (never PyQt5/PyQt6 directly), so the plugin runs on Qt5 and Qt6.
- Deprecated QGIS enum spellings only in ``crime_mapper/compat.py``.
- Every module opens with a docstring (what it holds and why).
- No re-exports (an import kept only for others, marked ``noqa: F401``): callers import a
  name from the module that holds it, so moving it breaks loudly instead of leaving a
  second path to the same name.
- The README's layout table matches the tree: every package folder has its row, every module
  of a folder is named in that row, and every path the table names exists.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crime_mapper"

CORE_FORBIDDEN = ("qgis", "PyQt5", "PyQt6", "PyQt", "sip", "osgeo", "processing")

#: Deprecated enum spellings with a scoped replacement in compat.py.
DEPRECATED_ENUMS = re.compile(
    r"QgsWkbTypes\.GeometryType\.|QgsUnitTypes\.(DistanceUnit|RenderUnit)\.|"
    r"QgsColorRampShader\.(Type|ClassificationMode)\.|QgsRasterBandStats\.Stats\.|"
    r"QgsProcessing\.SourceType\.|QgsProcessingParameterNumber\.Type\.|"
    r"QgsProcessingParameterFile\.Behavior\."
)


@dataclass(frozen=True)
class Import:
    module: str  # the absolute module imported from (relative imports resolved)
    names: tuple[str, ...]  # names imported from it ("" for a plain `import x`)
    line: int


def module_name(path: Path) -> str:
    parts = relative(path.with_suffix("")).split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imports(path: Path, tree: ast.AST) -> list[Import]:
    """Every import in the module, at any depth (functions, TYPE_CHECKING blocks)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, ("",), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_of(path).split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append(Import(module, tuple(a.name for a in node.names), node.lineno))
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def relative(path: Path) -> str:
    """crime_mapper/... for messages, wherever the package lies."""
    parts = path.parts
    start = len(parts) - 1 - parts[::-1].index("crime_mapper")
    return "/".join(parts[start:])


def test_the_package_is_where_the_test_looks():
    assert (PACKAGE / "core" / "__init__.py").is_file()
    assert len(sources()) > 50


def core_import_problems(package: Path) -> list[str]:
    problems = []
    for path in (package / "core").rglob("*.py"):
        for imp in imports(path, parsed(path)):
            top = imp.module.split(".")[0]
            if top in CORE_FORBIDDEN:
                problems.append(f"{relative(path)}:{imp.line} imports {imp.module}")
            elif top == "crime_mapper" and not imp.module.startswith("crime_mapper.core"):
                # the package __init__ (version, resource paths) imports no QGIS at module level
                if imp.module == "crime_mapper" and not {"plugin", "classFactory"} & set(imp.names):
                    continue
                problems.append(f"{relative(path)}:{imp.line} imports {imp.module} (not core)")
    return problems


def test_core_imports_no_qgis_qt_gdal_or_outside_code():
    assert core_import_problems(PACKAGE) == []


def test_ui_never_imports_processing():
    problems = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        for imp in imports(path, parsed(path)):
            via_package = imp.module == "crime_mapper" and "processing" in imp.names
            if imp.module.startswith("crime_mapper.processing") or via_package:
                problems.append(f"{relative(path)}:{imp.line} imports {imp.module}")
            if imp.module == "processing" or imp.module.startswith("processing."):
                problems.append(f"{relative(path)}:{imp.line} imports QGIS's {imp.module}")
    assert problems == []


def package_of_module(module: str, package: Path) -> str:
    """The package a dotted crime_mapper module lives in (a package is its own)."""
    folder = package.parent.joinpath(*module.split("."))
    return module if (folder / "__init__.py").is_file() else module.rsplit(".", 1)[0]


def private_name_problems(package: Path) -> list[str]:
    """Private names one package takes from another: ``from ..x.y import _name``, or
    ``y._name`` on a module imported from another package. Within a package, modules may
    share private helpers."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        tree = parsed(path)
        here = package_of(path)
        modules: dict[str, str] = {}  # local name -> dotted crime_mapper module it names
        for imp in imports(path, tree):
            if not imp.module.startswith("crime_mapper"):
                continue
            for name in imp.names:
                if is_private(name) and package_of_module(imp.module, package) != here:
                    problems.append(f"{relative(path)}:{imp.line} imports {imp.module}.{name}")
                candidate = f"{imp.module}.{name}"
                if (
                    name
                    and package.parent.joinpath(*candidate.split(".")).with_suffix(".py").is_file()
                ):
                    modules[name] = candidate
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and is_private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and package_of_module(modules[node.value.id], package) != here
            ):
                problems.append(
                    f"{relative(path)}:{node.lineno} reaches into {node.value.id}.{node.attr}"
                )
    return problems


def test_no_private_names_imported_or_reached_into_across_packages():
    assert private_name_problems(package=PACKAGE) == []


def test_qt_only_through_qgis_pyqt():
    problems = []
    for path in sources():
        for imp in imports(path, parsed(path)):
            if imp.module.split(".")[0] in ("PyQt5", "PyQt6", "sip"):
                problems.append(f"{relative(path)}:{imp.line} imports {imp.module}")
    assert problems == []


def test_deprecated_qgis_enums_only_in_compat():
    problems = []
    for path in sources():
        if path.name == "compat.py" and path.parent == PACKAGE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DEPRECATED_ENUMS.search(line):
                problems.append(f"{relative(path)}:{number}: {line.strip()}")
    assert problems == []


#: QVariant.Type field types: deprecated for QgsField from QGIS 3.38, gone under Qt6.
QVARIANT_FIELD_TYPES = re.compile(r"QVariant\.(String|Int|Double|LongLong|Bool|Date|DateTime)\b")


def test_field_types_only_through_compat_in_the_package_and_tests():
    """compat.FIELD_* (QMetaType.Type from 3.38, QVariant.Type before), never QVariant.X."""
    problems = []
    for path in [*sources(), *sorted(PACKAGE.parent.joinpath("tests").rglob("*.py"))]:
        if path == PACKAGE / "compat.py" or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if QVARIANT_FIELD_TYPES.search(line):
                problems.append(f"{path}:{number}: {line.strip()}")
    assert problems == []


UNUSED_IMPORT_NOQA = re.compile(r"#\s*noqa:[^#]*\bF401\b")


def reexport_problems(package: Path) -> list[str]:
    problems = []
    for path in sorted(package.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNUSED_IMPORT_NOQA.search(line):
                problems.append(f"{path.relative_to(package.parent)}:{number}: {line.strip()}")
    return problems


def test_no_re_exports():
    assert reexport_problems(PACKAGE) == []


README = PACKAGE.parent / "README.md"
TICKED = re.compile(r"`([^`]+)`")


def layout_rows(readme: Path) -> dict[str, str]:
    """The README's layout table: first cell (as written) -> the rest of the row."""
    text = readme.read_text(encoding="utf-8")
    table = text[text.index("## Layout\n") :].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = " | ".join(cells[1:])
    return rows


def layout_paths(cell: str, package: Path) -> list[Path]:
    """The paths a row's first cell names: from the repository root (``core/...`` from the
    package), a bare name beside the cell's first path (`crime_mapper/logger.py`, `compat.py`)."""
    root, base, paths = package.parent, None, []
    for name in TICKED.findall(cell):
        if name.startswith("core/"):
            path = package / name
        elif base is None or "/" in name.rstrip("/"):
            path = root / name
        else:
            path = base / name
        base = base or path.parent
        paths.append(path)
    return paths


def layout_problems(readme: Path, package: Path) -> list[str]:
    rows = layout_rows(readme)
    problems = []
    folders = {}
    for cell, rest in rows.items():
        paths = layout_paths(cell, package)
        if len(paths) == 1 and paths[0].is_dir():
            folders[paths[0]] = rest
        for path in paths:
            if not path.exists():
                problems.append(f"the layout table names {path.name}, which does not exist")
    packages = [p.parent for p in package.rglob("__init__.py") if p.parent != package]
    for folder in sorted(packages):
        if folder not in folders:
            problems.append(f"{folder.relative_to(package.parent)}/ has no row in the layout table")
            continue
        named = set(TICKED.findall(folders[folder]))
        for module in sorted(folder.glob("*.py")):
            if module.stem != "__init__" and module.stem not in named:
                problems.append(f"{module.relative_to(package.parent)} is not named in its row")
    return problems


def test_the_readme_layout_table_matches_the_tree():
    assert layout_problems(README, PACKAGE) == []


@pytest.mark.parametrize("path", sources(), ids=relative)
def test_every_module_opens_with_a_docstring(path: Path):
    docstring = ast.get_docstring(parsed(path))
    assert docstring and len(docstring.split()) >= 3, relative(path)


def test_the_rules_catch_what_they_are_for(tmp_path: Path):
    """The checks above, on planted violations: a rule that cannot fail is no rule."""
    package = tmp_path / "crime_mapper"
    (package / "core" / "io").mkdir(parents=True)
    (package / "core" / "io" / "gpkg_write.py").write_text('"""w"""\n', encoding="utf-8")
    (package / "core" / "bad.py").write_text(
        '"""planted"""\n'
        "def f():\n"
        "    from qgis.core import QgsProject\n"
        "    from ..plugin import CrimeMapperPlugin\n"
        "    from .io import gpkg_write\n"
        "    from .io.gpkg_write import _secret\n"
        "    from .bad import _fine_within_a_package\n"
        "    return gpkg_write._quote\n",
        encoding="utf-8",
    )
    core = core_import_problems(package)
    assert any("qgis.core" in p for p in core) and any("crime_mapper.plugin" in p for p in core)
    private = private_name_problems(package)
    assert any("_secret" in p for p in private)
    assert any("gpkg_write._quote" in p for p in private)
    assert not any("_fine_within_a_package" in p for p in private)
    (package / "shim.py").write_text(
        '"""planted"""\nfrom .core.io.gpkg_write import w  # noqa: F401 - re-exported\n',
        encoding="utf-8",
    )
    assert [p.split(":")[0] for p in reexport_problems(package)] == ["crime_mapper/shim.py"]
    for folder in (package / "core", package / "core" / "io"):
        (folder / "__init__.py").write_text('"""planted"""\n', encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "## Layout\n\n| path | what |\n|---|---|\n"
        "| `crime_mapper/core/` | the core |\n| `core/io/` | `gpkg_read` |\n"
        "| `crime_mapper/gone.py` | a module that is not there |\n\n",
        encoding="utf-8",
    )
    table = layout_problems(readme, package)
    assert "crime_mapper/core/io/gpkg_write.py is not named in its row" in table
    assert any("gone.py" in p for p in table)
