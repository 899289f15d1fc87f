"""A mapping profile names the character set of its extract and its force (in at most
MAX_FORCE_NAME characters), and a release rules file is JSON text: each is read as written
or refused (found by a hostile-input sweep).

- A profile's ``encoding`` is a character set (utf-8, cp1252, latin-1...): Python's codecs
  that transform what they read ("unicode_escape" read a backslash and "n" in a cell as a
  line break, "utf-7" read "+AGE-" as "a"; "idna", "punycode" and "undefined" rewrote,
  refused or failed ordinary cells with "an unexpected error") are refused by name, through
  the command line too (exit 2).
- A rules file saved with a byte order mark (Notepad's UTF-8) reads as the same rules, as a
  profile with one already did; it was refused as not JSON.

Real files: the bundled force extract's profile and the default rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper import cli
from crime_mapper.core.load.loader import load_extracts
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.release.rules import DEFAULT_RULES, ReleaseRules

FORCE = Path(__file__).resolve().parent.parent / "sample_data" / "force"
EXTRACT = FORCE / "2022-10-leicestershire-force-extract.csv"
PROFILE = FORCE / "leicestershire-force-extract.profile.json"


def _profile_with(tmp_path: Path, encoding: str) -> Path:
    data = json.loads(PROFILE.read_text(encoding="utf-8"))
    data["encoding"] = encoding
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "encoding", ["unicode_escape", "raw_unicode_escape", "utf-7", "idna", "punycode", "undefined"]
)
def test_a_transforming_codec_is_refused(tmp_path, encoding, capsys):
    path = _profile_with(tmp_path, encoding)
    with pytest.raises(ProfileError, match="not a character set a records system writes"):
        MappingProfile.load(path)
    code = cli.main(["load", str(EXTRACT), "--profile", str(path), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "not a character set" in capsys.readouterr().err


@pytest.mark.parametrize(
    "encoding", ["utf-8", "UTF8", "utf-8-sig", "cp1252", "windows-1252", "latin-1", "iso-8859-15"]
)
def test_a_character_set_is_taken(tmp_path, encoding):
    profile = MappingProfile.load(_profile_with(tmp_path, encoding))
    assert profile.encoding == encoding
    assert len(load_extracts([EXTRACT], profile=profile).crimes) > 0


def test_a_rules_file_with_a_byte_order_mark_reads_as_without(tmp_path):
    plain = tmp_path / "rules.json"
    marked = tmp_path / "rules-bom.json"
    DEFAULT_RULES.save(plain)
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert ReleaseRules.load(marked) == ReleaseRules.load(plain)


@pytest.mark.parametrize("key", ["reported_by", "falls_within"])
def test_an_overlong_force_name_is_refused_by_name(tmp_path, key):
    """A 10,000-character force name named the release's CSV, which failed with "File name
    too long", blaming the output folder; the profile now says which setting."""
    data = json.loads(PROFILE.read_text(encoding="utf-8"))
    data[key] = "Leicestershire Police " * 500
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProfileError, match=f"{key} .* is 11,000 characters long: .* at most 120"):
        MappingProfile.load(path)
    data[key] = "Leicestershire Police"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert getattr(MappingProfile.load(path), key) == "Leicestershire Police"
