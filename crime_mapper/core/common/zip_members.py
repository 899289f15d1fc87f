"""List the members of a user's .zip archive and unpack one into memory, or say why not.

Why one place: the load, the summaries' history and the web map each read police.uk's
monthly archives, and each caught a different subset of what unpacking raises (a corrupt
deflate stream is zlib.error, an encrypted member RuntimeError, an unknown compression
NotImplementedError), and only one of them refused a member too large to hold in memory. A
member is read whole, so a few megabytes of "zip bomb" would otherwise ask for gigabytes.
No QGIS, no pandas.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import Callable, Union

from .text_file import shown_line

#: A member that would unpack to more than this is refused before it is unpacked; so is one
#: that unpacks to more than MAX_MEMBER_RATIO times its packed size once past
#: MIN_RATIO_CHECKED bytes. A national police.uk month is about 120 MB and CSV packs 5-15
#: times; a year of a force's own extract stays far below both.
MAX_MEMBER_BYTES = 4 << 30
MAX_MEMBER_RATIO = 200
MIN_RATIO_CHECKED = 64 << 20


class MemberUnreadable(OSError):
    """A member that cannot, or must not, be unpacked (an OSError: a file that cannot be
    read, which every reader already reports as such)."""


class RepeatedMember(MemberUnreadable):
    """An archive holding two members of one name."""


def archive_members(archive: zipfile.ZipFile, keep: Callable[[str], bool]) -> list[zipfile.ZipInfo]:
    """The archive's files whose name ``keep`` accepts, sorted by name; RepeatedMember when
    two of them have one name (zipfile's, as every reader looks it up). Why: zipfile finds
    a member by name and gets the last one of that name, so the load read one of two files
    so named and lost the other's crimes without a word."""
    found = sorted(
        (info for info in archive.infolist() if not info.is_dir() and keep(info.filename)),
        key=lambda info: info.filename,
    )
    for first, second in zip(found, found[1:]):
        if first.filename == second.filename:
            raise RepeatedMember(_repeated(first, second))
    return found


def _repeated(first: zipfile.ZipInfo, second: zipfile.ZipInfo) -> str:
    """What the analyst is told of two members of one name (the same or other contents, as
    their sizes and checksums say: nothing is unpacked to tell)."""
    name = shown_line(first.filename)
    if (first.CRC, first.file_size) == (second.CRC, second.file_size):
        why = f"holds {name} twice (the same size and checksum): its rows could be read twice"
    else:
        why = (
            f"holds two members named {name} with different contents: read by name, one "
            "would stand for the other and its rows be lost"
        )
    return f"{why}. Make the archive again with each file once"


def check_member_size(info: zipfile.ZipInfo) -> None:
    """MemberUnreadable for a member too large to unpack into memory, or packed so tightly
    that it is no crime data (see MAX_MEMBER_BYTES)."""
    size, packed = info.file_size, info.compress_size
    if size > MAX_MEMBER_BYTES:
        raise MemberUnreadable(
            f"{shown_line(info.filename)} would unpack to {size:,} bytes, over the "
            f"{MAX_MEMBER_BYTES:,} "
            "this reads"
        )
    if size > MIN_RATIO_CHECKED and size > MAX_MEMBER_RATIO * max(packed, 1):
        raise MemberUnreadable(
            f"{shown_line(info.filename)} would unpack {packed:,} bytes to {size:,} (over "
            f"{MAX_MEMBER_RATIO} times): no crime data packs so tightly"
        )


def read_member(archive: zipfile.ZipFile, member: Union[str, zipfile.ZipInfo]) -> bytes:
    """The member's bytes; MemberUnreadable naming it for anything that stops the unpacking."""
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    check_member_size(info)
    try:
        return archive.read(info)
    # (RuntimeError: zipfile's word for an encrypted member; NotImplementedError: for a
    # compression it does not know)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise MemberUnreadable(f"{shown_line(info.filename)} cannot be unpacked ({exc})") from exc
