"""Hostile settings files: the release configuration (TOML and JSON), read as the release
reads them, with what an older version, a hand edit or a damaged copy leaves in them.

Why: "hostile input is normal input" was held to for the data files (CSV, GeoPackage, zips);
a configuration is a file the analyst edits by hand. Each input here must end in one short
error naming the file, the key and the value as written, or be read as the analyst meant it:
never a traceback, never a value silently changed. Real files in tmp_path, the real reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Union

import pytest

from crime_mapper.core.load.mapping_profile import ProfileError, load_profile
from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import ConfigError, read_config
from crime_mapper.core.release.rules import ReleaseRules, ReleaseRulesError

#: A refusal is a line to read, not a copy of the file (the dock's message bar shows it).
SHORT = 1000

BASE_TOML = (
    '[release]\nforce = "F"\noutput = "out"\n'
    "[anonymise]\nmax_distance_m = 20000.0\n"
    "[hotspots]\ngi_cell_m = 250.0\n"
)
BASE_JSON = json.dumps(
    {"release": {"force": "F", "output": "out"}, "anonymise": {"max_distance_m": 20000.0}}
)
BIG = "9" * 1_000_000


def _write(tmp_path: Path, name: str, content: Union[str, bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    message = str(caught.value)
    assert str(path) in message, message
    assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"
    return message


# --- read as meant ---------------------------------------------------------------------------

ACCEPTED_TOML = {
    "byte-order mark": b"\xef\xbb\xbf" + BASE_TOML.encode(),
    "CRLF": BASE_TOML.replace("\n", "\r\n"),
    "no newline at the end": BASE_TOML.rstrip("\n"),
    "an integer where a float is written": BASE_TOML.replace("20000.0", "20000"),
    "digit separators": BASE_TOML.replace("20000.0", "20_000.0"),
    "hexadecimal": BASE_TOML.replace("20000.0", "0x4E20"),
    "a plus sign": BASE_TOML.replace("20000.0", "+20000.0"),
    "a quoted key": BASE_TOML.replace("force =", '"force" ='),
    "a tab before =": BASE_TOML.replace("force =", "force\t="),
}


@pytest.mark.parametrize("content", ACCEPTED_TOML.values(), ids=list(ACCEPTED_TOML))
def test_a_configuration_written_another_valid_way_reads_as_meant(tmp_path, content):
    config = read_config(_write(tmp_path, "release.toml", content))
    assert (config.force, config.output, config.max_distance_m) == ("F", "out", 20000.0)
    assert config.hotspots.gi_cell_m == 250.0


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + BASE_JSON.encode(),
        BASE_JSON.replace(", ", ",\r\n"),
        BASE_JSON.replace(", ", ",\r"),
    ],
    ids=["byte-order mark", "CRLF", "bare CR"],
)
def test_a_json_configuration_written_another_valid_way_reads_as_meant(tmp_path, content):
    config = read_config(_write(tmp_path, "release.json", content))
    assert (config.force, config.output, config.max_distance_m) == ("F", "out", 20000.0)


# --- refused, naming the file, the key and the value -------------------------------------------

REFUSED_TOML = {
    # name: (content, what the message must say)
    "a NUL in a string": (BASE_TOML.replace('"F"', '"F\x00"'), "line 2"),
    "a NUL escaped": (BASE_TOML.replace('"F"', '"F\\u0000"'), "release.force holds a NUL"),
    "a key given twice": (BASE_TOML.replace('"F"\n', '"F"\nforce = "G"\n'), "line 3"),
    "a table given twice": (BASE_TOML + '[release]\nforce = "G"\n', "release"),
    "a key in capitals": (BASE_TOML.replace("force", "Force"), "release.Force"),
    "a table in capitals": (BASE_TOML.replace("[release]", "[Release]"), "Release"),
    "a number as text": (
        BASE_TOML.replace("20000.0", '"20000"'),
        "anonymise.max_distance_m must be a number, not '20000'",
    ),
    "1e309": (BASE_TOML.replace("20000.0", "1e309"), "too large a number: 1e309"),
    "-0": (BASE_TOML.replace("20000.0", "-0"), "must be a positive number, not -0"),
    "nan": (BASE_TOML.replace("20000.0", "nan"), "not nan"),
    "1e-400": (BASE_TOML.replace("250.0", "1e-400"), "hotspots.gi_cell_m 1e-400 is too small"),
    "yes for a boolean": (
        BASE_TOML.replace("gi_cell_m", 'enabled = "yes"\ngi_cell_m'),
        "hotspots.enabled must be true or false, not 'yes'",
    ),
    "True for a boolean": (BASE_TOML.replace("gi_cell_m", "enabled = True\ngi_cell_m"), "line 7"),
    "an array for a table": ('release = ["a"]\n', "[release] must be a table, not list"),
    "a date for a number": (
        BASE_TOML.replace("20000.0", "1979-05-27"),
        "anonymise.max_distance_m must be a number, not 1979-05-27",
    ),
    "a list for a text": (BASE_TOML + '[publish]\ntitle = ["a"]\n', "publish.title must be text"),
    "a lone surrogate": (BASE_TOML.replace('"F"', '"\\ud800"'), "line 2"),
    "a control character in a comment": (BASE_TOML + "# \x01\n", "line 8"),
    "an unclosed string": (BASE_TOML.replace('"F"', '"F'), "line 2"),
    "a 400-digit number": (
        BASE_TOML.replace("250.0", "9" * 400),
        "hotspots.gi_cell_m is too large a number: 9999",
    ),
    # a value the size of a file is named, not copied whole into the message
    "a 1 MB text for a number": (
        BASE_TOML.replace("20000.0", f'"{BIG}"'),
        "anonymise.max_distance_m must be a number, not '9999",
    ),
    "a list of 100,000 for a number": (
        BASE_TOML.replace("20000.0", "[" + ", ".join(['"a"'] * 100_000) + "]"),
        "(100,000 items)",
    ),
    "a 1 MB text for a list of paths": (
        BASE_TOML + f'[load]\ninputs = ["{BIG}", 5]\n',
        "load.inputs must be a list of text, not ['9999",
    ),
    "a 1 MB text for a boolean": (
        BASE_TOML.replace("gi_cell_m", f'enabled = "{BIG}"\ngi_cell_m'),
        "(1,000,000 characters)",
    ),
    "a 1 MB map points kind": (
        BASE_TOML + f'[anonymise.map_points]\nkind = "{BIG}"\n',
        "anonymise.map_points.kind must be one of",
    ),
    "100,000 unknown keys": (
        BASE_TOML.replace(
            "[release]\n", "[release]\n" + "".join(f"k{i} = 1\n" for i in range(10**5))
        ),
        "unknown setting(s): release.k0, release.k1, ",
    ),
    "a 1 MB unknown key": (
        BASE_TOML.replace("[release]\n", f"[release]\n{'k' * 1_000_000} = 1\n"),
        "(1,000,000 characters)",
    ),
}


@pytest.mark.parametrize("content, said", REFUSED_TOML.values(), ids=list(REFUSED_TOML))
def test_a_hostile_configuration_is_one_short_refusal(tmp_path, content, said):
    message = _refusal(_write(tmp_path, "release.toml", content))
    assert said in message, message


REFUSED_JSON = {
    "a key given twice": (
        BASE_JSON.replace('"force": "F"', '"force": "F", "force": "G"'),
        "'force' is given twice",
    ),
    "1e309": (BASE_JSON.replace("20000.0", "1e309"), "too large a number: 1e309"),
    "-0": (BASE_JSON.replace("20000.0", "-0"), "not -0"),
    "NaN": (BASE_JSON.replace("20000.0", "NaN"), "not nan"),
    "a number as text": (BASE_JSON.replace("20000.0", '"20000"'), "not '20000'"),
    "true for a number": (BASE_JSON.replace("20000.0", "true"), "must be a number, not True"),
    "an array for the whole": ("[1]", "must be a table (a JSON object), not list"),
    "null for a table": ('{"release": null}', "[release] must be a table, not null"),
    "a NUL": (BASE_JSON.replace('"F"', '"F\\u0000"'), "release.force holds a NUL"),
    "a lone surrogate": (BASE_JSON.replace('"F"', '"\\udc00"'), "lone UTF-16 surrogate"),
    "a 5,000-digit number": (BASE_JSON.replace("20000.0", "9" * 5000), "a number too long"),
    "an empty file": ("", "Expecting value"),
    "a 1 MB text for a number": (
        BASE_JSON.replace("20000.0", f'"{BIG}"'),
        "(1,000,000 characters)",
    ),
}


@pytest.mark.parametrize("content, said", REFUSED_JSON.values(), ids=list(REFUSED_JSON))
def test_a_hostile_json_configuration_is_one_short_refusal(tmp_path, content, said):
    message = _refusal(_write(tmp_path, "release.json", content))
    assert said in message, message


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_configuration_that_is_not_utf8_is_refused(tmp_path, suffix):
    content = BASE_TOML if suffix == ".toml" else BASE_JSON
    path = _write(tmp_path, f"release{suffix}", content.encode().replace(b'"F"', b'"F\xff"'))
    assert "not UTF-8 text" in _refusal(path)
    path.write_bytes(content.encode("utf-16"))
    assert "not UTF-8 text" in _refusal(path)


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_configuration_that_is_a_folder_or_missing_is_refused(tmp_path, suffix):
    folder = tmp_path / f"release{suffix}"
    folder.mkdir()
    assert "Is a directory" in _refusal(folder)
    assert "No such file" in _refusal(tmp_path / f"missing{suffix}")


# --- what Python itself refuses: said in the file's terms -------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "name, content, said",
    [
        (
            "release.toml",
            BASE_TOML.replace("250.0", "9" * 5000),
            "release.toml: line 7: a number too long to read (more digits than Python converts)",
        ),
        (
            "release.toml",
            BASE_TOML + "[publish]\nneighbourhoods = {a = 1}\nx = " + "9" * 5000 + "\n",
            "release.toml: a number too long to read (more digits than Python converts)",
        ),
        (
            "release.toml",
            BASE_TOML + f"[publish]\nx = {DEEP}\n",
            "release.toml: arrays nested too deeply to read",
        ),
        ("release.json", f'{{"release": {DEEP}}}', "release.json: nested too deeply to read"),
    ],
    ids=["a 5,000-digit integer", "one beside an inline table", "deep TOML", "deep JSON"],
)
def test_what_python_cannot_read_is_refused_in_the_files_terms(tmp_path, name, content, said):
    """tomllib let Python's own message out for an integer past its conversion limit
    ("... use sys.set_int_max_str_digits() to increase the limit", naming no line), and
    arrays nested past the recursion limit said "maximum recursion depth exceeded"."""
    message = _refusal(_write(tmp_path, name, content))
    assert message.endswith(said), message
    assert "sys." not in message and "recursion" not in message, message


def test_the_python_39_reader_says_the_same(tmp_path):
    """QGIS 3.22 on Windows reads the file with toml_lite alone (no tomllib)."""
    with pytest.raises(toml_lite.TomlError, match=r"^line 7: a number too long to read"):
        toml_lite.loads_lite(BASE_TOML.replace("250.0", "9" * 5000))
    with pytest.raises(toml_lite.TomlError) as caught:
        toml_lite.loads_lite(BASE_TOML + "x = " + "9" * 1_000_000 + "x\n")
    assert len(str(caught.value)) < SHORT, len(str(caught.value))


# --- the anonymiser's rules file and the mapping profile ----------------------------------------

RULES = {
    "format": "crime_mapper release rules",
    "version": 1,
    "category_actions": {"Drugs": "withhold"},
    "sensitive_action": "withhold",
}
PROFILE = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "sample_data/force/leicestershire-force-extract.profile.json"
    ).read_text(encoding="utf-8")
)
HUGE = "a" * 1_000_000


def _rules_refusal(tmp_path: Path, data: dict) -> str:
    path = _write(tmp_path, "rules.json", json.dumps(data))
    with pytest.raises(ReleaseRulesError) as caught:
        ReleaseRules.load(path)
    message = str(caught.value)
    assert str(path) in message, message
    assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"
    return message


@pytest.mark.parametrize(
    "change, said",
    [
        ({"format": HUGE}, "not a rules file (format 'aaaa"),
        ({"sensitive_action": HUGE}, "sensitive_action: unknown action 'aaaa"),
        ({"category_actions": {HUGE: "map"}}, "unknown crime category 'aaaa"),
        ({"category_actions": {"Drugs": HUGE}}, "category 'Drugs': unknown action 'aaaa"),
        ({"actions": ["map", HUGE]}, "unknown action 'aaaa"),
        ({HUGE: 1}, "unknown key(s) 'aaaa"),
        ({f"k{i}": 1 for i in range(100_000)}, "unknown key(s) k0, k1, "),
        ({"\x1b[2J\nLeak gate: passed": 1}, "unknown key(s) '\\x1b[2J\\nLeak gate: passed'"),
        ({"Format": RULES["format"]}, "unknown key(s) Format"),
        ({"sensitive_action": "Withhold"}, "unknown action 'Withhold'"),
        ({"min_catchment_addresses": "8"}, "at least 1, not '8'"),
        ({"min_catchment_addresses": True}, "at least 1, not True"),
    ],
    ids=[
        "a 1 MB format",
        "a 1 MB action",
        "a 1 MB category",
        "a 1 MB category action",
        "a 1 MB listed action",
        "a 1 MB key",
        "100,000 unknown keys",
        "a key with a terminal escape and a line break",
        "a key in capitals",
        "an action in capitals",
        "a number as text",
        "true for a number",
    ],
)
def test_a_hostile_rules_file_is_one_short_refusal(tmp_path, change, said):
    """Each of the first seven made a refusal as long as the file (or listed a key's
    escape sequence and line break raw, starting a line of their own)."""
    message = _rules_refusal(tmp_path, {**RULES, **change})
    assert said in message, message
    assert "\n" not in message and "\x1b" not in message, message


def _profile_refusal(tmp_path: Path, data: dict) -> str:
    path = _write(tmp_path, "force.profile.json", json.dumps(data))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"
    return message


@pytest.mark.parametrize(
    "change, said",
    [
        ({HUGE: 1}, "unknown profile keys: 'aaaa"),
        ({f"k{i}": 1 for i in range(100_000)}, "unknown profile keys: k0, k1, "),
        ({"\x1b[2J\nx": 1}, "unknown profile keys: '\\x1b[2J\\nx'"),
        ({"offence_table": HUGE}, "aaaa (1,000,000 characters): cannot read offence mapping"),
        ({"crs": ["EPSG:27700"]}, "crs must be text, not ['EPSG:27700']"),
        ({"name": HUGE}, "at most 120 characters"),
        ({"columns": {**PROFILE["columns"], HUGE: "x"}}, "unknown column roles: 'aaaa"),
        ({"columns": {**PROFILE["columns"], "\x1b[2J\nx": "x"}}, "roles: '\\x1b[2J\\nx'"),
        ({"columns": {**PROFILE["columns"], "x": HUGE, "y": HUGE}}, "column 'aaaa"),
    ],
    ids=[
        "a 1 MB key",
        "100,000 unknown keys",
        "a key with a terminal escape and a line break",
        "a 1 MB offence table path",
        "a list for a text",
        "a 1 MB name",
        "a 1 MB column role",
        "a column role with a terminal escape and a line break",
        "x and y one 1 MB column",
    ],
)
def test_a_hostile_mapping_profile_is_one_short_refusal(tmp_path, change, said):
    """The first four made a refusal as long as the file (a 1 MB offence table path twice
    over), or listed a key's escape sequence and line break raw."""
    message = _profile_refusal(tmp_path, {**PROFILE, **change})
    assert said in message, message
    assert "\n" not in message and "\x1b" not in message, message


# --- release QA's saved history ----------------------------------------------------------------

HISTORY = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "sample_data/qa/leicester-city-2021-10-to-2022-09.qa_history.json"
    ).read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "data, said",
    [
        (
            {"kind": "crime_mapper QA history", "version": HUGE, "areas": {}, "months": []},
            "version 'aaaa",
        ),
        ({"kind": "crime_mapper QA history", "version": 2, HUGE: 1}, "fields: 'aaaa"),
        ({"kind": "crime_mapper QA history", "version": 2, "\x1b[2J\nx": 1}, "'\\x1b[2J\\nx'"),
        ([{**HISTORY[0], "month": HUGE}], "month must be YYYY-MM, not 'aaaa"),
        ([{**HISTORY[0], "month": {HUGE: 1}}], "month must be YYYY-MM, not {'aaaa"),
        ([{**HISTORY[0], HUGE: 1}], "unknown month-profile fields: 'aaaa"),
        ([{**HISTORY[0], **{f"k{i}": 1 for i in range(100_000)}}], "k0, k1, "),
    ],
    ids=[
        "a 1 MB version",
        "a 1 MB field",
        "a field with a terminal escape and a line break",
        "a 1 MB month",
        "an object for a month",
        "a 1 MB month field",
        "100,000 month fields",
    ],
)
def test_a_hostile_qa_history_is_one_short_refusal(tmp_path, data, said):
    """Each made a refusal as long as the file, or listed a key's escape sequence and line
    break raw (the QA tab's message and the release's error)."""
    from crime_mapper.core.qa.run import QaInputError, load_history

    path = _write(tmp_path, "force.qa_history.json", json.dumps(data))
    with pytest.raises(QaInputError) as caught:
        load_history([path], "2022-10")
    message = str(caught.value)
    assert str(path) in message and said in message, message[:300]
    assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"
    assert "\n" not in message and "\x1b" not in message, message


# --- the summaries' small CSV files: families, lookup, names, populations ------------------------

FAMILIES = "code,family\nE1,A\nE2,A\nE3,B\n"


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + FAMILIES.encode(),
        FAMILIES.replace("\n", "\r\n"),
        FAMILIES,
        '"code","family"\n"E1","A"\n"E2","A"\n"E3","B"\n',
    ],
    ids=["byte-order mark", "CRLF", "plain", "quoted"],
)
def test_a_families_file_written_another_valid_way_reads_as_meant(tmp_path, content):
    from crime_mapper.core.publish.summaries_run import read_families

    families = read_families(_write(tmp_path, "families.csv", content))
    assert dict(families or {}) == {"E1": "A", "E2": "A", "E3": "B"}


@pytest.mark.parametrize(
    "content, line",
    [
        (FAMILIES.replace("E2", "E\x002"), 3),  # (was read as the code "E")
        (FAMILIES.replace("B", "B\x00"), 4),
        (FAMILIES.replace("code", "co\x00de"), 1),
        (FAMILIES.replace("\n", "\r\n").replace("E3", "\x00E3"), 4),
    ],
    ids=["in a code", "after a family", "in the header", "CRLF"],
)
def test_a_nul_in_a_families_file_is_refused_naming_its_line(tmp_path, content, line):
    """pandas' reader ends a cell at a NUL and reads on: the code "E\\x002" was read as
    "E" without a word."""
    from crime_mapper.core.publish.summaries import SummaryError
    from crime_mapper.core.publish.summaries_run import read_families

    with pytest.raises(SummaryError, match=f"families.csv holds a NUL character on line {line}:"):
        read_families(_write(tmp_path, "families.csv", content))


def test_a_nul_in_a_lookup_names_or_population_file_is_refused_naming_its_line(tmp_path):
    """The lookup, names and population files read through the same reader."""
    from crime_mapper.core.publish.neighbourhoods import (
        NeighbourhoodError,
        read_lookup,
        read_lsoa_population,
        read_names,
    )

    lookup = _write(
        tmp_path, "lookup.csv", "lsoa11cd,msoa11cd\nE01000001,E02000001\nE01000002,E0200\x0002\n"
    )
    with pytest.raises(NeighbourhoodError, match="lookup.csv holds a NUL character on line 3"):
        read_lookup(lookup, "msoa11cd", lsoa_field="lsoa11cd")
    names = _write(tmp_path, "names.csv", "code,name\nE02000001,Castle\x00 Hill\n")
    with pytest.raises(NeighbourhoodError, match="names.csv holds a NUL character on line 2"):
        read_names(names, "code", "name")
    people = _write(tmp_path, "people.csv", "lsoa11cd,population\nE01000001,1\x00500\n")
    with pytest.raises(NeighbourhoodError, match="people.csv holds a NUL character on line 2"):
        read_lsoa_population(people, "lsoa11cd", "population")


# --- the web map's tile setting ------------------------------------------------------------------


@pytest.mark.parametrize(
    "tiles, said",
    [
        ("http://" + HUGE + "/{z}/{x}/{y}", "use 'osm', 'none' or an https URL template"),
        ("https://t/{z}/{x}/{y}\n" + HUGE, "holds a control character"),
        ("https://[t/{z}/{x}/{y}" + HUGE, "not a URL"),
        ("https://t:99999/{z}/{x}/{y}", "'https://t:99999/{z}/{x}/{y}': not a URL"),
        ("ftp://t/{z}/{x}/{y}", "'ftp://t/{z}/{x}/{y}': use 'osm'"),
        ('https://a"b/{z}/{x}/{y}', "the host name holds characters a host cannot"),
        ("https://t/{z}/{x}/{y}" + HUGE, "too long; an address is at most 2,000 characters"),
        ("https://t/{z}/{x}/{y}?" + "k" * 1_980, "too long; an address is at most 2,000"),
        ("https://" + "h" * 254 + "/{z}/{x}/{y}", "its host name is 254 characters long"),
    ],
    ids=[
        "a 1 MB http URL",
        "a 1 MB URL with a line break",
        "a 1 MB URL not a URL",
        "a bad port",
        "ftp",
        "a quote in the host",
        "a 1 MB https URL",
        "2,001 characters",
        "a 254-character host",
    ],
)
def test_a_hostile_tile_setting_is_one_short_refusal(tiles, said):
    """The first three quoted the whole megabyte back (--tiles, Processing's TILES)."""
    from crime_mapper.core.publish.webmap_export import tile_source
    from crime_mapper.core.publish.webmap_inputs import WebmapInputError

    with pytest.raises(WebmapInputError) as caught:
        tile_source(tiles, "© someone")
    message = str(caught.value)
    assert said in message and message.startswith("tiles '"), message[:300]
    assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"
    assert "\n" not in message, message[:300]


def test_a_tile_url_of_2000_characters_and_a_253_character_host_are_taken():
    """The limits (MAX_URL, MAX_HOST) refuse only what no browser or DNS takes."""
    from crime_mapper.core.publish.webmap_export import tile_source

    long_url = "https://t/{z}/{x}/{y}?k=" + "k" * (2_000 - 24)
    assert len(long_url) == 2_000 and tile_source(long_url, "© someone").url == long_url
    host = ".".join(["h" * 63] * 4)[:253]
    assert tile_source(f"https://{host}/{{z}}/{{x}}/{{y}}", "© someone") is not None


@pytest.mark.parametrize(
    "url, said",
    [
        ("https://data.example.org/" + HUGE, "too long; an address is at most 2,000 characters"),
        ("https://" + "h" * 300 + "/crime/", "its host name is 300 characters long"),
    ],
    ids=["a 1 MB address", "a 300-character host"],
)
def test_a_csv_address_too_long_for_a_browser_is_one_short_refusal(url, said):
    """--csv-url (and the dock's and Processing's CSV address) shares the tile URL's check:
    a 1 MB address went into the page's download links as it was."""
    from crime_mapper.core.publish.webmap_downloads import checked_csv_url
    from crime_mapper.core.publish.webmap_inputs import WebmapInputError

    with pytest.raises(WebmapInputError) as caught:
        checked_csv_url(url)
    message = str(caught.value)
    assert said in message and message.startswith("--csv-url '"), message[:300]
    assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"


def test_the_page_refuses_a_1_mb_tile_url_before_anything_is_made(tmp_path):
    """The command line, Processing's TILES_URL and the dock's Tile URL all reach the
    export as WebmapOptions.tiles, checked first by page_tiles: refused there, nothing made."""
    from crime_mapper.core.publish.webmap_export import WebmapOptions, page_tiles
    from crime_mapper.core.publish.webmap_inputs import WebmapInputError

    options = WebmapOptions(
        inputs=[], out_dir=tmp_path / "map", tiles="https://t/{z}/{x}/{y}/" + HUGE,
        tiles_attribution="© someone",
    )  # fmt: skip
    with pytest.raises(WebmapInputError, match="tiles 'https://t/.*too long; an address"):
        page_tiles(options)
    assert not (tmp_path / "map").exists()


@pytest.mark.parametrize("tiles", ["OSM", " osm ", "", "None", "none"])
def test_a_tile_preset_reads_in_any_case(tiles):
    from crime_mapper.core.publish.webmap_export import TILE_PRESETS, tile_source

    expected = TILE_PRESETS["none" if tiles.strip().lower() == "none" else "osm"]
    assert tile_source(tiles) == expected
