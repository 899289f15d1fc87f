"""Read a JSON input file the one way: every way it can fail becomes the caller's error.

Why one place: the readers of profiles, rules, neighbourhood outlines, team information and
QA reports each caught a different subset of what ``json.loads`` on a user's file raises. A
file that is not UTF-8 (UnicodeDecodeError) or nested past Python's recursion limit
(RecursionError, which is not a ValueError) then escaped as a traceback instead of a
message naming the file. No QGIS, no pandas.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Union

PathLike = Union[str, "os.PathLike[str]"]
#: The caller's error class (or any callable making the exception to raise from a message).
ErrorMaker = Callable[[str], Exception]


def parse_json_text(text: str, error: ErrorMaker, where: str) -> Any:
    """``text`` parsed; ``error`` raised, naming ``where``, when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: not valid JSON ({exc})") from exc
    except RecursionError as exc:
        raise error(f"{where}: JSON nested too deeply to read") from exc


def read_json_file(path: PathLike, error: ErrorMaker, encoding: str = "utf-8-sig") -> Any:
    """The JSON value in the file at ``path`` (a UTF-8 byte order mark allowed by default);
    ``error`` raised, naming the file, when it cannot be read, is not UTF-8 or not JSON."""
    path = Path(path)
    try:
        text = path.read_text(encoding=encoding)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start:,} cannot be decoded)") from exc
    return parse_json_text(text, error, str(path))
