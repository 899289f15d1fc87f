"""police.uk monthly archives that are damaged or hostile, through each reader of them (the
load, the summaries' history, the web map's inputs): a member packed far too tightly (a
"zip bomb") or too large to unpack into memory is refused before it is unpacked, and a
corrupt, encrypted or strangely compressed member is that file's clear error, never an
"unexpected error" or a traceback.

The archives are real zip files holding a real police.uk month; the damage is made in
their bytes (the compressed data overwritten, the header's flags and method changed). The
size limits are lowered for the test so a small member meets them (the same code path)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from crime_mapper.core.common import zip_members
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.publish.summaries import SummaryError
from crime_mapper.core.publish.summaries_history import read_history
from crime_mapper.core.publish.webmap_inputs import WebmapInputError, read_release_inputs

MONTH = Path(__file__).resolve().parents[1] / "sample_data" / "police-uk" / "2022-09"
STREET = MONTH / "2022-09-leicestershire-street.csv"
MEMBER = "2022-09/2022-09-leicestershire-street.csv"


def _archive(path: Path, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, data)
    return path


def _patched(path: Path, flag_bits: int = 0, method: int = -1) -> Path:
    """The archive with its member's general-purpose flags or compression method changed in
    both the local and the central header, as an encrypting or other tool would write them."""
    data = bytearray(path.read_bytes())
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        flags = struct.unpack_from("<H", data, at + flags_at)[0] | flag_bits
        struct.pack_into("<H", data, at + flags_at, flags)
        if method >= 0:
            struct.pack_into("<H", data, at + method_at, method)
    path.write_bytes(bytes(data))
    return path


def _corrupted(path: Path) -> Path:
    """The member's compressed bytes overwritten in the middle."""
    data = bytearray(path.read_bytes())
    header = data.find(b"PK\x03\x04")
    name_len, extra_len = struct.unpack_from("<HH", data, header + 26)
    start = header + 30 + name_len + extra_len
    middle = start + 2000
    data[middle : middle + 64] = b"\x00\xff" * 32
    path.write_bytes(bytes(data))
    return path


def _load_error(path: Path) -> str:
    result = load_extracts([str(path)])
    errors = [f.error for f in result.files if f.error]
    assert len(errors) == 1, errors
    assert "unexpected error" not in errors[0]
    return errors[0]


def _readers_refuse(path: Path, why: str) -> None:
    assert why in _load_error(path)
    with pytest.raises(SummaryError, match=why):
        read_history([str(path)], ["2022-10"])
    with pytest.raises(WebmapInputError, match=why):
        read_release_inputs([str(path)])


@pytest.fixture
def street() -> bytes:
    return STREET.read_bytes()


def test_the_sound_archive_reads_in_every_reader(tmp_path, street):
    path = _archive(tmp_path / "2022-09.zip", street)
    assert not [f.error for f in load_extracts([str(path)]).files if f.error]
    rows, _notes = read_history([str(path)], ["2022-10"])
    assert len(rows) > 0
    assert read_release_inputs([str(path)])


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(zip_members, "MIN_RATIO_CHECKED", 1 << 20)
    header = STREET.read_bytes().split(b"\n", 1)[0] + b"\n"
    path = _archive(tmp_path / "bomb.zip", header + b"," * (8 << 20))  # packs ~1000 times
    _readers_refuse(path, "no crime data packs so tightly")


def test_a_member_too_large_for_memory_is_refused(tmp_path, street, monkeypatch):
    monkeypatch.setattr(zip_members, "MAX_MEMBER_BYTES", len(street) - 1)
    _readers_refuse(_archive(tmp_path / "big.zip", street), "would unpack to")


def test_a_corrupt_member_is_that_files_error(tmp_path, street):
    _readers_refuse(_corrupted(_archive(tmp_path / "corrupt.zip", street)), "cannot be unpacked")


def test_an_encrypted_member_is_that_files_error(tmp_path, street):
    path = _patched(_archive(tmp_path / "locked.zip", street), flag_bits=0x1)
    _readers_refuse(path, "cannot be unpacked")


def test_a_member_in_an_unknown_compression_is_that_files_error(tmp_path, street):
    path = _patched(_archive(tmp_path / "aes.zip", street), method=99)
    _readers_refuse(path, "cannot be unpacked")
