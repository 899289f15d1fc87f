"""Read a small text input (a configuration, a profile, rules) only when it is a file.

Why: ``Path.read_text`` opens whatever the path names. A FIFO (named pipe) blocks the open
until something writes to it, so ``release`` hung for ever and the dock froze; a character
device such as ``/dev/zero`` or ``/dev/urandom`` never ends, so the read grew until the
machine ran out of memory (a MemoryError traceback, after swapping everything else out).
Both are paths a user can type or a script can pass, so they are refused up front, before
the open, with an OSError the callers already turn into their message naming the file. A
folder is left to the open, whose own error ("Is a directory") the callers already report.
No QGIS, no pandas.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["NotAFile", "check_file", "read_bytes_file", "read_text_file"]


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
    file too."""
    mode = os.stat(path).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise NotAFile(errno.EINVAL, f"{_kind(mode)}, not a file", str(path))


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
