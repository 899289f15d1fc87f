"""Processing's monthly release with CONFIG: a parameter given beside it is refused, not
ignored.

Why: with CONFIG the file decides every setting, and the algorithm dropped any other
parameter in silence: ``CONFIG=r.toml MAX_DISTANCE=5000`` released at the file's 20 km,
``OUTPUT_FOLDER=/x`` wrote to the file's folder, ``HOTSPOTS=false`` made hotspots anyway.
Defaults (what the dialog passes for a field left alone) are still fine. The real
algorithm through processing.run, the bundled configuration in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.monthly_config import MONTH, config_file


def _run(config: Path, **params: Any) -> dict:
    import processing

    return processing.run(
        "crime_mapper:monthly_release", {"CONFIG": str(config), "MONTH": MONTH, **params}
    )


@pytest.mark.parametrize(
    "params, named",
    [
        ({"MAX_DISTANCE": 5000}, "MAX_DISTANCE"),
        ({"HOTSPOTS": False}, "HOTSPOTS"),
        ({"MAP_POINTS_KIND": 2}, "MAP_POINTS_KIND"),
        ({"OUTPUT_FOLDER": "{tmp}/elsewhere"}, "OUTPUT_FOLDER"),
        ({"SALT_FILE": "{tmp}/other.salt"}, "SALT_FILE"),
        ({"INPUTS": ["{tmp}/other.csv"]}, "INPUTS"),
        ({"MAX_DISTANCE": 5000, "RULES": "{tmp}/other.json"}, "RULES, MAX_DISTANCE"),
    ],
)
def test_a_parameter_given_beside_config_is_refused_by_name(provider, tmp_path, params, named):
    from qgis.core import QgsProcessingException

    for name in ("other.salt", "other.csv", "other.json"):
        (tmp_path / name).write_text("x\n", encoding="utf-8")

    def filled(value: Any) -> Any:
        if isinstance(value, list):
            return [filled(v) for v in value]
        return value.replace("{tmp}", str(tmp_path)) if isinstance(value, str) else value

    config = config_file(tmp_path)
    with pytest.raises(QgsProcessingException, match=f"every setting; {named} would not be used"):
        _run(config, **{k: filled(v) for k, v in params.items()})
    assert not (tmp_path / "out").exists() and not (tmp_path / "elsewhere").exists()


def test_defaults_given_beside_config_are_no_values_of_their_own(provider, tmp_path):
    """The control: the dialog passes every field; those left alone stop nothing. (The
    configuration's salt is missing, so the run stops at its check, before any step.)"""
    from qgis.core import QgsProcessingException

    config = config_file(tmp_path)
    (tmp_path / "secret" / "release.salt").unlink()
    defaults = {
        "INPUTS": [],
        "PROFILE": "",
        "SALT_FILE": None,
        "RULES": "",
        "MAP_POINTS_KIND": 0,
        "MAP_POINTS": None,
        "MAX_DISTANCE": 20000,
        "HOTSPOTS": True,
        "OUTPUT_FOLDER": "TEMPORARY_OUTPUT",
    }
    with pytest.raises(QgsProcessingException) as raised:
        _run(config, **defaults)
    assert "Salt file not found" in str(raised.value)
    assert "would not be used" not in str(raised.value)


def test_without_config_no_inputs_is_no_extract_not_the_working_folder(provider, tmp_path):
    """parameterAsFileList gives [""] for an empty INPUTS, and "" is the working folder:
    the release took the folder QGIS runs in as its extracts (every CSV under it), and
    never said that no extract was given. MAP_POINTS alike."""
    import processing
    from qgis.core import QgsProcessingException

    from crime_mapper.core.release.release_files import create_salt_file

    salt = tmp_path / "secret" / "release.salt"
    create_salt_file(salt)
    params = {"MONTH": MONTH, "SALT_FILE": str(salt), "OUTPUT_FOLDER": str(tmp_path / "out")}
    with pytest.raises(QgsProcessingException) as raised:
        processing.run("crime_mapper:monthly_release", params)
    assert "No extract is given (load.inputs)" in str(raised.value)
    assert "Map points (history) need at least one path" in str(raised.value)
    assert not (tmp_path / "out").exists()
