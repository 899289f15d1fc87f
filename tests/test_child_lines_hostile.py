"""The line protocol's parent end (core.common.child_lines) under a careless or hostile
child: a line nested too deeply for the JSON parser, and bytes that are not UTF-8 on the
stream. Neither may raise in the waiting thread (the task would end with its child still
running and nobody reading it), and a reader that gives up on the stream must still drain
it, or a child with more to say blocks on a full pipe while the caller waits for it to
exit (a dock task that never ends, its cancel no longer read).

Real children: Python processes writing to a real pipe, read by read_lines in a thread as
the dock's release, Processing's anonymise and the in-QGIS web map read theirs.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crime_mapper.core.common.child_lines import parse_event, read_lines

ROOT = Path(__file__).resolve().parent.parent
HANG_LIMIT_S = 120  # a child not ended by then is taken as blocked for ever


@pytest.mark.parametrize(
    "line",
    ["[" * 100_000, '{"a":' * 100_000, b"\xff\xfe{}", "", "null", "[1]", '"x"', "{bad"],
)
def test_what_is_not_an_event_is_none_never_an_error(line):
    assert parse_event(line) is None


def test_an_event_is_its_object():
    assert parse_event('{"event": "progress", "value": 5}\n') == {"event": "progress", "value": 5}
    assert parse_event(b'{"event": "x", "p": "caf\\u00e9"}') == {"event": "x", "p": "caf\u00e9"}


def test_bytes_that_are_not_utf8_end_the_lines_but_the_stream_is_still_drained():
    """The child writes a line, a byte that is no UTF-8, then 4 MB more (more than a pipe
    holds) and exits: the reader gives the first line and the end, and the child is not
    left blocked writing."""
    code = (
        "import os, sys\n"
        'os.write(1, b\'{"event": "step"}\\n\\xff\\n\')\n'
        "os.write(1, b'x' * (4 << 20) + b'\\n')\n"
        'os.write(1, b\'{"event": "finished"}\\n\')\n'
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    got = []
    while True:
        item = lines.get(timeout=HANG_LIMIT_S)
        if item is None:
            break
        got.append(item)
    try:
        assert child.wait(timeout=HANG_LIMIT_S) == 0
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        pytest.fail("the child was left blocked writing to a pipe nobody read")
    assert got in ([], ['{"event": "step"}\n'])  # (lines decoded before the bad byte, if any)


def test_a_path_that_is_no_utf8_reaches_the_parent_as_the_same_path(tmp_path):
    """A file name that is not UTF-8 (Linux names are bytes: a folder copied from an old
    share) arrives in Python as text with escaped bytes (os.fsdecode); the child's line
    naming it (an error's file, the outputs of a finished release) could not be written on
    the UTF-8 protocol stream: the child failed in its last step and the parent saw no
    result. It is now sent escaped, and the parent's Path is that very file."""
    name = os.fsdecode(b"caf\xe9 map\nfolder")
    folder = tmp_path / name
    folder.mkdir()
    code = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from crime_mapper.core.common.child_lines import LineProtocol\n"
        "protocol = LineProtocol(os.fdopen(os.dup(1), 'w', encoding='utf-8'))\n"
        f"protocol.send('finished', out_dir=os.fsdecode({os.fsencode(folder)!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8"
    )
    assert done.returncode == 0, done.stderr
    event = parse_event(done.stdout)
    assert event is not None and Path(event["out_dir"]) == folder
    assert Path(event["out_dir"]).is_dir()
