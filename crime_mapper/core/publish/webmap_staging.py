"""The web map's staging folders beside the map: held by the exports writing them, and what
a killed export left removed (or put back) by the next one.

Why: the map folder is staged whole beside its final place (``.map.staging-<group>-<pid>-*``,
core.publish.webmap_export.staging_prefix) and swapped in by two renames (the previous map
into ``.map.old-*``, the new one into place). A whole process killed (SIGKILL, out of
memory, power) in between left those folders for ever: an ungated, possibly half-written
map beside the published one, or, killed between the two renames, the previous map hidden
as ``.map.old-*`` with no map in place. Nothing recovered them (core.common.staging's stage
folders are recovered; these were not), and a release folder copied to a web server
whole would publish them.

How it is safe:

- an export holds its staging folder from the moment it makes it until it is moved into
  place or removed: a shared OS lock on the folder itself (no lock file in a folder that
  will be published), released by the OS when the process ends however it ends. A forked
  child that stages the folder holds it; the caller it hands the folder to holds it too
  before the child ends (:func:`hold`). A child forked meanwhile does not keep it
  (core.common.forked.keep_from_children);
- the next export, when it makes its own staging folder, first removes every staging
  folder beside the same map that nobody holds (an exclusive lock it can take) and whose
  maker (the process id in its name) is no process here: a forked child that staged a
  folder and has left, but not yet been waited for, still names a process (its caller
  takes the folder over before then), and a folder made on another machine sharing the
  folder is judged by its lock; and the
  ``.map.old-*`` folders; if the map itself is missing (killed between the two renames)
  the newest ``.map.old-*`` is put back as the map first. Both run under common.staging's
  lock on the parent folder, which the swap takes too, and the new folder is made and
  held under it, so no export's folder is ever seen unheld by another's clean-up;
- an entry that is not a folder of its own (a link) is never entered or removed through.
- Ctrl-C or SIGTERM (cli: a KeyboardInterrupt, which can land between any two lines) in
  the exporting process itself: its staging folder is named before it is made (
  :func:`new_stage`'s ``claimed``), so the export's clean-up removes it wherever the
  interrupt lands; the swap's previous map is named before it is set aside and put back,
  or removed, whatever ends the swap (:func:`settle_swap`), so the previous map or the new
  one is in place when the process ends, and nothing beside it.

POSIX only (flock on a folder); elsewhere nothing is held and nothing is cleaned up (as
before).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from ..common import forked
from ..common.staging import folder_lock
from ..common.text_file import made_folder, resolved_path

_HOLD = os.name == "posix"
_held: dict[str, int] = {}  # staging folder -> the descriptor holding its lock, this process


def _lock(path: Path, exclusive: bool) -> int:
    """A descriptor of the folder ``path`` (not followed if a link) holding its lock;
    -1 when it cannot be opened or (exclusive) another process holds it."""
    import fcntl

    try:
        fd = os.open(str(path), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return -1
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX | fcntl.LOCK_NB) if exclusive else fcntl.LOCK_SH)
    except OSError:
        os.close(fd)
        return -1
    return fd


def hold(stage: Path) -> None:
    """This process holds ``stage`` (made by it, or handed to it by a child that holds it
    still) until :func:`release`; a folder it holds already is left as it is."""
    if not _HOLD or str(stage) in _held:
        return
    fd = _lock(stage, exclusive=False)
    if fd >= 0:
        _held[str(stage)] = fd
        forked.keep_from_children(fd)


def release(stage: Path) -> None:
    """Let ``stage`` go (moved into place, or removed); nothing if it is not held here."""
    fd = _held.pop(str(stage), -1)
    if fd >= 0:
        forked.close_kept(fd)


def new_stage(target: Path, prefix: str, claimed: list[Path]) -> Path:
    """A new staging folder beside ``target`` named ``prefix``-something, held by this
    process; a killed export's leftovers beside ``target`` cleaned up first.

    Its path is appended to ``claimed`` before the folder is made, and the caller removes
    what ``claimed`` names (:func:`remove`) on any failure or interrupt. Why: returned
    first, it was left beside the map until the next export when Ctrl-C or SIGTERM (a
    KeyboardInterrupt, which can land between any two lines) came between the mkdir and
    the caller's clean-up; the shared staging registers its stage folders the same way
    (core.common.staging.Staging._stage_for)."""
    made_folder(target.parent)
    resolved_path(target)  # (a map folder that is a loop of links: refused, not swapped onto)
    if not _HOLD:
        return _made(target, prefix, claimed)
    with folder_lock(target.parent) as locked:
        if locked:
            clean_leftovers(target)
        stage = _made(target, prefix, claimed)
        hold(stage)
    return stage


def _made(target: Path, prefix: str, claimed: list[Path]) -> Path:
    """The staging folder, claimed, then made (owner only, as tempfile.mkdtemp makes it).
    Its name holds this process's id (``prefix``) and 48 random bits: no other folder's."""
    stage = target.parent / f"{prefix}{secrets.token_hex(6)}"
    claimed.append(stage)
    stage.mkdir(mode=0o700)
    return stage


def remove(claimed: list[Path]) -> None:
    """Remove the staging folders ``claimed`` names that are still there (one moved into
    place is not: its name is gone) and let them go."""
    for stage in claimed:
        shutil.rmtree(stage, ignore_errors=True)  # (a link: refused, and nothing through it)
        release(stage)


def aside_path(target: Path) -> Path:
    """Where a swap sets the previous map aside (``.map.old-<random>``), named before it
    is moved there, so whatever interrupts the swap knows where to find it."""
    return target.parent / f"{_aside_prefix(target)}{secrets.token_hex(6)}"


def _aside_prefix(target: Path) -> str:
    return f".{target.name}.old-"


def settle_swap(target: Path, old: Path) -> None:
    """After a swap, however it ended (an OSError, Ctrl-C, SIGTERM between its renames):
    the previous map ``old`` put back when no map is in place, else removed; nothing if it
    is not there. So an interrupted swap leaves the previous map or the new one in place,
    never neither, and nothing beside it."""
    if not (old.exists() or old.is_symlink()):
        return
    if not (target.exists() or target.is_symlink()):
        os.replace(old, target)  # (the new one is not in place: the previous one, whole)
    elif old.is_symlink():
        old.unlink()  # (the map was a link to a folder: the link, not what it names)
    else:
        shutil.rmtree(old, ignore_errors=True)


def _maker_here(rest: str) -> bool:
    """Whether the process named in a staging folder's name (``<group>-<pid>-...``) is a
    process here (running, or left and not yet waited for by its caller)."""
    parts = rest.split("-")
    if len(parts) < 3 or not (parts[1].isascii() and parts[1].isdigit()):
        return False  # (str.isdigit takes "²" and other digits int() refuses: no pid of ours)
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except OSError:  # (another user's process: it is there)
        return True
    return True


def clean_leftovers(target: Path) -> list[str]:
    """Remove what killed exports left beside ``target``; call it holding the parent
    folder's lock (folder_lock): the staging folders nobody holds, and the previous maps
    set aside by a swap (after putting the newest back when the map itself is missing).
    Returns the names removed or put back."""
    if not _HOLD:
        return []
    staging, old = f".{target.name}.staging-", _aside_prefix(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    done: list[str] = []
    olds = [e for e in entries if e.name.startswith(old) and e.is_dir(follow_symlinks=False)]
    if olds and not (target.exists() or target.is_symlink()):
        newest = max(olds, key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
        os.replace(newest.path, target)  # (killed between the swap's renames: the map back)
        olds.remove(newest)
        done.append(newest.name)
    for entry in olds:
        shutil.rmtree(entry.path, ignore_errors=True)
        done.append(entry.name)
    for entry in entries:
        if not entry.name.startswith(staging) or entry.path in _held:
            continue
        if _maker_here(entry.name[len(staging) :]):
            continue
        fd = _lock(Path(entry.path), exclusive=True)  # (-1: held by a running export, or
        if fd < 0:  # a link, or gone)
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
            done.append(entry.name)
        finally:
            os.close(fd)
    return done
