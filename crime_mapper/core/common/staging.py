"""Write several outputs so that they all appear together, or none of them changes.

A monthly release folder must never hold half of a new load beside half of the old one:
a failed or cancelled export leaves the previous outputs exactly as they were. Every writer
(the loader's reports, the command line, the QGIS load) stages its files here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]

# Files SQLite may leave beside a staged GeoPackage.
_SIDE_FILES = ("-journal", "-wal", "-shm")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Staging:
    """Temporary paths beside each final output; `commit` moves them all into place."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final)

    def path_for(self, final: PathLike) -> Path:
        """A fresh temporary path in the final file's folder (same file system, so the
        rename is atomic), keeping the suffix so writers that look at it still work."""
        final = Path(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=str(final.parent)
        )
        os.close(fd)
        os.unlink(tmp)  # writers create it themselves (SQLite wants a missing or empty file)
        self._staged.append((Path(tmp), final))
        return Path(tmp)

    def commit(self) -> None:
        mode = 0o666 & ~_umask()  # mkstemp's 0600 is not what a shared release folder wants
        for tmp, _ in self._staged:
            os.chmod(tmp, mode)
        for tmp, final in self._staged:
            os.replace(tmp, final)

    def discard(self) -> None:
        for tmp, _ in self._staged:
            for leftover in [tmp] + [Path(f"{tmp}{side}") for side in _SIDE_FILES]:
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


@contextlib.contextmanager
def staged_outputs() -> Iterator[Staging]:
    """Stage outputs inside the block; they replace the old ones only if it completes."""
    staging = Staging()
    try:
        yield staging
        staging.commit()
    finally:
        staging.discard()


def write_text_atomic(path: PathLike, text: str) -> None:
    with staged_outputs() as stage:
        stage.path_for(path).write_text(text, encoding="utf-8")
