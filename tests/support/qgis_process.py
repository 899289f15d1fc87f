"""Running ``qgis_process.bin`` (and other child processes) from the tests, on any QGIS.

Why one helper: `make test` runs the suite on the system QGIS 3.22 and on QGIS 3.40 unpacked
beside it (tools/qgis340.sh), whose Python bindings reach the interpreter through PYTHONPATH.
A child process that *replaced* PYTHONPATH (or dropped it to keep the source checkout off the
path) would silently start the other QGIS; these helpers only ever add to it, and remove just
the checkout's own entries when the plugin must come from QGIS_PLUGINPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent.parent


def qgis_process_exe() -> str:
    """The qgis_process.bin of the QGIS under test (PATH first: 3.40 puts its own there)."""
    return shutil.which("qgis_process.bin") or "/usr/bin/qgis_process.bin"


def pythonpath(prepend: Iterable[str | Path] = (), drop_checkout: bool = False) -> str:
    """The caller's PYTHONPATH with ``prepend`` in front; optionally without the checkout."""
    entries = [str(p) for p in prepend]
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if not entry:
            continue
        if drop_checkout and Path(entry).resolve() == REPO:
            continue
        entries.append(entry)
    return os.pathsep.join(entries)


def child_env(
    prepend_pythonpath: Iterable[str | Path] = (), drop_checkout: bool = False, **extra: str
) -> dict[str, str]:
    """os.environ plus ``extra``, headless, with PYTHONPATH extended (never replaced)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    path = pythonpath(prepend_pythonpath, drop_checkout)
    if path:
        env["PYTHONPATH"] = path
    else:
        env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def plugin_folder(tmp_path: Path) -> Path:
    """A QGIS_PLUGINPATH folder whose crime_mapper/ is the source package plus metadata.txt.

    Symlinks to the working tree, so the code under test runs without `make plugin`.
    """
    plugins = tmp_path / "plugins"
    package = plugins / "crime_mapper"
    package.mkdir(parents=True)
    for entry in (REPO / "crime_mapper").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    if not (package / "metadata.txt").exists():
        (package / "metadata.txt").symlink_to(REPO / "metadata.txt")
    return plugins


def qgis_process_env(
    tmp_path: Path, prepend_pythonpath: Iterable[str | Path] = ()
) -> dict[str, str]:
    """Environment for qgis_process.bin with the plugin enabled in an isolated profile.

    The checkout is dropped from PYTHONPATH so that the plugin is the one QGIS loads from
    QGIS_PLUGINPATH, as on an analyst's machine.
    """
    env = child_env(
        prepend_pythonpath,
        drop_checkout=True,
        QGIS_PLUGINPATH=str(plugin_folder(tmp_path)),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
    )
    enable = run_qgis_process(["plugins", "enable", "crime_mapper"], env)
    if enable.returncode != 0:
        raise AssertionError(f"qgis_process plugins enable failed: {enable.stderr[-2000:]}")
    return env


def run_qgis_process(
    args: Sequence[str], env: dict[str, str], timeout: Optional[float] = 600
) -> subprocess.CompletedProcess:
    """``qgis_process.bin ARGS`` with output captured as text."""
    return subprocess.run(
        [qgis_process_exe(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
