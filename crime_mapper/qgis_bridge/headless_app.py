"""QGIS without a display for a plain Python process: started at most once, stopped once.

The command line's ``release`` and ``load --gpkg`` and the dock's release child need QGIS's
providers and styles but run outside the QGIS desktop, so they start QGIS themselves
(qgis_bridge.monthly_release.run_headless, qgis_bridge.run_load.run_load_headless).

Why once per process, and not once per run: QGIS cannot be started and stopped twice in one
process. ``QgsApplication.exitQgis()`` deletes the authentication manager but leaves the
``QgsAuthManager`` singleton pointing at the freed object (QGIS 3.22); the next
QgsApplication's ``initQgis()`` takes that dangling pointer as its own, and its
``exitQgis()`` deletes it again. So a second ``crime_mapper.cli.main(["release", ...])`` in
one process died with a segmentation fault in exitQgis (at once when nothing had reused the
freed memory, as after a configuration that fails its check; after a full release the second
delete freed whatever object now lived there, corrupting the heap silently). Each run now
uses the one QGIS of its process, which is stopped when the process exits.

Why not when QGIS already runs: inside the QGIS desktop (its Python console, a plugin
calling ``cli.main``) or a test session, a second QgsApplication and exitQgis() stopped the
running QGIS's own registries (providers, authentication, the project) under it. A QGIS
already running is its owner's to stop; the run only uses it.
"""

from __future__ import annotations

import atexit
import os
from typing import Any, Optional

#: The QgsApplication this module started (None: not started here), and the process that
#: started it: a forked child (core.common.forked) never stops its parent's QGIS.
_STARTED: Optional[Any] = None
_STARTED_IN: Optional[int] = None


def start_qgis() -> Any:
    """The running QgsApplication, started here (without a display, providers initialised)
    if this process has none yet; it is stopped when the process exits (:func:`_stop_qgis`),
    never by the caller."""
    global _STARTED, _STARTED_IN
    from qgis.core import QgsApplication

    running = QgsApplication.instance()
    if running is not None:
        return running
    app = QgsApplication([], False)
    app.initQgis()
    _STARTED, _STARTED_IN = app, os.getpid()
    atexit.register(_stop_qgis)
    return app


def _stop_qgis() -> None:
    """Stop the QGIS :func:`start_qgis` started, once, at the process's exit, in the process
    that started it; the application object goes with it while Python is still whole (as it
    did when each run stopped QGIS before returning)."""
    global _STARTED, _STARTED_IN
    app, pid = _STARTED, _STARTED_IN
    _STARTED = _STARTED_IN = None
    if app is not None and pid == os.getpid():
        app.exitQgis()
    del app
