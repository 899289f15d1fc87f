"""Read and write the small TOML subset a release configuration uses, on Python 3.9 too.

Why not only ``tomllib``: it arrived in Python 3.11, and QGIS 3.22 on Windows runs Python 3.9,
where neither tomllib nor tomli may be installed. :func:`loads` uses tomllib (or tomli) when
present and otherwise this reader, which accepts the subset :func:`dumps` writes and the
commented example uses: ``[table]`` and ``[table.sub]`` headers, ``key = value`` with basic
("...") or literal ('...') strings, integers, floats, booleans and arrays of those (on one
or several lines, trailing comma allowed), and ``#`` comments. Anything else is an error with
its line number, never a silently different value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["TomlError", "dumps", "loads", "loads_lite"]


class TomlError(ValueError):
    """The text is not TOML this reader accepts."""


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
# TOML's numbers exactly: no leading zeros, an underscore only between two digits. Python's
# int() and float() are laxer ("07", "1__0", "_1"), and TOML readers refuse those texts, so
# accepting them here would give a configuration a value tomllib never would.
_DIGITS = r"[0-9](?:_?[0-9])*"
_DEC_INT = r"[+-]?(?:0|[1-9](?:_?[0-9])*)"
_INTEGER = re.compile(_DEC_INT)
_FLOAT = re.compile(rf"{_DEC_INT}(?:\.{_DIGITS}(?:[eE][+-]?{_DIGITS})?|[eE][+-]?{_DIGITS})")
# Characters TOML allows in no comment or string: control characters but the tab, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_WORD = re.compile(r"[^\s,\]#]+")


def loads(text: str) -> dict[str, Any]:
    """Parse TOML with tomllib/tomli when available, else with :func:`loads_lite`."""
    try:
        import tomllib as toml  # Python 3.11+
    except ImportError:
        try:
            import tomli as toml  # type: ignore[no-redef,unused-ignore]
        except ImportError:
            return loads_lite(text)
    try:
        return toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from exc


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def error(self, what: str) -> TomlError:
        return TomlError(f"line {self.line()}: {what}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (when ``newlines``) line breaks."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and self.at_line_break()):
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                if end > self.pos and self.text[end - 1] == "\r" and end < len(self.text):
                    end -= 1  # (a comment's CRLF line break)
                bad = _CONTROL.search(self.text, self.pos, end)
                if bad:
                    self.pos = bad.start()
                    raise self.error(f"control character {bad.group(0)!r} in a comment")
                self.pos = end
            else:
                return

    def at_line_break(self) -> bool:
        """Whether a line break starts here: LF, or CR only as the first half of CRLF (TOML
        has no bare-CR line ends; reading one as a break would split a line tomllib keeps)."""
        char = self.peek()
        return char == "\n" or (char == "\r" and self.text.startswith("\r\n", self.pos))

    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip_blank(False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if not match:
                    raise self.error("expected a key")
                parts.append(match.group(0))
                self.pos = match.end()
            self.skip_blank(False)
            if self.peek() != ".":
                return parts
            self.pos += 1

    def string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            raise self.error("multi-line strings are not supported here")
        self.pos += 1
        out: list[str] = []
        while True:
            char = self.peek()
            if not char or char == "\n":
                raise self.error("unterminated string")
            self.pos += 1
            if char == quote:
                return "".join(out)
            if char == "\\" and quote == '"':
                code = self.peek()
                self.pos += 1
                if code in _ESCAPES:
                    out.append(_ESCAPES[code])
                elif code in ("u", "U"):
                    size = 4 if code == "u" else 8
                    digits = self.text[self.pos : self.pos + size]
                    if not re.fullmatch("[0-9A-Fa-f]{" + str(size) + "}", digits):
                        raise self.error("bad unicode escape")
                    scalar = int(digits, 16)
                    if scalar > 0x10FFFF or 0xD800 <= scalar <= 0xDFFF:
                        raise self.error(f"\\{code}{digits} is not a Unicode scalar value")
                    out.append(chr(scalar))
                    self.pos += size
                else:
                    raise self.error(f"bad escape \\{code}")
            elif _CONTROL.match(char):
                raise self.error("control character in a string")
            else:
                out.append(char)

    def value(self) -> Any:
        self.skip_blank(False)
        char = self.peek()
        if char in ('"', "'"):
            return self.string()
        if char == "[":
            return self.array()
        match = _WORD.match(self.text, self.pos)
        if not match:
            raise self.error("expected a value")
        word = match.group(0)
        self.pos = match.end()
        if word in ("true", "false"):
            return word == "true"
        if _INTEGER.fullmatch(word):
            return int(word.replace("_", ""))
        if _FLOAT.fullmatch(word):
            result = float(word.replace("_", ""))
            if math.isfinite(result):
                return result
        raise self.error(f"unsupported value {word!r}")

    def array(self) -> list[Any]:
        self.pos += 1  # [
        items: list[Any] = []
        while True:
            self.skip_blank(True)
            if self.peek() == "]":
                self.pos += 1
                return items
            items.append(self.value())
            self.skip_blank(True)
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise self.error("expected ',' or ']' in an array")

    def end_of_line(self) -> None:
        self.skip_blank(False)
        if self.peek() and not self.at_line_break():
            raise self.error("unexpected text after the value")


def _table(root: dict[str, Any], path: list[str], reader: _Reader) -> dict[str, Any]:
    table = root
    for part in path:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise reader.error(f"{'.'.join(path)} is a value, not a table")
    return table


def loads_lite(text: str) -> dict[str, Any]:
    """Parse the subset described in the module docstring."""
    root: dict[str, Any] = {}
    current = root
    seen_tables: set[tuple[str, ...]] = set()
    reader = _Reader(text)
    while True:
        reader.skip_blank(True)
        if not reader.peek():
            return root
        if reader.peek() == "[":
            if reader.text.startswith("[[", reader.pos):
                raise reader.error("arrays of tables are not supported here")
            reader.pos += 1
            path = reader.key()
            if reader.peek() != "]":
                raise reader.error("expected ']' after a table name")
            reader.pos += 1
            if tuple(path) in seen_tables:
                raise reader.error(f"table [{'.'.join(path)}] defined twice")
            seen_tables.add(tuple(path))
            current = _table(root, path, reader)
            reader.end_of_line()
            continue
        path = reader.key()
        if reader.peek() != "=":
            raise reader.error("expected '=' after a key")
        reader.pos += 1
        value = reader.value()
        target = _table(current, path[:-1], reader)
        if path[-1] in target:
            raise reader.error(f"key {'.'.join(path)} defined twice")
        target[path[-1]] = value
        reader.end_of_line()


def _dump_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TomlError(f"cannot write {value!r}")
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string but for DEL (U+007F), which JSON leaves as it
        # is and TOML allows only escaped: a force name or path holding one was written to a
        # configuration that neither tomllib nor loads_lite would read back.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + "".join(f"    {_dump_value(v)},\n" for v in value) + "]"
    raise TomlError(f"cannot write a {type(value).__name__} as TOML")


def dumps(data: dict[str, Any], comments: dict[str, str] | None = None) -> str:
    """TOML for a dict of scalars, arrays and (nested) tables; ``comments`` maps a table name
    ("hotspots", "publish.web_map") to a comment written above it."""
    comments = comments or {}
    lines: list[str] = []

    def emit(table: dict[str, Any], prefix: str) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
        subtables = {k: v for k, v in table.items() if isinstance(v, dict)}
        if prefix:
            if lines:
                lines.append("")
            if prefix in comments:
                lines.extend(f"# {line}".rstrip() for line in comments[prefix].splitlines())
            lines.append(f"[{prefix}]")
        for key, value in scalars.items():
            name = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
            lines.append(f"{name} = {_dump_value(value)}")
        for key, value in subtables.items():
            name = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
            emit(value, f"{prefix}.{name}" if prefix else name)

    emit(data, "")
    return "\n".join(lines) + "\n"
