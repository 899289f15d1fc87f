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

Given a segment index (``segments``: the gate's checks split every text of the output into
distinct segments, core.gate.scan.SegmentIndex, some 2.4 s of a national summaries gate on
one core once the read had ended), the texts are split during the read: the child splits
its pages' texts into an index of its own and sends back its segments and each text's ids
in them, and this process splits its own files' texts while it waits for the child, then
takes the child's in (SegmentIndex.take: each segment looked up once, the ids renumbered).
The index then holds exactly the segments a split here would have made; only their ids
differ, which changes no finding. What the child sent is taken only if it is whole (one
run of ids per text, each id one of its segments, each text's segments as long as the
text); else those texts are left to the checks, which split what the index lacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..common import forked
from . import file_beside
from .gpkg_beside import GpkgBeside
from .output_reader import GPKG_SUFFIXES, Artifact, folder_names, read_file, read_output
from .scan import SegmentIndex

PAGE_SUFFIXES = (".html", ".htm")
MIN_PAGES = 400  # fewer pages are read faster than a child is forked and heard back from
# the child's share of the pages, the last ones: this process also reads everything else
# (the summaries' tidy CSV and GeoPackage, about a quarter of the folder's reading) and takes
# in the child's pages as they are sent back (0.56 left this process reading for some 1.5 s
# after the child had done, in a national monthly release whose gate views were warm)
CHILD_SHARE = 0.7
# ...and when the texts are split as they are read (``segments``): the child splits its
# pages' texts too, and this process its own while it waits (a national monthly release's
# summaries gate, views warm: the read and the index ended 5.5-5.8 s into the gate at 0.5,
# 5.8-5.9 s at 0.45, 6.1 s at 0.55, 6.4 s at 0.6, 7.1 s at 0.7; 6.6-6.8 s with no split)
CHILD_SHARE_SPLITTING = 0.5
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
# the child's split of its pages' texts: its segments, every id (int32, a run per text: each
# "page" sent's texts, then its code), and each run's length
_Split = Optional[tuple[list[str], np.ndarray, list[int]]]


class FolderRead:
    """read_output(folder) with its last pages read by a forked child; see the module."""

    def __init__(
        self,
        folder: Path,
        files: list[Path],
        theirs: list[int],
        gpkgs: tuple[int, ...] = (),
        segments: Optional[SegmentIndex] = None,
    ) -> None:
        """Fork the children now: one per GeoPackage of ``gpkgs`` (indexes in ``files``;
        one that cannot be forked is read here) and, when ``theirs`` names pages, the
        pages' child (OSError when it cannot be forked). ``segments``: the texts are split
        into it as they are read (see the module)."""
        self.folder = folder
        self.files = files
        self.names = [p.relative_to(folder).as_posix() for p in files]
        self.theirs = theirs
        self.segments = segments
        self.from_child = 0  # pages whose artifact came from the child (tests)
        self.split_by_child = 0  # texts whose split came from the child (tests)
        self.gpkgs: dict[int, GpkgBeside] = {}
        try:
            for i in gpkgs:
                try:
                    self.gpkgs[i] = GpkgBeside(files[i], self.names[i], True)
                except OSError:  # (no fork now: read here)
                    continue
            self._call: Optional[forked.ForkedCall[tuple[list[_Sent], _Split]]] = (
                forked.ForkedCall(lambda _call: self._child()) if theirs else None
            )
        except BaseException:
            self._stop_gpkgs()
            raise

    @classmethod
    def start(cls, output: Any, segments: Optional[SegmentIndex] = None) -> Optional[FolderRead]:
        """The read started, its children forked; None when ``output`` is not a folder
        of MIN_PAGES pages or more or with a GeoPackage of GPKG_MIN_BYTES or more, a child
        cannot run beside (forked.available), another Python thread runs now
        (forked.alone), or the forks fail: the caller reads as before. ``segments``: an
        empty index the texts are split into as they are read (see the module); not with
        a GeoPackage's child (its ``segments`` is then None)."""
        try:
            if isinstance(output, (str, Path)) and Path(output).is_dir():
                folder = Path(output)
                files = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
                pages = [i for i, p in enumerate(files) if p.suffix.lower() in PAGE_SUFFIXES]
                gpkgs = _largest_gpkgs(files)
                if len(pages) < MIN_PAGES:
                    pages = []
                if gpkgs:  # (a release folder's read, measured as it was: nothing split)
                    segments = None
                if (pages or gpkgs) and forked.available() and forked.alone():
                    share = CHILD_SHARE if segments is None else CHILD_SHARE_SPLITTING
                    theirs = pages[len(pages) - int(len(pages) * share) :]
                    started = cls(folder, files, theirs, gpkgs, segments)
                    if started.gpkgs or started._call is not None:
                        return started
        except OSError:
            pass
        return None

    # --- in the child ---------------------------------------------------------------------
    def _child(self) -> tuple[list[_Sent], _Split]:
        """Each of the child's pages as sent back (strings shared by identity: a page
        template's strings are pickled once, and arrive here already hashed), and their
        texts' split when asked for (see the module)."""
        same: dict[str, str] = {}
        one = same.setdefault
        sent: list[_Sent] = []
        index = SegmentIndex() if self.segments is not None else None
        runs: list[np.ndarray] = []
        for i in self.theirs:
            art = read_file(self.files[i], name=self.names[i], in_folder=True, record=True)
            if art.added is not None and art.kind == "html":
                added = [one(s, s) for s in art.added]
                sent.append(("page", added, [one(t, t) for t in art.texts], art.code))
                if index is not None:
                    runs += [index.ids(t) for t in art.texts + art.code]
            elif not art.strings:
                sent.append(("whole", art))
            else:
                sent.append(None)
        for item in sent:  # (one style sheet on every page: sent once)
            if item is not None and item[0] == "page":
                item[3][:] = [one(c, c) for c in item[3]]
        if index is None:
            return sent, None
        flat = np.concatenate(runs) if runs else np.zeros(0, dtype=np.int32)
        return sent, (index.segments, flat, [len(r) for r in runs])

    # --- in the caller --------------------------------------------------------------------
    def result(self) -> tuple[str, list[Artifact]]:
        """read_output(folder): this process's files read now (their texts split, when
        asked, while the child reads on), the children's collected."""
        try:
            here = self.read_here()
            self._split_own(here)
        except BaseException:
            self.stop()
            raise
        return self.complete(here)

    def _split_own(self, arts: list[Optional[Artifact]]) -> None:
        """This process's own texts split into ``segments`` (a failure leaves them to the
        checks, which split whatever the index lacks)."""
        if self.segments is None:
            return
        try:
            for art in arts:
                if art is not None and art.kind != "error":
                    self.segments.add(art.texts)
                    self.segments.add(art.code)
        except Exception:  # noqa: BLE001, S110 - the checks split these texts themselves
            pass

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
            sent, split = self._collect()
            for i, item in zip(self.theirs, sent):
                arts[i] = self._artifact(i, item)
            if split is not None and sent:
                self._take_split(sent, split)
            for i in self.theirs[len(sent) :]:  # (the child failed: read here)
                arts[i] = read_file(self.files[i], name=self.names[i], in_folder=True)
        finally:
            self.stop()
        names = folder_names(self.folder)
        self._split_own([names])  # (every text of the read split, as the files' are)
        return str(self.folder), [*arts, names]  # type: ignore[list-item]

    def _collect(self) -> tuple[list[_Sent], _Split]:
        call, self._call = self._call, None
        if call is None:
            return [], None
        got = call.answer_within(DEADLINE_S)  # (None: failed or late, killed; read here)
        if not (isinstance(got, tuple) and len(got) == 2):
            return [], None
        sent, split = got
        if not (isinstance(sent, list) and len(sent) == len(self.theirs)):
            return [], None
        return sent, split

    def _take_split(self, sent: list[_Sent], split: Any) -> None:
        """The child's split of its pages' texts taken into ``segments``, if it is whole
        (see the module); else nothing (the checks split those texts)."""
        pages = [item for item in sent if item is not None and item[0] == "page"]
        texts = [t for item in pages for t in item[2] + item[3]]
        if self.segments is None or not _whole_split(split, texts):
            return
        segments, flat, lengths = split
        starts = np.zeros(len(lengths), dtype=np.int64)
        starts[1:] = np.cumsum(lengths)[:-1]
        try:
            self.segments.take(
                segments, zip(texts, (flat[a : a + n] for a, n in zip(starts.tolist(), lengths)))
            )
        except Exception:  # noqa: BLE001 - (out of memory?) the texts not taken: checks split
            return
        self.split_by_child = len(texts)

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


def _whole_split(split: Any, texts: list[str]) -> bool:
    """Whether ``split`` is the child's split of ``texts``, whole: its segments are strings,
    one run of ids per text, every id one of its segments, and each text as long as its
    segments joined at the cuts (so no run was taken for another text's)."""
    if not (isinstance(split, tuple) and len(split) == 3):
        return False
    segments, flat, lengths = split
    if not (
        isinstance(segments, list)
        and all(type(s) is str for s in segments)
        and isinstance(flat, np.ndarray)
        and flat.dtype == np.int32
        and flat.ndim == 1
        and isinstance(lengths, list)
        and len(lengths) == len(texts)
        and all(type(n) is int and n >= 1 for n in lengths)
        and sum(lengths) == flat.size
    ):
        return False
    if not texts:
        return True
    if int(flat.min()) < 0 or int(flat.max()) >= len(segments):
        return False
    sizes = np.fromiter(map(len, segments), dtype=np.int64, count=len(segments))
    starts = np.zeros(len(lengths), dtype=np.int64)
    starts[1:] = np.cumsum(lengths)[:-1]
    # (a text cut into n segments at n - 1 newlines)
    joined = np.add.reduceat(sizes[flat], starts) + np.asarray(lengths, dtype=np.int64) - 1
    return bool(np.array_equal(joined, np.fromiter(map(len, texts), np.int64, len(texts))))


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
