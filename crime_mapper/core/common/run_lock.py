"""One run at a time writes an output folder: an exclusive lock the OS drops when its holder
dies, taken before anything is read or written.

Why: a scheduled monthly release and an analyst's run of the same month (the dock, the
toolbox, ``crime_mapper.cli release``) wrote one folder at once. Each step's commit was
whole (core.common.staging serialises commits into a folder), but the runs' steps
alternated: the folder held one run's load beside the other's map until the last one ended,
each run printed a summary of files the other had since replaced, and a manifest could
vouch for files the other run had overwritten after it hashed them. The second run is now
refused at once, naming the run that holds the folder.

How
---
The lock is a hidden file *beside* the folder (``<parent>/.<folder name>.crime_mapper-lock``),
so it is never one of the folder's published files nor listed by its manifest. It holds the
holder's pid, host and start time, written once the lock is taken, so a refused run can say
who holds it. The lock itself is an OS lock on that file (``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows, where QGIS also runs): the OS releases it when the holder's
process ends, however it ends (killed, crashed, the machine's power cut), so a killed run
never blocks the next one, and no stale-pid guessing is needed.

The holder removes the file as it finishes, while it still holds the lock (POSIX). A run
that opened the file just before that removal and then took the lock finds the name no
longer leads to the file it locked, and starts again on a new one: two runs never both
hold "the" lock on two different files of one name. On Windows an open file cannot be
removed: the file is removed when no run has it open, else left for the next run.

Where the lock cannot be had, the run goes ahead without it and says so (through the
caller's ``warn``: the command line's warning line, Processing's feedback, the dock's message
bar, the release's first step; else the log), as every run did before the lock: on a file
system that takes no locks (flock's ENOLCK, EOPNOTSUPP: some network shares), and beside a
folder the user may not write (EACCES, EPERM, EROFS: IT provisions
``/shared/releases/2022-10`` writable for the analyst inside ``/shared/releases``, which is
not), while the output folder itself is there and the user may write it. Why: such a folder
was refused for every run, where each ran before the lock. :func:`_unlocked_reason` is the
one decision. A lock file there that another user's run made (one that could write there)
is opened to read, which takes the same lock: while that run holds it, this one is refused,
naming it. Everything else is refused as before: a file where a folder goes, a loop of
symbolic links, an output folder that is not there (the run could not make it) or that the
user may not write either (the run could not write it anyway), a lock file that cannot even
be read (its run may hold it), and a held lock. The folders above and inside are still
checked for held locks, since they can be read.

Writing into a folder *inside* a locked one (``anonymise --out <release>/public`` while the
release of that month runs) is refused too: a lock checks the folders above its own for a
held lock, and the lock files of the folders directly inside its own (a standalone exporter
writing ``<release>/map``). A lock file found there whose holder is gone is removed.

Every way of writing an output folder takes it through :func:`output_lock` (the command
line's ``load``, ``qa``, ``anonymise``, ``summaries`` and ``webmap``, the Processing
algorithms and the dock's tabs that write the same outputs), the release through
:func:`folder_run_lock` itself. A writer of one named file that no release writes (the
"when" page, a saved QA history, publish_hotspots' GeoPackage) takes none: it replaces no
file of a running release, and its folder's lock file would go in the folder above. The
lock is this process's: a child process it starts to do the work (the web map's, the
anonymise's) writes under it, and its parent holds it until the child has committed and
ended.
No QGIS.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import logging
import os
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Callable, Optional, Union

from .text_file import made_folder, os_error_text, resolved_path, shown_line, shown_path

PathLike = Union[str, "os.PathLike[str]"]

LOCK_SUFFIX = ".crime_mapper-lock"
#: On Windows the lock is one byte this far into the file, so the holder's details at its
#: start stay readable by a refused run (a locked byte cannot be read there).
_WINDOWS_LOCK_AT = 1 << 30
#: Tries to take a lock whose file its previous holder removed meanwhile (each retry means
#: another run finished between our open and our lock: a handful is already unlikely).
_ATTEMPTS = 50
#: The most of a lock file read for its holder's details (a planted file may be huge).
_HOLDER_BYTES = 4096
#: How a lock file is opened: made if missing, never through a symbolic link (one planted
#: beside a shared output folder would have the holder's details written over its target)
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
#: How a lock file this user may not write is opened (to read: the same lock is taken)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
#: The errors with which a folder refuses this user a new file in it, or a file this user
#: to write (its permissions, a read-only mount): no lock, but no reason to refuse the run
_DENIED_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
#: The folders whose run lock this process holds (with the pid that took it: a forked
#: child holds none of its own)
_HELD: set[tuple[int, Path]] = set()
#: The errors with which the OS says another process holds the lock (any other error of
#: flock says the file system cannot lock: LocksUnavailable)
_HELD_ERRNOS = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES})

_LOG = logging.getLogger(__name__)


class LocksUnavailable(OSError):
    """The file system of a lock file takes no locks (flock's ENOLCK or EOPNOTSUPP: some
    network shares). Why its own error: it was read as "another run holds the folder", so
    every release into such a share was refused, naming a holder that did not exist."""


class LockFileDenied(OSError):
    """The lock file of an output folder is another user's, left by a run that has ended (no
    run holds it), and this user may neither write it nor remove it (the folder above is not
    this user's to write): no lock can be had there."""


class FolderBusy(RuntimeError):
    """Another run holds the lock of ``folder`` (or of a folder above it, or inside it):
    ``reason`` says which run and since when, ``action`` what to do."""

    def __init__(self, folder: Path, locked: Path, holder: str) -> None:
        self.folder = folder
        self.locked = locked  # the folder whose lock is held
        self.holder = holder
        where = "" if locked == folder else f" (it is writing {shown_path(locked)})"
        self.reason = (
            f"{shown_path(folder)} is being written by another crime_mapper run: {holder}"
            f"{where}; nothing was read or written"
        )
        self.action = (
            "wait for that run to finish, or stop it, then run this again (its lock goes "
            "when its process ends, however it ends)"
        )
        super().__init__(f"{self.reason}. What to do: {self.action}.")


class LockNotWritten(OSError):
    """The run lock of an output folder could not be taken for a reason of the file system
    (the folder above it read-only, a file where a folder goes): its text names the folder,
    the lock file and the cause, and says that nothing was read or written."""

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)  # (its text is the message alone, no "[Errno 13]")
        self.errno = code


def lock_path_for(folder: PathLike) -> Path:
    """The lock file of ``folder``: hidden, beside it (never among its published files)."""
    folder = Path(os.path.abspath(folder))
    return folder.parent / f".{folder.name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def folder_run_lock(
    folder: PathLike, what: str, *, warn: Optional[Callable[[str], None]] = None
) -> Iterator[Path]:
    """Hold the exclusive run lock of ``folder`` for the ``with`` block (``what``: the run,
    as a refused run names it: "monthly release 2022-10"). Raise FolderBusy at once, before
    anything else, when another run holds it, or holds a folder above or inside it. The
    folder above ``folder`` is made if missing (the lock file goes there); an OSError
    when it cannot be, or the lock file cannot be written there. Folders made for the lock
    alone are removed with it, if the run left them empty: a run refused for its input
    leaves nothing behind, as before the lock.

    Where no lock can be had but the run may go ahead (:func:`_unlocked_reason`: no locks
    on the file system, a folder above that the user may not write), the block runs
    without it, once the folders above and inside are found free, and the warning that
    says so (:func:`unlocked_warning`) goes to ``warn``, else to the log."""
    folder = Path(os.path.abspath(folder))
    path = lock_path_for(folder)
    made = _missing_folders(path.parent)
    try:
        made_folder(path.parent)
        reason = None
        try:
            handle = _take_own(path, folder)
        except OSError as exc:
            reason = _unlocked_reason(folder, path, exc)
            if reason is None:
                raise
            if isinstance(exc, LocksUnavailable):
                with contextlib.suppress(OSError):  # (the file just made: no lock it holds)
                    path.unlink()
        if reason is not None:
            # (what can be read is still checked: a run holding a folder above or inside)
            _refuse_held_above(folder)
            _refuse_held_inside(folder)
            (warn or _LOG.warning)(unlocked_warning(folder, reason))
            yield path
            return
        try:
            _write_holder(handle, what)
            # (after ours is taken: of two runs starting at once, each on one of two nested
            # folders, the later to check sees the other's lock)
            _refuse_held_above(folder)
            _refuse_held_inside(folder)
            _HELD.add((os.getpid(), folder))
            yield path
        finally:
            _HELD.discard((os.getpid(), folder))
            _let_go(path, handle)
    finally:
        for empty in made:  # (deepest first; one the run wrote into is not empty)
            with contextlib.suppress(OSError):
                empty.rmdir()


def unlocked_warning(folder: PathLike, reason: str) -> str:
    """The warning of a run that goes ahead without the run lock of ``folder``, and why:
    one text for every caller (the command line, Processing, the dock, the release)."""
    return (
        f"{shown_path(Path(os.path.abspath(folder)))}: this run goes ahead without its run "
        f"lock ({shown_line(reason)}), so another run writing the same folder at the same "
        "time is not refused"
    )


def _unlocked_reason(folder: Path, path: Path, exc: OSError) -> Optional[str]:
    """Why the run writing ``folder`` may go ahead without its lock (file ``path``), which
    ``exc`` stopped, or None: the run is refused. The one decision of every caller.

    It goes ahead where the lock alone cannot be had: the file system takes no locks
    (LocksUnavailable), or the folder above denies this user the lock file (EACCES, EPERM,
    EROFS making it, or another user's that no run holds: LockFileDenied), while ``folder``
    is there and this user may write it. Refused: a lock file there that cannot even be
    read (its run may hold it), an output folder that is not there (the run could not make
    it) or that this user may not write (the run could not write it anyway), and every
    other error (a file where a folder goes, a loop of links)."""
    if isinstance(exc, LocksUnavailable):
        return str(exc)
    denied = isinstance(exc, LockFileDenied) or (
        exc.errno in _DENIED_ERRNOS and not os.path.lexists(path)
    )
    if not denied or not _writable_folder(folder):
        return None
    return (
        f"its lock file {shown_line(path.name)} cannot be made in "
        f"{shown_path(path.parent)}: {os_error_text(exc)}; for the lock, let this user "
        "write that folder"
    )


def _writable_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder this process may make files in (its effective user,
    as the OS checks it: a process run by root for another user is that user)."""
    effective = os.access in os.supports_effective_ids
    try:
        return os.path.isdir(folder) and os.access(
            folder, os.W_OK | os.X_OK, effective_ids=effective
        )
    except (OSError, ValueError):
        return False


def outermost_folders(folders: Iterable[PathLike]) -> list[Path]:
    """``folders`` as absolute paths, each once, without those inside another of them (its
    lock covers them), in the order given. Why: one process taking the lock of a folder and
    then of one inside it found its own lock above and refused itself."""
    given = list(dict.fromkeys(Path(os.path.abspath(f)) for f in folders))
    return [f for f in given if not any(o != f and o in f.parents for o in given)]


@contextlib.contextmanager
def output_lock(
    folders: Union[PathLike, Iterable[PathLike]],
    what: str,
    given: Optional[PathLike] = None,
    *,
    name_lock: bool = False,
    warn: Optional[Callable[[str], None]] = None,
) -> Iterator[None]:
    """Hold the run lock (:func:`folder_run_lock`) of each output folder a run writes
    (``folders``: one or several; the outermost of them are locked) for the ``with`` block:
    the one helper every writer of an output folder uses, so that none writes a folder a
    release (or another writer) holds. FolderBusy at once, before anything is read or
    written, while another run holds one of them, a folder above it or directly inside it;
    the locks taken before it are let go.

    ``given``: the output as the user gave it. When the lock cannot be taken for a reason of
    the file system, a loop of symbolic links there is said of it (UnresolvablePath: the lock
    file's folder is made above the output, and that mkdir named the folder above instead);
    any other OSError is raised as it is, or with ``name_lock`` as LockNotWritten, whose
    text names the folder and its lock file (for callers that show it as it is: Processing,
    the dock). ``warn``: where the warning of a run that goes ahead without a lock goes
    (:func:`folder_run_lock`)."""
    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    held = contextlib.ExitStack()
    with held:
        for folder in outermost_folders(folders):
            try:
                if "\x00" in str(folder):  # (the OS calls' ValueError: no caller's error)
                    raise OSError(errno.EINVAL, "a path cannot hold a NUL character", str(folder))
                held.enter_context(folder_run_lock(folder, what, warn=warn))
            except OSError as exc:
                if given is not None and "\x00" not in os.fsdecode(given):
                    resolved_path(given)  # (a loop: said of the output)
                if not name_lock:
                    raise
                raise LockNotWritten(
                    f"{shown_path(folder)} was not written: its run lock could not be written "
                    f"beside it ({shown_path(lock_path_for(folder))}): {os_error_text(exc)}; "
                    "nothing was read or written. What to do: make the folder above it "
                    "writable, or choose another output folder",
                    exc.errno,
                ) from exc
        yield


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and the folders above it that do not exist yet, deepest first."""
    missing = []
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    return missing


def holds(folder: PathLike) -> bool:
    """Whether this process holds the run lock of ``folder`` now (:func:`folder_run_lock`).
    Why: clearing up what a killed run left in a folder (its half-written temporary files)
    is safe only for the folder's one writer; another run's temporary file is its work."""
    return (os.getpid(), Path(os.path.abspath(folder))) in _HELD


def _refuse_held_above(folder: Path) -> None:
    """FolderBusy when a run holds the lock of a folder above ``folder``."""
    for above in folder.parents:
        path = lock_path_for(above)
        if _ours(path):
            with contextlib.suppress(LocksUnavailable):  # (no locks there: none to find)
                _let_go(path, _take(path, folder, above))


def _refuse_held_inside(folder: Path) -> None:
    """FolderBusy when a run holds the lock of a folder directly inside ``folder``; a lock
    file there whose run is gone (killed before it removed it) is removed."""
    with contextlib.suppress(OSError):  # (no folder yet: nothing inside it)
        for path in sorted(folder.glob(f".*{LOCK_SUFFIX}")):
            inside = folder / path.name[1 : -len(LOCK_SUFFIX)]
            if _ours(path):
                with contextlib.suppress(LocksUnavailable):  # (no locks there: none to find)
                    _let_go(path, _take(path, folder, inside))


def _ours(path: Path) -> bool:
    """Whether ``path`` may be a lock file of ours (a regular file, not a link to one)."""
    return path.is_file() and not path.is_symlink()


def _take_own(path: Path, folder: Path) -> IO[bytes]:
    """The lock file ``path`` of ``folder``, locked by us and ours to write (:func:`_take`).
    Another user's that no run holds (read-only to us) is removed, and ours made instead;
    LockFileDenied when this user may not remove it."""
    for _ in range(_ATTEMPTS):
        handle = _take(path, folder, folder)
        if handle.writable():
            return handle
        _let_go(path, handle)  # (its run is gone: removed where this user may)
        if not _ours(path):
            continue
        raise LockFileDenied(
            errno.EACCES,
            "it is another user's, left by a run that has ended, and this user may not replace it",
            str(path),
        )
    raise FolderBusy(folder, folder, "runs that keep taking and letting go of it")


def _open_lock_file(path: Path) -> IO[bytes]:
    """The lock file ``path``, made if missing, open to write; one this user may not write
    (another user's run made it, in a folder this user may not write) open to read, which
    takes the same lock: whether its run still holds it can be told. Any other error (or
    one that cannot be read either) is the OSError of opening it to write."""
    try:
        return os.fdopen(os.open(path, _OPEN_FLAGS, 0o644), "r+b")
    except OSError as exc:
        if exc.errno not in _DENIED_ERRNOS or not _ours(path):
            raise
        try:
            return os.fdopen(os.open(path, _READ_FLAGS), "rb")
        except OSError:
            raise exc from None


def _take(path: Path, folder: Path, locked: Path) -> IO[bytes]:
    """The open lock file ``path``, locked by us; FolderBusy (naming the holder) if another
    run holds it. Open to read only when this user may not write it (:func:`_open_lock_file`):
    no holder can be written into it."""
    for _ in range(_ATTEMPTS):
        try:
            handle = _open_lock_file(path)
        except FileNotFoundError:  # (a run that made the folder just removed it, empty)
            made_folder(path.parent)
            continue
        try:
            taken = _try_lock(handle)
        except LocksUnavailable:
            handle.close()
            raise
        if not taken:
            holder = _holder_text(handle)
            handle.close()
            raise FolderBusy(folder, locked, holder)
        if _still_named(handle, path):
            return handle
        handle.close()  # its holder removed it as it finished: take the new one
    raise FolderBusy(folder, locked, "runs that keep taking and letting go of it")


def _still_named(handle: IO[bytes], path: Path) -> bool:
    """Whether ``path`` still names the file ``handle`` has open."""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except OSError:
        return False


def _try_lock(handle: IO[bytes]) -> bool:
    """Take the OS lock on ``handle`` without waiting; whether it was taken (False: another
    process holds it). LocksUnavailable when the file system takes no locks."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            handle.seek(_WINDOWS_LOCK_AT)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in _HELD_ERRNOS:
            return False
        raise LocksUnavailable(
            exc.errno, f"its file system takes no locks: {exc.strerror or exc}"
        ) from exc


def _write_holder(handle: IO[bytes], what: str) -> None:
    """Write who holds the lock (pid, host, since when, what run) into its file."""
    since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    data = {"pid": os.getpid(), "host": socket.gethostname(), "since": since, "run": what}
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(data).encode("utf-8"))
    handle.flush()


def _holder_text(handle: IO[bytes]) -> str:
    """Who holds the lock, from its file, for a message; what is known when it says less
    (the holder has not written it yet, or the file is not one of ours)."""
    try:
        handle.seek(0)
        data = json.loads(handle.read(_HOLDER_BYTES).decode("utf-8"))
        return (
            f"{shown_line(data['run'])}, process {int(data['pid'])} on host "
            f"{shown_line(data['host'])}, running since {shown_line(data['since'])}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "a run that has not yet said which (it has only just started)"


def _let_go(path: Path, handle: IO[bytes]) -> None:
    """Remove the lock file and release the lock (see the module docstring for the order)."""
    if sys.platform == "win32":  # pragma: no cover - Windows: an open file cannot go
        handle.close()
        with contextlib.suppress(OSError):
            path.unlink()
        return
    with contextlib.suppress(OSError):
        if _still_named(handle, path):
            path.unlink()
    handle.close()
