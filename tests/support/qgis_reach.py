"""Which tests reach QGIS, so that `make test` runs only those on its second QGIS version.

Why: ``crime_mapper/core`` imports no QGIS (tests/test_layout.py proves it), so a test of the
core, the page templates or plain files gives the same result on QGIS 3.22 and on 3.40: the
same Python, pandas and numpy run it. Running those twice cost CI most of its time (the suite
is some 14,000 tests) and proved nothing new. A test *reaches QGIS* when:

- its module, or a ``tests.support`` module it imports (followed to the end), imports QGIS,
  Qt, GDAL, pytest-qt, the plugin's QGIS side (plugin, ui, processing, qgis_bridge, compat,
  logger) or the command line, whose ``release`` and ``load --gpkg`` use QGIS whenever it can
  be imported;
- its module, or such a support module, starts another process (``subprocess``,
  ``sys.executable``, ``qgis_process``): the child runs on the QGIS of the environment;
- it asks for a fixture that starts QGIS, Qt or Processing (pytest-qgis's, pytest-qt's, or
  one of ours whose body imports any of the above).

Anything in doubt counts as reaching QGIS: a wrong "no" would let a QGIS difference pass
unseen on one version, a wrong "yes" only costs minutes.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Callable, Optional, TypeVar

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

#: Imports that reach QGIS (a module named, or anything inside it).
QGIS_IMPORTS = (
    "qgis",
    "processing",
    "osgeo",
    "PyQt5",
    "PyQt6",
    "sip",
    "pytestqt",
    "pytest_qgis",
    "crime_mapper.plugin",
    "crime_mapper.ui",
    "crime_mapper.processing",
    "crime_mapper.qgis_bridge",
    "crime_mapper.compat",
    "crime_mapper.logger",
    "crime_mapper.cli",
)

#: Modules whose import means the source can start another program.
CHILD_MODULES = ("subprocess", "multiprocessing", "pty", "asyncio.subprocess")

#: Processing's command, spelt in two halves so that this module's own strings don't name it
QGIS_PROCESS = "qgis_" + "process"

#: ``os`` functions that start another program (fork alone copies this process and does not).
CHILD_OS_CALLS = re.compile(r"^(system|popen|exec\w*|spawn\w*|posix_spawn\w*)$")

#: The name a support module sets to True to say that its child processes cannot reach QGIS
#: (tests/support/plain_cli.py makes QGIS unimportable in the child and fails the child if any
#: QGIS module was loaded all the same). Its own imports are still followed.
CHILDREN_WITHOUT_QGIS = "CHILDREN_WITHOUT_QGIS"

#: pytest-qgis's own autouse fixtures: every test has them, and they do nothing to a test that
#: asks for no QGIS (qgis_show_map acts only under its marker).
AUTOUSE_FOR_ALL = frozenset({"qgis_app", "qgis_show_map"})

#: Plugins whose fixtures all reach QGIS or Qt.
QGIS_FIXTURE_PLUGINS = ("pytest_qgis", "pytestqt")


def _names_imported(tree: ast.AST, package: str) -> set[str]:
    """Every module name an ``import`` or ``from`` in ``tree`` names (with each imported name
    appended too, since ``from tests.support import leak_world`` imports a module)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                module = ".".join([*base, module] if module else base)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif _is_import_module_call(node):
            names.add(node.args[0].value)  # importlib.import_module("a.b")
    return names


def _is_import_module_call(node: ast.AST) -> bool:
    """``import_module("name")`` or ``importlib.import_module("name")``, by a constant name."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    first = node.args[0]
    return (
        called in ("import_module", "__import__")
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
    )


def _starts_another_program(tree: ast.AST, names: set[str]) -> bool:
    """Whether the code (not its docstrings or comments) can start another program: it
    imports ``subprocess`` and the like, calls ``os.system``/``exec*``/``spawn*``, names
    ``sys.executable``, or spells ``qgis_process`` in a string it uses."""
    if any(n == m or n.startswith(m + ".") for n in names for m in CHILD_MODULES):
        return True
    if any(n.startswith("os.") and CHILD_OS_CALLS.match(n[3:]) for n in names):
        return True
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "sys" and node.attr == "executable":
                return True
            if node.value.id == "os" and CHILD_OS_CALLS.match(node.attr):
                return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and QGIS_PROCESS in node.value
            and id(node) not in docstrings
        ):
            return True
    return False


def _says_children_without_qgis(tree: ast.AST) -> bool:
    """Whether the module sets ``CHILDREN_WITHOUT_QGIS = True`` at its top level."""
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == CHILDREN_WITHOUT_QGIS for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and node.value.value is True
        for node in getattr(tree, "body", ())
    )


def _is_qgis_import(name: str) -> bool:
    return any(name == q or name.startswith(q + ".") for q in QGIS_IMPORTS)


#: Folders of the repository's own helper modules, followed like tests.support: a test may
#: import ``bench.harness``, or a tool by its bare name once tools/ is on its path
#: (``import differential_load``). The plugin itself is not followed: its core imports no
#: QGIS and its children run the core only (tests/test_layout.py); its QGIS side is named in
#: QGIS_IMPORTS.
HELPER_FOLDERS = ("tests", "bench", "tools")


def _support_file(name: str) -> Optional[Path]:
    """The file of one of the repository's helper modules (tests.support.x, bench.x, tools'
    x), if ``name`` is one."""
    parts = name.split(".")
    if parts[0] in HELPER_FOLDERS:
        path = REPO.joinpath(*parts[:-1], parts[-1] + ".py") if len(parts) > 1 else None
    elif len(parts) == 1 and parts[0]:
        path = REPO / "tools" / (parts[0] + ".py")
    else:
        return None
    return path if path is not None and path.is_file() else None


def _own_reason(source: str, package: str) -> tuple[str, list[Path]]:
    """Why this source itself reaches QGIS ("" when it does not), and the support modules it
    imports (to be read in turn)."""
    tree = ast.parse(source)
    names = _names_imported(tree, package)
    support = sorted({path for path in map(_support_file, names) if path is not None})
    for name in sorted(names):
        if _is_qgis_import(name):
            return f"imports {name}", support
    if _starts_another_program(tree, names) and not _says_children_without_qgis(tree):
        return "starts another process", support
    return "", support


@cache
def _file_facts(path: Path) -> tuple[str, list[Path]]:
    return _own_reason(path.read_text(encoding="utf-8"), _package_of(path))


def _package_of(path: Path) -> str:
    """The package a repository file's relative imports start from (tests/support/x.py:
    tests.support)."""
    return ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])


def reason_in_source(source: str, package: str) -> str:
    """Why this source reaches QGIS ("" when it does not), itself or through any support
    module it imports, followed to the end (a cycle is read once)."""
    why, imported = _own_reason(source, package)
    if why:
        return why
    for path in _reached(imported, lambda path: _file_facts(path)[1]):
        why = _file_facts(path)[0]
        if why:
            return f"{path.relative_to(REPO).as_posix()} {why}"
    return ""


def _reached(start: Iterable[T], next_of: Callable[[T], Iterable[T]]) -> Iterator[T]:
    """Each node reached from ``start`` by following ``next_of``, once (a cycle is read once).
    The one walk of the imports of support modules and of the fixtures a test asks for."""
    pending = list(start)
    seen: set[T] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        pending.extend(next_of(node))


@cache
def module_reason(path: Path) -> str:
    """Why the test module at ``path`` reaches QGIS ("" when it does not)."""
    path = Path(path).resolve()
    return reason_in_source(path.read_text(encoding="utf-8"), _package_of(path))


@cache
def _fixture_body_reason(func: Callable) -> str:
    """Why a fixture reaches QGIS, from its plugin or the imports in its own body."""
    module = getattr(func, "__module__", "") or ""
    if module.split(".")[0] in QGIS_FIXTURE_PLUGINS:
        return f"is {module}'s"
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return "has no source to read"  # in doubt: counts as reaching QGIS
    package = module.rpartition(".")[0]
    return reason_in_source(source, package)


def _asked_fixtures(item) -> set[str]:
    """The fixtures a test asks for, itself or through the fixtures it asks for, to the end.

    Not ``item.fixturenames``: that holds every autouse fixture too, and pytest-qgis's
    autouse ``qgis_show_map`` asks for ``qgis_iface``, which would mark every test."""
    info = item._fixtureinfo
    asked = list(info.argnames)
    for mark in item.iter_markers("usefixtures"):
        asked.extend(mark.args)
    return set(
        _reached(
            asked,
            lambda name: [a for d in info.name2fixturedefs.get(name, ()) for a in d.argnames],
        )
    )


def fixture_reason(item) -> str:
    """Why any fixture the test asks for reaches QGIS ("" when none does): every definition
    pytest holds for a name is read, so a module's own ``world`` counts as well as conftest's.
    """
    defs = item._fixtureinfo.name2fixturedefs
    for name in sorted(_asked_fixtures(item) - AUTOUSE_FOR_ALL):
        for definition in defs.get(name, ()):
            why = _fixture_body_reason(definition.func)
            if why:
                return f"fixture {name} {why}"
    return ""


def item_reason(item) -> str:
    """Why this collected test reaches QGIS ("" when it does not)."""
    return module_reason(Path(str(item.path))) or fixture_reason(item)
