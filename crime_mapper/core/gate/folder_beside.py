"""A folder's pages read by a forked child beside the gate's own process (issue 13).

Why: a national summaries folder is 7,200 HTML pages; reading them (splitting each page at
its tags, folding its text) is Python that holds the interpreter's lock, some 4 s of the
gate's critical path, while the second core is idle. A child forked at the start of the
read (core.common.forked: only where the caller asks, a process of its own, and with no
other Python thread running) reads the last part of the pages while this process reads the
rest of the folder (the tidy CSV, the GeoPackage, the first pages).

The artifacts are exactly read_output's, in its order:

- a page the child read is sent back as what its read did to a fresh Artifact: the strings
  it added to ``strings`` in the order added (output_reader.read_file's ``record``), its
  texts and its code. The same adds in the same order give the very same set here (this
  process's hashes: the child shares them), so every later use of the set (its order
  included) is what it would have been. Only pages read with no script take this path; an
  error artifact (nothing in its set) is sent whole; anything else is read here;
- if the child fails in any way (an error, killed, out of memory, no answer within
  DEADLINE_S: then killed), its pages are read here, as without it: the same artifacts,
  later. The child only reads: stopped (the caller failed meanwhile, or was interrupted
  while waiting), it is killed, not waited for.

A folder's large GeoPackage (a release folder checked with ``cli check-release FOLDER``:
its public GeoPackage, some 3-4 s of SQLite scans and value splits nationally) is read the
same way, by a child of its own (core.gate.gpkg_beside, the read ``read_ahead`` forks for a
GeoPackage checked alone; the largest MAX_GPKG_CHILDREN of several), whatever the number of
pages: the artifact is read_file's, from the child's contents or, the child failing, a read
here.

The caller does its own work meanwhile (the gate: its raw-side views) and then calls
:meth:`FolderRead.result`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ..common import forked
from . import file_beside
from .gpkg_beside import GpkgBeside
from .output_reader import GPKG_SUFFIXES, Artifact, read_file, read_output

PAGE_SUFFIXES = (".html", ".htm")
MIN_PAGES = 400  # fewer pages are read faster than a child is forked and heard back from
# the child's share of the pages, the last ones: this process also reads everything else
# (the summaries' tidy CSV and GeoPackage, about a quarter of the folder's reading) and takes
# in the child's pages as they are sent back (0.56 left this process reading for some 1.5 s
# after the child had done, in a national monthly release whose gate views were warm)
CHILD_SHARE = 0.7
#: seconds the child has, once this process has read its own files, to send its pages back:
#: a child later than this (hung) is killed and its pages are read here (national: some 3 s)
DEADLINE_S = forked.ANSWER_DEADLINE_S
#: a GeoPackage in the folder this large or larger is read by a child of its own
GPKG_MIN_BYTES = file_beside.MIN_BYTES
#: ...the largest ones, this many at most: the rest of the gate's work is this process's, so
#: on two cores one child has the second core already, and more would only take turns with
#: it, each with its own copy of what it reads (the others are read here)
MAX_GPKG_CHILDREN = 1

_Sent = Optional[tuple]  # ("page", added, texts, code), ("whole", Artifact) or None


class FolderRead:
    """read_output(folder) with its last pages read by a forked child; see the module."""

    def __init__(
        self, folder: Path, files: list[Path], theirs: list[int], gpkgs: tuple[int, ...] = ()
    ) -> None:
        """Fork the children now: one per GeoPackage of ``gpkgs`` (indexes in ``files``;
        one that cannot be forked is read here) and, when ``theirs`` names pages, the
        pages' child (OSError when it cannot be forked)."""
        self.folder = folder
        self.files = files
        self.names = [p.relative_to(folder).as_posix() for p in files]
        self.theirs = theirs
        self.from_child = 0  # pages whose artifact came from the child (tests)
        self.gpkgs: dict[int, GpkgBeside] = {}
        try:
            for i in gpkgs:
                try:
                    self.gpkgs[i] = GpkgBeside(files[i], self.names[i], True)
                except OSError:  # (no fork now: read here)
                    continue
            self._call: Optional[forked.ForkedCall[list[_Sent]]] = (
                forked.ForkedCall(lambda _call: self._child()) if theirs else None
            )
        except BaseException:
            self._stop_gpkgs()
            raise

    @classmethod
    def start(cls, output: Any) -> Optional[FolderRead]:
        """The read started, its children forked; None when ``output`` is not a folder
        of MIN_PAGES pages or more or with a GeoPackage of GPKG_MIN_BYTES or more, a child
        cannot run beside (forked.available), another Python thread runs now
        (forked.alone), or the forks fail: the caller reads as before."""
        try:
            if isinstance(output, (str, Path)) and Path(output).is_dir():
                folder = Path(output)
                files = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
                pages = [i for i, p in enumerate(files) if p.suffix.lower() in PAGE_SUFFIXES]
                gpkgs = _largest_gpkgs(files)
                if len(pages) < MIN_PAGES:
                    pages = []
                if (pages or gpkgs) and forked.available() and forked.alone():
                    theirs = pages[len(pages) - int(len(pages) * CHILD_SHARE) :]
                    started = cls(folder, files, theirs, gpkgs)
                    if started.gpkgs or started._call is not None:
                        return started
        except OSError:
            pass
        return None

    # --- in the child ---------------------------------------------------------------------
    def _child(self) -> list[_Sent]:
        """Each of the child's pages as sent back (strings shared by identity: a page
        template's strings are pickled once, and arrive here already hashed)."""
        same: dict[str, str] = {}
        one = same.setdefault
        sent: list[_Sent] = []
        for i in self.theirs:
            art = read_file(self.files[i], name=self.names[i], in_folder=True, record=True)
            if art.added is not None and art.kind == "html":
                added = [one(s, s) for s in art.added]
                sent.append(("page", added, [one(t, t) for t in art.texts], art.code))
            elif not art.strings:
                sent.append(("whole", art))
            else:
                sent.append(None)
        for item in sent:  # (one style sheet on every page: sent once)
            if item is not None and item[0] == "page":
                item[3][:] = [one(c, c) for c in item[3]]
        return sent

    # --- in the caller --------------------------------------------------------------------
    def result(self) -> tuple[str, list[Artifact]]:
        """read_output(folder): this process's files read now, the children's collected."""
        try:
            here = self.read_here()
        except BaseException:
            self.stop()
            raise
        return self.complete(here)

    def read_here(self) -> list[Optional[Artifact]]:
        """The artifacts of this process's files, read now (None where a child reads).
        Only reads: it may run on another thread while the caller works (the gate's views,
        core.gate.leak_gate), which then stops or completes this read itself, so that no
        thread waits on a child the caller has given up on."""
        theirs = set(self.theirs) | set(self.gpkgs)
        return [
            None if i in theirs else read_file(p, name=self.names[i], in_folder=True)
            for i, p in enumerate(self.files)
        ]

    def complete(self, arts: list[Optional[Artifact]]) -> tuple[str, list[Artifact]]:
        """read_output(folder) from :meth:`read_here`'s artifacts: the children's collected
        (what a failed child was to read is read here), every child ended."""
        try:
            for i, gpkg in self.gpkgs.items():  # (the child's read, or a read here)
                arts[i] = gpkg.artifact()
            sent = self._collect()
            for i, item in zip(self.theirs, sent):
                arts[i] = self._artifact(i, item)
            for i in self.theirs[len(sent) :]:  # (the child failed: read here)
                arts[i] = read_file(self.files[i], name=self.names[i], in_folder=True)
        finally:
            self.stop()
        return str(self.folder), arts  # type: ignore[return-value]

    def _collect(self) -> list[_Sent]:
        call, self._call = self._call, None
        if call is None:
            return []
        sent = call.answer_within(DEADLINE_S)  # (None: failed or late, killed; read here)
        return sent if isinstance(sent, list) and len(sent) == len(self.theirs) else []

    def _artifact(self, i: int, item: _Sent) -> Artifact:
        if item is not None and item[0] == "page":
            art = Artifact(name=self.names[i], kind="html", path=self.files[i])
            art.strings.update(item[1])  # (the page's adds, in its order)
            art.texts.extend(item[2])
            art.code.extend(item[3])
            self.from_child += 1
            return art
        if item is not None and item[0] == "whole":
            self.from_child += 1
            return item[1]
        return read_file(self.files[i], name=self.names[i], in_folder=True)

    def stop(self) -> None:
        """The child killed and waited for (nothing if it has left already): it only reads,
        so nothing of it is to be undone, and a busy child would not hear a stop."""
        call, self._call = self._call, None
        if call is not None:
            call.kill()
        self._stop_gpkgs()

    def _stop_gpkgs(self) -> None:
        for gpkg in self.gpkgs.values():
            gpkg.stop()  # (nothing once its answer was taken)


def _largest_gpkgs(files: list[Path]) -> tuple[int, ...]:
    """The indexes of the plain GeoPackages of GPKG_MIN_BYTES or more in ``files``, the
    MAX_GPKG_CHILDREN largest, in the files' order."""
    sized = [
        (p.stat().st_size, i)
        for i, p in enumerate(files)
        if file_beside.plain_file(p, GPKG_SUFFIXES, GPKG_MIN_BYTES) is not None
    ]
    return tuple(sorted(i for _size, i in sorted(sized, reverse=True)[:MAX_GPKG_CHILDREN]))


def read_beside(output: Any) -> tuple[str, list[Artifact]]:
    """read_output(output), a folder's pages read beside in a child where FolderRead.start
    can fork one."""
    started = FolderRead.start(output)
    if started is None:
        return read_output(output)
    return started.result()
