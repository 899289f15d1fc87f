"""Work started on a thread beside the caller's; its value, or its error, taken later.

The load steps overlap work that lets go of Python's lock (hashlib, PROJ transforms, pandas'
tokenizer) with work on the calling thread. One helper keeps the contract the same for each:
the value is taken by joining the thread, and an error raised there is raised again on the
caller's thread, where the step's error handling (a clear message, a rejected file) is.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

_T = TypeVar("_T")


def beside(work: Callable[[], _T], name: str = "crime_mapper beside") -> Callable[[], _T]:
    """``work()`` started in a daemon thread; call the result for its value (or its error).

    Daemon, so that a caller which fails before asking for the value never keeps the
    process (a QGIS session, a command) waiting at exit for work nobody wants.
    """
    done: dict[str, Any] = {}

    def run() -> None:
        try:
            done["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
            done["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()

    def result() -> _T:
        worker.join()
        if "error" in done:
            raise done["error"]
        return done["value"]

    return result
