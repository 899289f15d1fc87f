"""A configuration the dock saves reads back the same, whatever its texts hold.

Why: the TOML writer wrote strings as JSON strings, which leave DEL (U+007F) as it is, and
TOML allows DEL in a string only escaped: a force name, title or path holding one (pasted
into the dock's form, or read from a JSON configuration) was saved to a file that neither
tomllib nor the Python 3.9 reader would open again ("Illegal character"), so next month's
release could not start from it. Real files in tmp_path, the real writer and both readers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import ConfigError, ReleaseConfig, read_config, write_config

TEXTS = [
    "Leicester\x7fshire",
    "\x7f",
    "tab\tand\x1funit separator",
    "quote \" backslash \\ apostrophe ' hash # equals =",
    "line\u2028separator and next line\u0085and C1 \x80\x9f",
    "astral \U0001f6a8 and bidi \u202e",
    "{month}",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_every_text_reads_back_as_written(tmp_path: Path, text: str, suffix: str) -> None:
    config = ReleaseConfig(
        inputs=[f"extracts/{text}.csv"],
        salt_file="../secrets/release.salt",
        output="releases/{month}",
        force=text,
    )
    config.publish.title = text
    path = write_config(config, tmp_path / f"release{suffix}")
    if text == "\x7f":  # (a force or title with nothing visible is refused, naming the key)
        with pytest.raises(ConfigError, match="has no visible character"):
            read_config(path)
        return
    again = read_config(path)
    assert (again.force, again.publish.title, again.inputs) == (
        text.strip(),
        text.strip(),
        [f"extracts/{text}.csv"],
    )
    if suffix == ".toml":  # (QGIS 3.22 on Windows: Python 3.9, no tomllib)
        lite = toml_lite.loads_lite(path.read_text(encoding="utf-8"))
        assert lite["release"]["force"] == text and lite["publish"]["title"] == text


@pytest.mark.parametrize("end", ["\x1c", "\x1f", "\x85", "\xa0", "\u2028"])
@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_only_ordinary_spaces_are_taken_off_a_text(tmp_path: Path, end: str, suffix: str) -> None:
    """str.strip took U+001C-U+001F, U+0085 and other Unicode spaces off the ends without a
    word (force "Leics\\x1f" read as "Leics"): now only spaces, tabs and line breaks are."""
    path = tmp_path / f"release{suffix}"
    force, title = f"Leics{end}", f"{end}Crime map"
    if suffix == ".json":
        data = {"release": {"force": f" {force}\n"}, "publish": {"title": f"\t{title} "}}
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        text = toml_lite.dumps({"release": {"force": f" {force}\r\n"}, "publish": {"title": title}})
        path.write_text(text, encoding="utf-8")
    config = read_config(path)
    assert (config.force, config.publish.title) == (force, title)


def test_a_written_del_is_an_escape() -> None:
    assert toml_lite.dumps({"a": "x\x7fy"}) == 'a = "x\\u007fy"\n'


@pytest.mark.parametrize(
    "key, shown",
    [
        ("", "''"),
        ("a\x1b[31mb", "'a\\x1b[31mb'"),
        ("two words", "'two words'"),
        ("\x00", "'\\x00'"),
    ],
)
def test_an_unknown_key_is_named_quoted_and_escaped(tmp_path: Path, key: str, shown: str) -> None:
    """An empty key was named as nothing ("unknown setting(s): "), and a key's control
    characters (a terminal escape) were printed as they are."""
    path = tmp_path / "release.json"
    path.write_text(json.dumps({"release": {"output": "out", key: 1}}), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        read_config(path)
    message = str(raised.value)
    assert message.endswith(f"unknown setting(s): release.{shown}"), message
    assert not any(ord(c) < 32 for c in message)


def test_a_plain_unknown_key_is_named_as_written(tmp_path: Path) -> None:
    """The control: a typo is named as typed."""
    path = tmp_path / "release.toml"
    path.write_text('[release]\noutput = "out"\nforec = "A"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown setting\(s\): release\.forec$"):
        read_config(path)
