"""Release file rules shared by every way of making a release: the salt file and the names.

Why a core module: the QGIS release writer (qgis_bridge.run_anonymise), the Processing
algorithm, the Release panel and the command line (which runs without QGIS, for scheduled
monthly jobs) must refuse the same salt files and give the public CSV the same police.uk-style
name, so the rules live here once, in plain Python, importable without QGIS.

The salt comes from a file, never from a typed-in string: Processing records every parameter
value in its history log, and a salt in that log would let anyone recompute Crime IDs from
guessed references. The salt file must not lie inside an output folder (it would be
published with the release).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

import pandas as pd

PathLike = Union[str, "os.PathLike[str]"]

# The audit and manifest file names inside a release folder (the public CSV is named by
# public_csv_name).
RELEASE_NAMES = {
    "audit_json": "audit.json",
    "audit_html": "audit.html",
    "manifest": "release_manifest.json",
}
SALT_BYTES = 32  # create_salt_file: 32 random bytes, written as 64 hex characters

# police.uk file-name slugs where "Reported by" does not simply lose its last word.
_FORCE_SLUGS = {
    "metropolitan police service": "metropolitan",
    "city of london police": "city-of-london",
    "british transport police": "btp",
    "police service of northern ireland": "northern-ireland",
    "avon and somerset constabulary": "avon-and-somerset",
    "devon & cornwall police": "devon-and-cornwall",
    "devon and cornwall police": "devon-and-cornwall",
    "dyfed-powys police": "dyfed-powys",
}
_FORCE_SUFFIXES = (" police service", " constabulary", " police")


class ReleaseInputError(ValueError):
    """An input of the release cannot be used; raised before any output is touched."""


# --- salt -----------------------------------------------------------------------------------

def create_salt_file(path: PathLike) -> Path:
    """Write a new secret salt (32 random bytes as 64 hex characters) readable only by you.

    Refuses to overwrite: replacing a force's salt changes every Crime ID of every later
    release, so that must be a deliberate act (delete the old file first).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(str(path), flags, 0o600)
    except FileExistsError as exc:
        raise ReleaseInputError(
            f"{path} already exists: a salt is never overwritten (every Crime ID would "
            "change); choose a new file name") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(SALT_BYTES) + "\n")
    os.chmod(path, 0o600)  # also where the umask would have widened it
    return path


def _inside(path: Path, folder: Path) -> bool:
    try:
        path = path.resolve()
        folder = folder.resolve()
    except OSError:
        return False
    return path == folder or folder in path.parents


def read_salt(salt_file: Optional[PathLike], output_dirs: Sequence[PathLike] = ()) -> bytes:
    """The salt bytes from ``salt_file`` (surrounding whitespace removed), checked.

    Refused: no file chosen, a missing or empty file, a salt shorter than
    public_schema.MIN_SALT_BYTES, and a salt file inside an output folder.
    """
    from .public_schema import MIN_SALT_BYTES

    if not salt_file:
        raise ReleaseInputError(
            "No salt file chosen. Crime IDs are keyed hashes of the crime references: choose "
            "the force's salt file (or create one with 'Create new salt…'), kept outside "
            "the release folder and reused every month.")
    path = Path(salt_file)
    if not path.is_file():
        raise ReleaseInputError(f"The salt file does not exist: {path}")
    for folder in output_dirs:
        if _inside(path, Path(folder)):
            raise ReleaseInputError(
                f"The salt file {path} is inside the output folder {folder}: it would be "
                "published with the release. Keep the salt outside every output folder.")
    try:
        salt = path.read_bytes().strip()
    except OSError as exc:
        raise ReleaseInputError(f"Cannot read the salt file {path}: {exc}") from exc
    if not salt:
        raise ReleaseInputError(f"The salt file {path} is empty.")
    if len(salt) < MIN_SALT_BYTES:
        raise ReleaseInputError(
            f"The salt in {path} is {len(salt)} bytes; at least {MIN_SALT_BYTES} are needed "
            "(a short salt lets anyone recompute Crime IDs from guessed references).")
    return salt


# --- names ----------------------------------------------------------------------------------

def force_slug(name: str) -> str:
    """police.uk's file-name slug for a force ("Leicestershire Police" -> "leicestershire")."""
    text = str(name).strip().lower()
    if text in _FORCE_SLUGS:
        return _FORCE_SLUGS[text]
    for suffix in _FORCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    slug = re.sub(r"[^a-z0-9]+", "-", text.replace("&", " and ")).strip("-")
    return slug or "force"


def public_csv_name(public: pd.DataFrame) -> str:
    """The police.uk-style name of a public CSV: ``2022-10-leicestershire-street.csv``;
    ``2022-09_2022-10-...`` for several months; ``multiple-forces`` for several forces."""
    months = sorted({m for m in public["Month"].tolist() if m})
    forces = sorted({f for f in public["Reported by"].tolist() if f})
    if not months:
        span = "no-month"
    elif len(months) == 1:
        span = months[0]
    else:
        span = f"{months[0]}_{months[-1]}"
    force = force_slug(forces[0]) if len(forces) == 1 else (
        "multiple-forces" if forces else "force")
    return f"{span}-{force}-street.csv"
