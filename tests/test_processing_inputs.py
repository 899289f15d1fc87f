"""Every file and folder input of every Processing algorithm, given a hostile path.

Why: each algorithm read its paths its own way, and the analyst read Python's words or the
wrong ones: a salt file or rules file that is a FIFO "does not exist", a missing or FIFO
QA report a raw "[Errno 2] ...", a path with a NUL "embedded null byte", a 300-character
name "File name too long" with the path nowhere, a PROFILE of spaces a blank path. Each is
now refused before the run by one check (processing/base.py over core.common.text_file),
which names the input, says what is wrong and shows the path with its control characters
escaped and a long path cut in the middle.

The algorithms come from the provider and their inputs from their parameters' types, so a
new algorithm, or a new file parameter, is covered without a line here. Real files, a real
FIFO, the real Processing framework.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
)

from crime_mapper.compat import FILE_BEHAVIOUR_FOLDER, SOURCE_FILE
from crime_mapper.core.common.text_file import path_problem, shown_path
from crime_mapper.processing.provider import algorithm_classes

REPO = Path(__file__).resolve().parent.parent
ALGORITHMS = sorted(
    (cls.__module__.rsplit(".", 1)[-1], cls)
    for cls in algorithm_classes()
)  # fmt: skip


def _kind(definition) -> str:
    """What the parameter takes, read from its type here (not from the code under test)."""
    if isinstance(definition, QgsProcessingParameterFile):
        return "folder" if definition.behavior() == FILE_BEHAVIOUR_FOLDER else "file"
    if isinstance(definition, QgsProcessingParameterMultipleLayers) and (
        definition.layerType() == SOURCE_FILE
    ):
        return "either"
    return ""


def _output_kind(definition) -> str:
    if isinstance(definition, QgsProcessingParameterFolderDestination):
        return "folder"
    if isinstance(
        definition,
        (
            QgsProcessingParameterFileDestination,
            QgsProcessingParameterVectorDestination,
            QgsProcessingParameterRasterDestination,
        ),
    ):
        return "file"  # (the layer outputs are a GeoPackage or a GeoTIFF file)
    return ""


def _parameters(kind_of) -> list[tuple[str, str, str]]:
    """(algorithm name, parameter name, what it takes) for every parameter ``kind_of``
    names a kind for."""
    found = []
    for _module, cls in ALGORITHMS:
        algorithm = cls()
        algorithm.initAlgorithm()
        for definition in algorithm.parameterDefinitions():
            kind = kind_of(definition)
            if kind:
                found.append((algorithm.name(), definition.name(), kind))
    return found


INPUTS = _parameters(_kind)
OUTPUTS = _parameters(_output_kind)


def test_the_inputs_are_found_by_type():
    """The enumeration finds the inputs of the known cases (it cannot pass by finding none)."""
    names = {(alg, name) for alg, name, _kind in INPUTS}
    assert {("anonymise", "SALT_FILE"), ("anonymise", "QA_REPORT"), ("anonymise", "RULES")} <= names
    assert ("check_release", "RELEASE_FOLDER", "folder") in INPUTS
    assert ("load_extracts", "INPUT", "either") in INPUTS
    assert len({alg for alg, _name, _kind in INPUTS}) >= 9


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, str]:
    """Hostile paths, real on disk where they must be."""
    base = tmp_path_factory.mktemp("hostile_inputs")
    fifo = base / "salt.fifo"
    os.mkfifo(fifo)
    (base / "a file.json").write_text("{}", encoding="utf-8")
    (base / "a folder").mkdir()
    return {
        "missing": str(base / "no such.json"),
        "fifo": str(fifo),
        "device": os.devnull,
        "nul": str(base / "a\x00b.json"),
        "long": str(base / ("x" * 300 + ".json")),
        "control": str(base / "new\nline\u202e.json"),
        "file": str(base / "a file.json"),
        "folder": str(base / "a folder"),
        "blank": "   ",
    }


#: (case, the words for a file input, for a folder input, for a file-or-folder input); None:
#: the path is fine for that input.
CASES = [
    ("missing", "not found", "not found", "not found"),
    ("fifo", "is a named pipe (FIFO), not a file", "is a named pipe (FIFO), not a folder",
     "is a named pipe (FIFO), not a file"),
    ("device", "is a device, not a file", "is a device, not a folder", "is a device, not a file"),
    ("nul", "path holds a NUL character", "path holds a NUL character",
     "path holds a NUL character"),
    ("long", "name is too long for this system (File name too long)",
     "name is too long for this system (File name too long)",
     "name is too long for this system (File name too long)"),
    ("control", "not found", "not found", "not found"),
    ("file", None, "is a file, not a folder", None),
    ("folder", "is a folder, not a file", None, None),
]  # fmt: skip


def _run(alg: str, params: dict) -> str:
    """The message of the run's refusal (every run here is refused: no crimes are given)."""
    import processing

    # MONTH: the monthly release fills {month} into its paths before they are checked
    with pytest.raises(QgsProcessingException) as caught:
        processing.run(f"crime_mapper:{alg}", {"MONTH": "2022-10", **params})
    return str(caught.value)


def _combinations(refused: bool) -> list:
    """(algorithm, parameter, case, words) for every input and case refused (or not)."""
    column = {"file": 1, "folder": 2, "either": 3}
    return [
        pytest.param(alg, name, case[0], case[column[kind]], id=f"{alg}-{name}-{case[0]}")
        for alg, name, kind in INPUTS
        for case in CASES
        if (case[column[kind]] is not None) is refused
    ]


@pytest.mark.parametrize("alg, name, case, words", _combinations(refused=True))
def test_a_hostile_input_is_refused_in_plain_words(provider, hostile, alg, name, case, words):
    message = _run(alg, {name: hostile[case]})
    assert f"({name}) {words}: " in message, message
    shown = message.split(f"{words}: ", 1)[1]
    assert "\x00" not in shown and "\n" not in shown and "\u202e" not in shown, shown
    assert len(shown) < 200, shown
    assert "Errno" not in message and "embedded null" not in message


@pytest.mark.parametrize("alg, name, case, words", _combinations(refused=False))
def test_a_fine_input_is_not_refused(provider, hostile, alg, name, case, words):
    """The control: a file for a file input, a folder for a folder input, either for
    extracts; the run is refused for what is missing, never for this input."""
    message = _run(alg, {name: hostile[case]})
    assert f"({name})" not in message, message


@pytest.mark.parametrize(
    "alg, name", [(a, n) for a, n, k in INPUTS if k != "either"], ids=lambda v: str(v)
)
def test_an_input_of_spaces_is_refused_as_blank(provider, hostile, alg, name):
    """A path of spaces is no file: refused as the command line refuses ``--profile " "``,
    not read as "not given" (an anonymise would then run without the salt file meant)."""
    message = _run(alg, {name: hostile["blank"]})
    assert f"({name}) is blank (spaces only)" in message, message


def test_the_shown_path_is_escaped_and_cut_in_the_middle():
    assert shown_path("/data/a\x00b\n\u202e\xa0c d.csv") == "/data/a\\x00b\\n\\u202e\\xa0c d.csv"
    long = "/data/" + "x" * 300 + "/end.csv"
    shown = shown_path(long)
    assert shown.startswith("/data/xxx") and shown.count("...") == 1 and len(shown) < 150
    assert shown.endswith(f"/end.csv ({len(long):,} characters)") and "..." in shown
    assert shown_path("/data/été.csv") == "/data/été.csv"


def test_path_problem_follows_links(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "to_pipe").symlink_to(fifo)
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    assert path_problem(tmp_path / "to_pipe") == "is a named pipe (FIFO), not a file"
    assert path_problem(tmp_path / "dangling") == "not found"
    assert path_problem(tmp_path, "either") is None
    with pytest.raises(ValueError):
        path_problem(tmp_path, "anything")


def test_every_file_input_is_read_through_the_checked_readers():
    """An algorithm reads its file and folder inputs through base's parameter_path and
    parameter_paths, which check them again where the run reads them (a model's child, a
    script's ``alg.run``, may not ask checkParameterValues first); QGIS's own readers
    return the path unchecked."""
    for module, _cls in ALGORITHMS + [("parameters", None)]:
        text = (REPO / "crime_mapper" / "processing" / f"{module}.py").read_text("utf-8")
        assert "parameterAsFile(" not in text and "parameterAsFileList(" not in text, module


# --- outputs ----------------------------------------------------------------------------------


def test_the_outputs_are_found_by_type():
    assert ("load_extracts", "REPORT", "file") in OUTPUTS
    assert ("monthly_release", "OUTPUT_FOLDER", "folder") in OUTPUTS
    assert ("hotspots_grid", "OUTPUT", "file") in OUTPUTS
    assert len({alg for alg, _name, _kind in OUTPUTS}) >= 7


@pytest.fixture(scope="module")
def hostile_outputs(tmp_path_factory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("hostile_outputs")
    (base / "a file.json").write_text("{}", encoding="utf-8")
    (base / "a folder").mkdir()
    return {
        "nul": str(base / "out\x00put.json"),
        "long": str(base / ("x" * 300 + ".json")),
        "long_below": str(base / "new" / ("y" * 300) / "out.json"),
        "file": str(base / "a file.json"),
        "folder": str(base / "a folder"),
        "new": str(base / "new" / "folder" / "out.json"),
        "blank": "   ",
    }


TOO_LONG = "name is too long for this system (File name too long)"
#: (case, the words for a file output, for a folder output); None: fine for that output.
OUTPUT_CASES = [
    ("nul", "path holds a NUL character", "path holds a NUL character"),
    ("long", TOO_LONG, TOO_LONG),
    ("long_below", TOO_LONG, TOO_LONG),
    ("folder", "is a folder, not a file", None),
    ("file", None, "is a file, not a folder"),
    ("new", None, None),
    ("blank", "is blank (spaces only)", "is blank (spaces only)"),
]


def _output_combinations(refused: bool) -> list:
    column = {"file": 1, "folder": 2}
    return [
        pytest.param(alg, name, case[0], case[column[kind]], id=f"{alg}-{name}-{case[0]}")
        for alg, name, kind in OUTPUTS
        for case in OUTPUT_CASES
        if (case[column[kind]] is not None) is refused
    ]


@pytest.mark.parametrize("alg, name, case, words", _output_combinations(refused=True))
def test_a_hostile_output_is_refused_in_plain_words(
    provider, hostile_outputs, alg, name, case, words
):
    """An output with a NUL failed the run as "embedded null byte", a 300-character name
    only when the finished files were staged, as a raw "[Errno 36]" naming the staging
    folder, and an output of spaces wrote a file named three spaces where QGIS ran."""
    message = _run(alg, {name: hostile_outputs[case]})
    assert f"({name}) {words}" in message, message
    assert "\x00" not in message and len(message) < 400, message


@pytest.mark.parametrize("alg, name, case, words", _output_combinations(refused=False))
def test_a_fine_output_is_not_refused(provider, hostile_outputs, alg, name, case, words):
    message = _run(alg, {name: hostile_outputs[case]})
    assert f"({name})" not in message, message


def test_the_monthly_release_checks_its_inputs_with_the_month_filled_in(provider, tmp_path):
    """The monthly release reads ``{month}`` in its paths as the month: an input there for
    that month is no problem, and one missing is shown as the release would read it."""
    (tmp_path / "2022-10-street.csv").write_text("Crime ID\n", encoding="utf-8")
    given = str(tmp_path / "{month}-street.csv")
    message = _run("monthly_release", {"INPUTS": given, "SALT_FILE": given})
    assert "(INPUTS)" not in message and "(SALT_FILE)" not in message, message
    message = _run("monthly_release", {"INPUTS": given, "MONTH": "2022-11"})
    assert f"(INPUTS) not found: {tmp_path / '2022-11-street.csv'}" in message, message
