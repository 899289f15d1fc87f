"""A release configuration, profile or rules path that names no file, but a FIFO or a device.

Why: the readers opened whatever the path named. ``release FIFO`` blocked in the open for
ever (the dock froze with it), and ``release /dev/zero`` read until memory ran out (a
MemoryError traceback after the machine had swapped). Each is now a clear error naming the
path, raised before the open. Real FIFOs in tmp_path and the real /dev/zero; a reader that
would block runs in a thread, and the FIFO is opened for writing afterwards so it ends.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from crime_mapper.core.common.csv_records import read_text_csv
from crime_mapper.core.load.mapping_profile import MappingProfile, ProfileError
from crime_mapper.core.monthly.config import ConfigError, read_config
from crime_mapper.core.release.map_points import MapPointsError, read_map_points_csv
from crime_mapper.core.release.rules import ReleaseRules, ReleaseRulesError
from tests.support.qgis_process import child_env

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs only")

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 20.0


def _outcome(read: Callable[[], Any], fifo: Path) -> BaseException | None:
    """What ``read`` raised (None for nothing); fails the test when it is still blocked."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            read()
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT_S)
    blocked = thread.is_alive()
    if blocked:  # release the reader: a writer opens the FIFO and closes it (end of file)
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(WAIT_S)
    assert not blocked, f"reading {fifo.name} blocked (waited {WAIT_S:.0f} s)"
    return raised[0] if raised else None


@pytest.mark.parametrize(
    "name, read, error",
    [
        ("release.toml", read_config, ConfigError),
        ("release.json", read_config, ConfigError),
        ("force.profile.json", MappingProfile.load, ProfileError),
        ("rules.json", ReleaseRules.load, ReleaseRulesError),
        # the small CSVs (lookup, families) and the map points: a NUL search read the pipe
        ("lookup.csv", lambda p: read_text_csv(p, "lookup", ValueError), ValueError),
        ("map-points.csv", read_map_points_csv, MapPointsError),
    ],
)
def test_a_fifo_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, name: str, read: Callable[[Path], Any], error: type
) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    raised = _outcome(lambda: read(fifo), fifo)
    assert isinstance(raised, error), raised
    assert "FIFO" in str(raised) and str(fifo) in str(raised)


def _limit_memory() -> None:
    """The child's address space capped (2 GB), so a reader that never ends fails fast
    instead of taking the shared machine's memory."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _cli_in_limited_memory(*args: object) -> subprocess.CompletedProcess:
    """The command line run in a child under _limit_memory (a runaway read fails fast)."""
    return subprocess.run(
        [sys.executable, "-m", "crime_mapper.cli", *map(str, args)],
        cwd=ROOT,
        env=child_env([ROOT]),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        preexec_fn=_limit_memory,
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_release_of_a_device_is_exit_2_with_a_message_not_a_runaway_read() -> None:
    done = _cli_in_limited_memory("release", "/dev/zero", "--month", "2022-10")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "/dev/zero" in done.stderr and "a device, not a file" in done.stderr


def test_a_link_to_a_fifo_is_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "release.toml"
    link.symlink_to(fifo)
    raised = _outcome(lambda: read_config(link), fifo)
    assert isinstance(raised, ConfigError) and "FIFO" in str(raised)


def test_a_regular_file_and_a_folder_read_as_before(tmp_path: Path) -> None:
    """The controls: a file still reads (CRLF as LF, a BOM dropped); a folder is still the
    open's own error."""
    path = tmp_path / "release.toml"
    path.write_bytes(b'\xef\xbb\xbf[release]\r\nforce = "A"\r\noutput = "out"\r\n')
    config = read_config(path)
    assert (config.force, config.output) == ("A", "out")
    with pytest.raises(ConfigError, match="Is a directory"):
        read_config(tmp_path)


def test_a_fifo_as_qa_history_is_refused_without_waiting(tmp_path: Path) -> None:
    """qa.history (and ``qa --history``) names saved QA histories (*.json): the check
    before the run only asks whether the path exists, which a FIFO does."""
    from crime_mapper.core.qa.run import QaInputError, load_history

    fifo = tmp_path / "force.qa_history.json"
    os.mkfifo(fifo)
    raised = _outcome(lambda: load_history([fifo], "2022-10"), fifo)
    assert isinstance(raised, QaInputError) and "FIFO" in str(raised), raised


def test_a_fifo_as_the_qa_report_is_refused_naming_it(tmp_path: Path) -> None:
    """``anonymise --qa-report``: read after the whole anonymisation had run."""
    from crime_mapper.core.qa.report import qa_record_from_file

    fifo = tmp_path / "qa_report.json"
    os.mkfifo(fifo)
    raised = _outcome(lambda: qa_record_from_file(fifo, ["2022-10"]), fifo)
    assert isinstance(raised, OSError) and "FIFO" in str(raised) and str(fifo) in str(raised)


def test_the_command_lines_history_check_refuses_a_fifo(tmp_path: Path) -> None:
    """``qa-when --history X.json`` says when a .json is no QA history; it read a FIFO."""
    from crime_mapper import cli

    fifo = tmp_path / "history.json"
    os.mkfifo(fifo)
    said: list[str] = []
    assert _outcome(lambda: said.append(cli._not_qa_history(str(fifo))), fifo) is None
    assert "not a QA history file" in said[0] and "FIFO" in said[0]


def test_an_extract_that_is_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    """load.inputs (and ``load``, the QA history's extracts, the map points' police.uk
    history) names extracts: a FIFO among them blocked the load for ever."""
    from crime_mapper.core.load.sources import InputError, expand_inputs

    fifo = tmp_path / "2022-10-force-street.csv"
    os.mkfifo(fifo)
    raised = _outcome(lambda: expand_inputs([fifo]), fifo)
    assert isinstance(raised, InputError) and "FIFO" in str(raised) and str(fifo) in str(raised)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_load_of_a_device_is_exit_2_naming_it_before_reading(tmp_path: Path) -> None:
    """``load /dev/zero`` read until memory ran out (a MemoryError, reported as an
    "unexpected error, please report this"), after taking the machine's memory."""
    done = _cli_in_limited_memory("load", "/dev/zero", "--out", tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "/dev/zero: a device, not a file" in done.stderr
    assert "MemoryError" not in done.stderr


def test_a_fifo_in_a_summaries_history_folder_is_not_read(tmp_path: Path) -> None:
    """publish.summaries_history (and ``summaries --history``) names folders of police.uk
    months: a FIFO named like a street table in one blocked the summaries for ever."""
    from crime_mapper.core.publish.summaries import SummaryError
    from crime_mapper.core.publish.summaries_history import read_history

    folder = tmp_path / "history"
    folder.mkdir()
    fifo = folder / "2022-09-leicestershire-street.csv"
    os.mkfifo(fifo)
    raised = _outcome(lambda: read_history([folder], ["2022-10"]), fifo)
    assert isinstance(raised, SummaryError) and "holds no *-street.csv file" in str(raised)


def test_a_fifo_given_to_the_web_map_is_refused_without_waiting(tmp_path: Path) -> None:
    """``webmap RELEASE`` (and the release's web map step reading its own files): a FIFO
    given as the public release blocked the export for ever."""
    from crime_mapper.core.publish.webmap_inputs import WebmapInputError, scan_release_inputs

    fifo = tmp_path / "2022-10-leicestershire-street.csv"
    os.mkfifo(fifo)
    raised = _outcome(lambda: scan_release_inputs([fifo]), fifo)
    assert isinstance(raised, WebmapInputError) and "FIFO" in str(raised), raised
