"""Write crime_mapper/i18n/crime_mapper.ts: the template translators start from.

Why our own extractor: Qt's pylupdate needs the PyQt development tools, which QGIS users and
CI rarely have, and it does not know QCoreApplication.translate calls made through our tr()
helpers. This reads every module under crime_mapper/ with Python's ast and collects the
string literals passed to ``tr(...)``, ``self.tr(...)``, ``tr_noop(...)`` (a text shown
later, e.g. a table of labels) and ``QCoreApplication.translate(context, ...)``; the context
is the class the call is in (QGIS's convention for Processing algorithms) or, for a module's
own ``tr`` helper, the context it passes. The output is a Qt Linguist .ts file, sorted and
without line numbers, so it changes only when a text does; `make translations` writes it.
Translators make crime_mapper_<locale>.ts from it and compile a .qm with lrelease; the plugin
loads crime_mapper/i18n/crime_mapper_<locale>.qm when QGIS runs in that locale.

Usage: python3 tools/translation_template.py [--check]
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crime_mapper"
TEMPLATE = PACKAGE / "i18n" / "crime_mapper.ts"


def _module_context(tree: ast.Module) -> str:
    """The context a module-level ``def tr`` passes to QCoreApplication.translate, else a
    module-level ``TR_CONTEXT = "..."`` (QGIS-free modules whose labels the dock shows, e.g.
    core vocabularies marked with ``tr_noop``: the dock translates them in that context)."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", "") for t in node.targets] == ["TR_CONTEXT"]
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "tr":
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "translate"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                ):
                    return str(call.args[0].value)
    return ""


def messages(path: Path) -> list[tuple[str, str, int]]:
    """(context, source text, line) of every translatable literal in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_context = _module_context(tree)
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, context: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                args = child.args
                if name == "translate" and len(args) >= 2:
                    # QCoreApplication.translate(context, text): two strings (bytes.translate
                    # (None, b"...") is not a message)
                    if all(
                        isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]
                    ):
                        found.append((str(args[0].value), str(args[1].value), child.lineno))
                elif name in ("tr", "tr_noop") and args and isinstance(args[0], ast.Constant):
                    if isinstance(args[0].value, str):
                        is_method = isinstance(func, ast.Attribute)
                        owner = context if is_method else (module_context or context)
                        found.append((owner, args[0].value, child.lineno))
            visit(child, context)

    visit(tree, "")
    return found


def template_text() -> str:
    by_context: dict[str, dict[str, list[str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for context, text, line in messages(path):
            if context and text.strip():
                by_context.setdefault(context, {}).setdefault(text, []).append(f"{relative}:{line}")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        '<TS version="2.1" language="en_GB">',
    ]
    for context in sorted(by_context):
        out.append("<context>")
        out.append(f"    <name>{escape(context)}</name>")
        for text in sorted(by_context[context]):
            out.append("    <message>")
            # files without line numbers: the template changes only when a text does
            for file in sorted({where.rsplit(":", 1)[0] for where in by_context[context][text]}):
                out.append(f'        <location filename="../../{escape(file)}"/>')
            out.append(f"        <source>{escape(text)}</source>")
            out.append('        <translation type="unfinished"></translation>')
            out.append("    </message>")
        out.append("</context>")
    out.append("</TS>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the template is stale")
    args = parser.parse_args(argv)
    text = template_text()
    if args.check:
        if not TEMPLATE.is_file() or TEMPLATE.read_text(encoding="utf-8") != text:
            print(f"{TEMPLATE} is out of date: run `make translations`", file=sys.stderr)
            return 1
        return 0
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(text, encoding="utf-8")
    print(f"translation template: {TEMPLATE} ({text.count('<message>')} messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
