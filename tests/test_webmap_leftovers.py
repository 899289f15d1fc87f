"""What a web map export killed whole (SIGKILL of its process: no clean-up of its own runs)
leaves beside the map, and what the next export does with it
(core.publish.webmap_staging).

Before: the killed export's staging folder (``.map.staging-*``: a whole, gated but never
published map, or a half-written one) stayed beside the map for ever, and an export killed
between its swap's two renames left no map at all, the previous one hidden as
``.map.old-*``; a release folder copied to a web server whole would publish them. Now the
next export removes the staging folders nobody holds and the set-aside maps, after putting
the previous map back if none is in place; it never removes the staging folder of an
export still running (held), nor anything through a link.

The killed exports run in a Python process of their own (the sample's October street CSV,
no raw crimes: the gate against the release itself), killed from inside at the moment
named.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crime_mapper.core.common.feedback import Cancelled, Feedback
from crime_mapper.core.publish import webmap_staging
from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap, staging_prefix

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX folder locks only")

ROOT = Path(__file__).resolve().parent.parent
OCT = ROOT / "sample_data" / "police-uk" / "2022-10" / "2022-10-leicestershire-street.csv"
SEP = ROOT / "sample_data" / "police-uk" / "2022-09" / "2022-09-leicestershire-street.csv"


def _options(target: Path, inputs: Path = OCT, **more: object) -> WebmapOptions:
    return WebmapOptions(inputs=[inputs], out_dir=target, tiles="none", **more)  # type: ignore[arg-type]


def _killed_export(target: Path, when: str) -> None:
    """An export of SEP into ``target`` in a process of its own, SIGKILLed ``when``:
    "staged" (the folder written and gated, just before its swap), "swapping" (between
    the swap's two renames: the previous map set aside, the new one not yet in place)."""
    body = f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from crime_mapper.core.publish import webmap_export
        from crime_mapper.core.publish.webmap_export import WebmapOptions, export_webmap

        def die():
            os.kill(os.getpid(), signal.SIGKILL)

        more = {{}}
        if {when!r} == "staged":
            more["before_commit"] = die
        else:
            real = os.replace
            def replace(src, dst):
                if Path(src).name.startswith(".map.staging-") and Path(dst).name == "map":
                    die()  # (the previous map set aside already)
                return real(src, dst)
            webmap_export.os.replace = replace
        export_webmap(WebmapOptions(inputs=[Path({str(SEP)!r})], out_dir=Path({str(target)!r}),
                                    tiles="none", **more))
        """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def _beside(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir())


def _map_of(target: Path) -> str:
    """Which month's map is in ``target``."""
    text = (target / "data" / "points.js").read_text(encoding="utf-8")
    months = [m for m in ("2022-09", "2022-10") if f'"{m}"' in text]
    assert len(months) == 1, months
    return months[0]


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """October's map in place."""
    target = tmp_path / "out" / "map"
    export_webmap(_options(target))
    assert _beside(target) == ["map"] and _map_of(target) == "2022-10"
    return target


def test_a_killed_exports_staging_folder_is_removed_by_the_next_export(previous: Path):
    _killed_export(previous, "staged")
    left = [n for n in _beside(previous) if n != "map"]
    assert len(left) == 1 and left[0].startswith(".map.staging-"), left  # (what it left)
    assert _map_of(previous) == "2022-10"
    export_webmap(_options(previous))
    assert _beside(previous) == ["map"]
    assert _map_of(previous) == "2022-10"


def test_a_map_set_aside_by_a_killed_swap_is_put_back_even_if_the_next_export_fails(
    previous: Path,
):
    """Killed between the renames: no map, October's hidden. The next export (cancelled
    once it has made its own staging folder) puts October's back and leaves nothing."""
    kept = {p.relative_to(previous): p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    _killed_export(previous, "swapping")
    assert "map" not in _beside(previous)
    assert any(n.startswith(".map.old-") for n in _beside(previous))

    class CancelAt(Feedback):
        def set_progress(self, percent: float) -> None:
            if percent >= 45:  # (the folder is being written into its staging folder)
                raise Cancelled("cancelled")

    with pytest.raises(Cancelled):
        export_webmap(_options(previous, SEP), CancelAt())
    assert _beside(previous) == ["map"]
    now = {p.relative_to(previous): p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    assert now == kept
    export_webmap(_options(previous, SEP))  # (and the next export goes through as ever)
    assert _beside(previous) == ["map"] and _map_of(previous) == "2022-09"


def test_a_running_exports_staging_folder_and_links_are_left_alone(previous: Path, tmp_path: Path):
    """Another export's staging folder, held by it (here: a process holding it as an
    export does), and a link named like a staging folder, pointing at a folder elsewhere:
    both stay, and so does what the link points at."""
    ended = subprocess.Popen(["true"])  # (its maker: a process that is gone by the end)
    ended.wait()
    other = previous.parent / f".map.staging-{ended.pid}-{ended.pid}-other"
    other.mkdir()
    (other / "index.html").write_text("theirs", encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(other)!r}, os.O_RDONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_SH)\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "keep.txt").write_text("keep", encoding="utf-8")
        link = previous.parent / ".map.staging-1-2-link"
        link.symlink_to(elsewhere, target_is_directory=True)
        export_webmap(_options(previous, SEP))
        assert _beside(previous) == sorted(["map", other.name, link.name])
        assert (other / "index.html").read_text(encoding="utf-8") == "theirs"
        assert (elsewhere / "keep.txt").read_text(encoding="utf-8") == "keep"
    finally:
        holder.communicate("")
    # once its export has ended (the lock released), the next export removes it
    link.unlink()
    export_webmap(_options(previous))
    assert _beside(previous) == ["map"] and _map_of(previous) == "2022-10"


def test_a_staging_folder_is_taken_only_once_unheld_and_its_maker_gone(tmp_path: Path):
    """Held from the moment it is made until moved into place or removed: a clean-up
    meanwhile (another export's) leaves it. Released, it is still left while the process
    named in it is there (a forked child that staged it and left, not yet waited for by
    its caller, which takes it over); named by a process that is gone, it is taken."""
    target = tmp_path / "map"
    stage = webmap_staging.new_stage(target, staging_prefix(target), [])
    try:
        assert webmap_staging.clean_leftovers(target) == []
        assert stage.is_dir()
    finally:
        webmap_staging.release(stage)
    assert webmap_staging.clean_leftovers(target) == [] and stage.is_dir()
    gone_pid = subprocess.Popen(["true"])  # (a process id that is no process now)
    gone_pid.wait()
    made_by_gone = stage.with_name(f".map.staging-{gone_pid.pid}-{gone_pid.pid}-x")
    stage.rename(made_by_gone)
    assert webmap_staging.clean_leftovers(target) == [made_by_gone.name]
    assert not made_by_gone.exists()


def test_a_staging_folder_named_with_other_digits_is_taken_not_a_crash(tmp_path: Path):
    """str.isdigit takes "²" and "٣", which int() refuses: a folder so named beside the map
    (no export of ours makes one) made every later export's clean-up raise ValueError."""
    target = tmp_path / "map"
    odd = [tmp_path / f".map.staging-1-{digits}-x" for digits in ("²", "٣٤")]
    for folder in odd:
        folder.mkdir()
    assert sorted(webmap_staging.clean_leftovers(target)) == sorted(f.name for f in odd)
    assert not any(f.exists() for f in odd)
