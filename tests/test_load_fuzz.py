"""Fuzz the loader with damaged copies of real police.uk files, as a hostile tester would.

Several hundred files are made from the committed real rows (sample_data/police-uk, the
published bytes), each with random damage of the kinds real files and hostile users bring:
byte flips, truncated rows, stray and unbalanced quotes, text after a closing quote, embedded
and bare line breaks, NUL and other control bytes, Latin-1 bytes in a UTF-8 file, megabyte
cells, duplicated or absurdly wide headers, files that are not CSV at all. They are loaded
together in one load, and then:

- nothing crashes and no file hits the loader's last-resort "unexpected error";
- every file reconciles (rows read = accepted + rejected) and every reject carries a known
  reason, its physical line and its raw text;
- wherever Python's csv module reads the file, the rows read equal its record count;
- every accepted street row equals, cell for cell, the record the csv module reads at that
  line (so no cell was silently changed on the way in).

The seed is fixed, so a failure is reproducible; the run takes seconds.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from crime_mapper.core.common.schema import REASONS
from crime_mapper.core.common.vocabulary import normalise_category, normalise_outcome
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.textscan import MAX_COLUMNS

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data" / "police-uk"
STREET = SAMPLES / "2022-10" / "2022-10-leicestershire-street.csv"
OUTCOMES = SAMPLES / "2022-07" / "2022-07-northumbria-outcomes.csv"
STOP_SEARCH = SAMPLES / "2022-07" / "2022-07-northumbria-stop-and-search.csv"
SEED = 20221010
FILES = 320


def _rows(path: Path) -> tuple[bytes, list[bytes]]:
    lines = [line for line in path.read_bytes().split(b"\r\n") if line]
    return lines[0], lines[1:]


def _replace_field(row: bytes, index: int, value: bytes) -> bytes:
    fields = row.split(b",")
    if index < len(fields):
        fields[index] = value
    return b",".join(fields)


def _damage_row(row: bytes, rng: np.random.Generator) -> list[bytes]:
    """One row with one kind of damage (a list: some damage splits a row in two)."""
    kind = rng.integers(0, 20)
    position = int(rng.integers(0, max(len(row), 1)))
    if kind == 0:  # a byte flipped to any value
        return [row[:position] + bytes([int(rng.integers(0, 256))]) + row[position + 1 :]]
    if kind == 1:  # truncated
        return [row[:position]]
    if kind == 2:  # a stray quote inside an unquoted field (a 5" blade, Foo 5" Street)
        return [_replace_field(row, 6, b'On or near Foo 5" Street')]
    if kind == 3:  # a field that opens with a quote and closes it early
        return [_replace_field(row, 6, b'"On or near" Foo Street')]
    if kind == 4:  # a quoted field with a line break inside: valid CSV
        return [_replace_field(row, 11, b'"first line\r\nsecond line"')]
    if kind == 5:  # an unquoted line break: the row is cut in two
        return [row[:position], row[position:]]
    if kind == 6:  # a bare carriage return
        return [row[:position] + b"\r" + row[position:]]
    if kind == 7:  # a NUL inside the latitude: 53.\x00841214 must never become 53.0
        fields = row.split(b",")
        if len(fields) > 5 and fields[5]:
            fields[5] = fields[5][:3] + b"\x00" + fields[5][3:]
        return [b",".join(fields)]
    if kind == 8:  # another control character
        return [row[:position] + bytes([int(rng.choice([1, 7, 8, 11, 12, 27, 127]))]) + row]
    if kind == 9:  # a Latin-1 byte in a UTF-8 file
        return [_replace_field(row, 6, b"On or near Caf\xe9 Street")]
    if kind == 10:  # a quoted field with doubled quotes: valid CSV
        return [_replace_field(row, 11, b'"he said ""stop"", twice"')]
    if kind == 11:  # a field too many
        return [row + b",extra"]
    if kind == 12:  # a delimiter lost
        return [row.replace(b",", b"", 1)]
    if kind == 13:  # a blank line before the row
        return [b"", row]
    if kind == 14:  # the row twice (a duplicate Crime ID)
        return [row, row]
    if kind == 15:  # a UTF-8 multibyte character cut in half
        return [_replace_field(row, 6, b"On or near Caf\xc3")]
    if kind == 16:  # a valid non-ASCII name
        return [_replace_field(row, 6, "On or near Café Ëlan Street".encode())]
    if kind == 17:  # spreadsheet-formula text, kept as text
        return [_replace_field(row, 11, b"=HYPERLINK(1)")]
    if kind == 18:  # a quote around a whole field, properly
        return [_replace_field(row, 6, b'"On or near Foo, Bar"')]
    return [row]


def _file(
    header: bytes, rows: list[bytes], rng: np.random.Generator, number: int
) -> tuple[bytes, bool]:
    """A damaged file, and whether its header was left intact."""
    start = int(rng.integers(0, max(len(rows) - 200, 1)))
    chosen = rows[start : start + int(rng.integers(20, 200))]
    # each file its own Crime IDs (the first three hex digits name the file), so slices of the
    # same month do not reject each other as duplicates
    chosen = [f"{number:03x}".encode() + r[3:] if r[64:65] == b"," else r for r in chosen]
    rate = float(rng.choice([0.0, 0.02, 0.1, 0.4]))
    body: list[bytes] = []
    for row in chosen:
        body.extend(_damage_row(row, rng) if rng.random() < rate else [row])
    header_ok = True
    special = number % 23
    if special == 1:  # a duplicated header column
        header, header_ok = header + b",Month", False
    elif special == 2:  # an unclosed quote in the last field of the last row
        body[-1] = body[-1] + b',"never closed'
    elif special == 3:  # a quote opening a field mid-file, never closed
        middle = len(body) // 2
        body[middle] = _replace_field(body[middle], 6, b'"On or near Foo')
    elif special == 4 and number < 100:  # a 1 MB cell
        body[0] = _replace_field(body[0], 11, b"x" * 1_000_000)
    elif special == 5:  # a header far too wide
        header, header_ok = b"," * (MAX_COLUMNS * 10), False
    elif special == 6:  # not a CSV at all
        return bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tolist()), False
    elif special == 7:  # an empty file
        return b"", False
    elif special == 8:  # a header and no rows
        body = []
    elif special == 9:  # a stray quote then an undecodable byte further down
        body[0] = _replace_field(body[0], 6, b'On or near Foo 5" Street')
        body[-1] = _replace_field(body[-1], 8, b"Leicester \xff\xfe")
    newline = b"\r\n" if rng.random() < 0.7 else b"\n"
    data = newline.join([header, *body]) + (newline if rng.random() < 0.8 else b"")
    if rng.random() < 0.05:
        data = b"\xef\xbb\xbf" + data
    return data, header_ok


def _csv_records(data: bytes, encoding: str) -> dict[int, list[list[str]]] | None:
    """Python's csv module's records keyed by the physical line (line feeds) each starts on,
    header excluded, blank lines dropped; None when the csv module cannot read the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    codec = "utf-8" if encoding.lower().startswith("utf") else encoding
    lines = list(io.StringIO(data.decode(codec, errors="surrogateescape"), newline=""))
    physical, number = [], 1
    for line in lines:
        physical.append(number)
        number += line.endswith("\n")
    consumed = [0]

    def feed():
        for line in lines:
            consumed[0] += 1
            yield line

    reader = csv.reader(feed(), strict=False)
    records: dict[int, list[list[str]]] = {}
    header_seen = False
    try:
        while True:
            start = consumed[0]
            try:
                record = next(reader)
            except StopIteration:
                break
            if record and not header_seen:
                header_seen = True
            elif record:
                records.setdefault(physical[start], []).append(record)
    except csv.Error:
        return None
    return records


@pytest.fixture(scope="module")
def fuzz_load(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(SEED)
    sources = {
        "street": _rows(STREET),
        "outcomes": _rows(OUTCOMES),
        "stop-and-search": _rows(STOP_SEARCH),
    }
    made = {}
    for number in range(FILES):
        kind = ("street", "street", "street", "outcomes", "stop-and-search")[number % 5]
        month = "2022-10" if kind == "street" else "2022-07"
        header, rows = sources[kind]
        data, header_ok = _file(header, rows, rng, number)
        path = folder / f"{month}-fuzz-{number:03d}-{kind}.csv"
        path.write_bytes(data)
        made[str(path)] = (data, header_ok, kind)
    # csv's own limit would refuse the 1 MB cells; the reference must read them to compare
    old_limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        result = load_extracts(sorted(made))
        references = {
            report.path: _csv_records(made[report.path][0], report.encoding or "utf-8")
            for report in result.files
            if report.error is None
        }
    finally:
        csv.field_size_limit(old_limit)
    return made, result, references


def test_nothing_crashes_and_every_file_is_reported(fuzz_load):
    made, result, _ = fuzz_load
    assert len(result.files) == FILES
    for report in result.files:
        assert "unexpected error" not in (report.error or ""), report.error
        data, header_ok, kind = made[report.path]
        if header_ok and data:
            assert report.error is None, f"{report.path}: {report.error}"
    errors = [r for r in result.files if r.error]
    assert errors, "the corpus holds files that must be refused"
    assert sum(len(r.path) for r in errors) and all(r.rows_read == 0 for r in errors)


def test_every_row_is_accounted_for(fuzz_load):
    _, result, _ = fuzz_load
    total = 0
    for report in result.files:
        assert report.reconciles(), (report.path, report.rows_read, report.accepted)
        total += report.rows_read
    assert total > 20_000, "the corpus is tens of thousands of rows"
    rejects = result.rejects
    assert set(rejects["reason"]) <= set(REASONS)
    assert (rejects["source_line"] >= 2).all()
    assert rejects["raw"].notna().all()
    reasons = Counter(rejects["reason"])
    for reason in (
        "control_characters",
        "malformed_quotes",
        "unclosed_quote",
        "bare_carriage_return",
        "undecodable_bytes",
        "wrong_field_count",
        "duplicate_crime_id",
    ):
        assert reasons[reason] > 0, f"the corpus never produced {reason}"


def test_rows_read_equal_the_csv_modules_count(fuzz_load):
    _, result, references = fuzz_load
    compared = 0
    for report in result.files:
        records = references.get(report.path)
        if records is None:
            continue
        count = sum(len(v) for v in records.values())
        assert report.rows_read == count, report.path
        compared += 1
    assert compared > FILES * 0.8


def test_no_accepted_row_differs_from_the_file(fuzz_load):
    made, result, references = fuzz_load
    crimes = result.crimes
    checked = 0
    for path, part in crimes.groupby("source_file", observed=True):
        records = references[str(path)]
        assert records is not None
        for row in part.itertuples(index=False):
            found = records[int(row.source_line)]
            assert len(found) == 1, (path, row.source_line)
            cells = found[0]
            assert row.crime_id == cells[0]
            assert row.month == cells[1].strip()
            assert str(row.reported_by) == cells[2]
            assert str(row.location) == cells[6]
            assert str(row.lsoa_code) == cells[7] and str(row.lsoa_name) == cells[8]
            assert row.crime_type == normalise_category(cells[9].strip())
            if cells[10].strip():
                assert row.last_outcome == normalise_outcome(cells[10].strip())
            assert row.context == cells[11]
            if cells[4].strip():
                assert row.longitude == float(cells[4]) and row.latitude == float(cells[5])
            else:
                assert not row.has_location
            checked += 1
    assert checked > 10_000


def test_rejected_rows_are_given_back_as_they_were(fuzz_load):
    made, result, _ = fuzz_load
    rejects = result.rejects
    checked = 0
    for reason in ("control_characters", "bare_carriage_return", "malformed_quotes"):
        sample = rejects[rejects["reason"] == reason]
        for row in sample.itertuples(index=False):
            if not row.raw.isascii() or "\\" in row.raw:
                continue  # undecodable bytes are shown escaped
            data = made[row.source_file][0]
            lines = data.split(b"\n")
            assert row.raw.encode() in data, (reason, row.raw[:80])
            first_line = re.split(rb"\r\n|\n|\r", row.raw.encode())[0]
            assert first_line in lines[row.source_line - 1], (reason, row.raw[:80])
            checked += 1
    assert checked > 50


def test_the_profile_preview_never_crashes_on_the_corpus(fuzz_load):
    """The column picker reads the first bytes of any file the analyst points it at."""
    from crime_mapper.core.load.extract_head import read_extract_head
    from crime_mapper.core.load.mapping_profile import ProfileError

    made, _, _ = fuzz_load
    previewed = 0
    for path in made:
        try:
            head = read_extract_head(path)
        except ProfileError:
            continue
        assert len(head.header) >= 2 and len(head.rows) <= 20
        previewed += 1
    assert previewed > len(made) * 0.8
