"""Optional runtime packages, imported when a step needs them, with a message a user can act on.

Why: QGIS imports the plugin (and registers its Processing provider) at start-up. A module-level
``import scipy`` anywhere on that path turns a missing package into a modal Python error at
every QGIS start and aborts every ``qgis_process`` call, even for steps that never use it. Steps
that need scipy call :func:`require` when they run instead, so loading still works without it
and the step that cannot run says which package is missing and how to install it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["INSTALL_HINTS", "MissingDependency", "require"]

#: How to install each optional package where QGIS runs (package name -> hint).
INSTALL_HINTS: dict[str, str] = {
    "scipy": (
        "Debian/Ubuntu: sudo apt install python3-scipy; Windows (OSGeo4W installer, Advanced "
        "install): the python3-scipy package; macOS QGIS bundle: scipy ships with it"
    ),
    "pandas": (
        "Debian/Ubuntu: sudo apt install python3-pandas; Windows (OSGeo4W installer, Advanced "
        "install): the python3-pandas package"
    ),
    "numpy": "Debian/Ubuntu: sudo apt install python3-numpy; Windows: ships with QGIS",
    "jinja2": (
        "Debian/Ubuntu: sudo apt install python3-jinja2; Windows (OSGeo4W installer, Advanced "
        "install): the python3-jinja2 package"
    ),
}


class MissingDependency(ImportError):
    """A step needs a Python package that QGIS's Python cannot import."""

    def __init__(self, package: str, purpose: str, cause: str = "") -> None:
        hint = INSTALL_HINTS.get(package, f"install the Python package {package!r}")
        detail = f" ({cause})" if cause else ""
        super().__init__(
            f"{purpose} needs the Python package {package!r}, which QGIS's Python cannot "
            f"import{detail}. Install it ({hint}), then restart QGIS. Other steps keep working."
        )
        self.package = package
        self.purpose = purpose


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (e.g. "scipy.signal") or raise :class:`MissingDependency`.

    ``purpose`` names the step in the user's words ("Kernel density"), so the message says what
    could not run, not just which import failed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(module.split(".", 1)[0], purpose, str(exc)) from exc
