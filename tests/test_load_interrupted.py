"""``load`` stopped by Ctrl-C (SIGINT) or SIGTERM just after its staging folder was made
leaves no staging folder behind.

Why: a stage folder was registered for clean-up (core.common.staging.Staging._stage_for)
only after it was made and its owner lock taken; an interrupt landing between the two (a
KeyboardInterrupt can land between any two lines) left the hidden
``.crime_mapper-stage-*`` folder beside the outputs until some later run in that folder
removed it. It is now registered before it is made.

The real command line in a child process, which raises the real signal on itself at the
first line the staging code runs once a stage folder exists (tests.support.interrupted_cli).
"""

from __future__ import annotations

import pytest

from crime_mapper.core.common.staging import STAGE_PREFIX
from tests.support.interrupted_cli import assert_stopped_in_order, interrupted_cli
from tests.support.plain_cli import FORCE_EXTRACT, FORCE_PROFILE


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_load_interrupted_once_its_stage_folder_exists_leaves_none(tmp_path, name):
    out = tmp_path / "out"
    done = interrupted_cli(
        name,
        out,
        ["crime_mapper.core.common.staging"],
        f"any(n.startswith({STAGE_PREFIX!r}) for n in names)",
        ["load", FORCE_EXTRACT, "--profile", FORCE_PROFILE, "--out", out],
    )
    assert "interrupted at staging.py line" in done.stderr, done.stderr[-3000:]
    assert_stopped_in_order(done, name)
    assert sorted(p.name for p in out.iterdir()) == []  # no stage folder, no output
