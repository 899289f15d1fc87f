"""A release configuration larger than MAX_CONFIG_BYTES is refused before it is parsed.

Why: a release configuration is a few KB, and a 10 MB valid one took seconds to read (the
dock held while it did), with no limit at all: a file chosen by mistake was read whole
before anything said it was not a configuration. Real files in tmp_path, the real reader.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crime_mapper.core.monthly.config import MAX_CONFIG_BYTES, ConfigError, read_config

TOML = '[release]\nforce = "F"\noutput = "out"\n'
JSON = json.dumps({"release": {"force": "F", "output": "out"}})


def _padded(suffix: str, size: int) -> bytes:
    """A valid configuration of exactly ``size`` bytes: a comment (TOML) or white space
    (JSON) after its settings."""
    if suffix == ".toml":
        head = (TOML + "# ").encode()
        return head + b"x" * (size - len(head) - 1) + b"\n"
    head = JSON.encode()
    return head + b" " * (size - len(head))


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_configuration_at_the_limit_is_read(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"release{suffix}"
    path.write_bytes(_padded(suffix, MAX_CONFIG_BYTES))
    assert path.stat().st_size == MAX_CONFIG_BYTES
    config = read_config(path)
    assert (config.force, config.output) == ("F", "out")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_configuration_over_the_limit_is_refused_naming_file_and_limit(
    tmp_path: Path, suffix: str
) -> None:
    """The valid 10 MB configuration the old reader parsed (twice, as TOML)."""
    path = tmp_path / f"release{suffix}"
    size = 10 * 1024 * 1024
    path.write_bytes(_padded(suffix, size))
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    message = str(caught.value)
    assert str(path) in message, message
    assert f"{size:,} bytes" in message and f"at most {MAX_CONFIG_BYTES:,}" in message, message


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_the_size_is_refused_before_the_text_is_parsed_or_decoded(
    tmp_path: Path, suffix: str
) -> None:
    """A large file that is neither TOML nor JSON nor UTF-8 (an extract's GeoPackage chosen
    by mistake) is refused by its size, not by the first fault a parse would meet."""
    path = tmp_path / f"release{suffix}"
    path.write_bytes(b"\xff not a configuration\n" * (MAX_CONFIG_BYTES // 20))
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    message = str(caught.value)
    assert f"at most {MAX_CONFIG_BYTES:,}" in message, message
    assert "UTF-8" not in message and "line" not in message, message
