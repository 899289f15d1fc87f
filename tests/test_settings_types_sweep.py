"""A sweep of every setting of the release configuration (TOML and JSON), the mapping
profile and the release rules with values of the wrong type, or of the right type but
hostile: each is refused with a message naming the setting, or read exactly as written.

Why a sweep: each reader's tests tried the values someone thought of for some settings, and
a setting not among them could crash (a traceback), take a value as another ("false" read
as true, 3.7 as 3) or hang. Here every setting meets every value. Real files in tmp_path,
the real readers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

import pytest

from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError, load_profile
from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import (
    MAP_POINT_KINDS,
    ORDINARY_SPACE,
    ConfigError,
    read_config,
)
from crime_mapper.core.release.rules import ACTIONS, ReleaseRules, ReleaseRulesError

#: A refusal is one line to read (the dock's message bar shows it).
SHORT = 1000

#: Hostile values: (id, value). A value TOML cannot write (null) is swept in JSON only.
HOSTILE: list[tuple[str, Any]] = [
    ("yes", "yes"),
    ("text 1", "1"),
    ("text true", "true"),
    ("text false", "false"),
    ("true", True),
    ("false", False),
    ("3.0", 3.0),
    ("3.7", 3.7),
    ("1e400", float("inf")),  # (written 1e400: see _written)
    ("nan", float("nan")),
    ("-inf", float("-inf")),
    ("-0", 0),  # (written -0: see _written)
    ("0", 0),
    ("1", 1),
    ("10**40", 10**40),
    ("-5", -5),
    ("array", ["a"]),
    ("empty array", []),
    ("table", {"a": "b"}),
    ("empty text", ""),
    ("NUL", "a\x00b"),
    ("bare CR", "a\rb"),
    ("U+2028", "a\u2028b"),
    ("1 MB", "a" * 1_000_000),
    ("nested array", [["a"]]),
    ("mixed array", ["a", 1]),
    ("null", None),
]

#: How a value is written where Python's own spelling is not the file's.
_SPELLINGS = {"1e400": ("1e400", "1e400"), "-0": ("-0", "-0"), "nan": ("nan", "NaN")}
_SPELLINGS |= {"-inf": ("-inf", "-Infinity")}


def _written(name: str, value: Any, toml: bool) -> str:
    """``value`` as a TOML or JSON value's text."""
    if name in _SPELLINGS:
        return _SPELLINGS[name][0 if toml else 1]
    if not toml:
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_written('', v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_written("", v, True) for v in value) + "]"
    return toml_lite._dump_value(value)


def _same(read: Any, value: Any) -> bool:
    """Read exactly: equal and of one kind (True is no 1, 3.0 is no 3), NaN as NaN."""
    if isinstance(value, float) and math.isnan(value):
        return isinstance(read, float) and math.isnan(read)
    kinds = (bool, int, float, str, list, dict)
    kind = next((k for k in kinds if isinstance(value, k)), type(value))
    return isinstance(read, kind) and not (kind is int and isinstance(read, bool)) and read == value


# --- the release configuration ----------------------------------------------------------------


def _text(value: Any) -> Any:
    return value.strip(ORDINARY_SPACE) if isinstance(value, str) else _REFUSED


def _texts(value: Any) -> Any:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        return _REFUSED
    return [v.strip(ORDINARY_SPACE) for v in items if v.strip(ORDINARY_SPACE)]


def _flag(value: Any) -> Any:
    return value if isinstance(value, bool) else _REFUSED


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _REFUSED
    return float(value)


def _whole(value: Any) -> Any:
    return value if type(value) is int and value >= 0 else _REFUSED


def _kind(value: Any) -> Any:
    return value if value in MAP_POINT_KINDS else _REFUSED


_REFUSED = object()

#: Every setting: (table, key, the value read from what is written, where it is read).
CONFIG_SETTINGS: list[tuple[str, str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("release", "force", _text, lambda c: c.force),
    ("release", "output", _text, lambda c: c.output),
    ("load", "inputs", _texts, lambda c: c.inputs),
    ("load", "profile", _text, lambda c: c.profile),
    ("anonymise", "salt_file", _text, lambda c: c.salt_file),
    ("anonymise", "rules", _text, lambda c: c.rules),
    ("anonymise", "max_distance_m", _number, lambda c: c.max_distance_m),
    ("anonymise.map_points", "kind", _kind, lambda c: c.map_points.kind),
    ("anonymise.map_points", "paths", _texts, lambda c: c.map_points.paths),
    ("anonymise.map_points", "hexagon_m", _number, lambda c: c.map_points.hexagon_m),
    ("qa", "enabled", _flag, lambda c: c.qa.enabled),
    ("qa", "history", _texts, lambda c: c.qa.history),
    ("qa", "areas", _text, lambda c: c.qa.areas),
    *[("hotspots", k, _flag, lambda c, k=k: getattr(c.hotspots, k)) for k in ("enabled", "gi")],
    *[("hotspots", k, _flag, lambda c, k=k: getattr(c.hotspots, k)) for k in ("fdr", "kde")],
    *[
        ("hotspots", k, _number, lambda c, k=k: getattr(c.hotspots, k))
        for k in ("gi_cell_m", "kde_cell_m", "bandwidth_m")
    ],
    *[
        ("publish", k, _flag, lambda c, k=k: getattr(c.publish, k))
        for k in ("web_map", "summaries", "project", "atlas")
    ],
    ("publish", "title", _text, lambda c: c.publish.title),
    ("publish", "summaries_history", _texts, lambda c: c.publish.summaries_history),
    ("publish", "team", _text, lambda c: c.publish.team),
    ("publish", "families", _text, lambda c: c.publish.families),
    ("publish", "suppress_below", _whole, lambda c: c.publish.suppress_below),
    ("publish.neighbourhoods", "boundaries", _text, lambda c: c.publish.neighbourhoods),
    ("publish.neighbourhoods", "code_field", _text, lambda c: c.publish.neighbourhoods),
]


#: Every table: a value where the table goes is refused naming it.
CONFIG_TABLES = [
    "release",
    "load",
    "anonymise",
    "anonymise.map_points",
    "qa",
    "hotspots",
    "publish",
    "publish.neighbourhoods",
]


@pytest.mark.parametrize("name, value", HOSTILE, ids=[n for n, _ in HOSTILE])
@pytest.mark.parametrize("table", CONFIG_TABLES)
def test_a_hostile_value_where_a_configuration_table_goes(
    tmp_path: Path, table: str, name: str, value: Any
) -> None:
    """JSON only: TOML writes a table's place as a value only where a key could be."""
    outer, _, inner = table.partition(".")
    written = _written(name, value, False)
    text = f'{{"{outer}": {{"{inner}": {written}}}}}' if inner else f'{{"{outer}": {written}}}'
    path = tmp_path / "release.json"
    path.write_text(text, encoding="utf-8")
    _expect(table, lambda: read_config(path), _REFUSED, ConfigError)


def _config_file(tmp_path: Path, table: str, key: str, name: str, value: Any, toml: bool) -> Path:
    if toml:
        text = f'[release]\nforce = "F"\n[{table}]\n{key} = {_written(name, value, True)}\n'
        if table == "release":
            text = f"[release]\n{key} = {_written(name, value, True)}\n"
        path = tmp_path / "release.toml"
    else:
        inner = f'"{key}": {_written(name, value, False)}'
        for part in reversed(table.split(".")):
            inner = f'"{part}": {{{inner}}}'
        text = "{" + inner + "}"
        path = tmp_path / "release.json"
    path.write_text(text, encoding="utf-8")
    return path


def _expect(setting: str, read: Callable[[], Any], wanted: Any, error: type) -> None:
    """Refused naming ``setting`` in a short message, or read as ``wanted`` exactly."""
    try:
        got = read()
    except error as exc:
        message = str(exc)
        assert setting in message, message[:300]
        assert len(message) < SHORT, f"{len(message):,} characters: {message[:300]}"
        return
    assert wanted is not _REFUSED, f"{setting}: read as {got!r:.80}, not refused"
    assert _same(got, wanted), f"{setting}: read as {got!r:.80}, written {wanted!r:.80}"


#: (name, value, toml) of each hostile value as each form writes it (TOML has no null).
WRITTEN = [
    pytest.param(name, value, toml, id=f"{name}-{'toml' if toml else 'json'}")
    for name, value in HOSTILE
    for toml in (True, False)
    if not (toml and value is None)
]


@pytest.mark.parametrize("name, value, toml", WRITTEN)
@pytest.mark.parametrize(
    "table, key, wanted, got", CONFIG_SETTINGS, ids=[f"{t}.{k}" for t, k, _, _ in CONFIG_SETTINGS]
)
def test_a_configuration_setting_of_a_hostile_value(
    tmp_path: Path, table: str, key: str, wanted: Any, got: Any, name: str, value: Any, toml: bool
) -> None:
    path = _config_file(tmp_path, table, key, name, value, toml)
    expected = wanted(value)
    if table == "publish.neighbourhoods" and expected is not _REFUSED:
        expected = {key: expected} if expected else {}
    _expect(f"{table}.{key}", lambda: got(read_config(path)), expected, ConfigError)


# --- the mapping profile ----------------------------------------------------------------------

PROFILE_FILE = Path(__file__).resolve().parents[1] / (
    "sample_data/force/leicestershire-force-extract.profile.json"
)
PROFILE = json.loads(PROFILE_FILE.read_text(encoding="utf-8"))


def _json_file(tmp_path: Path, name: str, data: dict, key: str, written: str) -> Path:
    """``data`` as a JSON file with ``key`` (``a.b``: member b of object a) written as
    ``written`` (a number JSON's dumps cannot spell, such as 1e400)."""
    marker = "@@hostile@@"
    outer, _, inner = key.partition(".")
    data = json.loads(json.dumps(data))
    if inner:
        data[outer] = {**data.get(outer, {}), inner: marker}
    else:
        data[outer] = marker
    path = tmp_path / name
    path.write_text(json.dumps(data).replace(json.dumps(marker), written), encoding="utf-8")
    return path


#: A JSON file's own refusal (NaN, Infinity and -Infinity are not JSON): it names the file.
NOT_JSON = "not valid JSON"


def _profile_text(value: Any) -> Any:
    return value if isinstance(value, str) else _REFUSED


def _profile_table(value: Any) -> Any:
    return value if isinstance(value, str) or value is None else _REFUSED


def _text_map(value: Any) -> Any:
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return value
    return _REFUSED


PROFILE_SETTINGS = [
    ("columns", _text_map),
    ("offence_mapping", _text_map),
    *[(k, _profile_text) for k in ("name", "crs", "date_format", "encoding", "delimiter")],
    *[(k, _profile_text) for k in ("reported_by", "falls_within")],
    ("offence_table", _profile_table),
    ("columns.outcome", _profile_text),
    ("offence_mapping.Burglary dwelling", _profile_text),
]


def _profile_read(profile: MappingProfile, key: str) -> Any:
    outer, _, inner = key.partition(".")
    value = getattr(profile, outer)
    return value[inner] if inner else value


@pytest.mark.parametrize("name, value", HOSTILE, ids=[n for n, _ in HOSTILE])
@pytest.mark.parametrize("key, wanted", PROFILE_SETTINGS, ids=[k for k, _ in PROFILE_SETTINGS])
def test_a_profile_setting_of_a_hostile_value(
    tmp_path: Path, key: str, wanted: Any, name: str, value: Any
) -> None:
    path = _json_file(tmp_path, "force.profile.json", PROFILE, key, _written(name, value, False))
    outer, _, inner = key.partition(".")
    said = {"columns": "column", "offence_mapping": "offence", "offence_table": "offence"}.get(
        outer, inner or outer
    )
    _expect_json(  # (load_profile: with the checks every release makes of a profile)
        said, lambda: _profile_read(_loaded(path), key), wanted(value), ProfileError
    )


def _loaded(path: Path) -> MappingProfile:
    profile = load_profile(path)
    assert profile is not None
    return profile


def _expect_json(setting: str, read: Callable[[], Any], wanted: Any, error: type) -> None:
    """_expect, where a value that is not JSON (NaN) may be refused as not JSON."""
    try:
        _expect(setting, read, wanted, error)
    except AssertionError:
        try:
            read()
        except error as exc:
            if NOT_JSON in str(exc) and len(str(exc)) < SHORT:
                return
        raise


# --- the release rules ------------------------------------------------------------------------

RULES = {
    "format": "crime_mapper release rules",
    "version": 1,
    "category_actions": {"Drugs": "withhold"},
    "sensitive_action": "withhold",
}


def _action(value: Any) -> Any:
    return value if isinstance(value, str) and value in ACTIONS else _REFUSED


def _catchment(value: Any) -> Any:
    return value if type(value) is int and 1 <= value <= 1000 else _REFUSED


def _confirmation(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else _REFUSED


#: (key, what it must say, the value read from what is written, where it is read)
RULES_SETTINGS: list[tuple[str, str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("format", "format", lambda v: _REFUSED, lambda r: r),
    ("version", "version", lambda v: 1 if type(v) is int and v == 1 else _REFUSED, lambda r: 1),
    ("actions", "actions", lambda v: [] if v == [] else _REFUSED, lambda r: []),
    ("category_actions", "category", lambda v: _REFUSED, lambda r: r),
    ("category_actions.Drugs", "'Drugs'", _action, lambda r: r.category_actions["Drugs"]),
    ("sensitive_action", "sensitive_action", _action, lambda r: r.sensitive_action),
    (
        "min_catchment_addresses",
        "min_catchment_addresses",
        _catchment,
        lambda r: r.min_catchment_addresses,
    ),
    (
        "confirm_unknown_catchments",
        "confirm_unknown_catchments",
        _confirmation,
        lambda r: r.confirm_unknown_catchments,
    ),
]


@pytest.mark.parametrize("name, value", HOSTILE, ids=[n for n, _ in HOSTILE])
@pytest.mark.parametrize(
    "key, said, wanted, got", RULES_SETTINGS, ids=[k for k, _, _, _ in RULES_SETTINGS]
)
def test_a_rules_setting_of_a_hostile_value(
    tmp_path: Path, key: str, said: str, wanted: Any, got: Any, name: str, value: Any
) -> None:
    path = _json_file(tmp_path, "rules.json", RULES, key, _written(name, value, False))
    _expect_json(said, lambda: got(ReleaseRules.load(path)), wanted(value), ReleaseRulesError)


# --- keys in another case and keys given twice, in every reader ---------------------------------


@pytest.mark.parametrize(
    "suffix, text, said",
    [
        (".toml", '[release]\nForce = "F"\n', "release.Force"),
        (".toml", '[RELEASE]\nforce = "F"\n', "RELEASE"),
        (".toml", '[release]\nforce = "F"\nforce = "G"\n', "line 3"),
        (".json", '{"release": {"FORCE": "F"}}', "release.FORCE"),
        (".json", '{"release": {"force": "F", "force": "G"}}', "'force' is given twice"),
    ],
    ids=["toml key", "toml table", "toml twice", "json key", "json twice"],
)
def test_a_configuration_key_in_another_case_or_twice_is_refused(
    tmp_path: Path, suffix: str, text: str, said: str
) -> None:
    path = tmp_path / f"release{suffix}"
    path.write_text(text, encoding="utf-8")
    _expect(said, lambda: read_config(path), _REFUSED, ConfigError)


@pytest.mark.parametrize(
    "reader, error, text, said",
    [
        ("profile", ProfileError, '{"Name": "x"}', "Name"),
        ("profile", ProfileError, '{"name": "x", "name": "y"}', "'name' is given twice"),
        ("profile", ProfileError, '{"columns": {"X": "e"}}', "roles: X"),
        ("rules", ReleaseRulesError, '{"Sensitive_action": "map"}', "Sensitive_action"),
        (
            "rules",
            ReleaseRulesError,
            '{"sensitive_action": "map", "sensitive_action": "x"}',
            "twice",
        ),
    ],
    ids=["profile key", "profile twice", "profile role", "rules key", "rules twice"],
)
def test_a_profile_or_rules_key_in_another_case_or_twice_is_refused(
    tmp_path: Path, reader: str, error: type, text: str, said: str
) -> None:
    path = tmp_path / f"{reader}.json"
    path.write_text(text, encoding="utf-8")
    load = MappingProfile.load if reader == "profile" else ReleaseRules.load
    _expect(said, lambda: load(path), _REFUSED, error)


@pytest.mark.parametrize(
    "offence, category",
    [("a" * 1_000_000, "no category"), ("Burglary", "a" * 1_000_000)],
    ids=["a 1 MB offence", "a 1 MB category"],
)
def test_a_profiles_offence_mapping_refused_is_said_short(
    tmp_path: Path, offence: str, category: str
) -> None:
    """Either text of an offence mapping the profile's checks refuse was quoted whole: a
    1 MB category made a 1 MB message (the dock's message bar, the terminal)."""
    path = tmp_path / "force.profile.json"
    path.write_text(json.dumps({**PROFILE, "offence_mapping": {offence: category}}), "utf-8")
    _expect("(1,000,000 characters)", lambda: load_profile(path), _REFUSED, ProfileError)
    with pytest.raises(ProfileError, match="not a police.uk category$"):
        load_profile(path)


# --- the configuration's checks before a release, of what the reader took -----------------------

#: Every setting naming a file or folder, as (table, key).
CONFIG_PATHS = [
    ("load", "inputs"),
    ("load", "profile"),
    ("anonymise", "salt_file"),
    ("anonymise", "rules"),
    ("anonymise.map_points", "paths"),
    ("qa", "history"),
    ("qa", "areas"),
    ("publish", "summaries_history"),
    ("publish", "team"),
    ("publish", "families"),
    *[("publish.neighbourhoods", k) for k in ("boundaries", "lookup", "names", "lsoa_population")],
    ("release", "output"),
]


@pytest.mark.parametrize(
    "path_text", ["a" * 1_000_000, "x\n[ok] Leak gate: passed\x1b[2J"], ids=["1 MB", "controls"]
)
@pytest.mark.parametrize("table, key", CONFIG_PATHS, ids=[f"{t}.{k}" for t, k in CONFIG_PATHS])
def test_a_hostile_path_is_a_short_problem_on_one_line(
    tmp_path: Path, table: str, key: str, path_text: str
) -> None:
    """Each problem the checks before a release find (a file not found) is one short line:
    a neighbourhood file's path was written whole, so a 1 MB one made a 1 MB problem, and a
    line break or an escape sequence in it reached the terminal as it was."""
    path = _config_file(tmp_path, table, key, "", path_text, False)
    config = read_config(path)
    for problem in config.problems("2022-10"):
        assert len(problem) < SHORT, f"{len(problem):,} characters: {problem[:300]}"
        assert "\n" not in problem and "\x1b" not in problem, problem
