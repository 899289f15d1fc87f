"""Compare the leak gate with an older revision of itself on every call a test run makes.

Why: speed work on the gate (issue 15) must not change a verdict or a message. This runs the
given tests with a pytest plugin that wraps ``check_release``: each call also runs the gate
of ``--old`` (its ``crime_mapper/core``, taken with ``git archive`` into a temporary
package, so its own readers are used too) on the same inputs, and compares the two reports'
``to_dict()``. Calls with ``team_texts=`` are skipped when the old gate has no such
parameter; a call with ``checks=`` (some checks only) is compared with the old report's
checks of those names. Exits 1 on any difference or error::

    /usr/bin/python3 -m tools.gate_differential --old 719a4ee tests/test_leak_gate.py ...

Needs the git history (not a shallow clone) and a repository checkout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]

PLUGIN = """
import inspect, json, os, traceback

LOG = os.environ["GATE_DIFFERENTIAL_LOG"]


def pytest_configure(config):
    from crime_mapper.core.gate import leak_gate as new
    from crime_mapper_old.core.gate import leak_gate as old

    current = new.check_release
    old_params = inspect.signature(old.check_release).parameters

    def both(raw, output, points, **kw):
        report = current(raw, output, points, **kw)
        try:
            if kw.get("team_texts") and "team_texts" not in old_params:
                return report
            okw = {k: v for k, v in kw.items() if k != "prepared" and k in old_params}
            prepared = kw.get("prepared")
            if prepared is not None and hasattr(prepared, "extra_allowed"):  # PreparedGate
                okw.setdefault("extra_allowed_coordinates", prepared.extra_allowed)
                okw.setdefault("extra_public_values", prepared.extra_public)
            if prepared is not None:  # (a ReleaseGate: the extras are in the call)
                okw.setdefault("min_catchment_addresses", prepared.min_addresses)
            a = report.to_dict()
            b = old.check_release(raw, output, points, **okw).to_dict()
            if kw.get("checks") is not None and "checks" not in old_params:
                # (some checks only: the old gate's report of those)
                b["checks"] = [c for c in b["checks"] if c["name"] in set(kw["checks"])]
                b["passed"] = all(c["passed"] for c in b["checks"])
            with open(LOG, "a", encoding="utf-8") as f:
                if a == b:
                    f.write("SAME\\n")
                else:
                    f.write("DIFF " + json.dumps({"new": a, "old": b}, default=str) + "\\n")
        except Exception:
            with open(LOG, "a", encoding="utf-8") as f:
                f.write("ERR " + json.dumps(traceback.format_exc()) + "\\n")
        return report

    new.check_release = both
"""


def old_package(revision: str, into: Path) -> None:
    """``crime_mapper/core`` of ``revision`` as the package ``crime_mapper_old.core``."""
    archive = into / "old.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(REPO), "archive", revision, "crime_mapper/core"],
            stdout=out,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "extract")  # noqa: S202 - our own repository's archive
    package = into / "crime_mapper_old"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (into / "extract" / "crime_mapper" / "core").rename(package / "core")


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", required=True, help="the git revision to compare with")
    parser.add_argument("tests", nargs="+", help="test files (or pytest arguments)")
    args, extra = parser.parse_known_args(argv)  # other pytest options pass through
    with tempfile.TemporaryDirectory(prefix="gate_differential_") as tmp:
        where = Path(tmp)
        old_package(args.old, where)
        (where / "gate_differential_plugin.py").write_text(PLUGIN, encoding="utf-8")
        log = where / "calls.log"
        log.touch()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(where), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        env["GATE_DIFFERENTIAL_LOG"] = str(log)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "gate_differential_plugin"] + args.tests,
            cwd=REPO,
            env=env,
            check=False,
        )
        lines = log.read_text(encoding="utf-8").splitlines()
    same = sum(1 for line in lines if line == "SAME")
    bad = [line for line in lines if line != "SAME"]
    for line in bad[:5]:
        print(line[:2000])
    print(f"gate calls compared with {args.old}: {same} identical, {len(bad)} different or failed")
    return 1 if bad or run.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
