"""Read a JSON input file the one way: every way it can fail becomes the caller's error.

Why one place: the readers of profiles, rules, neighbourhood outlines, team information and
QA reports each caught a different subset of what ``json.loads`` on a user's file raises. A
file that is not UTF-8 (UnicodeDecodeError) or nested past Python's recursion limit
(RecursionError, which is not a ValueError) then escaped as a traceback instead of a
message naming the file. No QGIS, no pandas.

Three things ``json.loads`` accepts are refused here too, because each lets a user's file
mean something other than what it says, or fail later where the message cannot name it:

- a key given twice in one object (``json.loads`` keeps the last silently: a rules file
  with a second ``"sensitive_action"`` would publish what the first withholds);
- an integer longer than Python's int conversion limit (a ValueError that is not a
  JSONDecodeError: it escaped as a traceback);
- a lone UTF-16 surrogate escape (``"\\ud800"``), which is no character: it reads, then
  fails as the first output is encoded as UTF-8, far from the file that held it;
- in a user's file (:func:`read_json_file`), ``NaN``, ``Infinity`` and ``-Infinity``, which
  are not JSON: a team's name read as the number ``nan`` was published as "nan".
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .text_file import read_text_file, shown_path

PathLike = Union[str, "os.PathLike[str]"]
#: The caller's error class (or any callable making the exception to raise from a message).
ErrorMaker = Callable[[str], Exception]


# a \\u escape of a UTF-16 surrogate: only then can a parsed string hold a lone one
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


#: The refusal of an integer past Python's int conversion limit, in JSON and in TOML alike.
NUMBER_TOO_LONG = "a number too long to read (more digits than Python converts)"


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members as a dict, refusing a key that comes twice."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _item in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


class _NotANumber(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotANumber(name)


class JsonNumber(str):
    """A JSON number kept as the text it is written as (``numbers_as_text``), for a reader
    whose numbers are texts to publish: as a float, ``1e999`` read as inf, ``1e-999`` as 0.0,
    ``1.50`` as 1.5 and a long number lost its digits ("1.2345678901234568e+29"), so the
    text published was not the one written."""


class WrittenFloat(float):
    """A float read from a settings file (the release configuration, TOML or JSON) with the
    text it is written as (``written``; TOML's "_" digit separators left out). Why: a
    setting's refusal showed the float its text became: ``1e-400`` as "0.0", ``1e400`` as
    "inf", a long number as "1.2345678901234568e+20" (core.release.release_limits.
    written_number reads ``written``). It is the float in every other way."""

    written: str

    def __new__(cls, text: Union[str, float]) -> WrittenFloat:
        self = super().__new__(cls, text)
        # (a float given: pickle's copy, its state then restores the text)
        self.written = text.replace("_", "") if isinstance(text, str) else repr(float(text))
        return self


class WrittenInt(int):
    """An integer read from a settings file (the release configuration, TOML or JSON) with
    the text it is written as (``written``; TOML's "_" digit separators left out), as
    WrittenFloat keeps a float's. Why: a setting of ``-0`` (or TOML's ``+0``, ``0x0``) was
    refused as "not 0", a value the analyst never wrote. It is the int in every other way
    (its str and repr are the int's, so a file written from it holds the plain number)."""

    written: str

    def __new__(cls, text: Union[str, int], value: Optional[int] = None) -> WrittenInt:
        """``text`` a decimal integer's text, or any integer's with its ``value`` (TOML's
        ``0x1F``); an int given (pickle's copy, its state then restores the text) is both."""
        written = text.replace("_", "") if isinstance(text, str) else str(int(text))
        self = super().__new__(cls, int(written) if value is None else value)
        self.written = written
        return self


def _integer_text(text: str) -> JsonNumber:
    """An integer as its JsonNumber, refused past Python's int conversion limit as
    ``json.loads`` refuses it (one rule for a number too long, however it is read)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
    if limit and len(text.lstrip("-")) > limit:
        raise ValueError(text[:20])
    return JsonNumber(text)


def strict_json(
    text: str,
    finite: bool = False,
    numbers_as_text: bool = False,
    floats_written: bool = False,
    ints_written: bool = False,
) -> Any:
    """``json.loads(text)``, refusing duplicate keys and lone surrogates (see the module),
    and with ``finite`` NaN, Infinity and -Infinity; with ``numbers_as_text`` every number
    is a JsonNumber, with ``floats_written`` every number with a point or an exponent a
    WrittenFloat, with ``ints_written`` every other a WrittenInt. Raises ValueError (a
    JSONDecodeError for broken JSON) or RecursionError."""
    options: dict[str, Any] = {"object_pairs_hook": _unique_keys}
    if floats_written:
        options["parse_float"] = WrittenFloat
    if ints_written:
        options["parse_int"] = WrittenInt
    if finite:
        options["parse_constant"] = _no_constant
    if numbers_as_text:
        options.update(parse_float=JsonNumber, parse_int=_integer_text)
    try:
        value = json.loads(text, **options)
    except _DuplicateKey as exc:
        raise ValueError(f"the key {exc.args[0]!r} is given twice in one object") from None
    except _NotANumber as exc:
        raise ValueError(f"{exc.args[0]} is not a JSON number") from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # (the one other: an integer past Python's conversion limit)
        raise ValueError(NUMBER_TOO_LONG) from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "a \\u escape of a lone UTF-16 surrogate, which is not a character"
            ) from None
    return value


def parse_json_text(
    text: str,
    error: ErrorMaker,
    where: str,
    finite: bool = False,
    numbers_as_text: bool = False,
    floats_written: bool = False,
    ints_written: bool = False,
) -> Any:
    """``text`` parsed (:func:`strict_json`, ``finite``, ``numbers_as_text``,
    ``floats_written`` and ``ints_written`` passed on); ``error`` raised, naming ``where``,
    when it is not JSON or is refused."""
    try:
        return strict_json(text, finite, numbers_as_text, floats_written, ints_written)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not valid JSON ({exc})") from exc
    except ValueError as exc:  # (an integer past the conversion limit, or refused above)
        raise error(f"{where}: not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise error(f"{where}: JSON nested too deeply to read") from exc


def read_json_file(
    path: PathLike,
    error: ErrorMaker,
    encoding: str = "utf-8-sig",
    finite: bool = True,
    numbers_as_text: bool = False,
    floats_written: bool = False,
    ints_written: bool = False,
) -> Any:
    """The JSON value in the file at ``path`` (a UTF-8 byte order mark allowed by default);
    ``error`` raised, naming the file, when it cannot be read, is not UTF-8 or not JSON
    (NaN, Infinity and -Infinity refused unless not ``finite``: a file this tool wrote
    itself may hold them). With ``numbers_as_text`` every number is the JsonNumber of its
    text, with ``floats_written`` every number with a point or an exponent a WrittenFloat
    and with ``ints_written`` every other a WrittenInt (a settings file's refusal shows it
    as written: ``-0``, not 0). A FIFO or a device is refused
    unopened (core.common.text_file)."""
    path = Path(path)
    try:
        text = read_text_file(path, encoding=encoding)
    except OSError as exc:
        raise error(f"{shown_path(path)}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise error(
            f"{shown_path(path)}: not UTF-8 text (byte {exc.start:,} cannot be decoded)"
        ) from exc
    return parse_json_text(
        text, error, shown_path(path), finite, numbers_as_text, floats_written, ints_written
    )
