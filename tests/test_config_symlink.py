"""A release configuration opened through a symbolic link reads its relative paths from the
link's folder, as a shell user expects.

Why: a force keeps one shared configuration and links it into each data folder
(``force/release.toml -> ../shared/release.toml``). ``read_config`` resolved the link and
read ``{month}-extract.csv``, the profile, the salt and the output folder from the shared
folder: the release failed with "Extract not found: shared/...", or, where the shared
folder held files of the same names, released another folder's data there. The dock's form
already took the link's folder, so the dock and the command line disagreed. Real files and
real symlinks in tmp_path, and the real command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from crime_mapper.core.monthly import toml_lite
from crime_mapper.core.monthly.config import read_config
from crime_mapper.core.release.release_files import create_salt_file
from tests.support.monthly_config import MONTH, SAMPLE, cli

EXTRACT = f"{MONTH}-leicestershire-force-extract.csv"
PROFILE = "leicestershire-force-extract.profile.json"


def shared_and_linked(tmp_path: Path) -> tuple[Path, Path]:
    """(the shared configuration, the force folder's link to it): the configuration's
    relative paths name files that exist only in the force folder."""
    shared, force = tmp_path / "shared", tmp_path / "force"
    shared.mkdir()
    force.mkdir()
    data = {
        "release": {"force": "Leicestershire", "output": "out/{month}"},
        "load": {"inputs": ["{month}-leicestershire-force-extract.csv"], "profile": PROFILE},
        "anonymise": {
            "salt_file": "secret/release.salt",
            "map_points": {
                "kind": "history",
                "paths": [
                    str(SAMPLE / "police-uk" / "2022-09"),
                    str(SAMPLE / "police-uk" / "2022-10"),
                ],
            },
        },
        "qa": {"enabled": False},
        "hotspots": {"enabled": False},
        "publish": {"web_map": False, "summaries": False, "project": False},
    }
    config = shared / "release.toml"
    config.write_text(toml_lite.dumps(data), encoding="utf-8")
    link = force / "release.toml"
    os.symlink(os.path.join("..", "shared", "release.toml"), link)  # relative, as `ln -s`
    shutil.copy(SAMPLE / "force" / EXTRACT, force / EXTRACT)
    shutil.copy(SAMPLE / "force" / PROFILE, force / PROFILE)
    create_salt_file(force / "secret" / "release.salt")
    return config, link


def test_relative_paths_start_at_the_links_folder(tmp_path: Path):
    config, link = shared_and_linked(tmp_path)
    assert link.is_symlink() and link.resolve() == config.resolve()
    force = tmp_path / "force"
    linked = read_config(link)
    assert linked.input_paths(MONTH) == [force / EXTRACT]
    assert linked.path(linked.profile, MONTH) == force / PROFILE
    assert linked.output_dir(MONTH) == force / "out" / MONTH
    assert linked.problems(MONTH) == []
    # the file opened directly still reads from its own folder
    direct = read_config(config)
    assert direct.input_paths(MONTH) == [tmp_path / "shared" / EXTRACT]
    assert any("Extract not found" in p for p in direct.problems(MONTH))


def test_relative_paths_of_a_link_given_relative_to_the_working_folder(tmp_path: Path, monkeypatch):
    """``release force/release.toml`` typed in the folder above: still the link's folder."""
    shared_and_linked(tmp_path)
    monkeypatch.chdir(tmp_path)
    linked = read_config(Path("force") / "release.toml")
    assert linked.input_paths(MONTH) == [tmp_path / "force" / EXTRACT]


def test_the_command_line_releases_the_links_folder(tmp_path: Path):
    """The whole release through the link: it reads the force folder's extract, profile and
    salt and writes its month there; nothing lands beside the shared file."""
    _, link = shared_and_linked(tmp_path)
    done = cli("release", link, "--month", MONTH, "--no-qgis")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "force" / "out" / MONTH
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    extract = (tmp_path / "force" / EXTRACT).read_bytes()
    assert manifest["inputs"]["extracts"] == [
        {"name": EXTRACT, "sha256": hashlib.sha256(extract).hexdigest(), "bytes": len(extract)}
    ]
    assert not (tmp_path / "shared" / "out").exists()
