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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

from ..common.text_file import NotAFile, check_file, not_found, shown_path
from ..common.vocabulary import FILE_MONTH
from ..common.zip_members import RepeatedMember, archive_members, read_member

PathLike = Union[str, "os.PathLike[str]"]

_FILE_MONTH = re.compile(rf"^({FILE_MONTH})-")


@dataclass(frozen=True)
class SourceFile:
    """One CSV to read: its display name (used in reports and rejects) and how to get its bytes."""

    name: str  # e.g. "2022-10-leicestershire-street.csv" or "archive.zip:2022-10/…-street.csv"
    basename: str
    read_bytes: Callable[[], bytes]
    identity: str = ""  # the file (real path; an archive's member after it), to find repeats
    size: int = -1  # its bytes' length (a member's as its archive states it); -1: unknown

    @property
    def file_month(self) -> Optional[str]:
        """The YYYY-MM a police.uk-style file name claims, if any."""
        match = _FILE_MONTH.match(self.basename)
        return match.group(1) if match else None


class InputError(ValueError):
    """A path the analyst gave cannot be used at all (missing, unreadable archive)."""


def _file_source(path: Path) -> SourceFile:
    return SourceFile(
        name=str(path),
        basename=path.name,
        read_bytes=path.read_bytes,
        identity=os.path.realpath(path),
        size=path.stat().st_size,
    )


def _zip_sources(path: Path) -> list[SourceFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {
                info.filename: info.file_size
                for info in archive_members(archive, lambda name: name.lower().endswith(".csv"))
            }
    except zipfile.BadZipFile as exc:
        raise InputError(f"{shown_path(path)}: not a readable .zip archive ({exc})") from exc
    except RepeatedMember as exc:
        raise InputError(f"{shown_path(path)}: {exc}") from exc

    def reader(member: str) -> Callable[[], bytes]:
        def read() -> bytes:
            with zipfile.ZipFile(path) as archive:
                return read_member(archive, member)

        return read

    return [
        SourceFile(
            name=f"{path}:{m}",
            basename=m.rsplit("/", 1)[-1],
            read_bytes=reader(m),
            identity=f"{os.path.realpath(path)}:{m}",
            size=sizes[m],
        )
        for m in sizes
    ]


def _refuse_repeats(sources: list[SourceFile]) -> None:
    """InputError when one file is reached twice: a path given twice, a folder and a file in
    it, a zip given twice. Read twice, every row was rejected the second time as a duplicate
    Crime ID, and the report, one file under one name counted twice, did not reconcile.
    Two files holding the same bytes (a monthly folder and the zip it was unpacked from) are
    refused too: their crimes with a Crime ID met the duplicate check, but the rows without
    one (police.uk's anti-social behaviour) were accepted twice and published twice."""
    seen: set[str] = set()
    for source in sources:
        if source.identity in seen:
            raise InputError(
                f"{shown_path(source.name)} is given twice: its crimes would be read twice. Give "
                "each file once"
            )
        seen.add(source.identity)
    same = _same_bytes(sources)
    if same is not None:
        raise InputError(
            f"{same[1]} holds the same bytes as {same[0]}: its rows would be read twice (those "
            "without a Crime ID, such as anti-social behaviour, accepted twice). Give each file "
            "once"
        )


def _same_bytes(sources: list[SourceFile]) -> Optional[tuple[str, str]]:
    """The names of two sources with the same bytes and some row under a header, else None.
    Sizes first (a zip member's as its archive states it): only sources of equal size are
    read. Files with no row (empty, a header alone) repeat nothing and are let be."""
    by_size: dict[int, list[SourceFile]] = {}
    for source in sources:
        by_size.setdefault(source.size, []).append(source)
    for group in by_size.values():
        if len(group) < 2:
            continue
        seen: dict[bytes, str] = {}
        for source in group:
            try:
                data = source.read_bytes()
            except (OSError, ValueError):
                continue  # (unreadable: the load reports it as that file's error)
            body = data.strip()
            if b"\n" not in body and b"\r" not in body:
                continue  # (one line at most: no row)
            digest = hashlib.sha256(data).digest()
            if digest in seen:
                return seen[digest], source.name
            seen[digest] = source.name
    return None


def expand_inputs(paths: Iterable[PathLike]) -> list[SourceFile]:
    """Every CSV named by the given files, folders (searched recursively) and zip archives.

    Order is stable (sorted within folders and archives) so record ids and outputs are
    reproducible run to run.
    """
    sources: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(not_found("Extract", path))
        try:  # a FIFO blocked the read for ever; /dev/zero read until memory ran out
            check_file(path)
        except NotAFile as exc:
            raise InputError(f"{shown_path(path)}: {exc.strerror}") from None
        if path.is_dir():
            before = len(sources)
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                suffix = child.suffix.lower()
                if suffix == ".csv":
                    sources.append(_file_source(child))
                elif suffix == ".zip":
                    sources.extend(_zip_sources(child))
            if len(sources) == before:  # (read as "0 rows, reconciled": said plainly instead)
                raise InputError(f"{shown_path(path)}: a folder holding no .csv or .zip file")
        elif path.suffix.lower() == ".zip":
            members = _zip_sources(path)
            if not members:
                raise InputError(f"{shown_path(path)}: a .zip archive holding no .csv file")
            sources.extend(members)
        else:
            sources.append(_file_source(path))
    _refuse_repeats(sources)
    return sources
