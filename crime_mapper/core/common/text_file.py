"""Read a small text input (a configuration, a profile, rules) only when it is a file.

Why: ``Path.read_text`` opens whatever the path names. A FIFO (named pipe) blocks the open
until something writes to it, so ``release`` hung for ever and the dock froze; a character
device such as ``/dev/zero`` or ``/dev/urandom`` never ends, so the read grew until the
machine ran out of memory (a MemoryError traceback, after swapping everything else out).
Both are paths a user can type or a script can pass, so they are refused up front, before
the open, with an OSError the callers already turn into their message naming the file. A
folder is left to the open, whose own error ("Is a directory") the callers already report.

The same words say what is wrong with an input path before anything opens it
(:func:`path_problem`, for every Processing file and folder input; :func:`resolved_path`
where a path's links are followed, a loop of them refused in the same words), and
:func:`shown_path` shows such a path in a message. :func:`shown_text` shows a whole message
as it leaves for a terminal or a log (the command line's output, Processing's feedback and
errors, the dock's message bar and the message log each pass one such gate), and
:func:`shown_line` one line of a list. No QGIS, no pandas.
"""

from __future__ import annotations

import datetime
import errno
import os
import re
import reprlib
import stat
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "FORMAT_CHARACTERS",
    "MAX_FORCE_NAME",
    "NotAFile",
    "NOT_FOUND",
    "UnresolvablePath",
    "check_file",
    "force_name_problem",
    "invisible_text_problem",
    "made_folder",
    "name_length_problem",
    "not_found",
    "os_error_text",
    "output_problem",
    "page_line",
    "page_text",
    "path_problem",
    "read_bytes_file",
    "read_text_file",
    "resolved_path",
    "shown_line",
    "shown_path",
    "shown_text",
]


# Unicode's format characters (category Cf, Unicode 14: what unicodedata lists on Python 3.11),
# written out as (first, last) code points: listing them at import would cost a pass over
# every code point. FORMAT_CHARACTERS and the long texts' table are both made from these.
_FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)


def _code_point(value: int) -> str:
    return f"\\U{value:08x}"


FORMAT_CHARACTERS = re.compile(
    "["
    + "".join(
        _code_point(first) + ("" if last == first else "-" + _code_point(last))
        for first, last in _FORMAT_RANGES
    )
    + "]"
)

#: texts of this many characters or more are searched for a format character through a
#: table of every code point (numpy) instead of the regular expression, which reads such a
#: class one character at a time: 17 KB of a summaries page in 0.3 ms, against 0.04 ms
#: through the table (the national summaries' gate reads 7,200 pages: 0.54 s)
_TABLE_FROM = 1024


@lru_cache(maxsize=1)
def _format_table() -> Any:
    """A bool per code point: whether it is a format character (made on first use)."""
    import numpy as np

    table = np.zeros(0x110000, dtype=bool)
    for first, last in _FORMAT_RANGES:
        table[first : last + 1] = True
    return table


def holds_format_character(text: str) -> bool:
    """Whether ``text`` holds a character of FORMAT_CHARACTERS (``.search(text) is not
    None``); a long text looked up in a table of every code point."""
    if text.isascii():
        return False
    if len(text) < _TABLE_FROM:
        return FORMAT_CHARACTERS.search(text) is not None
    import numpy as np

    # (a lone surrogate, which no format character is, kept as its own code point)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return bool(_format_table()[codes].any())


def page_text(text: str) -> str:
    """``text`` as a public page shows it: without FORMAT_CHARACTERS (zero-width spaces, soft
    hyphens and every bidi control: U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069).

    Why: this is the text the leak gate reads as shown (core.gate.output_reader.shown_text),
    so a page shows nothing the gate did not check. A right-to-left override in a location
    ("On or near <RLO>daor hgih") showed "high road" on the web map and the summary pages,
    and reversed the rest of the line after it (the area's name, the count), while the gate
    read "daor hgih"."""
    return FORMAT_CHARACTERS.sub("", text) if holds_format_character(text) else text


def page_line(text: str) -> str:
    """``text`` as one line of a public page shows it, a label or a name: :func:`page_text`,
    then its white space folded to single spaces, as the leak gate folds every string it
    reads (core.gate.output_reader.normalise: ``str.split`` breaks at every Unicode line
    break, U+2028, U+2029, U+0085, U+000B and U+000C among them).

    Why: the web map folded its labels and the summary pages did not, so "On or near
    East<U+2028>Gates" showed on two lines of a summary page and on one on the map.
    Not folded in :func:`page_text`: the gate reads whole text bodies through it (their
    lines kept) and adds a shown form only where a format character was taken out."""
    return " ".join(page_text(text).split())


class NotAFile(OSError):
    """The path names a FIFO, a device or a socket: nothing a text input can be read from."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_file(path: PathLike) -> None:
    """NotAFile when ``path`` is a FIFO, a device or a socket (a folder is left to the
    open); the stat follows a link, so a link to a FIFO is a FIFO. Made as the open's own
    errors are (errno, words, file name), so a message naming only the error names the
    file too. A path holding a NUL is such an OSError too: the stat raised ValueError
    ("embedded null byte"), which no reader caught (a recent configuration or a Processing
    CONFIG holding one, a rules or team path a hand edit left one in)."""
    if "\x00" in os.fsdecode(path):
        raise OSError(errno.EINVAL, "a path cannot hold a NUL character", os.fsdecode(path))
    mode = os.stat(path).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise NotAFile(errno.EINVAL, f"{_kind(mode)}, not a file", str(path))


#: What :func:`path_problem` may be asked for: a file, a folder, or either (an extract, a
#: history: a .csv or .zip, or a folder of them).
WANTED = ("file", "folder", "either")

#: A path is shown at most this long, its middle cut: the start says where, the end which file.
SHOWN_PATH = 120


def shown_path(path: PathLike) -> str:
    """``path`` as a message shows it: control and invisible characters escaped (``\\x00``,
    ``\\n``, ``\\u202e``: a message must not hide or reorder what it names), and a path
    longer than SHOWN_PATH characters cut in the middle, with its length said.

    Why: a message that printed a pasted path as given broke its line at a newline, hid a
    NUL, and a 300-character name filled the toolbox's log with one path."""
    text = _escaped(os.fsdecode(path), " ")
    if len(text) <= SHOWN_PATH:
        return text
    half = (SHOWN_PATH - 3) // 2
    return f"{text[:half]}...{text[-half:]} ({len(text):,} characters)"


def _escaped(text: str, kept: str) -> str:
    """``text`` with every character that is neither printable nor in ``kept`` written as
    Python writes it in a string literal (``\\x1b``, ``\\r``, ``\\u202e``)."""
    if text.isprintable():
        return text  # (the common case, checked at C speed)
    return "".join(c if c.isprintable() or c in kept else ascii(c)[1:-1] for c in text)


#: A value a message quotes (a setting read from a user's file) is shown at most this long.
SHOWN_VALUE = 80

# (a list or a table shown by its first items, a text by its start: never its whole)
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxlist, _SHORT_REPR.maxdict = 3, 5, 4
_SHORT_REPR.maxstring, _SHORT_REPR.maxlong, _SHORT_REPR.maxother = 40, 40, 40


def shown_value(value: object) -> str:
    """``value`` (a setting as a configuration, profile or rules file holds it: text, a
    number, a list, a table) as a refusal quotes it: as Python writes it (``'20000'``,
    ``['x']``, controls escaped), cut past SHOWN_VALUE characters with its length said.

    Why: each reader quoted the value whole, so a 10 MB text or a list of 100,000 paths
    where a number belongs made a 10 MB message, which the dock's message bar, the
    Processing log and the terminal then had to show."""
    if isinstance(value, str):
        if len(value) <= SHOWN_VALUE:
            return repr(value)
        return f"{value[: SHOWN_VALUE - 20]!r}... ({len(value):,} characters)"
    if isinstance(value, (datetime.date, datetime.time)):  # (a TOML date, as written)
        return value.isoformat()
    try:
        text = _SHORT_REPR.repr(value)
    except ValueError:  # (an int past Python's conversion limit has no repr)
        return type(value).__name__
    if len(text) > SHOWN_VALUE:
        text = f"{text[:SHOWN_VALUE]}..."
    if isinstance(value, (list, tuple, dict)) and "..." in text:  # (cut: say how many)
        what = "key" if isinstance(value, dict) else "item"
        text += f" ({len(value):,} {what}{'' if len(value) == 1 else 's'})"
    return text


#: A refusal names at most this many unknown keys (a file of 100,000 made a 1.5 MB message).
SHOWN_KEYS = 10
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")  # (TOML's bare keys)


def shown_key(key: object) -> str:
    """A key of a user's file as a refusal names it: a plain name as it is, any other quoted
    and escaped (an empty key, spaces, a terminal escape sequence), and one longer than
    SHOWN_VALUE characters cut, its length said."""
    text = key if isinstance(key, str) else str(key)
    if len(text) > SHOWN_VALUE:
        return f"{ascii(text[: SHOWN_VALUE - 20])}... ({len(text):,} characters)"
    return text if _PLAIN_KEY.fullmatch(text) else ascii(text)


def shown_keys(keys: list[str]) -> str:
    """``keys`` (sorted, unknown ones) as a refusal lists them: the first SHOWN_KEYS, each
    :func:`shown_key`, and how many more."""
    more = len(keys) - SHOWN_KEYS
    listed = ", ".join(shown_key(k) for k in keys[:SHOWN_KEYS])
    return listed + (f" and {more:,} more" if more > 0 else "")


def shown_text(message: object) -> str:
    """``message`` (a whole message, a report, a warning) as a terminal or a log shows it:
    every control and invisible character escaped as :func:`shown_path` escapes it, except
    the newline and the tab, which lay a message out (a leak gate refusal's list of checks,
    a report's columns). Nothing is cut.

    Why: a message quotes what the analyst's files hold: names of files, folders and layers
    and values read from them. An ESC sequence in one (``\\x1b[2J``, ``\\x1b]0;...\\x07``)
    rewrote the terminal the command line reported to, a bare CR went back to the start
    of the line and wrote over what the message said ("... FAKE OK"), and a bidi override
    (``\\u202e``) reordered the rest of the line: an analyst could read that a release passed.
    This is the last step before a message reaches a terminal or a log (the command line's
    stderr, Processing's log); a newline kept here is the message's own only when the text
    it quotes was shown with :func:`shown_path` (or ``!r``), which escapes it: a name's
    newline must not start a line that looks like the program's own."""
    return _escaped(str(message), " \n\t")


def shown_line(text: object) -> str:
    """``text`` (one line of a list: a file's error, a file's name in a report) with every
    control and invisible character escaped, the newline and the tab too, as
    :func:`shown_path` escapes a path, but not cut.

    Why: a report lists one file or one error per line; the name of a file holding a
    newline started a line of its own there ("Leak gate: passed"), which read as the
    report's."""
    return _escaped(str(text), " ")


def invisible_text_problem(text: str, controls_read: bool = False) -> str:
    """Why a free text that an audit records or the public is shown (who confirmed a
    check, a force's name, a title) would read as something else, or "" when it reads as
    written: it holds a control character (a NUL, a bare carriage return; a tab and a line
    break are white space), or nothing is left once white space, control characters and
    format characters (zero-width space, right-to-left override) are taken away.

    Why: a confirmation of one zero-width space let a refused release through with an
    audit whose "who checked" showed nothing. ``controls_read``: control characters are
    allowed (the release configuration keeps every text as written, so the dock's save
    reads back), but they are not visible either."""
    controls = (
        []
        if controls_read
        else [
            c
            for c in text.replace("\r\n", "\n")
            if c not in "\t\n" and unicodedata.category(c) == "Cc"
        ]
    )
    if controls:
        return f"holds a control character ({controls[0]!r})"
    if not any(not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf") for c in text):
        return "has no visible character (only white space or invisible characters)"
    return ""


#: The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): in
#: a name they reorder what follows them on a page, in a CSV header or on a terminal.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


#: A force's name is at most this many characters, wherever it is set (the profile's
#: ``reported_by`` and ``falls_within``, ``release.force``, the summaries' force name), and
#: so is a mapping profile's name (:func:`name_length_problem`).
#: Why: a 10,000-character ``reported_by`` named the public CSV, and the release failed
#: with "cannot write outputs in DIR: File name too long", blaming the output folder; the
#: release configuration's force and the summaries' force name took any length into page
#: titles and headings. 120 holds the longest force name in England and Wales with room.
MAX_FORCE_NAME = 120


def force_name_problem(text: str) -> str:
    """Why ``text`` cannot be a force's name, or "" when it can: it holds a control
    character (C0 with the tab and line breaks, DEL, C1), a line or paragraph separator
    (U+2028, U+2029: line breaks that are no control character) or a bidirectional
    control, shown escaped. Why: a force name is published (page titles and headings, the
    public CSV's "Reported by" and "Falls within", the audit) and names files; an ESC sequence
    ("\\x1b[31m") or a right-to-left override in the profile's ``reported_by``, the release
    configuration's force or the summaries' --force-name passed, or passed one check and
    not another. Longer than MAX_FORCE_NAME characters (counted as written, white space
    included) is a problem too. One rule for every place a force name is set."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            return f"holds a control character ({char!r})"
        if char in "\u2028\u2029":
            return f"holds a line break ({ascii(char)})"
        if char in BIDI_CONTROLS:
            return f"holds a bidirectional control character ({ascii(char)})"
    return name_length_problem(
        text, "a force's name", "it names the release's files, and is published"
    )


def name_length_problem(text: str, what: str, why: str) -> str:
    """Why ``text`` is too long to be ``what`` (a name a run shows: a force's, a mapping
    profile's), or "" when it is not: longer than MAX_FORCE_NAME characters, counted as
    written, white space included; ``why`` says where the name goes. One limit for every
    such name. Why: a mapping profile's 10 MB name was taken and printed whole in the
    load's report."""
    if len(text) > MAX_FORCE_NAME:
        return (
            f"is {len(text):,} characters long: {what} is at most {MAX_FORCE_NAME} "
            f"characters ({why})"
        )
    return ""


# What every message says of an input that is not there (Processing, the release
# configuration's checks, the command line and the core alike).
NOT_FOUND = "not found"


def not_found(what: str, path: PathLike) -> str:
    """The message of a missing input: ``WHAT not found: PATH`` (the path shown:
    :func:`shown_path`, so a newline or an ESC sequence in a missing file's name cannot
    start a fake line or rewrite the terminal).

    Why one function: the core said "does not exist" (the salt file, the release rules, the
    output to check) or "no such file or folder" (extracts, crimes, QA inputs) where it said
    "not found" of other files, and Processing and the configuration's checks always say
    "not found" (:func:`path_problem`): one missing file, three wordings."""
    return f"{what} {NOT_FOUND}: {shown_path(path)}"


def path_problem(path: PathLike, wanted: str = "file") -> Optional[str]:
    """What is wrong with ``path`` as an input ``wanted`` (WANTED), in the words the release
    configuration's checks and the command line use, else None: "not found", "is a folder,
    not a file", "is a named pipe (FIFO), not a file" (see :func:`check_file`), "cannot be
    read (Permission denied)", "path holds a NUL character", "name is too long for this
    system (File name too long)". A phrase to follow the input's name.

    Why one function: Processing read these paths as Python's own errors ("embedded null
    byte", "[Errno 36] File name too long") or called a FIFO missing; the words are said
    once here for every caller. Links are followed (a link to a FIFO is a FIFO; a dangling
    link is not found). Nothing is opened."""
    if wanted not in WANTED:
        raise ValueError(f"wanted must be one of {WANTED}, not {wanted!r}")
    text = os.fsdecode(path)
    if "\x00" in text:
        return "path holds a NUL character"
    try:
        mode = os.stat(text).st_mode
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return NOT_FOUND
        if exc.errno == errno.ENAMETOOLONG:
            return f"name is too long for this system ({os.strerror(exc.errno)})"
        return f"cannot be used ({exc.strerror or exc})"
    folder = stat.S_ISDIR(mode)
    if wanted == "file" and folder:
        return "is a folder, not a file"
    if wanted == "folder" and not folder:
        return f"is {_kind(mode) if not stat.S_ISREG(mode) else 'a file'}, not a folder"
    if not (folder or stat.S_ISREG(mode)):
        return f"is {_kind(mode)}, not a file"
    if not os.access(text, os.R_OK | (os.X_OK if folder else 0)):
        return f"cannot be read ({os.strerror(errno.EACCES)})"
    return None


class UnresolvablePath(OSError):
    """A path the system cannot follow to a real place: a loop of symbolic links (a link to
    a link back to the first: ELOOP). An OSError naming the path, so every caller that
    reports file errors reports this one; its text is :func:`path_problem`'s ("PATH cannot
    be used (Too many levels of symbolic links)")."""

    def __str__(self) -> str:
        return f"{shown_path(self.filename)} cannot be used ({self.strerror})"


def resolved_path(path: PathLike) -> Path:
    """``Path(path).resolve()`` (links followed; a path not there yet is fine), or
    UnresolvablePath when the system cannot follow it (a loop of symbolic links), on every
    Python.

    Why: Python 3.12 and before raise RuntimeError("Symlink loop from ...") there, which no
    caller expected: an output folder given as such a loop crashed ``release`` and
    ``anonymise`` with a traceback (the salt's place is checked against it), and the
    dock's problem list with them. Python 3.13 raises nothing and gives the loop back
    unresolved, so the stat after it says the same on every version."""
    text = os.fsdecode(path)
    try:
        real = Path(text).resolve()
    except RuntimeError as exc:  # (a loop, on Python 3.12 and before)
        raise UnresolvablePath(errno.ELOOP, os.strerror(errno.ELOOP), text) from exc
    except OSError as exc:
        raise UnresolvablePath(exc.errno, exc.strerror or str(exc), text) from exc
    try:
        os.stat(real)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnresolvablePath(exc.errno, exc.strerror, text) from exc
    return real


def os_error_text(exc: OSError) -> str:
    """The words a message gives an OSError after naming the output it was writing: the
    system's ("Permission denied"), or for an UnresolvablePath the link that loops and the
    words (it may be a folder above the output, or the map folder in it)."""
    if isinstance(exc, UnresolvablePath):
        return str(exc)
    return exc.strerror or str(exc)


def made_folder(path: PathLike) -> Path:
    """The folder ``path``, made with the folders above it if missing (``Path.mkdir(parents=
    True, exist_ok=True)``); UnresolvablePath (an OSError whose words are "Too many levels of
    symbolic links", naming the path) when it or a folder above it is a loop of symbolic
    links.

    Why one function for every output folder: the mkdir met a loop as a name that exists
    but is no folder, so ``load``, ``summaries``, ``qa``, ``webmap``, ``when`` and the staged
    writers said "File exists" or "Not a directory" of an output given as ``ln -s loop
    loop``, which sent the analyst looking for a file that is not there."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        resolved_path(folder)  # a loop on the way: said as one
        raise
    return folder


def output_problem(path: PathLike, wanted: str = "file") -> Optional[str]:
    """What is wrong with ``path`` as an output ``wanted`` ("file" or "folder") that no
    write can fix, in :func:`path_problem`'s words, else None: "path holds a NUL
    character", "name is too long for this system (File name too long)" (a name in the
    path longer than its file system takes, the folders above it made yet or not), "is a
    folder, not a file", "is a file, not a folder", "cannot be used (Too many levels of
    symbolic links)" (a loop of links). Whether its folder can be written is left to the
    write, which says so naming the output.

    Why: an output with a NUL failed the run as "embedded null byte", and a 300-character
    name only when the finished files were staged, as a raw "[Errno 36]" naming the staging
    folder instead."""
    if wanted not in ("file", "folder"):
        raise ValueError(f"wanted must be file or folder, not {wanted!r}")
    text = os.fsdecode(path)
    if "\x00" in text:
        return "path holds a NUL character"
    too_long = f"name is too long for this system ({os.strerror(errno.ENAMETOOLONG)})"
    try:
        mode = os.stat(text).st_mode
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return too_long
        if exc.errno == errno.ELOOP:  # (a loop of symbolic links: path_problem's words)
            return f"cannot be used ({exc.strerror})"
        return too_long if exc.errno == errno.ENOENT and _name_too_long(text) else None
    if wanted == "file" and stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if wanted == "folder" and not stat.S_ISDIR(mode):
        return f"is {_kind(mode) if not stat.S_ISREG(mode) else 'a file'}, not a folder"
    return None


def _name_too_long(text: str) -> bool:
    """Whether a name below the nearest folder of ``text`` that exists is longer than that
    folder's file system takes (the system says so only for the first name it looks up)."""
    folder, names = os.path.abspath(text), []
    while not os.path.isdir(folder):
        folder, name = os.path.split(folder)
        names.append(name)
        if not name:
            return False
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # (no pathconf on Windows)
        limit = 255
    return any(len(os.fsencode(name)) > limit for name in names)


def read_text_file(path: PathLike, encoding: str = "utf-8") -> str:
    """The text of the file at ``path``, as ``Path(path).read_text(encoding)`` gives it
    (universal newlines: CRLF and a bare CR read as LF); NotAFile (an OSError) when the path
    is a FIFO, a device or a socket, which would block the open or never end."""
    path = Path(path)
    check_file(path)
    return path.read_text(encoding=encoding)


def read_bytes_file(path: PathLike) -> bytes:
    """The bytes of the file at ``path``; NotAFile as for :func:`read_text_file`."""
    path = Path(path)
    check_file(path)
    return path.read_bytes()
