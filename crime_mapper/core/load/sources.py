"""Turn what the analyst picked (files, folders, monthly .zip archives) into a list of inputs.

data.police.uk archives hold `YYYY-MM/YYYY-MM-<force>-<kind>.csv` members; folders may hold
either. Expanding everything up front lets a load report every file, including the ones it
could not use, and keeps the readers unaware of where bytes came from.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

from ..common.zip_members import read_member

PathLike = Union[str, "os.PathLike[str]"]

_FILE_MONTH = re.compile(r"^(\d{4}-\d{2})-")


@dataclass(frozen=True)
class SourceFile:
    """One CSV to read: its display name (used in reports and rejects) and how to get its bytes."""

    name: str  # e.g. "2022-10-leicestershire-street.csv" or "archive.zip:2022-10/…-street.csv"
    basename: str
    read_bytes: Callable[[], bytes]
    size: int = -1  # bytes, when known without reading them (-1: not known)

    @property
    def file_month(self) -> Optional[str]:
        """The YYYY-MM a police.uk-style file name claims, if any."""
        match = _FILE_MONTH.match(self.basename)
        return match.group(1) if match else None


class InputError(ValueError):
    """A path the analyst gave cannot be used at all (missing, unreadable archive)."""


def _file_source(path: Path) -> SourceFile:
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    return SourceFile(name=str(path), basename=path.name, read_bytes=path.read_bytes, size=size)


def _zip_sources(path: Path) -> list[SourceFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {
                info.filename: info.file_size
                for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith(".csv")
            }
            members = sorted(sizes)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a readable .zip archive ({exc})") from exc

    def reader(member: str) -> Callable[[], bytes]:
        def read() -> bytes:
            with zipfile.ZipFile(path) as archive:
                return read_member(archive, member)

        return read

    return [
        SourceFile(
            name=f"{path}:{m}", basename=m.rsplit("/", 1)[-1], read_bytes=reader(m), size=sizes[m]
        )
        for m in members
    ]


def _refuse_repeats(sources: list[SourceFile]) -> None:
    """InputError when two sources are the same bytes: a path given twice, a folder and a
    file in it, a monthly zip and the folder it was unpacked to. Read twice, every row was
    rejected the second time as a duplicate Crime ID and the report, one file counted twice,
    did not reconcile. Sizes first: only sources of equal size are read and hashed."""
    by_size: dict[int, list[SourceFile]] = {}
    for source in sources:
        if source.size >= 0:
            by_size.setdefault(source.size, []).append(source)
    for same in by_size.values():
        if len(same) < 2:
            continue
        seen: dict[bytes, str] = {}
        for source in same:
            try:
                digest = hashlib.sha256(source.read_bytes()).digest()
            except (OSError, ValueError, RuntimeError, zipfile.BadZipFile, zlib.error):
                continue  # (unreadable: the load reports it for the file itself)
            if digest in seen:
                raise InputError(
                    f"{seen[digest]} and {source.name} are the same file given twice: its "
                    "crimes would be read twice. Give each file once"
                )
            seen[digest] = source.name


def expand_inputs(paths: Iterable[PathLike]) -> list[SourceFile]:
    """Every CSV named by the given files, folders (searched recursively) and zip archives.

    Order is stable (sorted within folders and archives) so record ids and outputs are
    reproducible run to run.
    """
    sources: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                suffix = child.suffix.lower()
                if suffix == ".csv":
                    sources.append(_file_source(child))
                elif suffix == ".zip":
                    sources.extend(_zip_sources(child))
        elif path.suffix.lower() == ".zip":
            sources.extend(_zip_sources(path))
        else:
            sources.append(_file_source(path))
    _refuse_repeats(sources)
    return sources
