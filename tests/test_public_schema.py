"""The public table's building blocks: salted Crime IDs and the police.uk-format CSV."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crime_mapper.core.release.public_schema import (
    PUBLIC_COLUMNS,
    read_public_csv,
    salt_fingerprint,
    salted_crime_id,
    write_public_csv,
)

ROOT = Path(__file__).resolve().parent.parent
LEICS_OCT = ROOT / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SALT = b"a secret salt of 32 bytes, test!"


def test_crime_id_is_hmac_sha256_of_the_reference():
    refs = ["LP/20001/22", "LP/20002/22", "ÆØÅ/1"]
    ids = salted_crime_id(refs, SALT)
    assert ids.dtype == object and len(ids) == 3
    for ref, got in zip(refs, ids):
        assert got == hmac.new(SALT, ref.encode("utf-8"), hashlib.sha256).hexdigest()
        assert len(got) == 64 and all(c in "0123456789abcdef" for c in got)


def test_crime_id_with_a_salt_longer_than_a_block_still_matches_hmac():
    salt = bytes(range(100))  # HMAC hashes keys longer than the 64-byte block first
    assert salted_crime_id(["x"], salt)[0] == hmac.new(salt, b"x", hashlib.sha256).hexdigest()


def test_blank_and_missing_references_give_blank_ids_and_numbers_are_text():
    ids = salted_crime_id(["", None, float("nan"), 12345], SALT)
    assert list(ids[:3]) == ["", "", ""]
    assert ids[3] == hmac.new(SALT, b"12345", hashlib.sha256).hexdigest()


def test_different_salts_give_different_ids_and_fingerprints():
    a = salted_crime_id(["LP/1/22"], SALT)[0]
    b = salted_crime_id(["LP/1/22"], SALT + b"!")[0]
    assert a != b
    assert salt_fingerprint(SALT) != salt_fingerprint(SALT + b"!")
    assert len(salt_fingerprint(SALT)) == 16
    assert salt_fingerprint(SALT) not in SALT.hex()  # identifies the salt, does not show it


def test_empty_salt_is_refused():
    with pytest.raises(ValueError):
        salted_crime_id(["LP/1/22"], b"")


def _row(**cells: str) -> dict:
    row = {c: "" for c in PUBLIC_COLUMNS}
    row.update(cells)
    return row


def test_published_file_round_trips_byte_for_byte(tmp_path: Path):
    """A real police.uk file read with read_public_csv and written back is byte-identical:
    same header, quoting, CRLF line endings, no BOM."""
    public = read_public_csv(LEICS_OCT)
    assert tuple(public.columns) == PUBLIC_COLUMNS
    assert all(public[c].map(type).eq(str).all() for c in PUBLIC_COLUMNS)
    out = tmp_path / "public.csv"
    write_public_csv(public, out)
    assert out.read_bytes() == LEICS_OCT.read_bytes()


def test_csv_guards_formulas_but_not_coordinates_and_quotes_minimally(tmp_path: Path):
    public = pd.DataFrame(
        [
            _row(
                **{
                    "Crime ID": "ab" * 32,
                    "Month": "2022-10",
                    "Longitude": "-1.165642",
                    "Latitude": "52.671783",
                    "Location": 'On or near =HYPERLINK("x")',
                    "LSOA name": "-cmd|calc",
                    "Crime type": "Burglary",
                }
            ),
            _row(
                **{
                    "Month": "2022-10",
                    "Location": "On or near High Street, North",
                    "Crime type": "Anti-social behaviour",
                }
            ),
        ],
        columns=list(PUBLIC_COLUMNS),
    )
    out = tmp_path / "public.csv"
    write_public_csv(public, out)
    data = out.read_bytes()
    assert data.startswith(",".join(PUBLIC_COLUMNS).encode() + b"\r\n")
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8")
    assert ",-1.165642,52.671783," in text  # numbers untouched
    assert "'-cmd|calc" in text  # formula neutralised
    assert '"On or near =HYPERLINK(""x"")"' in text  # starts with "On", no guard needed
    assert '"On or near High Street, North"' in text  # quoted only because of the comma
    back = read_public_csv(out)
    assert back.loc[0, "LSOA name"] == "'-cmd|calc"
    assert back.loc[1, "Crime ID"] == ""


def test_writer_refuses_a_table_that_is_not_the_public_schema(tmp_path: Path):
    frame = pd.DataFrame({c: ["x"] for c in PUBLIC_COLUMNS})
    frame["Offence"] = ["Common assault"]
    with pytest.raises(ValueError, match="exactly"):
        write_public_csv(frame, tmp_path / "public.csv")
    assert not (tmp_path / "public.csv").exists()


def test_failed_write_leaves_the_previous_file(tmp_path: Path):
    out = tmp_path / "public.csv"
    out.write_bytes(b"previous release")
    bad = pd.DataFrame({c: [np.nan] for c in PUBLIC_COLUMNS[:-1]})
    with pytest.raises(ValueError):
        write_public_csv(bad, out)
    assert out.read_bytes() == b"previous release"
    assert [p.name for p in tmp_path.iterdir()] == ["public.csv"]


def test_writer_refuses_cells_that_are_not_text(tmp_path: Path):
    frame = pd.DataFrame({c: ["x"] for c in PUBLIC_COLUMNS})
    frame["Longitude"] = [-1.5]
    with pytest.raises(ValueError, match="not text"):
        write_public_csv(frame, tmp_path / "public.csv")


class _Shouting(str):
    """A str subclass (equal and hashed as its text) whose str() differs."""

    def __str__(self) -> str:
        return self.upper()


def _csv_writer_bytes(public: pd.DataFrame) -> bytes:
    """The direct path: csv.writer (QUOTE_MINIMAL, CRLF) of every row, formulas guarded in
    every column but the coordinates."""
    import csv
    import io

    from crime_mapper.core.common.csv_safety import safe_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(PUBLIC_COLUMNS)
    guarded = [c not in ("Longitude", "Latitude") for c in PUBLIC_COLUMNS]
    for row in zip(*(public[c].tolist() for c in PUBLIC_COLUMNS)):
        writer.writerow([safe_cell(v) if g else v for v, g in zip(row, guarded)])
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("rows", [1, 7, 3000])
def test_repeated_cells_needing_quotes_or_guards_are_written_as_csv_writer_writes_them(
    tmp_path: Path, rows: int
):
    """Columns formatted once per distinct value (core.release.public_schema._per_distinct)
    hold, row by row, the very cell csv.writer writes: labels repeated in any order, with
    commas, quotes, line breaks, formula starts, NUL, equal str subclasses and texts that
    differ only after a NUL."""
    labels = [
        "On or near High Street, North",
        'On or near "The Crescent"',
        "On or near Mill Lane\nEast",
        "=1+1",
        "-cmd|calc",
        "On or near A\x00b",
        "On or near A",
        "+44 1234",
        "",
        _Shouting("On or near Low Road, West"),
        "On or near Low Road, West",
        "@SUM(A1)",
    ]
    rng = np.random.default_rng(rows)
    picks = rng.integers(0, len(labels), rows)
    public = pd.DataFrame(
        [_row(Month="2022-10") for _ in range(rows)], columns=list(PUBLIC_COLUMNS)
    )
    for column, shift in (("Location", 0), ("LSOA name", 5), ("Last outcome category", 3)):
        public[column] = pd.Series([labels[(p + shift) % len(labels)] for p in picks], dtype=object)
    out = tmp_path / "public.csv"
    write_public_csv(public, out)
    assert out.read_bytes() == _csv_writer_bytes(public)


def _many_rows(rows: int) -> pd.DataFrame:
    """A public table of ``rows`` rows (several of the writer's chunks), labels needing
    quotes and guards among them."""
    rng = np.random.default_rng(rows)
    labels = ["On or near High Street, North", "=1+1", "On or near Park", ""]
    labels = np.array(labels, dtype=object)
    public = pd.DataFrame({c: np.full(rows, "", dtype=object) for c in PUBLIC_COLUMNS})
    public["Month"] = "2022-10"
    public["Crime ID"] = [f"{i:064x}" for i in range(rows)]
    public["Location"] = labels[rng.integers(0, len(labels), rows)]
    return public


def test_a_table_of_several_chunks_is_written_and_hashed_as_written(tmp_path: Path):
    """Chunks written (and hashed) on a thread beside while the next is joined: the bytes
    are csv.writer's, in order, and the digest and size are those of the file."""
    from crime_mapper.core.release import public_schema

    rows = 2 * public_schema._WRITE_CHUNK_ROWS + 123
    public = _many_rows(rows)
    out = tmp_path / "public.csv"
    written = write_public_csv(public, out)
    data = out.read_bytes()
    assert data == _csv_writer_bytes(public)
    assert written.sha256 == hashlib.sha256(data).digest() and written.size == len(data)
    import threading

    assert not [t for t in threading.enumerate() if t.name == "public csv write"]


def test_a_write_that_fails_midway_raises_and_leaves_the_previous_file(tmp_path: Path):
    """The file system refuses a chunk (a file size limit: EFBIG, as a full disk would be
    ENOSPC) while the writer's thread writes it: the error is raised, the previous file
    stays, nothing staged is left and no writer thread runs on."""
    import resource
    import signal
    import threading

    from crime_mapper.core.release import public_schema

    public = _many_rows(2 * public_schema._WRITE_CHUNK_ROWS)
    out = tmp_path / "public.csv"
    out.write_bytes(b"previous release")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, hard))
    try:
        with pytest.raises(OSError):
            write_public_csv(public, out)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert out.read_bytes() == b"previous release"
    assert [p.name for p in tmp_path.iterdir()] == ["public.csv"]
    assert not [t for t in threading.enumerate() if t.name == "public csv write"]
