"""The monthly release's publish step is all or nothing: the neighbourhood summaries, the
web map and the PDF atlas are staged and gated first, and moved into place together at one
commit point (core.monthly.release._publish_step, core.common.staging).

Why: each was moved in on its own, so a web map its gate refused, an atlas that failed or a
cancel once the summaries were in place left this month's summaries beside last month's
map and atlas (and no manifest): a folder an analyst re-published was a mixed release.
Real runs on the bundled month (sample_data/), real QGIS for the atlas, real files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.common.staging import STAGE_PREFIX
from crime_mapper.core.monthly.release import MonthlyReleaseError, run_monthly_release
from crime_mapper.core.publish.summaries_export import ATLAS_NAME
from tests.support.forking import files_in, may_fork, no_children
from tests.support.monthly_config import MONTH, left_behind, publish_config

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")

#: A raw value the web map would carry and the summaries would not: a crime reference of
#: the raw extract (sample_data/force) in the map's title (index.html, data/config.js)
RAW_REFERENCE = "LE/22/005223"
#: What marks the earlier release's outputs (the same run gives the same bytes otherwise)
EARLIER = "planted-by-the-test:the-earlier-release"


def _runners(beside: bool) -> Any:
    from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

    runners = QgisStepRunners()
    runners.publish_beside = beside
    return runners


def _config(tmp_path: Path) -> Any:
    config = publish_config(tmp_path)
    config.publish.atlas = True
    config.publish.project = False
    return config


def _published(out_dir: Path) -> dict[str, bytes]:
    """The publish step's outputs: the summaries' folder, the web map's and the atlas."""
    files = files_in(out_dir)
    return {
        name: data
        for name, data in files.items()
        if name.startswith(("neighbourhoods/", "map/")) or name == ATLAS_NAME
    }


def _earlier_release(tmp_path: Path) -> tuple[Any, Path, dict[str, bytes]]:
    """(config, month folder, its publish outputs): an earlier release with summaries, web
    map and atlas, each marked so that this run's same bytes cannot pass for them."""
    config = _config(tmp_path)
    out_dir = run_monthly_release(config, MONTH, runners=_runners(False)).out_dir
    (out_dir / "neighbourhoods" / "index.html").write_text(EARLIER, "utf-8")
    (out_dir / "map" / "index.html").write_text(EARLIER, "utf-8")
    with open(out_dir / ATLAS_NAME, "ab") as pdf:
        pdf.write(f"\n% {EARLIER}\n".encode())
    before = _published(out_dir)
    assert any(n.startswith("map/") for n in before) and ATLAS_NAME in before
    assert sum(n.startswith("neighbourhoods/") for n in before) > 30
    return config, out_dir, before


def _nothing_left(out_dir: Path) -> None:
    assert left_behind(out_dir) == []
    assert not [p.name for p in out_dir.iterdir() if p.name.startswith(STAGE_PREFIX)]
    assert no_children()


@pytest.mark.parametrize("beside", [False, True], ids=["map-after", "map-beside"])
def test_a_map_its_gate_refuses_leaves_the_earlier_summaries_map_and_atlas(
    tmp_path, monkeypatch, beside
):
    may_fork(monkeypatch)
    config, out_dir, before = _earlier_release(tmp_path)
    config.publish.title = f"Crimes near {RAW_REFERENCE}"
    with pytest.raises(MonthlyReleaseError) as caught:
        run_monthly_release(config, MONTH, runners=_runners(beside))
    assert caught.value.step == "publish" and RAW_REFERENCE in str(caught.value)
    assert _published(out_dir) == before
    _nothing_left(out_dir)


@pytest.mark.parametrize("beside", [False, True], ids=["map-after", "map-beside"])
def test_a_cancel_once_the_summaries_and_atlas_are_staged_leaves_every_earlier_output(
    tmp_path, monkeypatch, beside
):
    may_fork(monkeypatch)
    config, out_dir, before = _earlier_release(tmp_path)

    class CancelOnceTheAtlasIsStaged(Feedback):
        """Cancelled from the moment the atlas PDF is staged (after the summaries were
        staged and gated, and the atlas drawn from them)."""

        def is_cancelled(self) -> bool:
            return any(out_dir.glob(f"{STAGE_PREFIX}*/{ATLAS_NAME}"))

    with pytest.raises(Cancelled):
        run_monthly_release(
            config, MONTH, runners=_runners(beside), feedback=CancelOnceTheAtlasIsStaged()
        )
    assert _published(out_dir) == before
    _nothing_left(out_dir)


class _AtlasFails:
    """QGIS's runner whose PDF export fails once the atlas is drawn (as exportToPdf
    reports an error: a full disk, a font it cannot embed)."""

    def __new__(cls, beside: bool) -> Any:
        from crime_mapper.qgis_bridge.monthly_release import QgisStepRunners

        class Failing(QgisStepRunners):
            def atlas(self, *args: Any, **kwargs: Any) -> Path:
                super().atlas(*args, **kwargs)
                raise RuntimeError("the PDF atlas could not be exported: planted failure")

        runners = Failing()
        runners.publish_beside = beside
        return runners


@pytest.mark.parametrize("beside", [False, True], ids=["map-after", "map-beside"])
def test_an_atlas_that_fails_leaves_the_earlier_summaries_map_and_atlas(
    tmp_path, monkeypatch, beside
):
    may_fork(monkeypatch)
    config, out_dir, before = _earlier_release(tmp_path)
    with pytest.raises(MonthlyReleaseError, match="planted failure"):
        run_monthly_release(config, MONTH, runners=_AtlasFails(beside))
    assert _published(out_dir) == before
    _nothing_left(out_dir)


def test_a_release_that_passes_replaces_all_three_together(tmp_path, monkeypatch):
    may_fork(monkeypatch)
    config, out_dir, before = _earlier_release(tmp_path)
    config.publish.title = f"Crimes near {RAW_REFERENCE}"
    with pytest.raises(MonthlyReleaseError):
        run_monthly_release(config, MONTH, runners=_runners(True))
    assert _published(out_dir) == before
    config.publish.title = ""
    done = run_monthly_release(config, MONTH, runners=_runners(True))
    now = _published(out_dir)
    assert now.keys() == before.keys()
    changed = {n for n in now if now[n] != before[n]}
    assert changed == {"neighbourhoods/index.html", "map/index.html", ATLAS_NAME}
    for name in changed:
        assert EARLIER.encode() not in now[name], name
    publish = next(r for r in done.steps if r.name == "publish")
    assert out_dir / ATLAS_NAME in publish.outputs
    assert out_dir / "map" / "index.html" in publish.outputs
    assert out_dir / "neighbourhoods" / "index.html" in publish.outputs
    assert done.manifest is not None and done.manifest.is_file()
    _nothing_left(out_dir)
