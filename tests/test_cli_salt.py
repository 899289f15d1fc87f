"""The command line's ``salt``: the force's secret salt made, or a salt file checked, without
the QGIS desktop (a scheduled release has no 'Create new salt…' button).

The salt refusal told command-line users to run ``crime_mapper salt --new FILE``, a command
that did not exist: a records team scripting its first release had no way to make a salt
but by hand, and a hand-made salt is what the refusal is about."""

from __future__ import annotations

import re
import shlex
import stat
from pathlib import Path

import pytest

from crime_mapper.cli import main
from crime_mapper.core.release.public_schema import salt_fingerprint
from crime_mapper.core.release.release_files import read_salt

REPO = Path(__file__).resolve().parent.parent
OCT = REPO / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEP = REPO / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"
FORCE = REPO / "sample_data" / "force"


def test_new_writes_a_random_salt_only_its_owner_reads(tmp_path, capsys):
    one, two = tmp_path / "keys" / "force.salt", tmp_path / "other.salt"
    assert main(["salt", "--new", str(one)]) == 0
    assert main(["salt", "--new", str(two)]) == 0
    text = one.read_text(encoding="ascii")
    assert re.fullmatch(r"[0-9a-f]{64}\n", text)
    assert text != two.read_text(encoding="ascii")
    assert stat.S_IMODE(one.stat().st_mode) == 0o600
    out = capsys.readouterr().out
    assert salt_fingerprint(read_salt(one)) in out and str(one) in out


def test_new_never_overwrites_a_salt(tmp_path, capsys):
    salt = tmp_path / "force.salt"
    assert main(["salt", "--new", str(salt)]) == 0
    before = salt.read_bytes()
    assert main(["salt", "--new", str(salt)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert salt.read_bytes() == before


def test_new_into_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["salt", "--new", str(blocker / "force.salt")]) == 2
    assert "cannot write the salt file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a" * 64, "does not look random"),
        ("Leicestershire2022!", "does not look random"),
        ("0123abcd", "at least"),
        ("", "empty"),
    ],
)
def test_check_refuses_what_a_release_would_refuse(tmp_path, capsys, text, why):
    salt = tmp_path / "weak.salt"
    salt.write_text(text, encoding="utf-8")
    assert main(["salt", "--check", str(salt)]) == 2
    assert why in capsys.readouterr().err


def test_check_passes_a_new_salt_and_prints_its_fingerprint(tmp_path, capsys):
    salt = tmp_path / "force.salt"
    assert main(["salt", "--new", str(salt)]) == 0
    capsys.readouterr()
    assert main(["salt", "--check", str(salt)]) == 0
    assert salt_fingerprint(read_salt(salt)) in capsys.readouterr().out


def test_new_or_check_is_required(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["salt"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        main(["salt", "--new", "a", "--check", "b"])


def test_the_refusal_names_a_command_that_makes_a_salt_the_release_takes(tmp_path, capsys):
    """The weak-salt refusal's own advice, followed to the letter, gives a salt anonymise
    takes."""
    weak = tmp_path / "weak.salt"
    weak.write_text("password" * 4, encoding="utf-8")
    assert main(["salt", "--check", str(weak)]) == 2
    advice = re.search(r"'python -m crime_mapper\.cli (salt --new FILE)'", capsys.readouterr().err)
    assert advice, "the refusal names the command line's salt command"
    salt = tmp_path / "force.salt"
    argv = shlex.split(advice.group(1).replace("FILE", str(salt)))
    assert main(argv) == 0
    points = tmp_path / "points.csv"
    assert main(["map-points", "history", str(SEP), str(OCT), "--out", str(points)]) == 0
    code = main(
        [
            "anonymise", str(FORCE / "2022-10-leicestershire-force-extract.csv"),
            "--profile", str(FORCE / "leicestershire-force-extract.profile.json"),
            "--points", str(points), "--salt-file", str(salt), "--out", str(tmp_path / "out"),
            "--no-gpkg",
        ]
    )  # fmt: skip
    assert code == 0
    assert next((tmp_path / "out").glob("*-street.csv")).is_file()


def test_a_pipe_or_a_device_given_as_the_salt_is_named_for_what_it_is(tmp_path, capsys):
    """A FIFO or a device was called missing ("Salt file not found"): it is there, and no
    salt; it is never opened (a FIFO would block the release for ever)."""
    import os

    fifo = tmp_path / "salt.fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "named pipe"), (Path("/dev/zero"), "device")):
        assert main(["salt", "--check", str(path)]) == 2
        err = capsys.readouterr().err
        assert kind in err and "not a file" in err and "not found" not in err


def _checked(capsys, path: Path) -> tuple[int, str, str]:
    code = main(["salt", "--check", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_reads_a_utf8_byte_order_mark_as_the_same_salt(tmp_path, capsys):
    """An editor's re-save (Notepad's 'UTF-8 with BOM', a CRLF) must not change the salt:
    every Crime ID would change while the file looks the same."""
    salt = tmp_path / "force.salt"
    assert main(["salt", "--new", str(salt)]) == 0
    capsys.readouterr()
    text = salt.read_bytes().strip()
    resaved = tmp_path / "resaved.salt"
    resaved.write_bytes(b"\xef\xbb\xbf" + text + b"\r\n")
    assert read_salt(resaved) == read_salt(salt) == text
    code, out, _ = _checked(capsys, resaved)
    assert code == 0
    assert f"Fingerprint (what audits and manifests record): {salt_fingerprint(text)}" in out


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-16", b""),  # (Python writes the byte-order mark)
        ("utf-16-le", b""),  # no mark: a NUL after every character
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32", b""),
    ],
)
def test_check_refuses_a_salt_file_re_encoded_as_utf16_or_utf32(tmp_path, capsys, encoding, prefix):
    salt = tmp_path / "force.salt"
    assert main(["salt", "--new", str(salt)]) == 0
    capsys.readouterr()
    wide = tmp_path / "wide.salt"
    wide.write_bytes(prefix + salt.read_text(encoding="ascii").encode(encoding))
    code, out, err = _checked(capsys, wide)
    assert code == 2 and "Fingerprint" not in out
    assert "was re-encoded" in err and "Save it again as plain text" in err


def test_check_refuses_a_nul_byte_in_a_salt(tmp_path, capsys):
    salt = tmp_path / "force.salt"
    salt.write_bytes(b"9a6fbe26a073911fffab2c5b9f86f946\x00\n")
    code, _, err = _checked(capsys, salt)
    assert code == 2 and "was re-encoded" in err


@pytest.mark.parametrize("prefix", [b"", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"])
def test_random_bytes_holding_nuls_or_beginning_as_a_byte_order_mark_are_a_salt(
    tmp_path, capsys, prefix
):
    """A salt of random bytes (``openssl rand 32``) is a salt: one in eight of 32 such bytes
    holds a NUL, and refusing those refused a force's salt at random (CI's random salts
    failed a release one run in eight)."""
    import random

    body = random.Random(20261206).randbytes(40)
    raw = prefix + body[:10] + b"\x00\x00" + body[10:] + b"\xfe"  # (no white space at the ends)
    salt = tmp_path / "binary.salt"
    salt.write_bytes(raw)
    assert read_salt(salt) == raw
    code, out, err = _checked(capsys, salt)
    assert code == 0, err
    assert salt_fingerprint(raw) in out


def test_upper_case_hex_is_another_salt(tmp_path, capsys):
    """The salt is the file's bytes as written (any random text may be one), not a number in
    hex: upper-case is another salt. Reading hex case-blind would change the Crime IDs of a
    force whose salt file was written in upper case."""
    salt = tmp_path / "force.salt"
    assert main(["salt", "--new", str(salt)]) == 0
    upper = tmp_path / "upper.salt"
    upper.write_bytes(salt.read_bytes().upper())
    assert read_salt(upper) == read_salt(salt).upper() != read_salt(salt)
    assert salt_fingerprint(read_salt(upper)) != salt_fingerprint(read_salt(salt))
