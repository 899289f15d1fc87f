"""Write several outputs so that they all appear together, or none of them changes.

A monthly release folder must never hold half of a new release beside half of the old one,
and a killed run must not leave its half-written files behind. Every writer (the release
pipeline, the loader's reports, the command line, the QGIS load, styles, hotspot grids)
stages its files here, so all of them get the same guarantee.

What a reader of an output folder sees, at each moment of a commit
------------------------------------------------------------------
1. **Writing.** Each output is written into a hidden stage folder inside its final folder
   (``.crime_mapper-stage-<random>/<final name>``: the same file system, so the moves below
   are atomic renames). The folder still holds the previous outputs, whole. A stage folder
   is held by its run (an OS file lock, released when the process ends however it ends).
2. **Commit point.** Every staged file is flushed to disk, then the list of moves (staged
   file -> final path) is written to ``COMMIT.json.tmp`` in the first stage folder, flushed,
   and renamed to ``COMMIT.json``. That rename is the one atomic switch: before it, the
   previous outputs are what the folder holds and will hold after any crash; after it, the
   new outputs are decided and will be completed whatever happens.
3. **Moving.** Each staged file replaces its final name (``os.replace``), in the order the
   writer staged them; release writers stage the manifest last, so until the last move the
   old manifest is in place and does not vouch for the new files. A reader arriving now may
   see new and old files side by side, but ``COMMIT.json`` says a commit is under way, and
   every crime_mapper reader and writer first calls :func:`complete_pending`, which finishes
   the moves (they are idempotent: a staged file already moved is simply gone). A move that
   fails (a full disk, a folder where a file goes) stops the rest: the commit goes forward,
   never back, so the error says which outputs are new, which are not yet and where those
   wait, and the next reader or writer of the folder moves them in once the cause is gone.
4. **Done.** The journal and the stage folders are removed. The folder holds the whole new
   outputs, and nothing else.

Whole folders (a summaries folder of 7,200 pages) are staged the same way with
:meth:`Staging.folder_for`: the folder is built inside the stage folder, and its move is two
renames (the previous folder into the stage, the new one into place), both finished by
:func:`complete_pending` if a run dies between them. Before the commit point the new folder
is flushed with one file-system sync (``syncfs``; ``sync`` where that is missing), not one
fsync per file, which would cost minutes on a loaded disk.

After a crash: a stage folder without ``COMMIT.json`` whose owner is gone is removed by the
next run in that folder (its outputs never appeared); one with ``COMMIT.json`` is completed.
Either way the folder then holds exactly the previous outputs or exactly the new ones.
A run stopped by Ctrl-C or SIGTERM after its commit point completes the commit itself before
it stops (Staging.discard), and one stopped before it removes its stage folders, so neither
leaves anything for the next run.
Commits into one folder are serialised by a lock on the folder, so two runs writing one
folder at once cannot interleave their moves.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Callable, Optional, Union

from .text_file import made_folder, resolved_path, shown_path

PathLike = Union[str, "os.PathLike[str]"]

STAGE_PREFIX = ".crime_mapper-stage-"
JOURNAL = "COMMIT.json"
OWNER_LOCK = "owner.lock"
PRIMARY = "PRIMARY"  # in a secondary stage folder: the path of the stage holding the journal
_ASIDE = "~previous"  # in a stage folder: where a replaced folder waits to be removed
# Staged files of earlier versions (mkstemp beside the output: ".name.abc123_x.tmp.csv") and
# the SQLite side files a killed GeoPackage write leaves beside them.
_OLD_STAGED = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?$")


def file_sha256(path: PathLike) -> tuple[bytes, int]:
    """(SHA-256 digest, size) of the bytes a finished file holds, read in 1 MiB blocks:
    the one way a landed output is fingerprinted (the release manifest, and the leak gate's
    proof that a file is still exactly the bytes its writer handed it)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.digest(), size


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- OS file locks (released by the OS when the holder dies, however it dies) ---------------


def _try_lock(handle: IO[bytes], blocking: bool = False) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), mode, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


@contextlib.contextmanager
def folder_lock(folder: Path, blocking: bool = True) -> Iterator[bool]:
    """Serialise commits (and recoveries) into one folder: a lock on the folder itself, so
    no lock file is left in a public folder. Yields whether the lock was taken."""
    if os.name == "nt":  # pragma: no cover - folders cannot be locked on Windows
        yield True
        return
    import fcntl

    try:
        fd = os.open(str(folder), os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            taken = True
        except OSError:
            taken = False
        yield taken
    finally:
        os.close(fd)  # closing releases the lock


def _owner_alive(stage: Path) -> bool:
    """Whether the run that made a stage folder still holds it."""
    try:
        with open(stage / OWNER_LOCK, "a+b") as handle:
            return not _try_lock(handle)
    except OSError:
        return False


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # pragma: no cover - folders cannot be opened for fsync on Windows
        return
    fd = os.open(str(folder), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- recovery -------------------------------------------------------------------------------


def _sync_tree(folder: Path) -> None:
    """Flush every file under ``folder`` to disk: one syncfs of its file system on Linux,
    one sync elsewhere on POSIX, an fsync per file only where neither exists (Windows)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(str(folder), os.O_RDONLY)
            try:
                if libc.syncfs(fd) == 0:
                    return
            finally:
                os.close(fd)
        except (OSError, AttributeError):
            pass
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):  # pragma: no cover
        _fsync_file(path)


def _checked_journal(stage: Path) -> dict:
    """The journal in ``stage``, proven to be one a commit wrote: every move takes a file or
    folder from a stage folder the journal lists to the same name in that stage's own
    folder (a replaced folder set aside inside the stage). Why: finishing a journal moves
    files, and one planted in a shared output folder, or damaged on disk, must not move a
    file from elsewhere into a published folder, or over a file outside it. OutputWriteError
    (nothing moved) otherwise, naming the journal."""
    path = stage / JOURNAL
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        # (resolved_path: a loop of links listed there is an OSError, not a RuntimeError)
        stages = {resolved_path(s) for s in journal["stages"]}
        for move in journal["moves"]:
            staged, final = Path(move["staged"]), Path(move["final"])
            home = resolved_path(staged.parent)
            aside = move.get("aside")
            if not (
                home in stages
                and home.name.startswith(STAGE_PREFIX)
                and home.parent == resolved_path(final.parent)
                and staged.name == final.name
                and (not aside or Path(aside) == staged.parent / _ASIDE / final.name)
            ):
                raise ValueError(
                    f"a move from {shown_path(staged)} to {shown_path(final)} is not a commit's"
                )
        if not all(s.name.startswith(STAGE_PREFIX) for s in stages):
            raise ValueError("it lists a folder that is not a stage folder")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise OutputWriteError(
            errno.EINVAL,
            f"the commit journal of an earlier run cannot be used ({exc}); nothing was moved. "
            f"Check the outputs beside it and remove {shown_path(stage)}",
            str(path),
        ) from exc
    return journal


def _finish(stage: Path) -> None:
    """Complete the moves a journal lists (idempotent), then remove every stage it names.
    A move that fails (the disk, something in the way) stops them: OutputWriteError saying
    which outputs are new and which wait in their stage (:func:`_moves_stopped`)."""
    journal = _checked_journal(stage)
    for number, move in enumerate(journal["moves"]):
        try:
            _move(move)
        except OSError as exc:
            raise _moves_stopped(stage, journal["moves"], number, exc) from exc
    for folder in {Path(m["final"]).parent for m in journal["moves"]}:
        _fsync_folder(folder)
    (stage / JOURNAL).unlink()
    for other in journal.get("stages", []):
        if Path(other) != stage:
            shutil.rmtree(other, ignore_errors=True)
    shutil.rmtree(stage, ignore_errors=True)


def _move(move: dict) -> None:
    """One move of a journal, if not made yet: a staged file or folder to its final name."""
    tmp, final = Path(move["staged"]), Path(move["final"])
    if not tmp.exists():
        return  # already moved
    if move.get("aside"):  # a whole folder: the previous one goes into the stage first
        if final.exists() or final.is_symlink():
            aside = Path(move["aside"])
            aside.parent.mkdir(exist_ok=True)
            os.replace(final, aside)
    os.replace(tmp, final)


#: How many outputs a stopped commit names in each of its two lists (_moves_stopped)
_NAMED = 8


def _named(paths: list[str]) -> str:
    shown = ", ".join(shown_path(p) for p in paths[:_NAMED])
    more = len(paths) - _NAMED
    return f"{shown} and {more} more" if more > 0 else shown


def _moves_stopped(stage: Path, moves: list, number: int, exc: OSError) -> OutputWriteError:
    """What a commit whose move ``number`` failed leaves, said exactly: the outputs before it
    are the new ones, that one and those after it are not (the previous ones, or none), and
    their new ones wait in the stage, moved in by the next run in the folder
    (complete_pending) once the cause is gone: the commit point has passed, so the commit
    goes forward, never back.

    Why: the bare OSError of the rename ("Is a directory: '<stage>/...'") named a hidden
    stage folder and said nothing of the outputs already replaced, so a release folder
    holding new and previous outputs side by side read as one that had failed whole."""
    failed = Path(moves[number]["final"])
    done = [m["final"] for m in moves[:number]]
    waiting = [m["final"] for m in moves[number:]]
    told = (
        f"new: {_named(done)}; not yet: {_named(waiting)}"
        if done
        else f"none of them is new yet ({_named(waiting)})"
    )
    return OutputWriteError(
        exc.errno or errno.EIO,
        f"moving the new outputs into place stopped at {shown_path(failed)} "
        f"({exc.strerror or exc}); {told}. The new ones not yet in place wait in "
        f"{shown_path(stage)}: remove the cause (free space, move what is in the way) and "
        "the next run that writes or reads this folder moves them in",
        str(failed),
    )


def complete_pending(folder: PathLike) -> None:
    """Bring a folder to a whole state after a killed run: finish a commit that passed its
    commit point, remove stages whose run is gone (and earlier versions' staged files).

    Readers of an output folder call this before reading; every Staging calls it for the
    folders it writes into, so the next run cleans up after a killed one."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    with folder_lock(folder):
        for entry in sorted(folder.iterdir()):
            name = entry.name
            if name.startswith(STAGE_PREFIX) and entry.is_dir():
                _recover_stage(entry)
            elif _OLD_STAGED.match(name) and entry.is_file():
                with contextlib.suppress(OSError):
                    entry.unlink()


def _recover_stage(stage: Path) -> None:
    if (stage / JOURNAL).is_file():
        _finish(stage)
        return
    if _owner_alive(stage):
        return  # a run still writing: not ours to touch
    primary = stage / PRIMARY
    if primary.is_file():
        main = Path(primary.read_text(encoding="utf-8").strip())
        if (main / JOURNAL).is_file():
            with folder_lock(main.parent, blocking=False) as taken:
                if not taken:
                    return  # that folder's commit is running now: it removes this stage
                if (main / JOURNAL).is_file():
                    _finish(main)
                    return
    shutil.rmtree(stage, ignore_errors=True)


# --- asking before a commit ------------------------------------------------------------------

_ask: Optional[tuple[int, Callable[[], None]]] = None  # (the process that set it, the question)


def ask_before_commits(ask: Optional[Callable[[], None]]) -> None:
    """From now on, every commit point of this process first calls ``ask()``, which raises
    (core.common.feedback.Cancelled) to keep the previous outputs; None stops asking.

    Why: the dock's release runs in a child process (qgis_bridge.release_child) that commits
    step by step, and reads the dock's Cancel only when it checks for one. A Cancel pressed
    after a step's last check reached the child only once the step's outputs were in place.
    Asked at every commit point (core.common.child_lines.commit_question), the dock answers
    with what the user has done by then, so a Cancel pressed on any progress it showed is
    kept to. A child forked from this process is not asked for by its own commits: its
    caller asks before it lets the child move its outputs (core.common.forked
    .ForkedCall.result)."""
    global _ask
    _ask = None if ask is None else (os.getpid(), ask)


def before_commit() -> None:
    """Ask (:func:`ask_before_commits`) whether a commit may go ahead; nothing if no one
    asked for the question, or in a process forked from the one that did."""
    if _ask is not None and _ask[0] == os.getpid():
        _ask[1]()


# --- staging --------------------------------------------------------------------------------


def _refuse_loop(final: Path) -> None:
    """UnresolvablePath naming the folder of ``final`` or ``final`` itself when it is a loop
    of symbolic links. Why: a loop where an output goes was replaced by the output (the link
    lost in silence) or failed as "File exists"; Processing refuses it as an output."""
    resolved_path(final.parent)
    resolved_path(final)


class Staging:
    """Stage outputs in hidden folders beside their final places; `commit` switches them all
    in at once (see the module docstring for what a reader sees at each moment)."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final)
        self._folders: set[Path] = set()  # temporaries that are whole folders
        self._stages: dict[Path, Path] = {}  # final folder -> its stage folder
        self._locks: list[IO[bytes]] = []

    def _stage_for(self, folder: Path) -> Path:
        if folder in self._stages:
            return self._stages[folder]
        made_folder(folder)  # (a loop of links said as one, not "File exists")
        complete_pending(folder)  # a killed run's leftovers go before we add ours
        first = next(iter(self._stages.values()), None)
        stage = folder / f"{STAGE_PREFIX}{secrets.token_hex(6)}"
        # Registered before it is made, so discard() removes it whenever an interrupt lands
        # (Ctrl-C, SIGTERM: a KeyboardInterrupt between any two lines). Registered after its
        # lock was taken, it was left behind, a hidden folder beside the outputs, when one
        # landed between the mkdir and the registration. (Not there yet: rmtree ignores it.)
        self._stages[folder] = stage
        stage.mkdir()
        handle = open(stage / OWNER_LOCK, "a+b")
        self._locks.append(handle)
        _try_lock(handle)
        if first is not None:
            (stage / PRIMARY).write_text(str(first.resolve()), encoding="utf-8")
        return stage

    def path_for(self, final: PathLike) -> Path:
        """Where to write the output that will become `final` (same name, in a hidden stage
        folder on the same file system, so writers that look at the suffix still work)."""
        final = Path(final).absolute()
        for tmp, staged_final in self._staged:
            if staged_final == final:
                return tmp
        _refuse_loop(final)
        tmp = self._stage_for(final.parent) / final.name
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # writers create it themselves (SQLite wants a missing or empty file)
        self._staged.append((tmp, final))
        return tmp

    def folder_for(self, final: PathLike) -> Path:
        """An empty folder to build the whole folder that will replace ``final`` (and
        everything in it) at commit; the previous ``final`` stays whole until then."""
        final = Path(final).absolute()
        for tmp, staged_final in self._staged:
            if staged_final == final:
                if tmp not in self._folders:
                    raise ValueError(f"{final} is already staged as a file")
                return tmp
        _refuse_loop(final)
        tmp = self._stage_for(final.parent) / final.name
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        self._staged.append((tmp, final))
        self._folders.add(tmp)
        return tmp

    @property
    def staged(self) -> list[tuple[Path, Path]]:
        """(temporary, final) pairs, in the order they were staged (the order of the moves)."""
        return list(self._staged)

    def commit(self) -> None:
        """Make every staged output appear: the commit point is the journal's rename."""
        if not self._staged:
            return
        mode = 0o666 & ~_umask()  # what a shared release folder wants, whoever wrote the file
        for tmp, _ in self._staged:
            if not tmp.exists():
                raise FileNotFoundError(f"a staged output was never written: {tmp}")
            if tmp in self._folders:
                os.chmod(tmp, 0o777 & ~_umask())
            else:
                os.chmod(tmp, mode)
                _fsync_file(tmp)
        self._refuse_what_is_in_the_way()
        by_device = {os.stat(t).st_dev: t for t in sorted(self._folders)}
        for tmp in by_device.values():  # one sync per file system covers its staged folders
            _sync_tree(tmp)
        primary = next(iter(self._stages.values()))
        moves = []
        for tmp, final in self._staged:
            move = {"staged": str(tmp), "final": str(final)}
            if tmp in self._folders:
                move["aside"] = str(tmp.parent / _ASIDE / final.name)
            moves.append(move)
        journal = {"moves": moves, "stages": [str(s) for s in self._stages.values()]}
        pending = primary / f"{JOURNAL}.tmp"
        with open(pending, "w", encoding="utf-8") as handle:
            json.dump(journal, handle)
            handle.flush()
            os.fsync(handle.fileno())
        before_commit()  # (last: what it waits for is the commit point itself)
        folders = list(self._stages)
        with contextlib.ExitStack() as locks:
            for folder in sorted(folders):
                locks.enter_context(folder_lock(folder))
            os.replace(pending, primary / JOURNAL)  # the commit point
            _fsync_folder(primary)
            _finish(primary)

    def _refuse_what_is_in_the_way(self) -> None:
        """OutputWriteError, before the commit point, for a staged file whose final name is
        a folder (a rename cannot replace one): nothing has moved yet, so the earlier
        outputs all stay. Why: after the commit point the moves only go forward, so a
        folder named ``neighbourhoods_atlas.pdf`` left the new summaries beside no atlas,
        said as a commit stopped half way, where it can be said before anything changes."""
        for tmp, final in self._staged:
            if tmp not in self._folders and final.is_dir() and not final.is_symlink():
                raise OutputWriteError(
                    errno.EISDIR,
                    f"a folder is where the output {shown_path(final)} goes, and a file "
                    "cannot replace it: nothing was changed (move or rename the folder)",
                    str(final),
                )

    def discard(self) -> None:
        """Remove what was staged and not committed; finish a commit whose commit point
        has passed (its journal written) but whose moves were cut short.

        Why: Ctrl-C or SIGTERM (a KeyboardInterrupt, which can land between any two lines)
        after the journal's rename left the journal and the stage folders beside the
        outputs for the next run to finish: the outputs half old and half new until then,
        and between a folder's two moves no folder at all (the summaries' previous
        ``neighbourhoods`` set aside in the stage, the new one not yet in place). Landing
        just before ``_committed`` was set, it also removed the other folders' stages,
        whose staged files the decided commit still had to move. Finished here, as
        :func:`complete_pending` would finish it, under the same folder locks as the commit;
        if that fails too (the disk), the next run finishes it, as before."""
        for handle in self._locks:
            handle.close()
        self._locks = []
        primary = next(iter(self._stages.values()), None)
        if primary is not None and (primary / JOURNAL).exists():
            with contextlib.suppress(OSError), contextlib.ExitStack() as locks:
                for folder in sorted(self._stages):
                    locks.enter_context(folder_lock(folder))
                if (primary / JOURNAL).exists():
                    _finish(primary)
            return
        for stage in self._stages.values():  # (after a commit: gone already, or what the
            shutil.rmtree(stage, ignore_errors=True)  # previous outputs left set aside)


@contextlib.contextmanager
def staged_outputs() -> Iterator[Staging]:
    """Stage outputs inside the block; they replace the old ones only if it completes."""
    staging = Staging()
    try:
        yield staging
        staging.commit()
    finally:
        staging.discard()


class OutputWriteError(OSError):
    """An output could not be written (a full disk, a failing or read-only device): an
    OSError, so every caller that reports file errors clearly reports this one too."""


@contextlib.contextmanager
def sqlite_write_errors(path: PathLike) -> Iterator[None]:
    """SQLite's errors while writing a GeoPackage, as an OutputWriteError naming the file
    and the likely cause (SQLite says "database or disk is full" or "disk I/O error")."""
    import errno
    import sqlite3

    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if "full" in text.lower():
            code, why = errno.ENOSPC, "the disk is full"
        else:
            code, why = errno.EIO, f"the write failed ({text}): is the disk full or failing?"
        message = f"cannot write the GeoPackage {Path(path).name}: {why}"
        raise OutputWriteError(code, message, str(path)) from exc


def write_text_atomic(path: PathLike, text: str) -> None:
    with staged_outputs() as stage:
        stage.path_for(path).write_text(text, encoding="utf-8")


def stage_folders(folder: PathLike) -> list[Path]:
    """The stage folders in `folder` (for tests and diagnostics)."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.name.startswith(STAGE_PREFIX))
