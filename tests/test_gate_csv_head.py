"""The leak gate reads an ASCII CSV without decoding all of it (issue 15), and reads every
CSV exactly as when it decoded the whole file first.

output_reader.read_file decoded every text file whole (UTF-8 validation, the NUL test, the
header); a CSV's cells are parsed by pandas from the bytes, so of the text only the header
is used. An ASCII file is valid UTF-8 without a byte-order mark, so only its head is made
text. Each file here is read both ways (the reference decodes it whole, as before) and the
artifacts compared field by field. Real data: sample_data/police-uk (Contains public sector
information licensed under the Open Government Licence v3.0.).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.gate import output_reader
from crime_mapper.core.gate.output_reader import CSV_HEAD_CHARACTERS, read_file

REPO = Path(__file__).resolve().parent.parent
MONTH = REPO / "sample_data/police-uk/2022-10"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)
ROW = (
    ",2022-10,Leicestershire Police,Leicestershire Police,-1.130000,52.630000,"
    "On or near Park Road,E01000001,Leicester 001A,Burglary,,"
)
FAR = CSV_HEAD_CHARACTERS * 2  # rows enough to put a byte well past the head


def _rows(n: int) -> str:
    return "\r\n".join([HEADER] + [ROW] * n) + "\r\n"


def _hostile() -> dict[str, bytes]:
    body = _rows(FAR // len(ROW) + 10)
    far = len(body) - 200
    return {
        "plain": body.encode(),
        "nul_past_head": (body[:far] + "\x00" + body[far:]).encode(),
        "nul_in_head": (body[:50] + "\x00" + body[50:]).encode(),
        "non_ascii": (body[:far] + "é" + body[far:]).encode(),
        "bad_byte_past_head": body[:far].encode() + b"\xff" + body[far:].encode(),
        "cut_utf8_past_head": body[:far].encode() + "é".encode()[:1] + body[far:].encode(),
        "bom": b"\xef\xbb\xbf" + body.encode(),
        "two_boms": b"\xef\xbb\xbf\xef\xbb\xbf" + body.encode(),
        "header_longer_than_head": (
            ",".join(f"c{i}" for i in range(CSV_HEAD_CHARACTERS // 4)) + "\n1,2\n"
        ).encode(),
        "header_beyond_head_non_ascii": (
            "é" + ",".join(f"c{i}" for i in range(CSV_HEAD_CHARACTERS // 4)) + "\n1,2\n"
        ).encode(),
        "quotes_and_formula": (
            HEADER + '\n,2022-10,"a, b",=cmd|x,-1.1,52.6,"On ""or"" near",x,y,z,,\n'
        ).encode(),
        "bare_cr": (HEADER + "\r" + ROW + "\r").encode(),
        "header_only": (HEADER + "\n").encode(),
        "empty": b"",
        "blank_lines": ("\n\n" + HEADER + "\n\n" + ROW + "\n\n").encode(),
        "short_and_long_rows": (HEADER + "\n" + ROW + ",extra\n1,2\n").encode(),
        "control_characters": (
            HEADER + "\n" + ROW.replace("Park", "Pa\x01\x1f\x7fk") + "\n"
        ).encode(),
    }


def _key(art: output_reader.Artifact) -> dict:
    out = {}
    for f in dataclasses.fields(art):
        value = getattr(art, f.name)
        if f.name in ("lon", "lat"):
            value = [(a.dtype.str, a.tobytes()) for a in value]
        elif f.name == "projected":
            value = [(x.tobytes(), y.tobytes(), s) for x, y, s in value]
        elif f.name == "number_runs":
            value = [(at, v.tobytes()) for at, v in value]
        out[f.name] = value
    return out


def _both(path: Path, in_folder: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    new = _key(read_file(path, path.name, in_folder))
    with monkeypatch.context() as patch:  # the reference: the whole file decoded, as before
        patch.setattr(output_reader, "_csv_head", lambda data: data.decode("utf-8-sig"))
        old = _key(read_file(path, path.name, in_folder))
    return new, old


@pytest.mark.parametrize("in_folder", [False, True])
@pytest.mark.parametrize("variant", sorted(_hostile()))
def test_csv_read_equals_whole_decode(
    tmp_path: Path, variant: str, in_folder: bool, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / f"{variant}.csv"
    path.write_bytes(_hostile()[variant])
    new, old = _both(path, in_folder, monkeypatch)
    assert new == old
    if variant in ("nul_past_head", "nul_in_head"):
        assert "NUL" in new["error"]
    if variant in ("bad_byte_past_head", "cut_utf8_past_head"):
        assert new["error"].startswith("not readable as UTF-8")
    if variant == "plain":
        assert new["kind"] == "csv" and not new["error"] and new["lon"]


def test_real_months_read_as_before(monkeypatch: pytest.MonkeyPatch):
    files = sorted(MONTH.glob("*.csv"))
    assert files, "the bundled police.uk month is missing"
    for path in files:
        new, old = _both(path, False, monkeypatch)
        assert new == old, path.name


def test_an_ascii_csv_is_not_decoded_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The shortcut itself: of an ASCII CSV only the head becomes text; a file with any
    other byte is decoded whole (so a bad byte anywhere is found)."""
    made: list[int] = []
    head = output_reader._csv_head
    monkeypatch.setattr(
        output_reader, "_csv_head", lambda data: made.append(len(head(data))) or head(data)
    )
    files = _hostile()
    for variant in ("plain", "non_ascii"):
        path = tmp_path / f"{variant}.csv"
        path.write_bytes(files[variant])
        assert read_file(path, path.name, False).kind == "csv"
    assert made[0] == CSV_HEAD_CHARACTERS < len(files["plain"])
    assert made[1] == len(files["non_ascii"].decode("utf-8"))
    assert np.all(np.asarray(made) > 0)
