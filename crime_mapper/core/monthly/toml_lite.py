"""Read and write the small TOML subset a release configuration uses, on Python 3.9 too.

Why not only ``tomllib``: it arrived in Python 3.11, and QGIS 3.22 on Windows runs Python 3.9,
where neither tomllib nor tomli may be installed. :func:`loads` uses tomllib (or tomli) when
present and otherwise this reader, which accepts the subset :func:`dumps` writes and the
commented example uses: ``[table]`` and ``[table.sub]`` headers, ``key = value`` (dotted
keys too) with basic ("...") or literal ('...') strings, integers (decimal, hexadecimal,
octal, binary), floats (``inf`` and ``nan`` too), booleans and arrays of those (on one or
several lines, trailing comma allowed), and ``#`` comments. On that subset it gives what
tomllib gives, or refuses what tomllib refuses (``tests/test_toml_lite_fuzz.py`` compares
the two on random documents). Anything else (inline tables, arrays of tables, dates,
multi-line strings) is an error with its line number, never a silently different value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Optional

from ..common.json_file import NUMBER_TOO_LONG, WrittenFloat, WrittenInt
from ..common.text_file import shown_value

__all__ = ["TomlError", "dumps", "loads", "loads_lite"]


class TomlError(ValueError):
    """The text is not TOML this reader accepts."""


#: The refusal of arrays nested past Python's recursion limit (it said "maximum recursion
#: depth exceeded", which tells an analyst nothing of the file).
NESTED_TOO_DEEPLY = "arrays nested too deeply to read"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}
# TOML's numbers exactly: no leading zeros, an underscore only between two digits. Python's
# int() and float() are laxer ("07", "1__0", "_1"), and TOML readers refuse those texts, so
# accepting them here would give a configuration a value tomllib never would.
_DIGITS = r"[0-9](?:_?[0-9])*"
_DEC_INT = r"[+-]?(?:0|[1-9](?:_?[0-9])*)"
_INTEGER = re.compile(_DEC_INT)
_FLOAT = re.compile(rf"{_DEC_INT}(?:\.{_DIGITS}(?:[eE][+-]?{_DIGITS})?|[eE][+-]?{_DIGITS})")
# Hexadecimal, octal and binary integers as TOML writes them: a lower-case prefix, no sign,
# an underscore only between two digits (``0x1F``, ``0o17``, ``0b1_01``). Python's int()
# with base 0 also takes ``0X1F``, ``-0x1`` and ``0x_1``, which TOML refuses; refusing
# every one of them (as this reader did) refused a value tomllib gives.
_BASED_INT = re.compile(r"0(?:x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|o[0-7](?:_?[0-7])*|b[01](?:_?[01])*)")
_BASES = {"x": 16, "o": 8, "b": 2}
# TOML's infinities and NaNs, exactly these spellings (never "Infinity", "NaN" or "INF")
_SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf|nan)")
# Characters TOML allows in no comment or string: control characters but the tab, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_WORD = re.compile(r"[^\s,\]#]+")

#: The most dotted parts a key or a table's name may have (``a.b.c`` has 3; a release
#: configuration's deepest, ``publish.web_map``'s keys, have 3). Why a limit: tomllib and
#: this reader both take time growing with the square of a name's parts, so a 40 KB file of
#: one key ``a.a.a...`` (20,000 parts) took 28 s to read, and one of 1 MB would take hours;
#: a deeper name was then compared value by value past Python's recursion limit, whose
#: RecursionError escaped :func:`loads`.
MAX_KEY_PARTS = 32
# A key or table name of more parts than MAX_KEY_PARTS where one can start: at a line's
# start, after "[" (a header) or "{" or "," (an inline table). Each part is a bare or a
# quoted key, as TOML writes them; one pass, bounded work at each place a name starts. A
# match inside a string or a comment is no name (_refuse_deep_keys passes over those).
_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DEEP_KEY = re.compile(
    rf"(?:^|[\[{{,])[ \t]*(?:{_PART}[ \t]*\.[ \t]*){{{MAX_KEY_PARTS}}}{_PART}", re.MULTILINE
)
# A string or a comment, as TOML reads one from its first character: where _DEEP_KEY finds a
# "name" inside one (a description's ", a.b.c..." or a line of a multi-line string), no name
# starts. Exact on valid TOML: outside strings and comments a quote or "#" always starts one,
# and no value there (a number, a date) has more than two dotted parts.
# One left open runs to the end of its line (a one-line string) or of the text; every
# alternative matches whatever follows its first character, so nothing is tried twice.
_STRING_OR_COMMENT = re.compile(
    r'"""(?:[^"\\]+|\\[\s\S]?|"{1,2}(?!"))*(?:"{3,5}|\Z)'  # multi-line basic
    r"|'''(?:[^']+|'{1,2}(?!'))*(?:'{3,5}|\Z)"  # multi-line literal
    r'|"(?:[^"\\\n]+|\\.)*"?'  # basic
    r"|'[^'\n]*'?"  # literal
    r"|#[^\n]*"  # comment
)
# Strings and comments with the text between them, up to 256 of them: the walk to the one a
# "name" found is in takes 256 at a step (one at a step, 5 million comments took twice as
# long). A search ending at the name's start cuts the last one short: that one is read again.
_STRINGS_AND_COMMENTS = re.compile(rf"""(?:(?:{_STRING_OR_COMMENT.pattern})[^"'#]*){{1,256}}""")


def _too_many_parts(line: int) -> TomlError:
    return TomlError(
        f"line {line}: a key or table name of more than {MAX_KEY_PARTS} dotted parts "
        "(a release configuration's have at most 3: is it the right file?)"
    )


def _refuse_deep_keys(text: str) -> None:
    """TomlError naming the line of the first key or table name of more than MAX_KEY_PARTS
    dotted parts, before a reader spends time growing with their square on it. Only a
    place outside strings and comments counts: a description holding ", a.b.c..." of 33
    words, or a multi-line string's line of them, refused a valid configuration. Linear:
    the text is searched once, and strings and comments are passed over once each, only
    up to where a deep name is found (a valid configuration's few dots: not at all)."""
    if text.count(".") < MAX_KEY_PARTS:  # (a configuration's few dots: no search needed)
        return
    pos = 0  # (outside every string and comment)
    while True:
        deep = _DEEP_KEY.search(text, pos)
        if deep is None:
            return
        inside = _end_of_string_or_comment_around(text, pos, deep.start())
        if inside is None:
            raise _too_many_parts(text.count("\n", 0, deep.start()) + 1)
        pos = inside


def _end_of_string_or_comment_around(text: str, pos: int, at: int) -> Optional[int]:
    """Where the string or comment holding ``at`` (after its first character) ends, or None
    when ``at`` is in none; ``pos``, before ``at``, is in none. A name may start at a
    string's first character (a quoted key: ``"a".b``), never after it."""
    while True:  # (to the strings and comments before ``at``, 256 at a step)
        run = _STRINGS_AND_COMMENTS.search(text, pos, at)  # (the last one cut at ``at``)
        if run is None:
            return None
        if run.end() == at:
            break
        pos = run.end()  # (where a string or comment starts)
    pos = run.start()  # (then one at a step, read whole: where does the last one end?)
    while True:
        found = _STRING_OR_COMMENT.search(text, pos)
        if found is None or found.start() >= at:
            return None
        if found.end() > at:
            return found.end()
        pos = found.end()


def loads(text: str) -> dict[str, Any]:
    """Parse TOML with tomllib/tomli when available, else with :func:`loads_lite`. Floats
    and integers keep their text (WrittenFloat, WrittenInt), which a setting's refusal
    shows (core.monthly.config). A key or table name of more than MAX_KEY_PARTS dotted
    parts is refused before either reader sees it."""
    _refuse_deep_keys(text)
    try:
        import tomllib as toml  # Python 3.11+
    except ImportError:
        try:
            import tomli as toml  # type: ignore[no-redef,unused-ignore]
        except ImportError:
            try:
                return loads_lite(text, parse_float=WrittenFloat, parse_int=WrittenInt)
            except RecursionError:
                raise TomlError(NESTED_TOO_DEEPLY) from None
    try:
        read = toml.loads(text, parse_float=WrittenFloat)
    except toml.TOMLDecodeError as exc:
        raise TomlError(str(exc)) from exc
    except ValueError:  # (the one other: an integer past Python's int conversion limit)
        # Why: tomllib let Python's own message out ("Exceeds the limit (4300 digits) for
        # integer string conversion ... use sys.set_int_max_str_digits()"), naming no line.
        try:
            loads_lite(text)
        except TomlError as lite:
            if NUMBER_TOO_LONG in str(lite):
                raise lite from None  # (its line)
        except (ValueError, RecursionError):
            pass
        raise TomlError(NUMBER_TOO_LONG) from None
    except RecursionError:  # (arrays inside arrays past Python's recursion limit)
        raise TomlError(NESTED_TOO_DEEPLY) from None
    return _with_integer_texts(text, read)


def _with_integer_texts(text: str, read: dict[str, Any]) -> dict[str, Any]:
    """tomllib's ``read`` of ``text`` with its integers' texts kept, as the lite reader
    reads them, when that reader gives the very same value; else ``read`` as it is (a text
    the lite reader refuses: an inline table, a date; or a NaN, which equals nothing).
    Why: tomllib has no hook for integers, and ``-0`` was refused as "not 0"."""
    try:
        kept = loads_lite(text, parse_float=WrittenFloat, parse_int=WrittenInt)
        same = kept == read
    except (TomlError, ValueError, RecursionError):  # (the compare: nesting too deep to walk)
        return read
    return kept if same else read


def _plain_int(_text: str, value: int) -> int:
    return value


class _Reader:
    def __init__(
        self,
        text: str,
        parse_float: Callable[[str], Any] = float,
        parse_int: Callable[[str, int], Any] = _plain_int,
    ) -> None:
        self.text = text
        self.pos = 0
        self.parse_float = parse_float
        self.parse_int = parse_int

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
            if len(parts) == MAX_KEY_PARTS:
                raise _too_many_parts(self.line())
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
        try:
            if _INTEGER.fullmatch(word):
                return self.parse_int(word, int(word.replace("_", "")))
            if _BASED_INT.fullmatch(word):
                return self.parse_int(word, int(word[2:].replace("_", ""), _BASES[word[1]]))
        except ValueError:  # (past Python's int conversion limit)
            raise self.error(NUMBER_TOO_LONG) from None
        if _FLOAT.fullmatch(word) or _SPECIAL_FLOAT.fullmatch(word):
            # (1e400 is inf and 1e-400 is 0.0, as tomllib reads them; a configuration's
            # own checks refuse a distance or size that is not finite, naming its key)
            return self.parse_float(word)
        raise self.error(f"unsupported value {shown_value(word)}")

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


class _Defined:
    """Which tables a document has defined, and how, by TOML's rules as tomllib applies
    them (its ``Flags``): a table is defined once, by a ``[header]`` or by the dotted keys
    of one section (``a.b = 1`` defines table ``a``), never both, and a header or dotted key
    never adds to an array. Without these, ``a.b = 1`` then ``[a]`` read as one table ``a``
    where tomllib refuses the redefinition.
    """

    def __init__(self) -> None:
        # tables no header may declare again and no dotted key may add to: those declared
        # by a header, and those the dotted keys of an earlier section defined
        self.closed: set[tuple[str, ...]] = set()
        self.dotted: set[tuple[str, ...]] = set()  # defined by this section's dotted keys
        self.arrays: set[tuple[str, ...]] = set()  # values nothing may be nested under

    def under_array(self, path: tuple[str, ...]) -> bool:
        return any(path[:i] in self.arrays for i in range(1, len(path) + 1))

    def header(self, path: tuple[str, ...], reader: _Reader) -> None:
        """A ``[path]`` header: the section before it ends (its dotted tables close)."""
        self.closed |= self.dotted
        self.dotted.clear()
        if path in self.closed or self.under_array(path):
            raise reader.error(f"table [{'.'.join(path)}] defined twice")
        self.closed.add(path)

    def key(self, section: tuple[str, ...], key: list[str], value: Any, reader: _Reader) -> None:
        """``key = value`` in the table ``section``: the tables its dots walk through are
        this section's (those another section defined cannot be added to)."""
        for i in range(1, len(key)):
            table = section + tuple(key[:i])
            if table in self.closed:
                raise reader.error(
                    f"key {'.'.join(key)} adds to table [{'.'.join(table)}], defined elsewhere"
                )
            self.dotted.add(table)
        if self.under_array(section + tuple(key[:-1])):
            raise reader.error(f"key {'.'.join(key)} is inside an array")
        if isinstance(value, list):
            self.arrays.add(section + tuple(key))


def loads_lite(
    text: str,
    parse_float: Callable[[str], Any] = float,
    parse_int: Callable[[str, int], Any] = _plain_int,
) -> dict[str, Any]:
    """Parse the subset described in the module docstring; ``parse_float`` makes a float
    of its text, as tomllib's does (which gets its "_" separators too), and ``parse_int``
    an integer of its text and its value (tomllib has no such hook: :func:`loads`)."""
    root: dict[str, Any] = {}
    current = root
    section: tuple[str, ...] = ()
    defined = _Defined()
    reader = _Reader(text, parse_float, parse_int)
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
            section = tuple(path)
            defined.header(section, reader)
            current = _table(root, path, reader)
            reader.end_of_line()
            continue
        path = reader.key()
        if reader.peek() != "=":
            raise reader.error("expected '=' after a key")
        reader.pos += 1
        value = reader.value()
        defined.key(section, path, value, reader)
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
